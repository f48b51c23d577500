package hashchain

import (
	"errors"
	"fmt"
	"strings"
)

// Limits bounds the work Apply and Verify do for one update. A zero field
// means its default; the zero Limits is the default Limits. Exceeding a limit
// is a *LimitError wrapping ErrTooLarge.
type Limits struct {
	// MaxDocumentBytes bounds the document given to Apply, the canonical
	// document it produces, and the bytes that "copy" operations may
	// duplicate within one patch. Default 1 MiB.
	MaxDocumentBytes int
	// MaxPatchBytes bounds the patch text given to Apply. Default 256 KiB.
	MaxPatchBytes int
	// MaxOps bounds the number of operations in one patch. Default 1000.
	MaxOps int
	// MaxDepth bounds the nesting of arrays and objects in the document
	// before and after the patch ({} has depth 1, {"a":[]} depth 2), and of
	// values inside the patch. Default 64.
	MaxDepth int
}

// Default limits, used for zero fields of Limits.
const (
	DefaultMaxDocumentBytes = 1 << 20
	DefaultMaxPatchBytes    = 256 << 10
	DefaultMaxOps           = 1000
	DefaultMaxDepth         = 64
)

// WithDefaults returns l with every zero (or negative) field set to its default.
func (l Limits) WithDefaults() Limits {
	if l.MaxDocumentBytes <= 0 {
		l.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	if l.MaxPatchBytes <= 0 {
		l.MaxPatchBytes = DefaultMaxPatchBytes
	}
	if l.MaxOps <= 0 {
		l.MaxOps = DefaultMaxOps
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// Apply applies the RFC 6902 patch (a JSON array of operations) to doc, a
// JSON object, and returns the RFC 8785 canonical form of the result, which
// must again be a JSON object.
//
// Errors: a failing "test" operation wraps ErrTestFailed; a malformed patch
// or an operation that cannot be applied wraps ErrInvalidPatch; a document
// or result that is not a JSON object wraps ErrInvalidConfig; exceeding lim
// is a *LimitError wrapping ErrTooLarge. Apply never modifies its inputs.
func Apply(doc, patch []byte, lim Limits) ([]byte, error) {
	lim = lim.WithDefaults()
	if len(doc) > lim.MaxDocumentBytes {
		return nil, &LimitError{Limit: "MaxDocumentBytes", Max: lim.MaxDocumentBytes, Got: len(doc)}
	}
	if len(patch) > lim.MaxPatchBytes {
		return nil, &LimitError{Limit: "MaxPatchBytes", Max: lim.MaxPatchBytes, Got: len(patch)}
	}
	d, err := parse(doc, lim.MaxDepth)
	if err != nil {
		return nil, docError(err)
	}
	if _, ok := d.(*object); !ok {
		return nil, fmt.Errorf("apply: document is %s: %w", kindOf(d), ErrInvalidConfig)
	}
	ops, err := parsePatch(patch, lim)
	if err != nil {
		return nil, err
	}
	res, err := applyOps(d, ops, lim)
	if err != nil {
		return nil, err
	}
	if _, ok := res.(*object); !ok {
		return nil, fmt.Errorf("apply: patch would turn the configuration into %s: %w", kindOf(res), ErrInvalidConfig)
	}
	return encodeResult(res, lim, len(doc)+len(patch))
}

// encodeResult checks depth and size limits and returns the canonical bytes.
func encodeResult(res any, lim Limits, sizeHint int) ([]byte, error) {
	if depthExceeds(res, lim.MaxDepth) {
		return nil, &LimitError{Limit: "MaxDepth", Max: lim.MaxDepth, Got: lim.MaxDepth + 1}
	}
	out := appendValue(make([]byte, 0, sizeHint), res)
	if len(out) > lim.MaxDocumentBytes {
		return nil, &LimitError{Limit: "MaxDocumentBytes", Max: lim.MaxDocumentBytes, Got: len(out)}
	}
	return out, nil
}

func docError(err error) error {
	var le *LimitError
	if errors.As(err, &le) {
		return err
	}
	return fmt.Errorf("apply: decode document: %w (%w)", err, ErrInvalidConfig)
}

// parsePatch decodes and validates patch text within lim.
func parsePatch(patch []byte, lim Limits) ([]op, error) {
	// The patch array and each operation object add two levels.
	pv, err := parse(patch, lim.MaxDepth+2)
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			le.Max -= 2
			le.Got -= 2
			return nil, err
		}
		return nil, fmt.Errorf("decode patch: %w (%w)", err, ErrInvalidPatch)
	}
	return decodeOps(pv, lim.MaxOps)
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64, *float64:
		return "a number"
	case string, *string:
		return "a string"
	case *object:
		return "an object"
	case *array:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}

// opKind is an RFC 6902 operation name.
type opKind uint8

const (
	opAdd opKind = iota + 1
	opRemove
	opReplace
	opMove
	opCopy
	opTest
)

var opNames = map[string]opKind{
	"add": opAdd, "remove": opRemove, "replace": opReplace,
	"move": opMove, "copy": opCopy, "test": opTest,
}

// op is one decoded, validated patch operation.
type op struct {
	kind       opKind
	name       string
	path, from []string // decoded JSON Pointer tokens
	rawPath    string
	rawFrom    string
	value      any
}

func (o *op) String() string {
	if o.kind == opMove || o.kind == opCopy {
		return fmt.Sprintf("%s from %q to %q", o.name, o.rawFrom, o.rawPath)
	}
	return fmt.Sprintf("%s %q", o.name, o.rawPath)
}

// decodeOps validates a parsed patch: an array of operation objects, each
// with a known "op", a valid "path", "from" for move and copy, and "value"
// for add, replace and test. Other members are ignored, as RFC 6902 says.
func decodeOps(pv any, maxOps int) ([]op, error) {
	arr, ok := pv.(*array)
	if !ok {
		return nil, fmt.Errorf("decode patch: patch is %s, want an array of operations: %w", kindOf(pv), ErrInvalidPatch)
	}
	if len(arr.v) > maxOps {
		return nil, &LimitError{Limit: "MaxOps", Max: maxOps, Got: len(arr.v)}
	}
	ops := make([]op, len(arr.v))
	for i, e := range arr.v {
		o, ok := e.(*object)
		if !ok {
			return nil, fmt.Errorf("decode patch: operation %d is %s, want an object: %w", i, kindOf(e), ErrInvalidPatch)
		}
		name, err := stringMember(o, "op", i)
		if err != nil {
			return nil, err
		}
		kind, ok := opNames[name]
		if !ok {
			return nil, fmt.Errorf("decode patch: operation %d: unknown op %q (want add, remove, replace, move, copy or test): %w", i, name, ErrInvalidPatch)
		}
		ops[i] = op{kind: kind, name: name}
		if ops[i].rawPath, err = stringMember(o, "path", i); err != nil {
			return nil, err
		}
		if ops[i].path, err = parsePointer(ops[i].rawPath); err != nil {
			return nil, fmt.Errorf("decode patch: operation %d: path: %w", i, err)
		}
		switch kind {
		case opMove, opCopy:
			if ops[i].rawFrom, err = stringMember(o, "from", i); err != nil {
				return nil, err
			}
			if ops[i].from, err = parsePointer(ops[i].rawFrom); err != nil {
				return nil, fmt.Errorf("decode patch: operation %d: from: %w", i, err)
			}
		case opAdd, opReplace, opTest:
			v, ok := o.get("value")
			if !ok {
				return nil, fmt.Errorf("decode patch: operation %d (%s): missing \"value\": %w", i, name, ErrInvalidPatch)
			}
			ops[i].value = v
		}
	}
	return ops, nil
}

func stringMember(o *object, key string, i int) (string, error) {
	v, ok := o.get(key)
	if !ok {
		return "", fmt.Errorf("decode patch: operation %d: missing %q: %w", i, key, ErrInvalidPatch)
	}
	s, ok := asString(v)
	if !ok {
		return "", fmt.Errorf("decode patch: operation %d: %q is %s, want a string: %w", i, key, kindOf(v), ErrInvalidPatch)
	}
	return s, nil
}

// parsePointer decodes an RFC 6901 JSON Pointer into its reference tokens.
func parsePointer(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	if s[0] != '/' {
		return nil, fmt.Errorf("JSON pointer %q must be empty or start with '/': %w", s, ErrInvalidPatch)
	}
	toks := strings.Split(s[1:], "/")
	for i, t := range toks {
		if !strings.Contains(t, "~") {
			continue
		}
		var b strings.Builder
		for j := 0; j < len(t); j++ {
			if t[j] != '~' {
				b.WriteByte(t[j])
				continue
			}
			if j+1 < len(t) && t[j+1] == '0' {
				b.WriteByte('~')
			} else if j+1 < len(t) && t[j+1] == '1' {
				b.WriteByte('/')
			} else {
				return nil, fmt.Errorf("JSON pointer %q: '~' must be followed by 0 or 1: %w", s, ErrInvalidPatch)
			}
			j++
		}
		toks[i] = b.String()
	}
	return toks, nil
}

// arrayIndex parses an RFC 6901 array index: "0" or a decimal without
// leading zeros, below bound (or equal to it when inclusive). "-" is not
// accepted here.
func arrayIndex(tok string, n int, inclusive bool) (int, error) {
	if tok == "" || len(tok) > 10 || (len(tok) > 1 && tok[0] == '0') {
		return 0, fmt.Errorf("invalid array index %q: %w", tok, ErrInvalidPatch)
	}
	i := 0
	for _, c := range []byte(tok) {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("invalid array index %q: %w", tok, ErrInvalidPatch)
		}
		i = i*10 + int(c-'0')
	}
	if i > n || (i == n && !inclusive) {
		return 0, fmt.Errorf("array index %d out of range (length %d): %w", i, n, ErrInvalidPatch)
	}
	return i, nil
}

// lookup returns the value at the pointer tokens.
func lookup(doc any, toks []string) (any, error) {
	cur := doc
	for _, t := range toks {
		switch c := cur.(type) {
		case *object:
			v, ok := c.get(t)
			if !ok {
				return nil, fmt.Errorf("no member %q: %w", t, ErrInvalidPatch)
			}
			cur = v
		case *array:
			i, err := arrayIndex(t, len(c.v), false)
			if err != nil {
				return nil, err
			}
			cur = c.v[i]
		default:
			return nil, fmt.Errorf("cannot descend into %s with %q: %w", kindOf(cur), t, ErrInvalidPatch)
		}
	}
	return cur, nil
}

// applyState carries per-patch accounting.
type applyState struct {
	lim    Limits
	copied int // bytes duplicated by copy operations so far
}

// applyOps applies ops to doc in place and returns the new root (which
// differs from doc when an operation replaces the whole document).
func applyOps(doc any, ops []op, lim Limits) (any, error) {
	st := applyState{lim: lim}
	for i := range ops {
		var err error
		doc, err = st.apply(doc, &ops[i])
		if err != nil {
			return nil, fmt.Errorf("apply: operation %d (%s): %w", i, &ops[i], err)
		}
	}
	return doc, nil
}

func (st *applyState) apply(doc any, o *op) (any, error) {
	switch o.kind {
	case opAdd:
		return add(doc, o.path, o.value)
	case opRemove:
		_, err := remove(doc, o.path)
		return doc, err
	case opReplace:
		return replace(doc, o.path, o.value)
	case opMove:
		if isPrefix(o.from, o.path) {
			if len(o.from) == len(o.path) {
				_, err := lookup(doc, o.from)
				return doc, err
			}
			return nil, fmt.Errorf("cannot move %q into its own child %q: %w", o.rawFrom, o.rawPath, ErrInvalidPatch)
		}
		if len(o.from) == 0 {
			return nil, fmt.Errorf("cannot move the whole document: %w", ErrInvalidPatch)
		}
		v, err := remove(doc, o.from)
		if err != nil {
			return nil, err
		}
		return add(doc, o.path, v)
	case opCopy:
		v, err := lookup(doc, o.from)
		if err != nil {
			return nil, err
		}
		room := st.lim.MaxDocumentBytes - st.copied
		n := sizeAtLeast(v, room+1)
		st.copied += n
		if st.copied > st.lim.MaxDocumentBytes {
			return nil, &LimitError{Limit: "MaxDocumentBytes", Max: st.lim.MaxDocumentBytes, Got: st.copied}
		}
		return add(doc, o.path, deepCopy(v))
	case opTest:
		v, err := lookup(doc, o.path)
		if err != nil {
			return nil, fmt.Errorf("%w (%w)", err, ErrTestFailed)
		}
		if !equal(v, o.value) {
			return nil, fmt.Errorf("value at %q is %s, want %s: %w", o.rawPath, excerpt(v), excerpt(o.value), ErrTestFailed)
		}
		return doc, nil
	}
	return nil, fmt.Errorf("unknown operation: %w", ErrInvalidPatch)
}

// excerpt renders v for an error message, shortened.
func excerpt(v any) string {
	b := appendValue(nil, v)
	if len(b) > 64 {
		return string(b[:61]) + "..."
	}
	return string(b)
}

func isPrefix(prefix, toks []string) bool {
	if len(prefix) > len(toks) {
		return false
	}
	for i := range prefix {
		if prefix[i] != toks[i] {
			return false
		}
	}
	return true
}

// add implements RFC 6902 "add" (and "replace" once the target is known to
// exist): it returns the new root.
func add(doc any, toks []string, v any) (any, error) {
	if len(toks) == 0 {
		return v, nil
	}
	parent, err := lookup(doc, toks[:len(toks)-1])
	if err != nil {
		return nil, err
	}
	last := toks[len(toks)-1]
	switch c := parent.(type) {
	case *object:
		c.set(last, v)
	case *array:
		if last == "-" {
			c.v = append(c.v, v)
			return doc, nil
		}
		i, err := arrayIndex(last, len(c.v), true)
		if err != nil {
			return nil, err
		}
		c.v = append(c.v, nil)
		copy(c.v[i+1:], c.v[i:])
		c.v[i] = v
	default:
		return nil, fmt.Errorf("cannot add member %q to %s: %w", last, kindOf(parent), ErrInvalidPatch)
	}
	return doc, nil
}

// remove implements RFC 6902 "remove" and returns the removed value.
func remove(doc any, toks []string) (any, error) {
	if len(toks) == 0 {
		return nil, fmt.Errorf("cannot remove the whole document: %w", ErrInvalidPatch)
	}
	parent, err := lookup(doc, toks[:len(toks)-1])
	if err != nil {
		return nil, err
	}
	last := toks[len(toks)-1]
	switch c := parent.(type) {
	case *object:
		v, ok := c.get(last)
		if !ok {
			return nil, fmt.Errorf("no member %q: %w", last, ErrInvalidPatch)
		}
		c.del(last)
		return v, nil
	case *array:
		i, err := arrayIndex(last, len(c.v), false)
		if err != nil {
			return nil, err
		}
		v := c.v[i]
		c.v = append(c.v[:i], c.v[i+1:]...)
		return v, nil
	}
	return nil, fmt.Errorf("cannot remove %q from %s: %w", last, kindOf(parent), ErrInvalidPatch)
}

// replace implements RFC 6902 "replace": the target must exist.
func replace(doc any, toks []string, v any) (any, error) {
	if len(toks) == 0 {
		return v, nil
	}
	parent, err := lookup(doc, toks[:len(toks)-1])
	if err != nil {
		return nil, err
	}
	last := toks[len(toks)-1]
	switch c := parent.(type) {
	case *object:
		i, ok := c.find(last)
		if !ok {
			return nil, fmt.Errorf("no member %q: %w", last, ErrInvalidPatch)
		}
		c.m[i].v = v
		return doc, nil
	case *array:
		i, err := arrayIndex(last, len(c.v), false)
		if err != nil {
			return nil, err
		}
		c.v[i] = v
		return doc, nil
	}
	return nil, fmt.Errorf("cannot replace %q in %s: %w", last, kindOf(parent), ErrInvalidPatch)
}
