package hashchain

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Canonicalize returns the RFC 8785 (JSON Canonicalization Scheme) form of
// the JSON text data: no insignificant whitespace, object members sorted by
// the UTF-16 code units of their keys, numbers in ECMAScript form, strings
// with the minimal RFC 8785 escaping. Input that RFC 8785 cannot
// canonicalise is an error wrapping ErrInvalidJSON: a syntax error,
// trailing data, a duplicate object key, a lone surrogate escape, invalid
// UTF-8, or a number outside the IEEE 754 double range (e.g. 1e400).
//
// Canonicalize applies no size or depth limit beyond a nesting depth of
// 10000; use the Limits of Apply for untrusted input.
func Canonicalize(data []byte) ([]byte, error) {
	v, err := parse(data, hardMaxDepth)
	if err != nil {
		return nil, err
	}
	return appendValue(make([]byte, 0, len(data)), v), nil
}

// hardMaxDepth bounds recursion when no Limits apply.
const hardMaxDepth = 10000

// SyntaxError is the error for JSON that cannot be canonicalised; it wraps
// ErrInvalidJSON and gives the byte offset of the problem.
type SyntaxError struct {
	// Offset is the byte offset in the input where the problem was found.
	Offset int
	// Msg describes the problem.
	Msg string
}

// Error implements error.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// Unwrap returns ErrInvalidJSON.
func (e *SyntaxError) Unwrap() error { return ErrInvalidJSON }

// depthError is returned by the parser when nesting exceeds its limit; the
// caller turns it into a *LimitError or a SyntaxError.
type depthError struct{ max int }

func (e *depthError) Error() string {
	return fmt.Sprintf("nesting deeper than %d", e.max)
}

// parse decodes one JSON text into the value model, rejecting everything
// RFC 8785 rejects. Containers nested deeper than maxDepth are an error
// (*LimitError for MaxDepth when maxDepth < hardMaxDepth).
func parse(data []byte, maxDepth int) (any, error) {
	p := parser{data: data, src: string(data), maxDepth: maxDepth}
	p.skipWS()
	v, err := p.value(0)
	if err != nil {
		var de *depthError
		if errors.As(err, &de) && maxDepth < hardMaxDepth {
			return nil, &LimitError{Limit: "MaxDepth", Max: maxDepth, Got: maxDepth + 1}
		}
		return nil, err
	}
	p.skipWS()
	if p.i != len(p.data) {
		return nil, p.errf("unexpected data after the JSON value")
	}
	return v, nil
}

type parser struct {
	data     []byte
	src      string // data as one string: unescaped strings are substrings of it
	i        int
	maxDepth int
	buf      []byte    // scratch for strings with escapes
	members  []member  // stack of members of the objects being parsed
	elems    []any     // stack of elements of the arrays being parsed
	strs     []string  // current chunk for boxString
	nums     []float64 // current chunk for boxNumber
}

func (p *parser) errf(format string, args ...any) error {
	return &SyntaxError{Offset: p.i, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) skipWS() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (any, error) {
	if p.i >= len(p.data) {
		return nil, p.errf("unexpected end of input")
	}
	switch c := p.data[p.i]; c {
	case '{':
		return p.object(depth + 1)
	case '[':
		return p.array(depth + 1)
	case '"':
		s, err := p.string()
		if err != nil {
			return nil, err
		}
		return p.boxString(s), nil
	case 't':
		return true, p.literal("true")
	case 'f':
		return false, p.literal("false")
	case 'n':
		return nil, p.literal("null")
	default:
		if c == '-' || ('0' <= c && c <= '9') {
			return p.number()
		}
		return nil, p.errf("unexpected character %q", c)
	}
}

func (p *parser) literal(s string) error {
	if len(p.data)-p.i < len(s) || string(p.data[p.i:p.i+len(s)]) != s {
		return p.errf("invalid literal, want %s", s)
	}
	p.i += len(s)
	return nil
}

func (p *parser) object(depth int) (any, error) {
	if depth > p.maxDepth {
		return nil, &depthError{p.maxDepth}
	}
	start := p.i
	p.i++ // '{'
	o := &object{}
	p.skipWS()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
		return o, nil
	}
	base := len(p.members)
	defer func() { p.members = p.members[:base] }()
	sorted := true
	for {
		p.skipWS()
		if p.i >= len(p.data) || p.data[p.i] != '"' {
			return nil, p.errf("want an object key string")
		}
		k, err := p.string()
		if err != nil {
			return nil, err
		}
		p.skipWS()
		if p.i >= len(p.data) || p.data[p.i] != ':' {
			return nil, p.errf("want ':' after object key")
		}
		p.i++
		p.skipWS()
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		if n := len(p.members); n > base && sorted {
			c := compareKeys(p.members[n-1].k, k)
			if c == 0 {
				return nil, p.errf("duplicate object key %q", k)
			}
			sorted = c < 0
		}
		p.members = append(p.members, member{k, v})
		p.skipWS()
		if p.i >= len(p.data) {
			return nil, p.errf("unexpected end of input in object")
		}
		if p.data[p.i] == ',' {
			p.i++
			continue
		}
		if p.data[p.i] == '}' {
			p.i++
			break
		}
		return nil, p.errf("want ',' or '}' in object")
	}
	o.m = make([]member, len(p.members)-base)
	copy(o.m, p.members[base:])
	if !sorted {
		slices.SortStableFunc(o.m, func(a, b member) int { return compareKeys(a.k, b.k) })
		for j := 1; j < len(o.m); j++ {
			if o.m[j-1].k == o.m[j].k {
				return nil, &SyntaxError{Offset: start, Msg: fmt.Sprintf("duplicate object key %q in the object starting here", o.m[j].k)}
			}
		}
	}
	return o, nil
}

func (p *parser) array(depth int) (any, error) {
	if depth > p.maxDepth {
		return nil, &depthError{p.maxDepth}
	}
	p.i++ // '['
	a := &array{}
	p.skipWS()
	if p.i < len(p.data) && p.data[p.i] == ']' {
		p.i++
		return a, nil
	}
	base := len(p.elems)
	defer func() { p.elems = p.elems[:base] }()
	for {
		p.skipWS()
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		p.elems = append(p.elems, v)
		p.skipWS()
		if p.i >= len(p.data) {
			return nil, p.errf("unexpected end of input in array")
		}
		if p.data[p.i] == ',' {
			p.i++
			continue
		}
		if p.data[p.i] == ']' {
			p.i++
			a.v = make([]any, len(p.elems)-base)
			copy(a.v, p.elems[base:])
			return a, nil
		}
		return nil, p.errf("want ',' or ']' in array")
	}
}

// string parses a JSON string at p.i (which is '"').
func (p *parser) string() (string, error) {
	p.i++
	start := p.i
	// Fast path: printable ASCII without escapes.
	for p.i < len(p.data) {
		c := p.data[p.i]
		if c == '"' {
			s := p.src[start:p.i]
			p.i++
			return s, nil
		}
		if c == '\\' || c < 0x20 || c >= 0x80 {
			break
		}
		p.i++
	}
	buf := append(p.buf[:0], p.data[start:p.i]...)
	for {
		if p.i >= len(p.data) {
			return "", p.errf("unterminated string")
		}
		c := p.data[p.i]
		switch {
		case c == '"':
			p.i++
			p.buf = buf
			return string(buf), nil
		case c < 0x20:
			return "", p.errf("control character %#02x in string must be escaped", c)
		case c < 0x80:
			if c != '\\' {
				buf = append(buf, c)
				p.i++
				continue
			}
			r, err := p.escape()
			if err != nil {
				return "", err
			}
			buf = utf8.AppendRune(buf, r)
		default:
			r, n := utf8.DecodeRune(p.data[p.i:])
			if r == utf8.RuneError && n <= 1 {
				return "", p.errf("invalid UTF-8 in string")
			}
			buf = append(buf, p.data[p.i:p.i+n]...)
			p.i += n
		}
	}
}

// escape decodes the escape sequence at p.i (which is '\\'), combining a
// surrogate pair into one rune.
func (p *parser) escape() (rune, error) {
	if p.i+1 >= len(p.data) {
		return 0, p.errf("unterminated escape")
	}
	c := p.data[p.i+1]
	p.i += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
		r, err := p.hex4()
		if err != nil {
			return 0, err
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return 0, p.errf("lone low surrogate \\u%04x", r)
		case r >= 0xD800 && r <= 0xDBFF:
			if p.i+1 >= len(p.data) || p.data[p.i] != '\\' || p.data[p.i+1] != 'u' {
				return 0, p.errf("lone high surrogate \\u%04x", r)
			}
			p.i += 2
			lo, err := p.hex4()
			if err != nil {
				return 0, err
			}
			if lo < 0xDC00 || lo > 0xDFFF {
				return 0, p.errf("high surrogate \\u%04x followed by \\u%04x, not a low surrogate", r, lo)
			}
			return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), nil
		}
		return r, nil
	}
	p.i--
	return 0, p.errf("invalid escape \\%c", c)
}

func (p *parser) hex4() (rune, error) {
	if len(p.data)-p.i < 4 {
		return 0, p.errf("short \\u escape")
	}
	var r rune
	for _, c := range p.data[p.i : p.i+4] {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, p.errf("invalid hex digit %q in \\u escape", c)
		}
	}
	p.i += 4
	return r, nil
}

// number parses a JSON number (RFC 8259 grammar) into a float64.
func (p *parser) number() (any, error) {
	start := p.i
	d := p.data
	isInt := true
	if p.i < len(d) && d[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(d) && d[p.i] == '0':
		p.i++
	case p.i < len(d) && '1' <= d[p.i] && d[p.i] <= '9':
		for p.i < len(d) && '0' <= d[p.i] && d[p.i] <= '9' {
			p.i++
		}
	default:
		return nil, p.errf("invalid number")
	}
	if p.i < len(d) && d[p.i] == '.' {
		isInt = false
		p.i++
		if p.i >= len(d) || d[p.i] < '0' || d[p.i] > '9' {
			return nil, p.errf("invalid number: digit expected after '.'")
		}
		for p.i < len(d) && '0' <= d[p.i] && d[p.i] <= '9' {
			p.i++
		}
	}
	if p.i < len(d) && (d[p.i] == 'e' || d[p.i] == 'E') {
		isInt = false
		p.i++
		if p.i < len(d) && (d[p.i] == '+' || d[p.i] == '-') {
			p.i++
		}
		if p.i >= len(d) || d[p.i] < '0' || d[p.i] > '9' {
			return nil, p.errf("invalid number: digit expected in exponent")
		}
		for p.i < len(d) && '0' <= d[p.i] && d[p.i] <= '9' {
			p.i++
		}
	}
	text := d[start:p.i]
	if isInt && len(text) <= 15 {
		// Fits in 53 bits exactly: parse without strconv.
		neg := text[0] == '-'
		var n int64
		for _, c := range text[b2i(neg):] {
			n = n*10 + int64(c-'0')
		}
		if neg {
			n = -n
		}
		return p.boxNumber(float64(n)), nil
	}
	f, err := strconv.ParseFloat(p.src[start:p.i], 64)
	if err != nil || math.IsInf(f, 0) {
		return nil, &SyntaxError{Offset: start, Msg: fmt.Sprintf("number %s is outside the IEEE 754 double range", text)}
	}
	return p.boxNumber(f), nil
}

// boxString and boxNumber return pointers into chunks of scalars, so that
// the tree does not need one allocation per string or number value (which
// converting a string or float64 to an interface would cost). Chunks are
// never grown in place, so the pointers stay valid.
func (p *parser) boxString(s string) *string {
	if len(p.strs) == cap(p.strs) {
		p.strs = make([]string, 0, chunkSize(cap(p.strs)))
	}
	p.strs = append(p.strs, s)
	return &p.strs[len(p.strs)-1]
}

func (p *parser) boxNumber(f float64) *float64 {
	if len(p.nums) == cap(p.nums) {
		p.nums = make([]float64, 0, chunkSize(cap(p.nums)))
	}
	p.nums = append(p.nums, f)
	return &p.nums[len(p.nums)-1]
}

// chunkSize doubles the previous chunk size, from 8 up to 512.
func chunkSize(prev int) int {
	return min(max(2*prev, 8), 512)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// appendValue appends the RFC 8785 form of v to b.
func appendValue(b []byte, v any) []byte {
	switch t := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		if t {
			return append(b, "true"...)
		}
		return append(b, "false"...)
	case *string:
		return appendString(b, *t)
	case *float64:
		return appendNumber(b, *t)
	case float64:
		return appendNumber(b, t)
	case string:
		return appendString(b, t)
	case *object:
		b = append(b, '{')
		for i, m := range t.m {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, m.k)
			b = append(b, ':')
			b = appendValue(b, m.v)
		}
		return append(b, '}')
	case *array:
		b = append(b, '[')
		for i, e := range t.v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, e)
		}
		return append(b, ']')
	}
	panic(fmt.Sprintf("hashchain: unexpected value type %T", v))
}

// appendString appends s with RFC 8785 escaping: \" \\ \b \f \n \r \t,
// other control characters as \u00xx (lower case), everything else as is.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendNumber appends f as ECMAScript's Number.prototype.toString does
// (ECMA-262 Number::toString, required by RFC 8785 section 3.2.2.3).
func appendNumber(b []byte, f float64) []byte {
	if f == 0 {
		return append(b, '0') // also -0
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.AppendInt(b, int64(f), 10)
	}
	if a := math.Abs(f); a >= 1e-6 && a < 1e21 {
		// ECMAScript uses plain decimal notation in this range, with the
		// same shortest round-trip digits as Go.
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	if f < 0 {
		b = append(b, '-')
		f = -f
	}
	// Shortest round-trip digits: "d.ddddde±x".
	var scratch [32]byte
	e := strconv.AppendFloat(scratch[:0], f, 'e', -1, 64)
	epos := 0
	for epos < len(e) && e[epos] != 'e' {
		epos++
	}
	digits := make([]byte, 0, 17)
	digits = append(digits, e[0])
	if epos > 1 {
		digits = append(digits, e[2:epos]...)
	}
	exp, _ := strconv.Atoi(string(e[epos+1:]))
	k := len(digits)
	n := exp + 1 // value = 0.digits × 10^n
	switch {
	case k <= n && n <= 21:
		b = append(b, digits...)
		for i := 0; i < n-k; i++ {
			b = append(b, '0')
		}
	case 0 < n && n <= 21:
		b = append(b, digits[:n]...)
		b = append(b, '.')
		b = append(b, digits[n:]...)
	case -6 < n && n <= 0:
		b = append(b, '0', '.')
		for i := 0; i < -n; i++ {
			b = append(b, '0')
		}
		b = append(b, digits...)
	default:
		b = append(b, digits[0])
		if k > 1 {
			b = append(b, '.')
			b = append(b, digits[1:]...)
		}
		b = append(b, 'e')
		if n-1 >= 0 {
			b = append(b, '+')
		}
		b = strconv.AppendInt(b, int64(n-1), 10)
	}
	return b
}
