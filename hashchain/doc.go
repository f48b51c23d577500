// Package hashchain is the pure core of Patchbay's configuration store: the
// Hash type, RFC 8785 canonical JSON, root and envelope hashing, applying
// RFC 6902 patches within limits, and verifying a chain of updates.
//
// It does no I/O and imports neither NATS nor any network package, so every
// node computes exactly the same hashes from the same bytes.
//
// # How the pieces fit
//
// A configuration starts as a root configuration, a JSON object of
// connection info. RootHash canonicalises it (Canonicalize, RFC 8785) and
// hashes the canonical bytes with xxhash64 (Sum); a Hash prints as exactly 16
// lowercase hex digits and ParseHash accepts nothing else.
//
// An update is an Envelope {"parent","patch","meta"?}: an RFC 6902 patch
// against the hash of the previous configuration. The update's hash is the
// hash of the canonical envelope (Envelope.Hash), so the chain of hashes
// tracks the order of updates, not the content. DecodeSubmission turns what a
// client sent (a bare patch array or a full envelope) into a validated
// Envelope; Apply applies its patch to the canonical configuration within
// Limits and returns the new canonical configuration; Diff computes a patch
// between two configurations; Verify replays a whole chain from its root.
//
// # JSON handling
//
// The package has its own strict single-pass JSON parser: it rejects
// duplicate object keys, lone surrogates, invalid UTF-8 and numbers outside
// the IEEE 754 double range, which RFC 8785 cannot canonicalise. Patches are
// applied by its own RFC 6902 engine on the parsed tree, which passes every
// runnable record of the shared json-patch-tests conformance suite (see
// the README notes for why github.com/evanphx/json-patch/v5 is not used).
// "test" compares values semantically: 1 equals 1.0, and member order does
// not matter.
//
// # Errors
//
// Every error wraps one of the sentinels in errors.go (compare with
// errors.Is); Code maps an error to the wire protocol's error code. Limit
// violations are *LimitError, JSON syntax problems *SyntaxError, and chain
// verification failures *ChainError.
//
// All functions are safe for concurrent use; the package has no state.
package hashchain
