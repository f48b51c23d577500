// Package resp is the Redis serialization protocol codec used by Patchbay's
// Redis-compatible gateway: a Reader that decodes client commands (RESP
// multibulk arrays and redis-cli/telnet style inline commands) and a Writer
// that encodes replies in RESP2 or RESP3, including RESP3 maps, nulls,
// verbatim strings and push frames.
//
// The Reader enforces request limits (bulk length, argument count, inline line
// length) and reports malformed input as a *ProtocolError whose text is the
// one Redis 7 sends ("Protocol error: invalid bulk length", ...). It never
// allocates more than the limits allow, whatever the input claims.
//
// Neither type is safe for concurrent use; each connection owns its own.
package resp
