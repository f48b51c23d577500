package hashchain

import (
	"encoding/json"
	"errors"
	"fmt"
)

// RootHash returns the hash of a root configuration and its canonical
// bytes. The configuration must be a JSON object (else the error wraps
// ErrInvalidConfig, and also ErrInvalidJSON when it is not valid JSON).
// RootHash applies the default Limits' depth and document size.
func RootHash(config []byte) (Hash, []byte, error) {
	lim := Limits{}.WithDefaults()
	if len(config) > lim.MaxDocumentBytes {
		return 0, nil, &LimitError{Limit: "MaxDocumentBytes", Max: lim.MaxDocumentBytes, Got: len(config)}
	}
	v, err := parse(config, lim.MaxDepth)
	if err != nil {
		var le *LimitError
		if errors.As(err, &le) {
			return 0, nil, err
		}
		return 0, nil, fmt.Errorf("root configuration: %w (%w)", err, ErrInvalidConfig)
	}
	if _, ok := v.(*object); !ok {
		return 0, nil, fmt.Errorf("root configuration is %s: %w", kindOf(v), ErrInvalidConfig)
	}
	c := appendValue(make([]byte, 0, len(config)), v)
	if len(c) > lim.MaxDocumentBytes {
		return 0, nil, &LimitError{Limit: "MaxDocumentBytes", Max: lim.MaxDocumentBytes, Got: len(c)}
	}
	return Sum(c), c, nil
}

// Envelope is one update on a chain: the patch taking the configuration at
// Parent to the next one, and optional metadata (author, note). Its hash is
// the xxhash64 of its canonical form
//
//	{"meta":{...},"parent":"<16 hex>","patch":[...]}
//
// with "meta" left out when Meta is empty or JSON null. Patch and Meta may be
// in any JSON spelling; the hash depends only on their canonical form.
type Envelope struct {
	// Parent is the hash the patch applies to.
	Parent Hash `json:"parent"`
	// Patch is an RFC 6902 patch: a JSON array of operations.
	Patch json.RawMessage `json:"patch"`
	// Meta is optional metadata, a JSON object; empty or null means none.
	Meta json.RawMessage `json:"meta,omitempty"`
}

// Canonical returns the RFC 8785 form of the envelope. Patch must be a JSON
// array and Meta, when present and not null, a JSON object; otherwise the
// error wraps ErrInvalidPatch.
func (e Envelope) Canonical() ([]byte, error) {
	pv, err := parse(e.Patch, hardMaxDepth)
	if err != nil {
		return nil, fmt.Errorf("envelope: patch: %w (%w)", err, ErrInvalidPatch)
	}
	if _, ok := pv.(*array); !ok {
		return nil, fmt.Errorf("envelope: patch is %s, want an array of operations: %w", kindOf(pv), ErrInvalidPatch)
	}
	var mv any
	if len(e.Meta) > 0 {
		if mv, err = parse(e.Meta, hardMaxDepth); err != nil {
			return nil, fmt.Errorf("envelope: meta: %w (%w)", err, ErrInvalidPatch)
		}
		switch mv.(type) {
		case nil, *object:
		default:
			return nil, fmt.Errorf("envelope: meta is %s, want an object: %w", kindOf(mv), ErrInvalidPatch)
		}
	}
	return appendEnvelope(make([]byte, 0, len(e.Patch)+len(e.Meta)+48), e.Parent, pv, mv), nil
}

// appendEnvelope appends the canonical envelope; keys in RFC 8785 order
// ("meta" < "parent" < "patch").
func appendEnvelope(b []byte, parent Hash, patch, meta any) []byte {
	b = append(b, '{')
	if meta != nil {
		b = append(b, `"meta":`...)
		b = appendValue(b, meta)
		b = append(b, ',')
	}
	b = append(b, `"parent":"`...)
	b = parent.appendTo(b)
	b = append(b, `","patch":`...)
	b = appendValue(b, patch)
	return append(b, '}')
}

// Hash returns Sum(e.Canonical()).
func (e Envelope) Hash() (Hash, error) {
	c, err := e.Canonical()
	if err != nil {
		return 0, err
	}
	return Sum(c), nil
}

// DecodeSubmission decodes an update as a client submits it against
// parent: either a bare RFC 6902 patch array, or a full envelope object
// {"parent","patch","meta"?} whose "parent" (if given) must equal parent.
// Every operation is validated (known op, valid path, "from" and "value"
// where required). The returned Envelope holds the canonical patch and meta.
// All errors wrap ErrInvalidPatch (an unparsable "parent" also wraps
// ErrInvalidHash). The size of data is not limited here; Apply limits it.
func DecodeSubmission(data []byte, parent Hash) (Envelope, error) {
	v, err := parse(data, hardMaxDepth)
	if err != nil {
		return Envelope{}, fmt.Errorf("decode submission: %w (%w)", err, ErrInvalidPatch)
	}
	var patch, meta any
	switch t := v.(type) {
	case *array:
		patch = t
	case *object:
		for _, m := range t.m {
			switch m.k {
			case "parent":
				s, ok := asString(m.v)
				if !ok {
					return Envelope{}, fmt.Errorf("decode submission: \"parent\" is %s, want a hash string: %w", kindOf(m.v), ErrInvalidPatch)
				}
				h, err := ParseHash(s)
				if err != nil {
					return Envelope{}, fmt.Errorf("decode submission: %w (%w)", err, ErrInvalidPatch)
				}
				if h != parent {
					return Envelope{}, fmt.Errorf("decode submission: envelope parent %s does not match the parent %s it was submitted against: %w", h, parent, ErrInvalidPatch)
				}
			case "patch":
				patch = m.v
			case "meta":
				switch m.v.(type) {
				case nil, *object:
					meta = m.v
				default:
					return Envelope{}, fmt.Errorf("decode submission: \"meta\" is %s, want an object: %w", kindOf(m.v), ErrInvalidPatch)
				}
			default:
				return Envelope{}, fmt.Errorf("decode submission: unknown envelope member %q (want parent, patch, meta): %w", m.k, ErrInvalidPatch)
			}
		}
		if patch == nil {
			return Envelope{}, fmt.Errorf("decode submission: envelope has no \"patch\": %w", ErrInvalidPatch)
		}
	default:
		return Envelope{}, fmt.Errorf("decode submission: got %s, want a patch array or an envelope object: %w", kindOf(v), ErrInvalidPatch)
	}
	if _, err := decodeOps(patch, int(^uint(0)>>1)); err != nil {
		return Envelope{}, fmt.Errorf("decode submission: %w", err)
	}
	e := Envelope{Parent: parent, Patch: appendValue(nil, patch)}
	if meta != nil {
		e.Meta = appendValue(nil, meta)
	}
	return e, nil
}
