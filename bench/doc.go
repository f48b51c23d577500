// Package bench measures Patchbay's patch throughput and latency against
// baselines (raw JetStream, NATS KV, the original Redis design) in one run.
package bench
