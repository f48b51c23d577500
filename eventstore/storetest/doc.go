// Package storetest starts real Patchbay stores for tests: an embedded NATS
// server with JetStream in a temporary directory on random loopback ports,
// and a Store serving it. It is for tests only and does not import testing;
// it takes the subset of testing.TB it needs.
package storetest
