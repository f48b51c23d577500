package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/patchbay/patchbay/hashchain"
)

// measureFunc does one measurement, recording latencies into rec, and
// returns the operations done and the time they took.
type measureFunc func(rec *recorder) (int64, time.Duration, error)

// measure runs fn with a progress label and adds its result. A failure does
// not stop the run: it is reported as a skipped result with the error (the
// tests fail on any skipped patchbay result), unless ctx ended.
func (r *runner) measure(ctx context.Context, scenario, system string, params map[string]any, fn measureFunc) error {
	rec := newRecorder()
	r.progress.begin(fmt.Sprintf("%s %s %s", scenario, system, paramString(params, " ")), rec)
	ops, el, err := fn(rec)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		r.memResult = 0
		r.skip(scenario, system, params, "error: "+err.Error())
		return nil
	}
	res := rec.result(scenario, system, params, ops, el)
	res.BytesPerConfig, r.memResult = r.memResult, 0
	r.add(res)
	return nil
}

// twoPatches returns two different patches of about size bytes; updates
// alternate between them so every document differs from its parent's.
func twoPatches(size int) [2][]byte {
	return [2][]byte{makePatch(size, 1), makePatch(size, 2)}
}

func runParallel(ctx context.Context, r *runner) error {
	e, err := r.startEnv(ctx, ScenarioParallel)
	if err != nil {
		return err
	}
	defer e.close()
	n, k := r.cfg.Configs, min(r.cfg.Concurrency, r.cfg.Configs)
	for _, size := range r.cfg.Sizes {
		params := map[string]any{"size": size, "configs": n, "concurrency": k}
		patches := twoPatches(size)
		err := r.measure(ctx, ScenarioParallel, SystemPatchbay, params, func(rec *recorder) (int64, time.Duration, error) {
			heads, err := e.createRoots(ctx, fmt.Sprintf("parallel-%d", size), n)
			if err != nil {
				return 0, 0, err
			}
			return closedLoop(ctx, r.cfg.Duration, k, rec, ownedLoop(n, k, func(ctx context.Context, w, i, seq int) error {
				rep, err := e.client(w).Submit(ctx, heads[i], patches[seq%2])
				if err != nil {
					return fmt.Errorf("submitting to config %d: %w", i, err)
				}
				heads[i] = rep.Hash
				return nil
			}))
		})
		if err != nil {
			return err
		}
		if r.cfg.NoBaselines {
			continue
		}
		err = r.measure(ctx, ScenarioParallel, SystemJetStream, params, func(rec *recorder) (int64, time.Duration, error) {
			subj := fmt.Sprintf("bench.parallel.%d", size)
			if _, err := e.js[0].CreateStream(ctx, jetstream.StreamConfig{Name: fmt.Sprintf("BENCH_PARALLEL_%d", size), Subjects: []string{subj + ".>"}, Storage: jetstream.FileStorage}); err != nil {
				return 0, 0, fmt.Errorf("creating stream: %w", err)
			}
			return jsAsync(ctx, r.cfg.Duration, e.js, func(seq int) string { return fmt.Sprintf("%s.%d", subj, seq%n) }, func(seq int) []byte { return patches[seq%2] }, rec)
		})
		if err != nil {
			return err
		}
		err = r.measure(ctx, ScenarioParallel, SystemNATSKV, params, func(rec *recorder) (int64, time.Duration, error) {
			kvs, revs, err := e.kvKeys(ctx, fmt.Sprintf("bench_parallel_%d", size), n, patches[0])
			if err != nil {
				return 0, 0, err
			}
			return closedLoop(ctx, r.cfg.Duration, k, rec, ownedLoop(n, k, func(ctx context.Context, w, i, seq int) error {
				rev, err := kvs[w%len(kvs)].Update(ctx, kvKey(i), patches[seq%2], revs[i])
				if err != nil {
					return fmt.Errorf("KV update of key %d: %w", i, err)
				}
				revs[i] = rev
				return nil
			}))
		})
		if err != nil {
			return err
		}
		if err := r.redisLoop(ctx, e, ScenarioParallel, params, n, k, patches); err != nil {
			return err
		}
	}
	return nil
}

func runSerial(ctx context.Context, r *runner) error {
	e, err := r.startEnv(ctx, ScenarioSerial)
	if err != nil {
		return err
	}
	defer e.close()
	for _, size := range r.cfg.Sizes {
		params := map[string]any{"size": size}
		patches := twoPatches(size)
		err := r.measure(ctx, ScenarioSerial, SystemPatchbay, params, func(rec *recorder) (int64, time.Duration, error) {
			heads, err := e.createRoots(ctx, fmt.Sprintf("serial-%d", size), 1)
			if err != nil {
				return 0, 0, err
			}
			return closedLoop(ctx, r.cfg.Duration, 1, rec, ownedLoop(1, 1, func(ctx context.Context, w, i, seq int) error {
				rep, err := e.client(0).Submit(ctx, heads[0], patches[seq%2])
				if err != nil {
					return fmt.Errorf("submitting: %w", err)
				}
				heads[0] = rep.Hash
				return nil
			}))
		})
		if err != nil {
			return err
		}
		if r.cfg.NoBaselines {
			continue
		}
		err = r.measure(ctx, ScenarioSerial, SystemJetStream, params, func(rec *recorder) (int64, time.Duration, error) {
			subj := fmt.Sprintf("bench.serial.%d", size)
			if _, err := e.js[0].CreateStream(ctx, jetstream.StreamConfig{Name: fmt.Sprintf("BENCH_SERIAL_%d", size), Subjects: []string{subj}, Storage: jetstream.FileStorage}); err != nil {
				return 0, 0, fmt.Errorf("creating stream: %w", err)
			}
			return closedLoop(ctx, r.cfg.Duration, 1, rec, ownedLoop(1, 1, func(ctx context.Context, w, i, seq int) error {
				if _, err := e.js[0].Publish(ctx, subj, patches[seq%2]); err != nil {
					return fmt.Errorf("publishing: %w", err)
				}
				return nil
			}))
		})
		if err != nil {
			return err
		}
		err = r.measure(ctx, ScenarioSerial, SystemNATSKV, params, func(rec *recorder) (int64, time.Duration, error) {
			kvs, revs, err := e.kvKeys(ctx, fmt.Sprintf("bench_serial_%d", size), 1, patches[0])
			if err != nil {
				return 0, 0, err
			}
			return closedLoop(ctx, r.cfg.Duration, 1, rec, ownedLoop(1, 1, func(ctx context.Context, w, i, seq int) error {
				rev, err := kvs[0].Update(ctx, kvKey(0), patches[seq%2], revs[0])
				if err != nil {
					return fmt.Errorf("KV update: %w", err)
				}
				revs[0] = rev
				return nil
			}))
		})
		if err != nil {
			return err
		}
		if err := r.redisLoop(ctx, e, ScenarioSerial, params, 1, 1, patches); err != nil {
			return err
		}
	}
	return nil
}

// redisLoop measures the redis-design baseline: n configs, k submitters,
// each waiting until the storage node has stored its update.
func (r *runner) redisLoop(ctx context.Context, e *env, scenario string, params map[string]any, n, k int, patches [2][]byte) error {
	rs, err := e.redisServer(ctx)
	if err != nil {
		r.skip(scenario, SystemRedisDesign, params, err.Error())
		return nil
	}
	return r.measure(ctx, scenario, SystemRedisDesign, params, func(rec *recorder) (int64, time.Duration, error) {
		d, err := startRedisDesign(ctx, rs)
		if err != nil {
			return 0, 0, err
		}
		defer d.Close()
		c := redis.NewClient(&redis.Options{Addr: rs.addr, PoolSize: k + 4})
		defer c.Close()
		heads := make([]hashchain.Hash, n)
		for i := range n {
			if heads[i], err = d.create(ctx, rootConfig(scenario, i)); err != nil {
				return 0, 0, err
			}
		}
		return closedLoop(ctx, r.cfg.Duration, k, rec, ownedLoop(n, k, func(ctx context.Context, w, i, seq int) error {
			h, err := d.submit(ctx, c, heads[i], patches[seq%2])
			if err != nil {
				return err
			}
			heads[i] = h
			return nil
		}))
	})
}

// ownedLoop turns a per-config operation into a closedLoop op: worker w of k
// owns configs w, w+k, w+2k ... of n and updates them round robin, so no two
// workers race on one config; seq counts the worker's operations.
func ownedLoop(n, k int, op func(ctx context.Context, w, i, seq int) error) func(ctx context.Context, w int) error {
	next := make([]int, k)
	return func(ctx context.Context, w int) error {
		owned := (n - w + k - 1) / k
		j := next[w] % owned
		next[w]++
		return op(ctx, w, w+j*k, next[w])
	}
}

func kvKey(i int) string { return fmt.Sprintf("c%d", i) }

// kvKeys creates a KV bucket with n keys holding value and returns a handle
// per client connection and each key's revision.
func (e *env) kvKeys(ctx context.Context, bucket string, n int, value []byte) ([]jetstream.KeyValue, []uint64, error) {
	if _, err := e.js[0].CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, Storage: jetstream.FileStorage, History: 1}); err != nil {
		return nil, nil, fmt.Errorf("creating KV bucket: %w", err)
	}
	kvs := make([]jetstream.KeyValue, len(e.js))
	for i, js := range e.js {
		kv, err := js.KeyValue(ctx, bucket)
		if err != nil {
			return nil, nil, fmt.Errorf("binding KV bucket: %w", err)
		}
		kvs[i] = kv
	}
	revs := make([]uint64, n)
	for i := range n {
		rev, err := kvs[i%len(kvs)].Create(ctx, kvKey(i), value)
		if err != nil {
			return nil, nil, fmt.Errorf("creating KV key: %w", err)
		}
		revs[i] = rev
	}
	return kvs, revs, nil
}

// jsAsync publishes with JetStream async publish from one publisher per
// context until d has passed, recording publish-to-ack latency, and waits for
// the outstanding acks.
func jsAsync(ctx context.Context, d time.Duration, jss []jetstream.JetStream, subject func(seq int) string, msg func(seq int) []byte, rec *recorder) (int64, time.Duration, error) {
	type pending struct {
		t0 time.Time
		f  jetstream.PubAckFuture
	}
	var (
		wg      sync.WaitGroup
		ops     atomic.Int64
		errOnce sync.Once
		first   error
	)
	fail := func(err error) { errOnce.Do(func() { first = err }) }
	start := time.Now()
	deadline := start.Add(d)
	for w, js := range jss {
		futures := make(chan pending, 1024)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for p := range futures {
				select {
				case <-p.f.Ok():
					rec.record(w, time.Since(p.t0))
					ops.Add(1)
				case err := <-p.f.Err():
					fail(fmt.Errorf("async publish: %w", err))
				}
			}
		}()
		go func() {
			defer wg.Done()
			defer close(futures)
			for seq := w; ctx.Err() == nil && time.Now().Before(deadline); seq += len(jss) {
				t0 := time.Now()
				f, err := js.PublishAsync(subject(seq), msg(seq), jetstream.WithStallWait(10*time.Second))
				if err != nil {
					fail(fmt.Errorf("async publish: %w", err))
					return
				}
				futures <- pending{t0, f}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if first != nil {
		return ops.Load(), elapsed, first
	}
	if err := ctx.Err(); err != nil {
		return 0, elapsed, err
	}
	if ops.Load() == 0 {
		return 0, elapsed, errors.New("no publish acknowledged")
	}
	return ops.Load(), elapsed, nil
}
