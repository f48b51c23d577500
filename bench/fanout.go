package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/patchbay/patchbay/hashchain"
)

const (
	// fanoutWindow is how many updates may be in flight (submitted but not
	// yet received by every subscriber) in the fanout scenario: one, so the
	// latency is submit to receipt without queueing the harness causes.
	fanoutWindow = 1
	// fanoutPatchSize is the size of the fanout scenario's patches.
	fanoutPatchSize = 128
	// subsPerConn is how many NATS subscribers share one connection.
	subsPerConn = 50
)

// fanout tracks one fan-out measurement: when each update was submitted
// (by key: the parent hash in its subject or channel) and each delivery.
type fanout struct {
	subs      int
	rec       *recorder
	mu        sync.Mutex // guards sent
	sent      map[string]time.Time
	delivered atomic.Int64
}

func newFanout(subs int, rec *recorder) *fanout {
	return &fanout{subs: subs, rec: rec, sent: map[string]time.Time{}}
}

// receive records one delivery of the update with key to subscriber sub.
func (f *fanout) receive(sub int, key string) {
	now := time.Now()
	f.mu.Lock()
	t0, ok := f.sent[key]
	f.mu.Unlock()
	if !ok {
		return
	}
	f.rec.record(sub, now.Sub(t0))
	f.delivered.Add(1)
}

// run submits updates one at a time for d, keeping at most fanoutWindow
// updates in flight, then waits for every delivery. submit is called with
// the update number and must call mark(key) right before it sends.
func (f *fanout) run(ctx context.Context, d time.Duration, submit func(ctx context.Context, seq int, mark func(key string)) error) (int64, time.Duration, error) {
	mark := func(key string) {
		f.mu.Lock()
		f.sent[key] = time.Now()
		f.mu.Unlock()
	}
	start := time.Now()
	deadline := start.Add(d)
	seq := 0
	wait := func(want int64) error {
		limit := time.Now().Add(20 * time.Second)
		for f.delivered.Load() < want {
			if err := ctx.Err(); err != nil {
				return err
			}
			if time.Now().After(limit) {
				return fmt.Errorf("fanout: %d of %d deliveries after 20s", f.delivered.Load(), want)
			}
			time.Sleep(20 * time.Microsecond)
		}
		return nil
	}
	for time.Now().Before(deadline) {
		if err := wait(int64(seq-fanoutWindow+1) * int64(f.subs)); err != nil {
			return f.delivered.Load(), time.Since(start), err
		}
		if err := submit(ctx, seq, mark); err != nil {
			return f.delivered.Load(), time.Since(start), err
		}
		seq++
	}
	if err := wait(int64(seq) * int64(f.subs)); err != nil {
		return f.delivered.Load(), time.Since(start), err
	}
	return f.delivered.Load(), time.Since(start), nil
}

func runFanout(ctx context.Context, r *runner) error {
	e, err := r.startEnv(ctx, ScenarioFanout)
	if err != nil {
		return err
	}
	defer e.close()
	gw, gwErr := e.startGateway(ctx)
	if gw != nil {
		defer gw.stop()
	}
	for _, n := range r.cfg.Subscribers {
		params := map[string]any{"subscribers": n, "transport": "nats"}
		err := r.measure(ctx, ScenarioFanout, SystemPatchbay, params, func(rec *recorder) (int64, time.Duration, error) {
			f := newFanout(n, rec)
			stop, err := e.natsSubscribers(n, "updates.*", f)
			if err != nil {
				return 0, 0, err
			}
			defer stop()
			heads, err := e.createRoots(ctx, fmt.Sprintf("fanout-nats-%d", n), 1)
			if err != nil {
				return 0, 0, err
			}
			return f.run(ctx, r.cfg.Duration, func(ctx context.Context, seq int, mark func(string)) error {
				mark(heads[0].String())
				rep, err := e.client(0).Submit(ctx, heads[0], makePatch(fanoutPatchSize, seq))
				if err != nil {
					return fmt.Errorf("submitting: %w", err)
				}
				heads[0] = rep.Hash
				return nil
			})
		})
		if err != nil {
			return err
		}
		params = map[string]any{"subscribers": n, "transport": "redis"}
		if gwErr != nil {
			r.skip(ScenarioFanout, SystemPatchbay, params, "error: "+gwErr.Error())
		} else {
			err = r.measure(ctx, ScenarioFanout, SystemPatchbay, params, func(rec *recorder) (int64, time.Duration, error) {
				f := newFanout(n, rec)
				stop, err := redisSubscribers(ctx, gw.addr, n, f)
				if err != nil {
					return 0, 0, err
				}
				defer stop()
				heads, err := e.createRoots(ctx, fmt.Sprintf("fanout-redis-%d", n), 1)
				if err != nil {
					return 0, 0, err
				}
				c := redis.NewClient(&redis.Options{Addr: gw.addr})
				defer c.Close()
				return f.run(ctx, r.cfg.Duration, func(ctx context.Context, seq int, mark func(string)) error {
					patch := makePatch(fanoutPatchSize, seq)
					env, err := hashchain.DecodeSubmission(patch, heads[0])
					if err != nil {
						return err
					}
					next, err := env.Hash()
					if err != nil {
						return err
					}
					mark(heads[0].String())
					if err := c.Publish(ctx, "updates:"+heads[0].String(), patch).Err(); err != nil {
						return fmt.Errorf("PUBLISH to gateway: %w", err)
					}
					heads[0] = next
					return nil
				})
			})
			if err != nil {
				return err
			}
		}
		if r.cfg.NoBaselines {
			continue
		}
		params = map[string]any{"subscribers": n}
		err = r.measure(ctx, ScenarioFanout, SystemJetStream, params, func(rec *recorder) (int64, time.Duration, error) {
			f := newFanout(n, rec)
			subj := fmt.Sprintf("bench.fanout.%d", n)
			if _, err := e.js[0].CreateStream(ctx, jetstream.StreamConfig{Name: fmt.Sprintf("BENCH_FANOUT_%d", n), Subjects: []string{subj + ".*"}, Storage: jetstream.FileStorage}); err != nil {
				return 0, 0, fmt.Errorf("creating stream: %w", err)
			}
			stop, err := e.natsSubscribers(n, subj+".*", f)
			if err != nil {
				return 0, 0, err
			}
			defer stop()
			return f.run(ctx, r.cfg.Duration, func(ctx context.Context, seq int, mark func(string)) error {
				key := fmt.Sprintf("%016x", seq)
				mark(key)
				if _, err := e.js[0].Publish(ctx, subj+"."+key, makePatch(fanoutPatchSize, seq)); err != nil {
					return fmt.Errorf("publishing: %w", err)
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
		rs, err := e.redisServer(ctx)
		if err != nil {
			r.skip(ScenarioFanout, SystemRedisDesign, params, err.Error())
			continue
		}
		err = r.measure(ctx, ScenarioFanout, SystemRedisDesign, params, func(rec *recorder) (int64, time.Duration, error) {
			f := newFanout(n, rec)
			stop, err := redisSubscribers(ctx, rs.addr, n, f)
			if err != nil {
				return 0, 0, err
			}
			defer stop()
			c := redis.NewClient(&redis.Options{Addr: rs.addr})
			defer c.Close()
			base := hashchain.Sum(fmt.Appendf(nil, "fanout-%d", n))
			return f.run(ctx, r.cfg.Duration, func(ctx context.Context, seq int, mark func(string)) error {
				parent := base + hashchain.Hash(seq)
				body, err := hashchain.Envelope{Parent: parent, Patch: makePatch(fanoutPatchSize, seq)}.Canonical()
				if err != nil {
					return err
				}
				mark(parent.String())
				if err := c.Publish(ctx, "updates:"+parent.String(), body).Err(); err != nil {
					return fmt.Errorf("PUBLISH: %w", err)
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

// natsSubscribers subscribes n subscribers to subject, subsPerConn to a
// connection, each reporting deliveries to f keyed by the subject's last
// token. stop unsubscribes and closes the connections.
func (e *env) natsSubscribers(n int, subject string, f *fanout) (stop func(), err error) {
	var conns []*nats.Conn
	stop = func() {
		for _, nc := range conns {
			nc.Close()
		}
	}
	for i := range n {
		if i%subsPerConn == 0 {
			nc, err := e.node.Connect()
			if err != nil {
				stop()
				return nil, fmt.Errorf("connecting subscriber: %w", err)
			}
			conns = append(conns, nc)
		}
		nc := conns[len(conns)-1]
		_, err := nc.Subscribe(subject, func(m *nats.Msg) {
			f.receive(i, m.Subject[strings.LastIndexByte(m.Subject, '.')+1:])
		})
		if err != nil {
			stop()
			return nil, fmt.Errorf("subscribing: %w", err)
		}
	}
	for _, nc := range conns {
		if err := nc.Flush(); err != nil {
			stop()
			return nil, fmt.Errorf("flushing subscriptions: %w", err)
		}
	}
	return stop, nil
}

// redisSubscribers starts n go-redis subscribers on addr, each with
// PSUBSCRIBE updates:* on its own connection, reporting deliveries to f
// keyed by the channel's hash. stop closes them and waits for their
// goroutines.
func redisSubscribers(ctx context.Context, addr string, n int, f *fanout) (stop func(), err error) {
	c := redis.NewClient(&redis.Options{Addr: addr})
	var (
		wg  sync.WaitGroup
		pss []*redis.PubSub
	)
	stop = func() {
		for _, ps := range pss {
			_ = ps.Close()
		}
		wg.Wait()
		_ = c.Close()
	}
	for i := range n {
		ps := c.PSubscribe(ctx, "updates:*")
		pss = append(pss, ps)
		if _, err := ps.Receive(ctx); err != nil {
			stop()
			return nil, fmt.Errorf("PSUBSCRIBE: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				m, err := ps.ReceiveMessage(context.Background())
				if err != nil {
					return // closed by stop
				}
				f.receive(i, strings.TrimPrefix(m.Channel, "updates:"))
			}
		}()
	}
	return stop, nil
}
