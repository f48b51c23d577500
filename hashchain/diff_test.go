package hashchain

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"equal", `{"a":[1,{"b":2}]}`, `{ "a" : [1.0, {"b":2}] }`, `[]`},
		{"add", `{}`, `{"a":1}`, `[{"op":"add","path":"/a","value":1}]`},
		{"remove", `{"a":1,"b":2}`, `{"b":2}`, `[{"op":"remove","path":"/a"}]`},
		{"replace scalar", `{"a":1}`, `{"a":"1"}`, `[{"op":"replace","path":"/a","value":"1"}]`},
		{"nested", `{"a":{"x":1,"y":2}}`, `{"a":{"x":1,"z":3}}`, `[{"op":"remove","path":"/a/y"},{"op":"add","path":"/a/z","value":3}]`},
		{"array replaced whole", `{"a":[1,2]}`, `{"a":[1,2,3]}`, `[{"op":"replace","path":"/a","value":[1,2,3]}]`},
		{"type change", `{"a":{}}`, `{"a":[]}`, `[{"op":"replace","path":"/a","value":[]}]`},
		{"escaped keys", `{}`, `{"a/b~c":1}`, `[{"op":"add","path":"/a~1b~0c","value":1}]`},
		{"root scalar", `1`, `2`, `[{"op":"replace","path":"","value":2}]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Diff([]byte(tc.from), []byte(tc.to))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("Diff(%s, %s) = %s, want %s", tc.from, tc.to, got, tc.want)
			}
		})
	}
	if _, err := Diff([]byte(`{`), []byte(`{}`)); !errors.Is(err, ErrInvalidJSON) {
		t.Errorf("Diff(invalid) error %v, want ErrInvalidJSON", err)
	}
}

// randomValue builds a random JSON value from a small alphabet of keys so
// that two random documents share members often.
func randomValue(r *rand.Rand, depth int) string {
	n := r.IntN(8)
	if depth <= 0 {
		n = r.IntN(5)
	}
	switch n {
	case 0:
		return "null"
	case 1:
		return []string{"true", "false"}[r.IntN(2)]
	case 2:
		return fmt.Sprint([]float64{0, 1, -2.5, 1e21, 3}[r.IntN(5)])
	case 3:
		return []string{`""`, `"x"`, `"a/b"`, `"~"`, `"é"`}[r.IntN(5)]
	case 4, 5:
		var parts []string
		for range r.IntN(4) {
			parts = append(parts, randomValue(r, depth-1))
		}
		return "[" + strings.Join(parts, ",") + "]"
	default:
		return randomObject(r, depth)
	}
}

func randomObject(r *rand.Rand, depth int) string {
	keys := []string{"a", "b", "c", "", "x/y", "m~n", "é", "\U0001F600", "\ufb33"}
	var parts []string
	for _, k := range keys {
		if r.IntN(3) == 0 {
			parts = append(parts, fmt.Sprintf("%q:%s", k, randomValue(r, depth-1)))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// TestDiffApplyProperty checks Apply(from, Diff(from, to)) == canonical(to).
func TestDiffApplyProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		from, to := randomObject(r, 4), randomObject(r, 4)
		if i%5 == 0 {
			to = from // equal documents give an empty patch
		}
		patch, err := Diff([]byte(from), []byte(to))
		if err != nil {
			t.Fatalf("Diff(%s, %s): %v", from, to, err)
		}
		got, err := Apply([]byte(from), patch, Limits{})
		if err != nil {
			t.Fatalf("Apply(%s, Diff = %s): %v", from, patch, err)
		}
		want, err := Canonicalize([]byte(to))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("Apply(%s, %s) = %s, want %s", from, patch, got, want)
		}
		if from == to && string(patch) != "[]" {
			t.Fatalf("Diff of equal documents = %s, want []", patch)
		}
	}
}
