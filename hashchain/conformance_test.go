package hashchain

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// suiteDir is the shared RFC 6902 conformance suite; CI checks out shared/
// beside the repository clone.
const suiteDir = "../../shared/testdata/json-patch-tests"

type suiteRecord struct {
	Comment  string          `json:"comment"`
	Doc      json.RawMessage `json:"doc"`
	Patch    json.RawMessage `json:"patch"`
	Expected json.RawMessage `json:"expected"`
	Error    *string         `json:"error"`
	Disabled bool            `json:"disabled"`
}

// applyAny is the patch engine on any JSON value (the suite's documents are
// not always objects): it returns the canonical result.
func applyAny(doc, patch []byte, lim Limits) ([]byte, error) {
	lim = lim.WithDefaults()
	d, err := parse(doc, lim.MaxDepth)
	if err != nil {
		return nil, err
	}
	ops, err := parsePatch(patch, lim)
	if err != nil {
		return nil, err
	}
	res, err := applyOps(d, ops, lim)
	if err != nil {
		return nil, err
	}
	return encodeResult(res, lim, len(doc))
}

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		file string
		want int
	}{
		{"tests.json", 92},
		{"spec_tests.json", 16},
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(suiteDir, tc.file))
			if err != nil {
				t.Fatalf("read conformance suite: %v", err)
			}
			var recs []suiteRecord
			if err := json.Unmarshal(data, &recs); err != nil {
				t.Fatalf("decode %s: %v", tc.file, err)
			}
			runnable, passed := 0, 0
			for i, r := range recs {
				if r.Disabled || r.Doc == nil {
					continue // disabled, or a comment-only record
				}
				runnable++
				got, err := applyAny(r.Doc, r.Patch, Limits{})
				switch {
				case r.Error != nil:
					if err == nil {
						t.Errorf("%s record %d (%q): got %s, want error %q", tc.file, i, r.Comment, got, *r.Error)
						continue
					}
					if !errors.Is(err, ErrInvalidPatch) && !errors.Is(err, ErrTestFailed) {
						t.Errorf("%s record %d (%q): error %v wraps neither ErrInvalidPatch nor ErrTestFailed", tc.file, i, r.Comment, err)
						continue
					}
				case err != nil:
					t.Errorf("%s record %d (%q): unexpected error %v", tc.file, i, r.Comment, err)
					continue
				default:
					want := r.Expected
					if want == nil {
						want = r.Doc
					}
					wantC, err := Canonicalize(want)
					if err != nil {
						t.Fatalf("%s record %d: canonicalize expected: %v", tc.file, i, err)
					}
					if string(got) != string(wantC) {
						t.Errorf("%s record %d (%q): got %s, want %s", tc.file, i, r.Comment, got, wantC)
						continue
					}
				}
				passed++
			}
			if runnable != tc.want {
				t.Errorf("%s: %d runnable records, want %d", tc.file, runnable, tc.want)
			}
			if passed != runnable {
				t.Errorf("%s: %d of %d runnable records passed", tc.file, passed, runnable)
			}
			t.Logf("%s: %d/%d runnable records passed", tc.file, passed, runnable)
		})
	}
}
