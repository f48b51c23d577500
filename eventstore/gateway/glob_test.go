package gateway

import (
	"fmt"
	"strings"
	"testing"
)

// globTable is Redis's stringmatchlen semantics; TestGlobAgainstRedis checks
// every row against a real redis-server too.
var globTable = []struct {
	pattern, s string
	want       bool
}{
	{"*", "", false}, // Redis never publishes on "" via patterns: the loop needs a byte; "*" vs "" is a special case below
	{"*", "anything", true},
	{"news:*", "news:0123456789abcdef", true},
	{"news:*", "news:", true}, // a trailing * matches the empty rest
	{"news:*", "news", false},
	{"h?llo", "hello", true},
	{"h?llo", "hllo", false},
	{"h*llo", "hllo", true},
	{"h*llo", "heeeello", true},
	{"h[ae]llo", "hallo", true},
	{"h[ae]llo", "hillo", false},
	{"h[^e]llo", "hallo", true},
	{"h[^e]llo", "hello", false},
	{"h[a-b]llo", "hbllo", true},
	{"h[a-b]llo", "hcllo", false},
	{"h[b-a]llo", "hallo", true},
	{"h[a-]llo", "h-llo", false}, // "a-]" is read as a range a..]
	{"h[a-]llo", "hallo", false},
	{"h[\\]]llo", "h]llo", true},
	{"h[\\-]llo", "h-llo", true},
	{"h\\*llo", "h*llo", true},
	{"h\\*llo", "hello", false},
	{"h\\", "h\\", true},
	{"a[bc", "ab", true},
	{"a[bc", "ac", true},
	{"a[", "a[", false},
	{"a[]", "a]", false},
	{"a[]]", "a]", false}, // "[]" is an empty class
	{"**a", "ba", true},
	{"a*", "a", true},
	{"a*b*c", "axxbyyc", true},
	{"a*b*c", "axxbyy", false},
	{"*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 60), false},
	{"?", "é", false}, // two bytes
	{"??", "é", true},
	{"[^a]", "\xff", true},
	{"[\x01-\xff]", "a", false}, // signed chars: range 1..-1 swaps to -1..1
	{"[\x01-\xff]", "\x01", true},
	{"x", "X", false},
}

func TestMatchTable(t *testing.T) {
	for _, tt := range globTable {
		t.Run(fmt.Sprintf("%q~%q", tt.pattern, tt.s), func(t *testing.T) {
			if tt.s == "" {
				return // Redis cannot publish on a pattern for ""; covered by TestMatchEmpty
			}
			if got := Match(tt.pattern, tt.s); got != tt.want {
				t.Fatalf("Match(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
			}
		})
	}
}

func TestMatchEmpty(t *testing.T) {
	// stringmatchlen with an empty string: the loop does not run, so only an
	// empty pattern matches (Redis's own behaviour; "*" does not match "").
	if !Match("", "") || Match("*", "") || Match("a", "") {
		t.Fatal("empty-string matching differs from stringmatchlen")
	}
}

// TestGlobAgainstRedis checks the table against redis-server: PUBLISH's
// count says whether the pattern subscription matched.
func TestGlobAgainstRedis(t *testing.T) {
	redisAddr := startRedis(t)
	_, nc := startNATS(t)
	gwAddr, _ := startGateway(t, nc, Options{})
	for _, addr := range []string{redisAddr, gwAddr} {
		pub := dialRaw(t, addr)
		for _, tt := range globTable {
			if tt.s == "" {
				continue
			}
			sub := dialRaw(t, addr)
			sub.send(fmt.Sprintf("*2\r\n$10\r\nPSUBSCRIBE\r\n$%d\r\n%s\r\n", len(tt.pattern), tt.pattern))
			sub.expect(fmt.Sprintf("*3\r\n$10\r\npsubscribe\r\n$%d\r\n%s\r\n:1\r\n", len(tt.pattern), tt.pattern))
			pub.send(fmt.Sprintf("*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n$1\r\nx\r\n", len(tt.s), tt.s))
			want := ":0\r\n"
			if tt.want {
				want = ":1\r\n"
			}
			pub.expect(want)
			sub.c.Close()
			// Wait until the server has dropped the subscription.
			waitFor(t, "pattern released", func() bool {
				pub.send("PUBSUB NUMPAT\r\n")
				b := make([]byte, 4)
				_, err := ioReadFull(pub, b)
				return err == nil && string(b) == ":0\r\n"
			})
		}
	}
}

func TestEscapeChannel(t *testing.T) {
	tests := []struct{ ch, tok string }{
		{"news", "news"},
		{"news.uk", "news%2Euk"},
		{"a b", "a%20b"},
		{"%", "%25"},
		{"", "%"},
		{"*>", "%2A%3E"},
		{"updates:x", "updates%3Ax"},
		{"\x00\xff", "%00%FF"},
		{"A-Z_9", "A-Z_9"},
	}
	for _, tt := range tests {
		if got := EscapeChannel(tt.ch); got != tt.tok {
			t.Errorf("EscapeChannel(%q) = %q, want %q", tt.ch, got, tt.tok)
		}
		if got, err := UnescapeChannel(tt.tok); err != nil || got != tt.ch {
			t.Errorf("UnescapeChannel(%q) = %q, %v; want %q", tt.tok, got, err, tt.ch)
		}
	}
	for _, bad := range []string{"", "a.b", "%2", "%zz", "%61", "a b", "%2e"} {
		if _, err := UnescapeChannel(bad); err == nil {
			t.Errorf("UnescapeChannel(%q) accepted a token EscapeChannel cannot produce", bad)
		}
	}
	// Every byte round-trips and yields a valid single NATS token.
	var all []byte
	for i := range 256 {
		all = append(all, byte(i))
	}
	tok := EscapeChannel(string(all))
	if strings.ContainsAny(tok, ". *>\t\r\n") {
		t.Fatalf("token %q has NATS-reserved bytes", tok)
	}
	if back, err := UnescapeChannel(tok); err != nil || back != string(all) {
		t.Fatalf("round trip of all bytes failed: %v", err)
	}
}
