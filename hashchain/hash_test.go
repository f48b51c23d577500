package hashchain

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestSumKnownVectors(t *testing.T) {
	// Reference values of XXH64 with seed 0.
	for _, tc := range []struct {
		in   string
		want Hash
	}{
		{"", 0xef46db3751d8e999},
		{"a", 0xd24ec4f1a98c6e5b},
		{"abc", 0x44bc2cf5ad770999},
	} {
		if got := Sum([]byte(tc.in)); got != tc.want {
			t.Errorf("Sum(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestHashString(t *testing.T) {
	for _, tc := range []struct {
		h    Hash
		want string
	}{
		{0, "0000000000000000"},
		{1, "0000000000000001"},
		{0xdeadbeef, "00000000deadbeef"},
		{0xffffffffffffffff, "ffffffffffffffff"},
		{0x0123456789abcdef, "0123456789abcdef"},
	} {
		if got := tc.h.String(); got != tc.want {
			t.Errorf("Hash(%#x).String() = %q, want %q", uint64(tc.h), got, tc.want)
		}
		back, err := ParseHash(tc.want)
		if err != nil || back != tc.h {
			t.Errorf("ParseHash(%q) = %s, %v, want %s", tc.want, back, err, tc.h)
		}
	}
}

func TestParseHashRejects(t *testing.T) {
	for _, s := range []string{
		"",
		"0123456789abcde",   // 15 digits
		"0123456789abcdef0", // 17 digits
		"0123456789ABCDEF",  // upper case
		"0123456789abcdeF",
		"0x23456789abcdef",
		"0123456789abcdeg",
		" 123456789abcdef",
		"0123456789abcde\x00",
		"０123456789abcde", // non-ASCII
	} {
		h, err := ParseHash(s)
		if !errors.Is(err, ErrInvalidHash) {
			t.Errorf("ParseHash(%q) = %s, %v; want an error wrapping ErrInvalidHash", s, h, err)
		}
		if Code(err) != "invalid_patch" {
			t.Errorf("Code(ParseHash(%q)) = %q, want invalid_patch", s, Code(err))
		}
	}
}

func TestHashJSON(t *testing.T) {
	type wrap struct {
		H Hash `json:"h"`
	}
	b, err := json.Marshal(wrap{H: 0xabc})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"h":"0000000000000abc"}`; got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
	var w wrap
	if err := json.Unmarshal(b, &w); err != nil || w.H != 0xabc {
		t.Errorf("Unmarshal(%s) = %s, %v; want 0000000000000abc", b, w.H, err)
	}
	for _, bad := range []string{`{"h":"0000000000000ABC"}`, `{"h":"abc"}`, `{"h":12}`} {
		if err := json.Unmarshal([]byte(bad), &w); err == nil {
			t.Errorf("Unmarshal(%s) succeeded, want an error", bad)
		}
	}
	if err := json.Unmarshal([]byte(`{"h":"0000000000000ABC"}`), &w); !errors.Is(err, ErrInvalidHash) {
		t.Errorf("Unmarshal of upper-case hash: %v, want ErrInvalidHash", err)
	}
}

func TestCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("other"), ""},
		{ErrStale, "stale"},
		{ErrUnknownParent, "unknown_parent"},
		{ErrInvalidPatch, "invalid_patch"},
		{ErrInvalidJSON, "invalid_patch"},
		{ErrInvalidHash, "invalid_patch"},
		{ErrTestFailed, "test_failed"},
		{ErrTooLarge, "too_large"},
		{&LimitError{Limit: "MaxOps", Max: 1, Got: 2}, "too_large"},
		{ErrInvalidConfig, "invalid_config"},
		{ErrCollision, "collision"},
		{&ChainError{Index: 2, Err: ErrUnknownParent}, "unknown_parent"},
	} {
		if got := Code(tc.err); got != tc.want {
			t.Errorf("Code(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
