package hashchain

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzCanonicalize checks that canonicalisation is idempotent and keeps the
// value: encoding/json decodes the input and its canonical form to the same
// Go value.
func FuzzCanonicalize(f *testing.F) {
	f.Add([]byte(`{"b":[1,2.50,1e21],"a":{"\u20ac":"x","\ud83d\ude00":null}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Canonicalize(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidJSON) {
				t.Fatalf("error %v does not wrap ErrInvalidJSON", err)
			}
			return
		}
		c2, err := Canonicalize(c)
		if err != nil || string(c2) != string(c) {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", data, c, c2, err)
		}
		var in, out any
		if err := json.Unmarshal(data, &in); err != nil {
			t.Fatalf("Canonicalize accepted %q but encoding/json rejects it: %v", data, err)
		}
		if err := json.Unmarshal(c, &out); err != nil {
			t.Fatalf("canonical form %q is not JSON for encoding/json: %v", c, err)
		}
		if !reflect.DeepEqual(in, out) {
			t.Fatalf("value changed: %q decodes to %#v, canonical %q to %#v", data, in, c, out)
		}
	})
}

// FuzzDecodeSubmission checks that decoding never panics, that every error
// wraps ErrInvalidPatch, and that an accepted submission hashes, decodes
// again to the same envelope, and re-submits as its canonical envelope.
func FuzzDecodeSubmission(f *testing.F) {
	f.Add([]byte(`[{"op":"add","path":"/a","value":1}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		const parent Hash = 0x2c0a2c2e2fd91d3a
		e, err := DecodeSubmission(data, parent)
		if err != nil {
			if !errors.Is(err, ErrInvalidPatch) {
				t.Fatalf("error %v does not wrap ErrInvalidPatch", err)
			}
			return
		}
		c, err := e.Canonical()
		if err != nil {
			t.Fatalf("accepted %q but Canonical fails: %v", data, err)
		}
		e2, err := DecodeSubmission(c, parent)
		if err != nil {
			t.Fatalf("canonical envelope %q rejected: %v", c, err)
		}
		h1, _ := e.Hash()
		h2, _ := e2.Hash()
		if h1 != h2 || string(e.Patch) != string(e2.Patch) || string(e.Meta) != string(e2.Meta) {
			t.Fatalf("round trip changed the envelope: %q -> %q (%s != %s)", data, c, h1, h2)
		}
	})
}

// FuzzApply checks that Apply never panics, that errors carry a code, that
// results are canonical objects, and that the engine on any JSON value
// agrees with Apply.
func FuzzApply(f *testing.F) {
	f.Add([]byte(`{"a":[1,2]}`), []byte(`[{"op":"move","from":"/a/0","path":"/a/-"}]`))
	lim := Limits{MaxDocumentBytes: 64 << 10, MaxDepth: 32, MaxOps: 64}
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		out, err := Apply(doc, patch, lim)
		if err != nil {
			if Code(err) == "" {
				t.Fatalf("error %v has no code", err)
			}
			return
		}
		c, err := Canonicalize(out)
		if err != nil || string(c) != string(out) {
			t.Fatalf("result %q is not canonical: %v", out, err)
		}
		if len(out) == 0 || out[0] != '{' {
			t.Fatalf("result %q is not an object", out)
		}
		again, err := applyAny(doc, patch, lim)
		if err != nil || string(again) != string(out) {
			t.Fatalf("applyAny = %q, %v; Apply = %q", again, err, out)
		}
		if len(out) > lim.MaxDocumentBytes {
			t.Fatalf("result of %d bytes exceeds the limit", len(out))
		}
	})
}
