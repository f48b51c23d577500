package hashchain

import (
	"fmt"
	"strings"
)

// Diff returns a compact RFC 6902 patch, in canonical form, that takes the
// JSON document from to the JSON document to: it recurses into objects
// present on both sides (remove, add or replace per member) and replaces
// arrays and scalars that differ as a whole. Equal documents give "[]".
// For every pair, Apply(from, Diff(from, to)) equals Canonicalize(to).
// Invalid JSON is an error wrapping ErrInvalidJSON.
func Diff(from, to []byte) ([]byte, error) {
	a, err := parse(from, hardMaxDepth)
	if err != nil {
		return nil, fmt.Errorf("diff: from: %w", err)
	}
	b, err := parse(to, hardMaxDepth)
	if err != nil {
		return nil, fmt.Errorf("diff: to: %w", err)
	}
	ops := &array{}
	diffValues(ops, "", a, b)
	return appendValue(make([]byte, 0, 64), ops), nil
}

func diffValues(ops *array, path string, a, b any) {
	ao, aok := a.(*object)
	bo, bok := b.(*object)
	if aok && bok {
		diffObjects(ops, path, ao, bo)
		return
	}
	if !equal(a, b) {
		ops.v = append(ops.v, opValue("replace", path, b))
	}
}

// diffObjects walks both sorted member lists in step.
func diffObjects(ops *array, path string, a, b *object) {
	i, j := 0, 0
	for i < len(a.m) || j < len(b.m) {
		var c int
		switch {
		case i == len(a.m):
			c = 1
		case j == len(b.m):
			c = -1
		default:
			c = compareKeys(a.m[i].k, b.m[j].k)
		}
		switch {
		case c < 0:
			ops.v = append(ops.v, &object{m: []member{
				{"op", "remove"}, {"path", path + "/" + escapeToken(a.m[i].k)},
			}})
			i++
		case c > 0:
			ops.v = append(ops.v, opValue("add", path+"/"+escapeToken(b.m[j].k), b.m[j].v))
			j++
		default:
			diffValues(ops, path+"/"+escapeToken(a.m[i].k), a.m[i].v, b.m[j].v)
			i++
			j++
		}
	}
}

// opValue builds {"op":name,"path":path,"value":v} with sorted members.
func opValue(name, path string, v any) *object {
	return &object{m: []member{{"op", name}, {"path", path}, {"value", v}}}
}

// escapeToken escapes a JSON Pointer reference token (RFC 6901).
func escapeToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
