package hashchain

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

const tikatoo = `{"platform":"twitch","channel":"#tikatoo"}`

// Golden hashes: these values are part of the wire contract and must never
// change. A failure here means every stored chain would break.
const (
	goldenRootHash      = "2c0a2c2e2fd91d3a"
	goldenEnvelopeHash  = "5d44590c208fbe46" // with meta
	goldenEnvelopeHash2 = "efcab768cf25cea4" // without meta
)

func TestGoldenRootHash(t *testing.T) {
	for _, in := range []string{
		tikatoo,
		`{"channel":"#tikatoo","platform":"twitch"}`,
		"{ \"channel\" : \"#tik\\u0061too\",\n \"platform\": \"twitch\" }",
	} {
		h, c, err := RootHash([]byte(in))
		if err != nil {
			t.Fatalf("RootHash(%s): %v", in, err)
		}
		if got, want := string(c), `{"channel":"#tikatoo","platform":"twitch"}`; got != want {
			t.Errorf("canonical root = %s, want %s", got, want)
		}
		if h.String() != goldenRootHash {
			t.Errorf("RootHash(%s) = %s, want %s", in, h, goldenRootHash)
		}
	}
}

func TestGoldenEnvelopeHash(t *testing.T) {
	root, _ := ParseHash(goldenRootHash)
	e := Envelope{
		Parent: root,
		Patch:  []byte(`[ {"value":"!", "path":"/prefix", "op":"add"} ]`),
		Meta:   []byte(`{"note":"set prefix","author":"tika"}`),
	}
	c, err := e.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(c), `{"meta":{"author":"tika","note":"set prefix"},"parent":"2c0a2c2e2fd91d3a","patch":[{"op":"add","path":"/prefix","value":"!"}]}`; got != want {
		t.Errorf("Canonical() = %s, want %s", got, want)
	}
	h, err := e.Hash()
	if err != nil || h.String() != goldenEnvelopeHash {
		t.Errorf("Hash() = %s, %v, want %s", h, err, goldenEnvelopeHash)
	}
	for _, meta := range []string{"", "null"} {
		e.Meta = []byte(meta)
		h, err := e.Hash()
		if err != nil || h.String() != goldenEnvelopeHash2 {
			t.Errorf("Hash() with meta %q = %s, %v, want %s", meta, h, err, goldenEnvelopeHash2)
		}
	}
}

func TestEnvelopeCanonicalRejects(t *testing.T) {
	for _, e := range []Envelope{
		{Patch: nil},
		{Patch: []byte(`{}`)},
		{Patch: []byte(`[`)},
		{Patch: []byte(`[]`), Meta: []byte(`"note"`)},
		{Patch: []byte(`[]`), Meta: []byte(`{"a":1,"a":2}`)},
	} {
		if _, err := e.Hash(); !errors.Is(err, ErrInvalidPatch) {
			t.Errorf("Hash(patch %s, meta %s) error %v, want ErrInvalidPatch", e.Patch, e.Meta, err)
		}
	}
}

func TestRootHashRejects(t *testing.T) {
	for _, in := range []string{`[]`, `"x"`, `null`, `1`, `{"a":1,"a":1}`, `{`, ``} {
		_, _, err := RootHash([]byte(in))
		if !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("RootHash(%q) error %v, want ErrInvalidConfig", in, err)
		}
	}
	deep := strings.Repeat(`{"a":`, 65) + "1" + strings.Repeat("}", 65)
	var le *LimitError
	if _, _, err := RootHash([]byte(deep)); !errors.As(err, &le) || le.Limit != "MaxDepth" {
		t.Errorf("RootHash(depth 65) error %v, want a MaxDepth LimitError", err)
	}
}

func TestDecodeSubmission(t *testing.T) {
	parent, _ := ParseHash(goldenRootHash)
	wantPatch := `[{"op":"add","path":"/prefix","value":"!"}]`
	for _, tc := range []struct {
		name, in, meta string
	}{
		{"bare array", `[{"op":"add","path":"/prefix","value":"!"}]`, ""},
		{"envelope", `{"parent":"2c0a2c2e2fd91d3a","patch":[{"path":"/prefix","op":"add","value":"!"}]}`, ""},
		{"envelope without parent", `{"patch":[{"op":"add","path":"/prefix","value":"!"}]}`, ""},
		{"envelope with meta", `{"parent":"2c0a2c2e2fd91d3a","patch":[{"op":"add","path":"/prefix","value":"!"}],"meta":{"note":"set prefix","author":"tika"}}`, `{"author":"tika","note":"set prefix"}`},
		{"null meta", `{"patch":[{"op":"add","path":"/prefix","value":"!"}],"meta":null}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := DecodeSubmission([]byte(tc.in), parent)
			if err != nil {
				t.Fatalf("DecodeSubmission: %v", err)
			}
			if e.Parent != parent || string(e.Patch) != wantPatch || string(e.Meta) != tc.meta {
				t.Errorf("got {%s %s %s}, want {%s %s %s}", e.Parent, e.Patch, e.Meta, parent, wantPatch, tc.meta)
			}
		})
	}
	e, err := DecodeSubmission([]byte(`{"parent":"2c0a2c2e2fd91d3a","patch":[{"op":"add","path":"/prefix","value":"!"}],"meta":{"author":"tika","note":"set prefix"}}`), parent)
	if h, _ := e.Hash(); err != nil || h.String() != goldenEnvelopeHash {
		t.Errorf("decoded envelope hash = %s, %v, want %s", h, err, goldenEnvelopeHash)
	}
	if e, err := DecodeSubmission([]byte(`[]`), parent); err != nil || string(e.Patch) != "[]" {
		t.Errorf("DecodeSubmission([]) = %s, %v, want an empty patch", e.Patch, err)
	}
}

func TestDecodeSubmissionRejects(t *testing.T) {
	parent, _ := ParseHash(goldenRootHash)
	for _, tc := range []struct {
		name, in, msg string
	}{
		{"not json", `not json`, "invalid JSON"},
		{"empty", ``, "invalid JSON"},
		{"string", `"[]"`, "want a patch array or an envelope"},
		{"number", `12`, "want a patch array or an envelope"},
		{"null", `null`, "want a patch array or an envelope"},
		{"object without patch", `{"parent":"2c0a2c2e2fd91d3a"}`, `no "patch"`},
		{"patch not array", `{"patch":{"op":"add"}}`, "want an array"},
		{"patch null", `{"patch":null}`, `no "patch"`},
		{"wrong parent", `{"parent":"0000000000000001","patch":[]}`, "0000000000000001 does not match the parent 2c0a2c2e2fd91d3a"},
		{"bad parent", `{"parent":"2C0A2C2E2FD91D3A","patch":[]}`, "upper-case"},
		{"parent not string", `{"parent":1,"patch":[]}`, "want a hash string"},
		{"unknown member", `{"patch":[],"hash":"2c0a2c2e2fd91d3a"}`, `unknown envelope member "hash"`},
		{"meta not object", `{"patch":[],"meta":"hi"}`, "want an object"},
		{"op not object", `[1]`, "operation 0 is a number"},
		{"op string", `["add"]`, "operation 0 is a string"},
		{"unknown op", `[{"op":"merge","path":"/a","value":1}]`, `unknown op "merge"`},
		{"op not string", `[{"op":1,"path":"/a"}]`, `"op" is a number`},
		{"missing op", `[{"path":"/a","value":1}]`, `missing "op"`},
		{"missing path", `[{"op":"add","value":1}]`, `missing "path"`},
		{"path not pointer", `[{"op":"remove","path":"a"}]`, "must be empty or start with '/'"},
		{"bad tilde", `[{"op":"remove","path":"/a~2"}]`, "'~' must be followed by 0 or 1"},
		{"missing value", `[{"op":"add","path":"/a"}]`, `missing "value"`},
		{"test missing value", `[{"op":"test","path":"/a"}]`, `missing "value"`},
		{"replace missing value", `[{"op":"replace","path":"/a"}]`, `missing "value"`},
		{"missing from", `[{"op":"move","path":"/a"}]`, `missing "from"`},
		{"bad from", `[{"op":"copy","from":"x","path":"/a"}]`, "from: JSON pointer"},
		{"duplicate op member", `[{"op":"add","op":"remove","path":"/a","value":1}]`, "duplicate object key"},
		{"second op bad", `[{"op":"remove","path":"/a"},{"op":"nope","path":"/a"}]`, "operation 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := DecodeSubmission([]byte(tc.in), parent)
			if !errors.Is(err, ErrInvalidPatch) {
				t.Fatalf("DecodeSubmission(%s) = %+v, %v; want an error wrapping ErrInvalidPatch", tc.in, e, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
			if Code(err) != "invalid_patch" {
				t.Errorf("Code = %q, want invalid_patch", Code(err))
			}
		})
	}
}

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		name, doc, patch, want string
	}{
		{"add member", `{"a":1}`, `[{"op":"add","path":"/b","value":[1,2]}]`, `{"a":1,"b":[1,2]}`},
		{"canonical output", `{ "b" : 1.50, "a" : 1e2 }`, `[]`, `{"a":100,"b":1.5}`},
		{"replace root", `{"a":1}`, `[{"op":"replace","path":"","value":{"z":0}}]`, `{"z":0}`},
		{"add root", `{"a":1}`, `[{"op":"add","path":"","value":{"y":0}}]`, `{"y":0}`},
		{"array insert", `{"a":[1,3]}`, `[{"op":"add","path":"/a/1","value":2}]`, `{"a":[1,2,3]}`},
		{"array append", `{"a":[1]}`, `[{"op":"add","path":"/a/-","value":2}]`, `{"a":[1,2]}`},
		{"array end index", `{"a":[1]}`, `[{"op":"add","path":"/a/1","value":2}]`, `{"a":[1,2]}`},
		{"array replace", `{"a":[1,2,3]}`, `[{"op":"replace","path":"/a/1","value":9}]`, `{"a":[1,9,3]}`},
		{"array remove", `{"a":[1,2,3]}`, `[{"op":"remove","path":"/a/0"}]`, `{"a":[2,3]}`},
		{"move", `{"a":{"x":1},"b":{}}`, `[{"op":"move","from":"/a/x","path":"/b/y"}]`, `{"a":{},"b":{"y":1}}`},
		{"move to self", `{"a":1}`, `[{"op":"move","from":"/a","path":"/a"}]`, `{"a":1}`},
		{"copy is deep", `{"a":{"x":[1]}}`, `[{"op":"copy","from":"/a","path":"/b"},{"op":"add","path":"/b/x/-","value":2}]`, `{"a":{"x":[1]},"b":{"x":[1,2]}}`},
		{"test numbers by value", `{"a":1,"b":[1.0,{"c":1e0}]}`, `[{"op":"test","path":"/a","value":1.0},{"op":"test","path":"/b","value":[1,{"c":1}]}]`, `{"a":1,"b":[1,{"c":1}]}`},
		{"test object order irrelevant", `{"a":{"x":1,"y":2}}`, `[{"op":"test","path":"/a","value":{"y":2,"x":1}}]`, `{"a":{"x":1,"y":2}}`},
		{"test array with null", `{"a":[null,1]}`, `[{"op":"test","path":"/a","value":[null,1]}]`, `{"a":[null,1]}`}, // crashes evanphx v5.9.11
		{"test null", `{"a":null}`, `[{"op":"test","path":"/a","value":null}]`, `{"a":null}`},
		{"test empty key", `{"":1}`, `[{"op":"test","path":"/","value":1}]`, `{"":1}`},
		{"escaped pointer", `{"a/b":{"m~n":1}}`, `[{"op":"replace","path":"/a~1b/m~0n","value":2}]`, `{"a/b":{"m~n":2}}`},
		{"leading zero key on object", `{"00":1}`, `[{"op":"replace","path":"/00","value":2}]`, `{"00":2}`},
		{"unknown op members ignored", `{}`, `[{"op":"add","path":"/a","value":1,"note":"x"}]`, `{"a":1}`},
		{"ops in order", `{}`, `[{"op":"add","path":"/a","value":[]},{"op":"add","path":"/a/0","value":1},{"op":"test","path":"/a/0","value":1}]`, `{"a":[1]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Apply([]byte(tc.doc), []byte(tc.patch), Limits{})
			if err != nil {
				t.Fatalf("Apply(%s, %s): %v", tc.doc, tc.patch, err)
			}
			if string(got) != tc.want {
				t.Errorf("Apply(%s, %s) = %s, want %s", tc.doc, tc.patch, got, tc.want)
			}
		})
	}
}

func TestApplyErrors(t *testing.T) {
	for _, tc := range []struct {
		name, doc, patch string
		want             error
		msg              string
	}{
		{"test fails", `{"a":1}`, `[{"op":"test","path":"/a","value":2}]`, ErrTestFailed, `value at "/a" is 1, want 2`},
		{"test type differs", `{"a":1}`, `[{"op":"test","path":"/a","value":"1"}]`, ErrTestFailed, "want \"1\""},
		{"test missing path", `{"a":1}`, `[{"op":"test","path":"/b","value":1}]`, ErrTestFailed, `no member "b"`},
		{"test missing path against null", `{"a":1}`, `[{"op":"test","path":"/b","value":null}]`, ErrTestFailed, `no member "b"`},
		{"test number is not string", `{"a":1}`, `[{"op":"test","path":"/a","value":1e400}]`, ErrInvalidPatch, "outside the IEEE 754 double range"},
		{"test leading zero", `{"a":[1]}`, `[{"op":"test","path":"/a/00","value":1}]`, ErrTestFailed, `invalid array index "00"`},
		{"remove missing", `{"a":1}`, `[{"op":"remove","path":"/b"}]`, ErrInvalidPatch, `operation 0 (remove "/b"): no member "b"`},
		{"replace missing", `{"a":1}`, `[{"op":"replace","path":"/b","value":1}]`, ErrInvalidPatch, `no member "b"`},
		{"add missing parent", `{}`, `[{"op":"add","path":"/a/b","value":1}]`, ErrInvalidPatch, `no member "a"`},
		{"add into scalar", `{"a":1}`, `[{"op":"add","path":"/a/b","value":1}]`, ErrInvalidPatch, "cannot add member"},
		{"index out of range", `{"a":[]}`, `[{"op":"add","path":"/a/1","value":1}]`, ErrInvalidPatch, "out of range"},
		{"negative index", `{"a":[1]}`, `[{"op":"add","path":"/a/-1","value":1}]`, ErrInvalidPatch, "invalid array index"},
		{"leading zero index", `{"a":[1,2]}`, `[{"op":"remove","path":"/a/01"}]`, ErrInvalidPatch, "invalid array index"},
		{"dash remove", `{"a":[1]}`, `[{"op":"remove","path":"/a/-"}]`, ErrInvalidPatch, "invalid array index"},
		{"move into child", `{"a":{}}`, `[{"op":"move","from":"/a","path":"/a/b"}]`, ErrInvalidPatch, "into its own child"},
		{"remove root", `{}`, `[{"op":"remove","path":""}]`, ErrInvalidPatch, "whole document"},
		{"second op fails whole patch", `{"a":1}`, `[{"op":"remove","path":"/a"},{"op":"remove","path":"/a"}]`, ErrInvalidPatch, "operation 1"},
		{"doc not object", `[1]`, `[]`, ErrInvalidConfig, "an array"},
		{"doc invalid json", `{"a":}`, `[]`, ErrInvalidConfig, "invalid JSON"},
		{"result not object", `{}`, `[{"op":"replace","path":"","value":[]}]`, ErrInvalidConfig, "into an array"},
		{"patch invalid json", `{}`, `[{]`, ErrInvalidPatch, "invalid JSON"},
		{"patch not array", `{}`, `{"op":"add"}`, ErrInvalidPatch, "want an array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Apply([]byte(tc.doc), []byte(tc.patch), Limits{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("Apply(%s, %s) = %s, %v; want an error wrapping %v", tc.doc, tc.patch, got, err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestApplyDoesNotModifyInputs(t *testing.T) {
	doc := []byte(`{"a":[1,2]}`)
	patch := []byte(`[{"op":"remove","path":"/a/0"}]`)
	if _, err := Apply(doc, patch, Limits{}); err != nil {
		t.Fatal(err)
	}
	if string(doc) != `{"a":[1,2]}` || string(patch) != `[{"op":"remove","path":"/a/0"}]` {
		t.Errorf("inputs changed: %s %s", doc, patch)
	}
}

func TestLimits(t *testing.T) {
	if got, want := (Limits{}).WithDefaults(), (Limits{MaxDocumentBytes: 1 << 20, MaxPatchBytes: 256 << 10, MaxOps: 1000, MaxDepth: 64}); got != want {
		t.Errorf("WithDefaults() = %+v, want %+v", got, want)
	}
	if got := (Limits{MaxOps: 5}).WithDefaults(); got.MaxOps != 5 || got.MaxDepth != 64 {
		t.Errorf("WithDefaults keeps set fields: got %+v", got)
	}
	ops := func(n int) string {
		var b strings.Builder
		b.WriteString("[")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"op":"add","path":"/k%d","value":%d}`, i, i)
		}
		b.WriteString("]")
		return b.String()
	}
	nested := func(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }
	for _, tc := range []struct {
		name       string
		doc, patch string
		lim        Limits
		limit      string
		max, got   int
	}{
		{"document bytes", `{"a":"` + strings.Repeat("x", 100) + `"}`, `[]`, Limits{MaxDocumentBytes: 50}, "MaxDocumentBytes", 50, 108},
		{"result bytes", `{}`, `[{"op":"add","path":"/a","value":"` + strings.Repeat("x", 100) + `"}]`, Limits{MaxDocumentBytes: 50}, "MaxDocumentBytes", 50, 108},
		{"patch bytes", `{}`, ops(3), Limits{MaxPatchBytes: 20}, "MaxPatchBytes", 20, len(ops(3))},
		{"op count", `{}`, ops(11), Limits{MaxOps: 10}, "MaxOps", 10, 11},
		{"default op count", `{}`, ops(1001), Limits{}, "MaxOps", 1000, 1001},
		{"document depth", nested(5), `[]`, Limits{MaxDepth: 4}, "MaxDepth", 4, 5},
		{"patch value depth", `{}`, `[{"op":"add","path":"/a","value":` + nested(5) + `}]`, Limits{MaxDepth: 4}, "MaxDepth", 4, 5},
		{"result depth", nested(4), `[{"op":"add","path":"/a/a/a/a","value":{}}]`, Limits{MaxDepth: 4}, "MaxDepth", 4, 5},
		{"copy explosion", `{"a":"` + strings.Repeat("x", 300) + `"}`, `[{"op":"copy","from":"/a","path":"/b"},{"op":"copy","from":"/a","path":"/c"},{"op":"copy","from":"/a","path":"/d"},{"op":"copy","from":"/a","path":"/e"}]`, Limits{MaxDocumentBytes: 1000}, "MaxDocumentBytes", 1000, 1208},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Apply([]byte(tc.doc), []byte(tc.patch), tc.lim)
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("Apply = %.40s, %v; want a *LimitError", got, err)
			}
			if !errors.Is(err, ErrTooLarge) || Code(err) != "too_large" {
				t.Errorf("error %v does not wrap ErrTooLarge", err)
			}
			if le.Limit != tc.limit || le.Max != tc.max || le.Got != tc.got {
				t.Errorf("LimitError = %+v, want {%s %d %d}", *le, tc.limit, tc.max, tc.got)
			}
		})
	}
	// Exactly at the limits is fine.
	if _, err := Apply([]byte(nested(4)), []byte(ops(10)), Limits{MaxDepth: 4, MaxOps: 10}); err != nil {
		t.Errorf("Apply at the limits: %v", err)
	}
}

func TestVerify(t *testing.T) {
	root := []byte(tikatoo)
	rootHash, _ := ParseHash(goldenRootHash)
	patches := []string{
		`[{"op":"add","path":"/prefix","value":"!"}]`,
		`[{"op":"add","path":"/admins","value":["tika"]}]`,
		`[{"op":"add","path":"/admins/-","value":"mod"},{"op":"test","path":"/prefix","value":"!"}]`,
	}
	var envs []Envelope
	head := rootHash
	var hashes []Hash
	for _, p := range patches {
		e := Envelope{Parent: head, Patch: []byte(p)}
		h, err := e.Hash()
		if err != nil {
			t.Fatal(err)
		}
		envs = append(envs, e)
		hashes = append(hashes, h)
		head = h
	}
	gotHead, cfg, err := Verify(root, envs, Limits{})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if gotHead != head {
		t.Errorf("head = %s, want %s", gotHead, head)
	}
	if want := `{"admins":["tika","mod"],"channel":"#tikatoo","platform":"twitch","prefix":"!"}`; string(cfg) != want {
		t.Errorf("config = %s, want %s", cfg, want)
	}
	if h, cfg, err := Verify(root, nil, Limits{}); err != nil || h != rootHash || string(cfg) != `{"channel":"#tikatoo","platform":"twitch"}` {
		t.Errorf("Verify(empty chain) = %s, %s, %v", h, cfg, err)
	}

	t.Run("broken link", func(t *testing.T) {
		bad := append([]Envelope(nil), envs...)
		bad[2].Parent = hashes[0] // skips envelope 1
		_, _, err := Verify(root, bad, Limits{})
		var ce *ChainError
		if !errors.As(err, &ce) {
			t.Fatalf("error %v is not a *ChainError", err)
		}
		if ce.Index != 2 || ce.Expected != hashes[1] || ce.Got != hashes[0] || !errors.Is(err, ErrUnknownParent) {
			t.Errorf("ChainError = %+v, want index 2, expected %s, got %s, ErrUnknownParent", *ce, hashes[1], hashes[0])
		}
		if want := fmt.Sprintf("envelope 2: parent is %s, want %s", hashes[0], hashes[1]); !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	})
	t.Run("tampered patch", func(t *testing.T) {
		bad := append([]Envelope(nil), envs...)
		bad[1].Patch = []byte(`[{"op":"add","path":"/admins","value":["eve"]}]`) // hash changes, so link 2 breaks
		_, _, err := Verify(root, bad, Limits{})
		var ce *ChainError
		if !errors.As(err, &ce) || ce.Index != 2 || ce.Got != hashes[1] || !errors.Is(err, ErrUnknownParent) {
			t.Errorf("Verify(tampered) error %v, want a broken link at index 2", err)
		}
	})
	t.Run("failing patch", func(t *testing.T) {
		e := Envelope{Parent: head, Patch: []byte(`[{"op":"test","path":"/prefix","value":"?"}]`)}
		_, _, err := Verify(root, append(envs[:3:3], e), Limits{})
		var ce *ChainError
		if !errors.As(err, &ce) || ce.Index != 3 || !errors.Is(err, ErrTestFailed) {
			t.Errorf("Verify(failing test op) error %v, want ChainError index 3 wrapping ErrTestFailed", err)
		}
	})
	t.Run("wrong first parent", func(t *testing.T) {
		bad := append([]Envelope(nil), envs...)
		bad[0].Parent = 1
		_, _, err := Verify(root, bad, Limits{})
		var ce *ChainError
		if !errors.As(err, &ce) || ce.Index != 0 || ce.Expected != rootHash || ce.Got != 1 {
			t.Errorf("Verify error %v, want ChainError at index 0", err)
		}
	})
	t.Run("bad root", func(t *testing.T) {
		_, _, err := Verify([]byte(`[]`), envs, Limits{})
		var ce *ChainError
		if !errors.As(err, &ce) || ce.Index != -1 || !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("Verify(bad root) error %v, want ChainError index -1 wrapping ErrInvalidConfig", err)
		}
	})
}
