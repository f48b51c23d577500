package supervisor

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// BenchmarkRestart measures restart latency: from a child's failure to the
// restarted child running again (one_for_one).
func BenchmarkRestart(b *testing.B) {
	b.ReportAllocs()
	p := newProbe("W")
	p.runs = make(chan *probeRun) // unbuffered: each run hands itself over
	s := mustNew(b, Options{MaxRestarts: 1 << 30, Period: time.Second}, p.spec())
	startSup(b, s)
	r := p.next(b)
	b.ResetTimer()
	for b.Loop() {
		r.exit <- errBoom
		r = p.next(b)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/restart")
}

func idleSpecs(n int) []ChildSpec {
	idle := StartServeFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	})
	specs := make([]ChildSpec, n)
	for i := range specs {
		specs[i] = ChildSpec{ID: "c" + strconv.Itoa(i), Start: idle, Shutdown: Infinity}
	}
	return specs
}

// BenchmarkStart10000 starts (and stops) a supervisor of 10,000 children.
func BenchmarkStart10000(b *testing.B) {
	b.ReportAllocs()
	specs := idleSpecs(10000)
	var startTime time.Duration
	for b.Loop() {
		s := mustNew(b, Options{}, specs...)
		t := time.Now()
		if err := s.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		startTime += time.Since(t)
		if err := s.Stop(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(startTime.Nanoseconds())/float64(b.N)/1e6, "ms/start10k")
	b.ReportMetric(10000*float64(b.N)/startTime.Seconds(), "children/s")
}

// BenchmarkIdleChildMemory reports the memory held per idle child
// (goroutine stack, context, bookkeeping), from runtime.MemStats: heap
// plus goroutine stacks in use, after a GC, divided by the children.
func BenchmarkIdleChildMemory(b *testing.B) {
	const n = 10000
	specs := idleSpecs(n)
	var perChild, heapPer, stackPer float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := mustNew(b, Options{}, specs...)
		if err := s.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		stack := float64(after.StackInuse) - float64(before.StackInuse)
		// Dead goroutines keep their stacks for reuse, so later iterations
		// under-count: keep the largest (first) measurement.
		if (heap+stack)/n > perChild {
			heapPer, stackPer = heap/n, stack/n
			perChild = (heap + stack) / n
		}
		if err := s.Stop(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(perChild, "bytes/child")
	b.ReportMetric(heapPer, "heap-bytes/child")
	b.ReportMetric(stackPer, "stack-bytes/child")
}
