// Package hashchain is the pure core of Patchbay's configuration store: the
// Hash type, RFC 8785 canonical JSON, root and envelope hashing, applying
// RFC 6902 patches within limits, and verifying a chain of updates.
//
// It does no I/O and imports neither NATS nor any network package, so every
// node computes exactly the same hashes from the same bytes.
package hashchain
