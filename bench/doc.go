// Package bench measures Patchbay's patch throughput and latency against
// baselines (raw JetStream, NATS KV, the original Redis design) in one run.
//
// Run takes a Config (its zero value measures everything with defaults
// that finish in about a minute on two cores) and returns a Report. Each
// scenario starts a fresh embedded node and store (eventstore.StartNode in a
// temp dir, eventstore.Open) and measures the same workload against
// Patchbay and against the baselines on the same embedded server:
//
//   - parallel: many submitters spread over many configs (1 KiB and 64 KiB
//     documents); baselines: JetStream async publish of the same bytes (the
//     upper bound), NATS KV Update with expected revision (one key per
//     config), and the original Redis design.
//   - serial: one config, each update against the previous head.
//   - fanout: submit to receipt by 1, 100 and 1000 subscribers, over NATS and
//     over the Redis gateway.
//   - catchup: time to get a config's head with growing history.
//   - restart: time from start to serving for stores of growing size.
//   - memory: heap growth per loaded config.
//
// The original Redis design runs on a real redis-server started on a random
// loopback port without persistence: clients PUBLISH envelopes on
// updates:<parent>, a storage node PSUBSCRIBEd to updates:* applies them with
// hashchain.Apply and keeps <hash> -> patch and <root> -> latest with SET.
// When no redis-server is found, its results say so in Result.Skipped.
//
// Latencies go into HDR histograms (github.com/HdrHistogram/hdrhistogram-go)
// and are reported in microseconds (p50, p99, p99.9, max). A Report writes
// itself as a table with ratios to the baselines (WriteTable), JSON
// (WriteJSON), an SVG chart (WriteSVG) and Go benchmark lines for benchstat
// (WriteGoBench). The patchbay bench command is a thin wrapper over Run.
package bench
