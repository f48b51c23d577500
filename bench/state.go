package bench

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/hashchain"
)

const (
	// historyPatchSize is the patch size of the catchup and restart scenarios.
	historyPatchSize = 256
	// restarts is how many times the restart scenario restarts each store.
	restarts = 3
)

func runCatchup(ctx context.Context, r *runner) error {
	e, err := r.startEnv(ctx, ScenarioCatchup)
	if err != nil {
		return err
	}
	defer e.close()
	hist := slices.Sorted(slices.Values(r.cfg.History))
	heads, err := e.createRoots(ctx, "catchup", 1)
	if err != nil {
		return err
	}
	root, head, built := heads[0], heads[0], 0
	for _, h := range hist {
		params := map[string]any{"history": h}
		r.progress.begin(fmt.Sprintf("catchup patchbay: building history %d", h), nil)
		for ; built < h; built++ {
			rep, err := e.client(0).Submit(ctx, head, makePatch(historyPatchSize, built))
			if err != nil {
				return fmt.Errorf("building history: %w", err)
			}
			head = rep.Hash
		}
		err := r.measure(ctx, ScenarioCatchup, SystemPatchbay, params, func(rec *recorder) (int64, time.Duration, error) {
			return closedLoop(ctx, r.cfg.Duration, 1, rec, func(ctx context.Context, w int) error {
				u, err := e.client(0).CatchUp(ctx, root)
				if err != nil {
					return fmt.Errorf("catching up: %w", err)
				}
				if u.Hash != head {
					return fmt.Errorf("catch-up gave head %s, want %s", u.Hash, head)
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
	}
	if r.cfg.NoBaselines {
		return nil
	}
	// NATS KV: one key with h revisions written; Get reads the latest.
	kvs, _, err := e.kvKeys(ctx, "bench_catchup", 1, makePatch(historyPatchSize, 0))
	if err != nil {
		return err
	}
	built = 1
	for _, h := range hist {
		params := map[string]any{"history": h}
		for ; built < h; built++ {
			if _, err := e.js[0].PublishAsync("$KV.bench_catchup."+kvKey(0), makePatch(historyPatchSize, built)); err != nil {
				return fmt.Errorf("building KV history: %w", err)
			}
		}
		select {
		case <-e.js[0].PublishAsyncComplete():
		case <-ctx.Done():
			return ctx.Err()
		}
		err := r.measure(ctx, ScenarioCatchup, SystemNATSKV, params, func(rec *recorder) (int64, time.Duration, error) {
			return closedLoop(ctx, r.cfg.Duration, 1, rec, func(ctx context.Context, w int) error {
				if _, err := kvs[0].Get(ctx, kvKey(0)); err != nil {
					return fmt.Errorf("KV get: %w", err)
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
	}
	// The original design: GET root -> latest, GET latest -> patch.
	rs, err := e.redisServer(ctx)
	if err != nil {
		for _, h := range hist {
			r.skip(ScenarioCatchup, SystemRedisDesign, map[string]any{"history": h}, err.Error())
		}
		return nil
	}
	d, err := startRedisDesign(ctx, rs)
	if err != nil {
		return err
	}
	defer d.Close()
	c := redis.NewClient(&redis.Options{Addr: rs.addr})
	defer c.Close()
	rroot, err := d.create(ctx, rootConfig("catchup", 0))
	if err != nil {
		return err
	}
	rhead := rroot
	built = 0
	for _, h := range hist {
		params := map[string]any{"history": h}
		for ; built < h; built++ {
			if rhead, err = d.submit(ctx, c, rhead, makePatch(historyPatchSize, built)); err != nil {
				return fmt.Errorf("building redis history: %w", err)
			}
		}
		err := r.measure(ctx, ScenarioCatchup, SystemRedisDesign, params, func(rec *recorder) (int64, time.Duration, error) {
			return closedLoop(ctx, r.cfg.Duration, 1, rec, func(ctx context.Context, w int) error {
				got, err := d.head(ctx, c, rroot)
				if err != nil {
					return err
				}
				if got != rhead {
					return fmt.Errorf("redis head %s, want %s", got, rhead)
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func runRestart(ctx context.Context, r *runner) error {
	e, err := r.startEnv(ctx, ScenarioRestart)
	if err != nil {
		return err
	}
	defer e.close()
	sizes := slices.Sorted(slices.Values(r.cfg.StoreSizes))
	const configs = 100
	heads, err := e.createRoots(ctx, "restart", configs)
	if err != nil {
		return err
	}
	roots := slices.Clone(heads)
	built := 0
	for _, size := range sizes {
		params := map[string]any{"updates": size, "configs": configs}
		r.progress.begin(fmt.Sprintf("restart patchbay: building a store of %d updates", size), nil)
		if size > built {
			k := 16
			per := (size - built + configs - 1) / configs
			// Every config gets per more updates, which may overshoot size by
			// less than configs; built records the real count.
			if err := buildConfigs(ctx, e, heads, per, k); err != nil {
				return err
			}
			built += per * configs
			params["updates"] = built
		}
		err := r.measure(ctx, ScenarioRestart, SystemPatchbay, params, func(rec *recorder) (int64, time.Duration, error) {
			var total time.Duration
			for i := range restarts {
				if err := e.shutdown(); err != nil {
					return 0, 0, fmt.Errorf("stopping store: %w", err)
				}
				t0 := time.Now()
				if err := e.open(ctx); err != nil {
					return 0, 0, err
				}
				g, err := e.client(0).Get(ctx, heads[i%configs])
				if err != nil {
					return 0, 0, fmt.Errorf("reading head after restart: %w", err)
				}
				if g.Root != roots[i%configs] {
					return 0, 0, fmt.Errorf("after restart head %s has root %s, want %s", heads[i%configs], g.Root, roots[i%configs])
				}
				d := time.Since(t0)
				rec.record(0, d)
				total += d
			}
			return restarts, total, nil
		})
		if err != nil {
			return err
		}
		if r.cfg.NoBaselines {
			continue
		}
		err = r.measure(ctx, ScenarioRestart, SystemJetStream, params, func(rec *recorder) (int64, time.Duration, error) {
			return jsRestart(ctx, e, toInt(params["updates"]), rec)
		})
		if err != nil {
			return err
		}
		r.skip(ScenarioRestart, SystemRedisDesign, params,
			"the original design keeps no durable state (redis-server runs with --save '' --appendonly no)")
	}
	return nil
}

// buildConfigs gives every config per more updates, k submitters at once.
func buildConfigs(ctx context.Context, e *env, heads []hashchain.Hash, per, k int) error {
	n := len(heads)
	k = min(k, n)
	done := make([]int, k)
	_, _, err := closedLoop(ctx, time.Hour, k, newRecorder(), ownedLoop(n, k, func(ctx context.Context, w, i, seq int) error {
		if owned := (n - w + k - 1) / k; done[w] >= per*owned {
			return errStopLoop
		}
		rep, err := e.client(w).Submit(ctx, heads[i], makePatch(historyPatchSize, seq))
		if err != nil {
			return fmt.Errorf("building store: %w", err)
		}
		heads[i] = rep.Hash
		done[w]++
		return nil
	}))
	return err
}

// jsRestart measures the baseline for restart: a node (no store) over a
// JetStream directory with a raw stream of the same number of messages;
// ready means the stream answers an info request.
func jsRestart(ctx context.Context, e *env, updates int, rec *recorder) (int64, time.Duration, error) {
	dir := filepath.Join(e.dir, fmt.Sprintf("raw-%d", updates))
	start := func() (*eventstore.Node, jetstream.JetStream, error) {
		node, err := eventstore.StartNode(ctx, eventstore.NodeOptions{DataDir: dir, Logger: e.r.cfg.Logger})
		if err != nil {
			return nil, nil, fmt.Errorf("starting node: %w", err)
		}
		js, err := jetstream.New(node.Conn())
		if err != nil {
			node.Close()
			return nil, nil, err
		}
		return node, js, nil
	}
	node, js, err := start()
	if err != nil {
		return 0, 0, err
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "BENCH_RESTART", Subjects: []string{"bench.restart.>"}, Storage: jetstream.FileStorage}); err != nil {
		node.Close()
		return 0, 0, fmt.Errorf("creating stream: %w", err)
	}
	for i := range updates {
		if _, err := js.PublishAsync(fmt.Sprintf("bench.restart.%d", i%100), makePatch(historyPatchSize, i)); err != nil {
			node.Close()
			return 0, 0, err
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-ctx.Done():
		node.Close()
		return 0, 0, ctx.Err()
	}
	var total time.Duration
	for range restarts {
		if err := node.Close(); err != nil {
			return 0, 0, err
		}
		t0 := time.Now()
		node, js, err = start()
		if err != nil {
			return 0, 0, err
		}
		info, err := js.Stream(ctx, "BENCH_RESTART")
		if err != nil {
			node.Close()
			return 0, 0, fmt.Errorf("stream info after restart: %w", err)
		}
		if got := info.CachedInfo().State.Msgs; got != uint64(updates) {
			node.Close()
			return 0, 0, fmt.Errorf("stream has %d messages after restart, want %d", got, updates)
		}
		d := time.Since(t0)
		rec.record(0, d)
		total += d
	}
	return restarts, total, node.Close()
}

func runMemory(ctx context.Context, r *runner) error {
	e, err := r.startEnv(ctx, ScenarioMemory)
	if err != nil {
		return err
	}
	defer e.close()
	n := r.cfg.MemoryConfigs
	params := map[string]any{"configs": n}
	patch := makePatch(historyPatchSize, 1)
	err = r.measure(ctx, ScenarioMemory, SystemPatchbay, params, func(rec *recorder) (int64, time.Duration, error) {
		before := heapAlloc()
		start := time.Now()
		for i := range n {
			t0 := time.Now()
			c := e.client(i)
			cr, err := c.Create(ctx, rootConfig("memory", i))
			if err != nil {
				return 0, 0, fmt.Errorf("creating config: %w", err)
			}
			if _, err := c.Submit(ctx, cr.Root, patch); err != nil {
				return 0, 0, fmt.Errorf("updating config: %w", err)
			}
			rec.record(0, time.Since(t0))
		}
		el := time.Since(start)
		r.memResult = float64(heapAlloc()-before) / float64(n)
		return int64(n), el, nil
	})
	if err != nil {
		return err
	}
	if r.cfg.NoBaselines {
		return nil
	}
	err = r.measure(ctx, ScenarioMemory, SystemNATSKV, params, func(rec *recorder) (int64, time.Duration, error) {
		before := heapAlloc()
		start := time.Now()
		kvs, _, err := e.kvKeys(ctx, "bench_memory", n, patch)
		if err != nil {
			return 0, 0, err
		}
		for i := range n {
			t0 := time.Now()
			if _, err := kvs[i%len(kvs)].Put(ctx, kvKey(i), patch); err != nil {
				return 0, 0, err
			}
			rec.record(0, time.Since(t0))
		}
		el := time.Since(start)
		r.memResult = float64(heapAlloc()-before) / float64(n)
		return int64(n), el, nil
	})
	if err != nil {
		return err
	}
	rs, err := e.redisServer(ctx)
	if err != nil {
		r.skip(ScenarioMemory, SystemRedisDesign, params, err.Error())
		return nil
	}
	return r.measure(ctx, ScenarioMemory, SystemRedisDesign, params, func(rec *recorder) (int64, time.Duration, error) {
		d, err := startRedisDesign(ctx, rs)
		if err != nil {
			return 0, 0, err
		}
		defer d.Close()
		c := redis.NewClient(&redis.Options{Addr: rs.addr})
		defer c.Close()
		before, err := usedMemory(ctx, c)
		if err != nil {
			return 0, 0, err
		}
		start := time.Now()
		for i := range n {
			t0 := time.Now()
			root, err := d.create(ctx, rootConfig("memory", i))
			if err != nil {
				return 0, 0, err
			}
			if _, err := d.submit(ctx, c, root, patch); err != nil {
				return 0, 0, err
			}
			rec.record(0, time.Since(t0))
		}
		el := time.Since(start)
		after, err := usedMemory(ctx, c)
		if err != nil {
			return 0, 0, err
		}
		r.memResult = float64(after-before) / float64(n)
		return int64(n), el, nil
	})
}

// heapAlloc returns the live heap after two garbage collections.
func heapAlloc() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
