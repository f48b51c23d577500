package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

// benchEnv starts a fresh node and store for a Go benchmark.
func benchEnv(b *testing.B) *env {
	b.Helper()
	r := &runner{cfg: Config{TempDir: b.TempDir()}.withDefaults(), progress: newProgress(nil)}
	e, err := r.startEnv(context.Background(), "gobench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(e.close)
	return e
}

var benchSizes = []int{1 << 10, 64 << 10}

// BenchmarkSubmitSerial submits updates to one config, each against the
// previous head: the serial scenario's hot path.
func BenchmarkSubmitSerial(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			e := benchEnv(b)
			ctx := context.Background()
			heads, err := e.createRoots(ctx, "gobench-serial", 1)
			if err != nil {
				b.Fatal(err)
			}
			patches := twoPatches(size)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				rep, err := e.client(0).Submit(ctx, heads[0], patches[i%2])
				if err != nil {
					b.Fatal(err)
				}
				heads[0] = rep.Hash
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "patches/s")
		})
	}
}

// BenchmarkSubmitParallel submits from GOMAXPROCS*8 goroutines, each to its
// own config: the parallel scenario's hot path.
func BenchmarkSubmitParallel(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			e := benchEnv(b)
			ctx := context.Background()
			patches := twoPatches(size)
			var next, done atomic.Int64
			b.ReportAllocs()
			b.SetBytes(int64(size))
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				w := int(next.Add(1))
				cr, err := e.client(w).Create(ctx, rootConfig("gobench-parallel", w))
				if err != nil {
					b.Error(err)
					return
				}
				head := cr.Root
				for i := 0; pb.Next(); i++ {
					rep, err := e.client(w).Submit(ctx, head, patches[i%2])
					if err != nil {
						b.Error(err)
						return
					}
					head = rep.Hash
					done.Add(1)
				}
			})
			b.ReportMetric(float64(done.Load())/b.Elapsed().Seconds(), "patches/s")
		})
	}
}

// BenchmarkCatchUp asks for the head of a config with 1000 updates.
func BenchmarkCatchUp(b *testing.B) {
	e := benchEnv(b)
	ctx := context.Background()
	heads, err := e.createRoots(ctx, "gobench-catchup", 1)
	if err != nil {
		b.Fatal(err)
	}
	root := heads[0]
	if err := buildConfigs(ctx, e, heads, 1000, 1); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		u, err := e.client(0).CatchUp(ctx, root)
		if err != nil {
			b.Fatal(err)
		}
		if u.Hash != heads[0] {
			b.Fatalf("catch-up head %s, want %s", u.Hash, heads[0])
		}
	}
}

// BenchmarkKVUpdateSerial is the NATS KV CAS baseline of BenchmarkSubmitSerial.
func BenchmarkKVUpdateSerial(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			e := benchEnv(b)
			ctx := context.Background()
			patches := twoPatches(size)
			kvs, revs, err := e.kvKeys(ctx, "gobench", 1, patches[0])
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				if revs[0], err = kvs[0].Update(ctx, kvKey(0), patches[i%2], revs[0]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "patches/s")
		})
	}
}

// BenchmarkJetStreamPublishSerial is the raw JetStream baseline of
// BenchmarkSubmitSerial.
func BenchmarkJetStreamPublishSerial(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			e := benchEnv(b)
			ctx := context.Background()
			if _, err := e.js[0].CreateStream(ctx, jetstream.StreamConfig{Name: "GOBENCH", Subjects: []string{"gobench"}, Storage: jetstream.FileStorage}); err != nil {
				b.Fatal(err)
			}
			patches := twoPatches(size)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				if _, err := e.js[0].Publish(ctx, "gobench", patches[i%2]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "patches/s")
		})
	}
}
