// Package gateway is Patchbay's Redis-compatible gateway: a TCP server that
// speaks RESP2 and RESP3 (package resp) to unmodified Redis clients and
// talks to the event store only over NATS (DESIGN §2).
//
// What it serves:
//
//   - Redis pub/sub with Redis 7's exact replies (SUBSCRIBE, PSUBSCRIBE,
//     their UNSUBSCRIBE forms, PUBLISH, PUBSUB), RESP2 subscribed-mode
//     restrictions and RESP3 push frames. Channel patterns follow Redis's
//     stringmatchlen (see Match).
//   - The Patchbay channels of the original design: updates:<hash> carries
//     the bytes of NATS updates.<hash>; PUBLISH updates:<hash> submits a
//     patch through pb.patch.<hash>; PUBLISH update_requests <root> asks the
//     store for a catch-up; GET head:<root>, patch:<hash>, config:<hash> are
//     read-only keys answered through pb.get.<hash>.
//   - Every other channel is ordinary pub/sub bridged across all gateways on
//     the same NATS through subjects ChannelSubjectPrefix+EscapeChannel(ch).
//   - Connection commands: HELLO, AUTH, CLIENT, SELECT 0, PING, ECHO, QUIT,
//     RESET, INFO, COMMAND.
//
// Each connection has a reader goroutine that decodes and runs commands one
// at a time, and a writer goroutine that drains a per-client output buffer.
// Pub/sub deliveries never block: they append to the buffer, and a client
// whose buffer breaks the output limit (Redis's client-output-buffer-limit
// pubsub 32mb 8mb 60 by default) is disconnected, logged and counted, so a
// slow subscriber never slows the store, NATS or other clients.
//
// Lock order: Server.mu, then hub.mu, then client.mu.
package gateway
