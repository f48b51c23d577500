package schemas

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed *.schema.json
var files embed.FS

const (
	suffix = ".schema.json"
	base   = "https://patchbay.dev/schemas/"
)

// FS returns the embedded schema files.
func FS() fs.FS { return files }

// Names returns the names of the embedded schemas, sorted.
func Names() []string {
	ents, _ := fs.ReadDir(files, ".")
	var names []string
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(e.Name(), suffix))
	}
	sort.Strings(names)
	return names
}

// Source returns the text of the named schema.
func Source(name string) ([]byte, error) {
	b, err := files.ReadFile(name + suffix)
	if err != nil {
		return nil, fmt.Errorf("schema %q: %w", name, err)
	}
	return b, nil
}

var (
	compileMu sync.Mutex
	compiled  = map[string]*jsonschema.Schema{}
)

// Compile returns the compiled schema called name (cached; safe for
// concurrent use). Every embedded schema is resolvable by $ref.
func Compile(name string) (*jsonschema.Schema, error) {
	compileMu.Lock()
	defer compileMu.Unlock()
	if s, ok := compiled[name]; ok {
		return s, nil
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, n := range Names() {
		b, _ := files.ReadFile(n + suffix)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("schema %q: %w", n, err)
		}
		if err := c.AddResource(base+n+suffix, doc); err != nil {
			return nil, fmt.Errorf("schema %q: %w", n, err)
		}
	}
	s, err := c.Compile(base + name + suffix)
	if err != nil {
		return nil, fmt.Errorf("compile schema %q: %w", name, err)
	}
	compiled[name] = s
	return s, nil
}

// Validate checks the JSON document data against the schema called name.
// The error is a *jsonschema.ValidationError for an invalid document.
func Validate(name string, data []byte) error {
	s, err := Compile(name)
	if err != nil {
		return err
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("validate against %q: %w", name, err)
	}
	if err := s.Validate(v); err != nil {
		return fmt.Errorf("validate against %q: %w", name, err)
	}
	return nil
}
