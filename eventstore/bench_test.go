package eventstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/eventstore/storetest"
	"github.com/patchbay/patchbay/hashchain"
)

// BenchmarkSubmitSerial measures serial pb.patch requests on one config
// over the node's in-process connection.
func BenchmarkSubmitSerial(b *testing.B) {
	env := storetest.Start(b, eventstore.Options{})
	ctx := context.Background()
	cr, err := env.Client.Create(ctx, []byte(rootA))
	if err != nil {
		b.Fatal(err)
	}
	head := cr.Root
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		r, err := env.Client.Submit(ctx, head, fmt.Appendf(nil, `[{"op":"add","path":"/n","value":%d}]`, i))
		if err != nil {
			b.Fatal(err)
		}
		head = r.Hash
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "patches/s")
}

// BenchmarkSubmitParallelConfigs measures pb.patch requests from parallel
// goroutines, each on its own config.
func BenchmarkSubmitParallelConfigs(b *testing.B) {
	env := storetest.Start(b, eventstore.Options{})
	ctx := context.Background()
	var next atomic.Int64
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		id := next.Add(1)
		cr, err := env.Client.Create(ctx, fmt.Appendf(nil, `{"platform":"bench","channel":"#%d"}`, id))
		if err != nil {
			b.Error(err)
			return
		}
		var head hashchain.Hash = cr.Root
		for i := 0; pb.Next(); i++ {
			r, err := env.Client.Submit(ctx, head, fmt.Appendf(nil, `[{"op":"add","path":"/n","value":%d}]`, i))
			if err != nil {
				b.Error(err)
				return
			}
			head = r.Hash
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "patches/s")
}
