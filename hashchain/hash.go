package hashchain

import (
	"fmt"

	"github.com/cespare/xxhash/v2"
)

// Hash is the xxhash64 of canonical JSON bytes. Its only textual form is
// exactly 16 lowercase hexadecimal digits (String, MarshalText, JSON); the
// zero value is the hash "0000000000000000", which no real input is
// expected to produce.
type Hash uint64

// Sum returns the xxhash64 of b.
func Sum(b []byte) Hash { return Hash(xxhash.Sum64(b)) }

const hexDigits = "0123456789abcdef"

// String returns h as exactly 16 lowercase hex digits.
func (h Hash) String() string {
	var b [16]byte
	h.put(b[:])
	return string(b[:])
}

func (h Hash) put(b []byte) {
	for i := 15; i >= 0; i-- {
		b[i] = hexDigits[h&0xf]
		h >>= 4
	}
}

// appendTo appends h's 16 hex digits to b.
func (h Hash) appendTo(b []byte) []byte {
	var d [16]byte
	h.put(d[:])
	return append(b, d[:]...)
}

// ParseHash parses exactly 16 lowercase hex digits. Any other spelling
// (wrong length, upper case, a 0x prefix, spaces) is an error wrapping
// ErrInvalidHash.
func ParseHash(s string) (Hash, error) {
	if len(s) != 16 {
		return 0, fmt.Errorf("parse hash %q: length %d, want 16: %w", truncate(s), len(s), ErrInvalidHash)
	}
	var h Hash
	for i := 0; i < 16; i++ {
		c := s[i]
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			return 0, fmt.Errorf("parse hash %q: upper-case digit %q at offset %d, hashes are lower case: %w", s, c, i, ErrInvalidHash)
		default:
			return 0, fmt.Errorf("parse hash %q: non-hex byte %q at offset %d: %w", s, c, i, ErrInvalidHash)
		}
		h = h<<4 | Hash(v)
	}
	return h, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// MarshalText returns the 16-hex-digit form, so that encoding/json writes a
// Hash as a JSON string.
func (h Hash) MarshalText() ([]byte, error) { return h.appendTo(make([]byte, 0, 16)), nil }

// UnmarshalText parses the 16-hex-digit form (see ParseHash).
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}
