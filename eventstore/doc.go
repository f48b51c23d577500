// Package eventstore is Patchbay's event-sourced configuration store on
// NATS JetStream: an embedded (or external) NATS server (Node), the store
// serving the NATS contract of DESIGN §2 (Store), a client for it (Client)
// and log replay (Replay).
//
// # Layout
//
// Stream PATCHBAY (file storage) holds, per config, its root configuration
// on pb.root.<root> (entry 0) and its updates on pb.log.<root>, each an
// Update message byte-identical to what is announced on updates.<parent>.
// Stream PATCHBAY_HEADS keeps one head snapshot per config on
// pb.head.<root> (every 32 updates), so loading a head costs one snapshot
// read plus at most 31 entries however long the history is. KV bucket
// PATCHBAY_HASHES maps each hash to its root and parent (collision check,
// reads of older hashes). The durable consumer pb-announcer publishes each
// log entry on updates.<parent> and acks it afterwards, so an update
// committed just before a crash is announced after the restart.
//
// # First writer wins
//
// An update is committed by publishing on pb.log.<root> with the header
// Nats-Expected-Last-Subject-Sequence set to the stream sequence of the
// config's last entry; JetStream refuses the publish when another writer
// (any Store on the stream) committed first, and the Store then re-reads the
// log and answers stale. The per-config in-memory head is only a cache.
//
// # Concurrency
//
// Requests are spread over a bounded worker pool by subject (one parent's
// requests in arrival order); each config has a mutex (config.mu) serialising
// its updates. Lock order: config.mu before Store.mu; Store.mu guards only
// the two cache maps and is never held across I/O.
//
// # Errors
//
// Refusals are *RefusedError values carrying a wire code (CodeStale, ...);
// they unwrap to the hashchain sentinels, so errors.Is(err,
// hashchain.ErrStale) works on both sides of the wire.
package eventstore
