package hashchain

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// TestNumberFormatRFC8785 pins the number serialisation table of RFC 8785
// Appendix B (IEEE 754 bit patterns and their ECMAScript form).
func TestNumberFormatRFC8785(t *testing.T) {
	for _, tc := range []struct {
		bits uint64
		want string
	}{
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"},
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	} {
		f := math.Float64frombits(tc.bits)
		if got := string(appendNumber(nil, f)); got != tc.want {
			t.Errorf("number %016x (%g): got %s, want %s", tc.bits, f, got, tc.want)
		}
	}
}

func TestCanonicalize(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		// RFC 8785 section 3.2.2.
		{"rfc example", `{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`, `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`},
		// RFC 8785 section 3.2.3: sorting by UTF-16 code units.
		{"rfc key order", `{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`,
			"{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\",\"\U0001f600\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"},
		{"numbers", `[1e21, 1e-7, 333333333.3333333, -0, 4.50, 2e-3, 0.000001, 1e20, 123456789012345678, 1E+2, -1.5e-9, 0.1, 1e-400]`,
			`[1e+21,1e-7,333333333.3333333,0,4.5,0.002,0.000001,100000000000000000000,123456789012345680,100,-1.5e-9,0.1,0]`},
		{"integers", `[0, -1, 9007199254740993, 999999999999999, 1000000000000000]`, `[0,-1,9007199254740992,999999999999999,1000000000000000]`},
		{"whitespace", " \t\r\n{ \"b\" : [ ] , \"a\" : { } } \n", `{"a":{},"b":[]}`},
		{"nested sort", `{"b":{"z":1,"y":2},"a":[{"d":0,"c":1}]}`, `{"a":[{"c":1,"d":0}],"b":{"y":2,"z":1}}`},
		{"escapes", `"\u0000\u001f\b\f\n\r\t\u007f\u2028 \/ \u00e9"`, `"\u0000\u001f\b\f\n\r\t` + "\x7f\u2028 / é" + `"`},
		{"surrogate pair", `"\uD83D\uDE00"`, `"😀"`},
		{"scalars", `[true,false,null,"",-0.0]`, `[true,false,null,"",0]`},
		{"bare scalar", ` 42 `, `42`},
		{"utf8 passthrough", `"日本語"`, `"日本語"`},
		{"escaped key duplicates sorted", `{"b":1,"\u0061":2}`, `{"a":2,"b":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tc.in))
			if err != nil {
				t.Fatalf("Canonicalize(%s): %v", tc.in, err)
			}
			if string(got) != tc.want {
				t.Errorf("Canonicalize(%s)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			again, err := Canonicalize(got)
			if err != nil || string(again) != string(got) {
				t.Errorf("canonical form not stable: %s -> %s, %v", got, again, err)
			}
		})
	}
}

func TestCanonicalizeRejects(t *testing.T) {
	for _, tc := range []struct {
		name, in, msg string
	}{
		{"empty", ``, "unexpected end"},
		{"duplicate key", `{"a":1,"a":2}`, `duplicate object key "a"`},
		{"duplicate key unsorted", `{"b":1,"a":2,"b":3}`, `duplicate object key "b"`},
		{"duplicate key via escape", `{"a":1,"\u0061":2}`, `duplicate object key "a"`},
		{"lone high surrogate", `"\ud800"`, "lone high surrogate"},
		{"lone low surrogate", `"\udc00"`, "lone low surrogate"},
		{"high then non-low", `"\ud800\u0041"`, "not a low surrogate"},
		{"high then text", `"\ud800abc"`, "lone high surrogate"},
		{"invalid utf8", "\"\xff\"", "invalid UTF-8"},
		{"invalid utf8 surrogate encoding", "\"\xed\xa0\x80\"", "invalid UTF-8"},
		{"overlong utf8", "\"\xc0\xaf\"", "invalid UTF-8"},
		{"number overflow", `1e400`, "outside the IEEE 754 double range"},
		{"negative overflow", `[-1e309]`, "outside the IEEE 754 double range"},
		{"NaN", `NaN`, "unexpected character"},
		{"Infinity", `[Infinity]`, "unexpected character"},
		{"leading zero", `01`, "unexpected data"},
		{"plus sign", `+1`, "unexpected character"},
		{"bare dot", `1.`, "digit expected"},
		{"bare exponent", `1e`, "digit expected"},
		{"trailing comma array", `[1,]`, "unexpected character"},
		{"trailing comma object", `{"a":1,}`, "want an object key"},
		{"single quotes", `{'a':1}`, "want an object key"},
		{"control char", "\"a\x01b\"", "control character"},
		{"bad escape", `"\x"`, "invalid escape"},
		{"short unicode escape", `"\u12x4"`, "invalid hex digit"},
		{"trailing data", `{} {}`, "unexpected data"},
		{"unterminated", `{"a":"b`, "unterminated string"},
		{"bad literal", `tru`, "invalid literal"},
		{"missing colon", `{"a" 1}`, "want ':'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Canonicalize([]byte(tc.in))
			if !errors.Is(err, ErrInvalidJSON) {
				t.Fatalf("Canonicalize(%q) = %s, %v; want an error wrapping ErrInvalidJSON", tc.in, got, err)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Errorf("error %v is not a *SyntaxError", err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestCanonicalizeDepth(t *testing.T) {
	deep := strings.Repeat("[", hardMaxDepth+1) + strings.Repeat("]", hardMaxDepth+1)
	if _, err := Canonicalize([]byte(deep)); err == nil {
		t.Errorf("Canonicalize of %d nested arrays succeeded, want an error", hardMaxDepth+1)
	}
	ok := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	if got, err := Canonicalize([]byte(ok)); err != nil || string(got) != ok {
		t.Errorf("Canonicalize(100 nested arrays) = %.20s, %v", got, err)
	}
}

func TestCompareKeys(t *testing.T) {
	// Sorted in UTF-16 code unit order.
	keys := []string{"", "\r", "1", "A", "B", "a", "aa", "ab", "b", "\u0080", "ö", "€", "\U0001F600", "\U0001F601", "\ufb33", "\uffff"}
	for i := range keys {
		for j := range keys {
			got := compareKeys(keys[i], keys[j])
			switch {
			case i < j && got >= 0, i > j && got <= 0, i == j && got != 0:
				t.Errorf("compareKeys(%q, %q) = %d, want sign of %d", keys[i], keys[j], got, i-j)
			}
		}
	}
}
