package hashchain

import (
	"fmt"
	"strings"
	"testing"
)

// benchDoc returns a canonical configuration-like JSON object of about size
// bytes: members "k00000".. holding small objects.
func benchDoc(tb testing.TB, size int) []byte {
	tb.Helper()
	var b strings.Builder
	b.WriteString("{")
	for i := 0; b.Len() < size-120; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `"k%05d":{"enabled":true,"name":"command %d","reply":"Hello, \u00e9 world!","tags":["a","b"],"weight":%d.25}`, i, i, i)
	}
	b.WriteString("}")
	c, err := Canonicalize([]byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

var benchSizes = []struct {
	name string
	size int
}{{"1KB", 1 << 10}, {"16KB", 16 << 10}, {"64KB", 64 << 10}, {"1MB", 1 << 20}}

const benchPatch = `[{"op":"replace","path":"/k00000/name","value":"renamed"},{"op":"add","path":"/k00000/tags/-","value":"c"}]`

func BenchmarkApply(b *testing.B) {
	lim := Limits{MaxDocumentBytes: 4 << 20}
	patch := []byte(benchPatch)
	for _, s := range benchSizes {
		doc := benchDoc(b, s.size)
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := Apply(doc, patch, lim); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "patches/s")
		})
	}
}

func BenchmarkCanonicalize(b *testing.B) {
	for _, s := range benchSizes {
		doc := benchDoc(b, s.size)
		// Non-canonical input: indented and with members reversed.
		in := []byte(strings.ReplaceAll(string(doc), ",\"k", ",\n  \"k"))
		b.Run(s.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := Canonicalize(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEnvelopeHash(b *testing.B) {
	e := Envelope{
		Parent: 0x2c0a2c2e2fd91d3a,
		Patch:  []byte(benchPatch),
		Meta:   []byte(`{"author":"tika","note":"rename command"}`),
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Hash(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "patches/s")
}

func BenchmarkDecodeSubmission(b *testing.B) {
	data := []byte(`{"parent":"2c0a2c2e2fd91d3a","patch":` + benchPatch + `,"meta":{"author":"tika"}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeSubmission(data, 0x2c0a2c2e2fd91d3a); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "patches/s")
}
