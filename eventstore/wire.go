package eventstore

import (
	"encoding/json"
	"time"

	"github.com/patchbay/patchbay/hashchain"
)

// Subjects and stream names of the NATS contract (DESIGN §2) and of the
// storage layout.
const (
	// StreamName is the JetStream stream holding every config's log.
	StreamName = "PATCHBAY"
	// HeadsStreamName is the stream of head snapshots, one per config.
	HeadsStreamName = "PATCHBAY_HEADS"
	// HashesBucket is the KV bucket indexing hash -> (root, parent, seq).
	HashesBucket = "PATCHBAY_HASHES"
	// AnnouncerConsumer is the durable consumer that announces log entries.
	AnnouncerConsumer = "pb-announcer"

	// SubjectUpdatesPrefix + parent hash: announcements of accepted updates.
	SubjectUpdatesPrefix = "updates."
	// SubjectUpdateRequests: catch-up requests (payload: a root hash).
	SubjectUpdateRequests = "update_requests"
	// SubjectCreate: create a config from a root configuration.
	SubjectCreate = "pb.create"
	// SubjectPatchPrefix + parent hash: submit an update.
	SubjectPatchPrefix = "pb.patch."
	// SubjectGetPrefix + hash: read a config at a hash.
	SubjectGetPrefix = "pb.get."
	// SubjectLogPrefix + root hash: the config's updates (stream PATCHBAY).
	SubjectLogPrefix = "pb.log."
	// SubjectRootPrefix + root hash: the config's root entry (stream PATCHBAY).
	SubjectRootPrefix = "pb.root."
	// SubjectHeadPrefix + root hash: the config's head snapshot (stream PATCHBAY_HEADS).
	SubjectHeadPrefix = "pb.head."
)

// Headers set on every log entry.
const (
	HeaderHash   = "Pb-Hash"
	HeaderParent = "Pb-Parent"
	HeaderSeq    = "Pb-Seq"
)

// Update is an accepted update as stored in the log and announced on
// updates.<parent>; the announced bytes are exactly the stored bytes.
type Update struct {
	// Root is the config's root hash.
	Root hashchain.Hash `json:"root"`
	// Parent is the hash the patch applies to.
	Parent hashchain.Hash `json:"parent"`
	// Hash is the update's hash (the new head).
	Hash hashchain.Hash `json:"hash"`
	// Seq is the position on the chain; the root is 0.
	Seq uint64 `json:"seq"`
	// Patch is the canonical RFC 6902 patch.
	Patch json.RawMessage `json:"patch"`
	// Meta is the optional metadata object.
	Meta json.RawMessage `json:"meta,omitempty"`
	// Time is when the store accepted the update (UTC).
	Time time.Time `json:"time"`
	// Catchup marks a catch-up message (patch root -> head) from update_requests.
	Catchup bool `json:"catchup,omitempty"`
}

// PatchReply is the reply to an accepted pb.patch.<parent> request.
type PatchReply struct {
	Root   hashchain.Hash `json:"root"`
	Parent hashchain.Hash `json:"parent"`
	Hash   hashchain.Hash `json:"hash"`
	Seq    uint64         `json:"seq"`
}

// GetReply is the reply to pb.get.<hash>: the config at Hash (Seq on its
// chain) and the config's current head.
type GetReply struct {
	Root   hashchain.Hash  `json:"root"`
	Hash   hashchain.Hash  `json:"hash"`
	Seq    uint64          `json:"seq"`
	Config json.RawMessage `json:"config"`
	Head   hashchain.Hash  `json:"head"`
}

// CreateReply is the reply to pb.create.
type CreateReply struct {
	Root    hashchain.Hash `json:"root"`
	Created bool           `json:"created"`
}

// Error codes of the wire protocol (DESIGN §2).
const (
	CodeStale         = "stale"
	CodeUnknownParent = "unknown_parent"
	CodeInvalidPatch  = "invalid_patch"
	CodeTestFailed    = "test_failed"
	CodeTooLarge      = "too_large"
	CodeInvalidConfig = "invalid_config"
	CodeCollision     = "collision"
	CodeUnauthorized  = "unauthorized"
	CodeNotFound      = "not_found"
	CodeInternal      = "internal"
)

// RefusedError is a refusal as sent on the wire, {"error":{"code","message"}}.
// It unwraps to the matching hashchain sentinel (hashchain.ErrStale for
// "stale", ...), so errors.Is(err, hashchain.ErrStale) works.
type RefusedError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error returns "code: message".
func (e *RefusedError) Error() string { return e.Code + ": " + e.Message }

// Unwrap returns the hashchain sentinel for Code, or nil.
func (e *RefusedError) Unwrap() error {
	switch e.Code {
	case CodeStale:
		return hashchain.ErrStale
	case CodeUnknownParent:
		return hashchain.ErrUnknownParent
	case CodeInvalidPatch:
		return hashchain.ErrInvalidPatch
	case CodeTestFailed:
		return hashchain.ErrTestFailed
	case CodeTooLarge:
		return hashchain.ErrTooLarge
	case CodeInvalidConfig:
		return hashchain.ErrInvalidConfig
	case CodeCollision:
		return hashchain.ErrCollision
	}
	return nil
}

// errorReply is the wire form of a refusal.
type errorReply struct {
	Error *RefusedError `json:"error,omitempty"`
}

// refusal turns err into a RefusedError, mapping hashchain sentinels to codes.
func refusal(err error) *RefusedError {
	if re, ok := err.(*RefusedError); ok {
		return re
	}
	code := hashchain.Code(err)
	if code == "" {
		code = CodeInternal
	}
	return &RefusedError{Code: code, Message: err.Error()}
}

// snapshot is a head snapshot stored on pb.head.<root>.
type snapshot struct {
	Root   hashchain.Hash  `json:"root"`
	Hash   hashchain.Hash  `json:"hash"`
	Seq    uint64          `json:"seq"`
	LogSeq uint64          `json:"log_seq"`
	Config json.RawMessage `json:"config"`
}

// indexEntry is the value of a hash in the HashesBucket.
type indexEntry struct {
	Root   hashchain.Hash `json:"root"`
	Parent hashchain.Hash `json:"parent"`
	Seq    uint64         `json:"seq"`
	LogSeq uint64         `json:"log_seq"`
}
