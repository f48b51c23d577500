package hashchain

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// these (sometimes two, e.g. an invalid document wraps both ErrInvalidConfig
// and ErrInvalidJSON); compare with errors.Is. Code maps them to the error
// codes of the Patchbay wire protocol.
var (
	// ErrInvalidHash reports a hash that is not exactly 16 lowercase hex digits.
	ErrInvalidHash = errors.New("invalid hash: want exactly 16 lowercase hex digits")
	// ErrInvalidJSON reports input that is not JSON that RFC 8785 can
	// canonicalise: syntax errors, duplicate object keys, lone surrogates,
	// invalid UTF-8, numbers outside the IEEE 754 double range.
	ErrInvalidJSON = errors.New("invalid JSON")
	// ErrStale reports an update against a hash that already has a successor.
	// This package never returns it; the store does.
	ErrStale = errors.New("stale parent: hash already has a successor")
	// ErrUnknownParent reports an update whose parent is not the expected
	// hash (Verify) or not known to the store.
	ErrUnknownParent = errors.New("unknown parent hash")
	// ErrInvalidPatch reports a malformed RFC 6902 patch or envelope, or a
	// patch operation that cannot be applied (missing path, bad index, ...).
	ErrInvalidPatch = errors.New("invalid patch")
	// ErrTestFailed reports an RFC 6902 "test" operation that did not match.
	ErrTestFailed = errors.New("patch test operation failed")
	// ErrTooLarge reports input or a result beyond one of the Limits; the
	// error is a *LimitError naming the limit.
	ErrTooLarge = errors.New("too large")
	// ErrInvalidConfig reports a configuration (root or patched document)
	// that is not a JSON object.
	ErrInvalidConfig = errors.New("invalid configuration: must be a JSON object")
	// ErrCollision reports two different envelopes with the same hash. This
	// package never returns it; the store does.
	ErrCollision = errors.New("hash collision: a different update already has this hash")
)

// Code maps err to the Patchbay error code of the sentinel it wraps:
// "stale", "unknown_parent", "invalid_patch", "test_failed", "too_large",
// "invalid_config" or "collision". ErrInvalidJSON and ErrInvalidHash map to
// "invalid_patch". Code returns "" for nil and for errors wrapping none of
// the sentinels.
func Code(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrStale):
		return "stale"
	case errors.Is(err, ErrUnknownParent):
		return "unknown_parent"
	case errors.Is(err, ErrCollision):
		return "collision"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, ErrTestFailed):
		return "test_failed"
	case errors.Is(err, ErrInvalidConfig):
		return "invalid_config"
	case errors.Is(err, ErrInvalidPatch), errors.Is(err, ErrInvalidJSON), errors.Is(err, ErrInvalidHash):
		return "invalid_patch"
	}
	return ""
}

// LimitError reports that an input or result exceeded one of the Limits.
// It wraps ErrTooLarge.
type LimitError struct {
	// Limit names the Limits field that was exceeded, e.g. "MaxDocumentBytes".
	Limit string
	// Max is the configured limit.
	Max int
	// Got is the measured value (at least Max+1; for depth and copy checks
	// measurement stops early, so it may be lower than the true value).
	Got int
}

// Error implements error.
func (e *LimitError) Error() string {
	return fmt.Sprintf("too large: %s is %d, limit %s is %d", limitWhat(e.Limit), e.Got, e.Limit, e.Max)
}

// Unwrap returns ErrTooLarge.
func (e *LimitError) Unwrap() error { return ErrTooLarge }

func limitWhat(limit string) string {
	switch limit {
	case "MaxDocumentBytes":
		return "document size in bytes"
	case "MaxPatchBytes":
		return "patch size in bytes"
	case "MaxOps":
		return "operation count"
	case "MaxDepth":
		return "nesting depth"
	}
	return "value"
}

// ChainError reports the first bad link found by Verify. It wraps the
// underlying cause (ErrUnknownParent for a broken parent link, or the error
// of hashing or applying the envelope).
type ChainError struct {
	// Index is the position of the bad envelope in the slice given to
	// Verify, or -1 when the root configuration itself is invalid.
	Index int
	// Expected is the hash the envelope's parent should have been (the hash
	// of the previous link); Got is the parent it carries. Both are zero
	// when the link is intact but the envelope cannot be hashed or applied.
	Expected, Got Hash
	// Err is the cause.
	Err error
}

// Error implements error.
func (e *ChainError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("verify chain: root configuration: %v", e.Err)
	}
	if e.Expected != e.Got {
		return fmt.Sprintf("verify chain: envelope %d: parent is %s, want %s: %v", e.Index, e.Got, e.Expected, e.Err)
	}
	return fmt.Sprintf("verify chain: envelope %d: %v", e.Index, e.Err)
}

// Unwrap returns the cause.
func (e *ChainError) Unwrap() error { return e.Err }
