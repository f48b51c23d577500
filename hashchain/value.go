package hashchain

import (
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

// The in-memory JSON value model shared by canonicalisation, patching and
// diffing. A value is one of:
//
//	nil        JSON null
//	bool       true, false
//	float64    a number (RFC 8785 numbers are IEEE 754 doubles)
//	string     a string (valid UTF-8, no lone surrogates)
//	*float64   a number, as the parser makes it (allocated in chunks)
//	*string    a string, as the parser makes it (allocated in chunks)
//
// The pointed-to scalars are never modified, so they may be shared. Use
// asString and asNumber to read either form.
//
//	*object    an object, members sorted in RFC 8785 order, keys unique
//	*array     an array
//
// Containers are pointers so that patch operations can change them in place.
type (
	object struct{ m []member }
	array  struct{ v []any }
	member struct {
		k string
		v any
	}
)

// compareKeys orders object keys as RFC 8785 section 3.2.3 requires: by
// their UTF-16 code units. UTF-8 byte order equals code point order, which
// differs from UTF-16 order only between supplementary characters (encoded
// as surrogates 0xD800-0xDFFF) and BMP characters U+E000-U+FFFF.
func compareKeys(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	if i == n {
		return len(a) - len(b)
	}
	if a[i] < 0x80 && b[i] < 0x80 {
		return int(a[i]) - int(b[i])
	}
	// Back up to the start of the rune that differs.
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	ra, _ := utf8.DecodeRuneInString(a[i:])
	rb, _ := utf8.DecodeRuneInString(b[i:])
	return int(utf16Key(ra)) - int(utf16Key(rb))
}

// utf16Key returns the first UTF-16 code unit of r, scaled so that two
// different supplementary runes still compare in code point order.
func utf16Key(r rune) int32 {
	if r >= 0x10000 {
		hi, lo := utf16.EncodeRune(r)
		return hi<<10 | (lo - 0xDC00)
	}
	return r << 10
}

// find returns the index of key k in o, or where it would be inserted.
func (o *object) find(k string) (int, bool) {
	return slices.BinarySearchFunc(o.m, k, func(m member, k string) int { return compareKeys(m.k, k) })
}

func (o *object) get(k string) (any, bool) {
	i, ok := o.find(k)
	if !ok {
		return nil, false
	}
	return o.m[i].v, true
}

// set adds or replaces member k.
func (o *object) set(k string, v any) {
	i, ok := o.find(k)
	if ok {
		o.m[i].v = v
		return
	}
	o.m = slices.Insert(o.m, i, member{k, v})
}

// del removes member k and reports whether it existed.
func (o *object) del(k string) bool {
	i, ok := o.find(k)
	if ok {
		o.m = slices.Delete(o.m, i, i+1)
	}
	return ok
}

// deepCopy returns a copy of v sharing no containers with it.
func deepCopy(v any) any {
	switch t := v.(type) {
	case *object:
		c := &object{m: make([]member, len(t.m))}
		for i, m := range t.m {
			c.m[i] = member{m.k, deepCopy(m.v)}
		}
		return c
	case *array:
		c := &array{v: make([]any, len(t.v))}
		for i, e := range t.v {
			c.v[i] = deepCopy(e)
		}
		return c
	}
	return v
}

// equal reports whether a and b are the same JSON value: numbers compare by
// value (1 equals 1.0), objects regardless of member order.
func equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case float64, *float64:
		y, ok := asNumber(b)
		return ok && y == mustNumber(x)
	case string, *string:
		y, ok := asString(b)
		return ok && y == mustString(x)
	case *object:
		y, ok := b.(*object)
		if !ok || len(x.m) != len(y.m) {
			return false
		}
		for i := range x.m { // both sorted by the same order
			if x.m[i].k != y.m[i].k || !equal(x.m[i].v, y.m[i].v) {
				return false
			}
		}
		return true
	case *array:
		y, ok := b.(*array)
		if !ok || len(x.v) != len(y.v) {
			return false
		}
		for i := range x.v {
			if !equal(x.v[i], y.v[i]) {
				return false
			}
		}
		return true
	}
	return false
}

// depthExceeds reports whether v nests containers more than max deep (a
// scalar has depth 0, {} and [] depth 1).
func depthExceeds(v any, max int) bool {
	switch t := v.(type) {
	case *object:
		if max <= 0 {
			return true
		}
		for _, m := range t.m {
			if depthExceeds(m.v, max-1) {
				return true
			}
		}
	case *array:
		if max <= 0 {
			return true
		}
		for _, e := range t.v {
			if depthExceeds(e, max-1) {
				return true
			}
		}
	}
	return false
}

// sizeAtLeast returns an estimate of v's canonical size in bytes, stopping
// early once it reaches limit. It never underestimates by more than the
// difference between a number's text and 1 byte.
func sizeAtLeast(v any, limit int) int {
	switch t := v.(type) {
	case nil:
		return 4
	case bool:
		return 5
	case float64, *float64:
		return 1
	case string:
		return len(t) + 2
	case *string:
		return len(*t) + 2
	case *object:
		n := 2
		for _, m := range t.m {
			if n >= limit {
				break
			}
			n += len(m.k) + 4 + sizeAtLeast(m.v, limit-n)
		}
		return n
	case *array:
		n := 2
		for _, e := range t.v {
			if n >= limit {
				break
			}
			n += 1 + sizeAtLeast(e, limit-n)
		}
		return n
	}
	return 0
}

// asString returns the string held by v in either form.
func asString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case *string:
		return *t, true
	}
	return "", false
}

// asNumber returns the number held by v in either form.
func asNumber(v any) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case *float64:
		return *t, true
	}
	return 0, false
}

func mustString(v any) string { s, _ := asString(v); return s }

func mustNumber(v any) float64 { f, _ := asNumber(v); return f }
