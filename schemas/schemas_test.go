package schemas_test

import (
	"testing"

	"github.com/patchbay/patchbay/schemas"
)

func TestEveryEmbeddedSchemaCompiles(t *testing.T) {
	names := schemas.Names()
	if len(names) < 8 {
		t.Fatalf("only %d schemas embedded: %v", len(names), names)
	}
	for _, n := range names {
		if _, err := schemas.Compile(n); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		schema, doc string
		ok          bool
	}{
		{"root", `{"platform":"irc","server":"127.0.0.1:6667","channel":"#lobby"}`, true},
		{"root", `[1]`, false},
		{"submission", `[{"op":"add","path":"/a","value":1}]`, true},
		{"submission", `{"parent":"0123456789abcdef","patch":[{"op":"remove","path":"/a"}],"meta":{"author":"x"}}`, true},
		{"submission", `[{"op":"add","path":"/a"}]`, false},
		{"submission", `[{"op":"move","path":"/a"}]`, false},
		{"submission", `{"parent":"0123456789ABCDEF","patch":[]}`, false},
		{"update", `{"root":"0123456789abcdef","parent":"0123456789abcdef","hash":"1123456789abcdef","seq":1,"patch":[],"time":"2026-01-02T03:04:05Z"}`, true},
		{"update", `{"root":"0123456789abcdef","parent":"0123456789abcdef","hash":"1123456789abcdef","seq":1,"patch":[],"time":"yesterday"}`, false},
		{"error", `{"error":{"code":"stale","message":"x"}}`, true},
		{"error", `{"error":{"code":"weird","message":"x"}}`, false},
		{"patch-reply", `{"root":"0123456789abcdef","parent":"0123456789abcdef","hash":"1123456789abcdef","seq":1}`, true},
		{"create-reply", `{"root":"0123456789abcdef","created":true}`, true},
		{"get-reply", `{"root":"0123456789abcdef","hash":"0123456789abcdef","seq":0,"config":{},"head":"0123456789abcdef"}`, true},
		{"get-reply", `{"root":"0123456789abcdef","hash":"0123456789abcdef","seq":0,"config":{}}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.schema, func(t *testing.T) {
			err := schemas.Validate(tt.schema, []byte(tt.doc))
			if (err == nil) != tt.ok {
				t.Fatalf("Validate(%s, %s) = %v, want ok=%v", tt.schema, tt.doc, err, tt.ok)
			}
		})
	}
	if err := schemas.Validate("nope", []byte(`{}`)); err == nil {
		t.Fatal("unknown schema name accepted")
	}
}
