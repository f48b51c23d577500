package bench

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// maxLatency is the largest latency a recorder tracks; larger values are
// clamped to it.
const maxLatency = time.Minute

const recorderShards = 16

// errStopLoop, returned by a closedLoop op, ends that worker without error.
var errStopLoop = errors.New("stop")

// recorder collects latencies into HDR histograms (nanoseconds, three
// significant digits). It is safe for concurrent use: writers are spread over
// shards, each guarded by its own mutex.
type recorder struct {
	count  atomic.Int64
	shards [recorderShards]struct {
		mu sync.Mutex // guards h
		h  *hdrhistogram.Histogram
		_  [40]byte
	}
}

func newRecorder() *recorder {
	r := &recorder{}
	for i := range r.shards {
		r.shards[i].h = hdrhistogram.New(1, int64(maxLatency), 3)
	}
	return r
}

// record adds one latency observed by worker (any non-negative number).
func (r *recorder) record(worker int, d time.Duration) {
	if d < 1 {
		d = 1
	}
	if d > maxLatency {
		d = maxLatency
	}
	s := &r.shards[worker%recorderShards]
	s.mu.Lock()
	_ = s.h.RecordValue(int64(d))
	s.mu.Unlock()
	r.count.Add(1)
}

// merged returns one histogram with every shard's values.
func (r *recorder) merged() *hdrhistogram.Histogram {
	m := hdrhistogram.New(1, int64(maxLatency), 3)
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		m.Merge(s.h)
		s.mu.Unlock()
	}
	return m
}

// result fills a Result's figures from the recorded latencies, ops and the
// elapsed time.
func (r *recorder) result(scenario, system string, params map[string]any, ops int64, elapsed time.Duration) Result {
	h := r.merged()
	us := func(v int64) float64 { return float64(v) / 1e3 }
	res := Result{
		Scenario: scenario,
		System:   system,
		Params:   params,
		Ops:      ops,
		Seconds:  elapsed.Seconds(),
		P50us:    us(h.ValueAtQuantile(50)),
		P99us:    us(h.ValueAtQuantile(99)),
		P999us:   us(h.ValueAtQuantile(99.9)),
		MaxUs:    us(h.Max()),
	}
	if elapsed > 0 {
		res.OpsPerSec = float64(ops) / elapsed.Seconds()
	}
	return res
}

// closedLoop runs workers goroutines that call op back to back until d has
// passed (or ctx ends), recording each call's latency. It returns the number
// of completed calls and the elapsed time; the first error stops every worker
// and is returned.
func closedLoop(ctx context.Context, d time.Duration, workers int, rec *recorder, op func(ctx context.Context, worker int) error) (int64, time.Duration, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
		ops      atomic.Int64
	)
	start := time.Now()
	deadline := start.Add(d)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				if err := op(ctx, w); err != nil {
					if errors.Is(err, errStopLoop) {
						return
					}
					if ctx.Err() != nil && errors.Is(err, context.Canceled) {
						return
					}
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
				rec.record(w, time.Since(t0))
				ops.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return ops.Load(), elapsed, firstErr
	}
	return ops.Load(), elapsed, ctx.Err()
}
