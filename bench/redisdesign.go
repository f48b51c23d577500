package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/patchbay/patchbay/hashchain"
)

// errNoRedis is the reason the redis-design baseline is skipped when no
// redis-server binary is found.
var errNoRedis = errors.New("no redis-server on PATH (install redis-server or pass its path) so the original Redis design could not be measured")

// redisServer is a redis-server process started for one scenario on a
// random loopback port without persistence. Stop ends it and waits.
type redisServer struct {
	addr string
	cmd  *exec.Cmd
	dir  string
}

// startRedis starts bin (looked up on PATH when "") in a temp dir under
// parent with --save ” --appendonly no on a free loopback port.
func startRedis(ctx context.Context, bin, parent string) (*redisServer, error) {
	if bin == "" {
		p, err := exec.LookPath("redis-server")
		if err != nil {
			return nil, errNoRedis
		}
		bin = p
	}
	dir, err := os.MkdirTemp(parent, "patchbay-bench-redis-")
	if err != nil {
		return nil, fmt.Errorf("making redis dir: %w", err)
	}
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--dir", dir, "--protected-mode", "no", "--loglevel", "warning")
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("starting %s: %w", bin, err)
		}
		rs := &redisServer{addr: addr, cmd: cmd, dir: dir}
		if lastErr = rs.waitReady(ctx); lastErr == nil {
			return rs, nil
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	_ = os.RemoveAll(dir)
	return nil, fmt.Errorf("starting redis-server: %w", lastErr)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (rs *redisServer) waitReady(ctx context.Context) error {
	c := redis.NewClient(&redis.Options{Addr: rs.addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.Ping(ctx).Err()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("redis-server at %s not ready: %w", rs.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop terminates redis-server, waits for it and removes its directory.
func (rs *redisServer) Stop() {
	_ = rs.cmd.Process.Kill()
	_ = rs.cmd.Wait()
	_ = os.RemoveAll(rs.dir)
}

// redisDesign is the original Tikabot storage design on a real redis-server:
// clients PUBLISH envelopes on updates:<parent>; this storage node,
// PSUBSCRIBEd to updates:*, applies each with hashchain.Apply against the
// head it holds, ignores updates against unknown or stale hashes (first
// wins), and stores <hash> -> patch and <root> -> latest with SET (deleting
// the old hash's patch), pipelining the writes of every batch it drains.
// Serve runs the node; wait lets a client block until its update is stored.
type redisDesign struct {
	client *redis.Client
	ps     *redis.PubSub

	mu      sync.Mutex                      // guards heads and waiters
	heads   map[hashchain.Hash]*redisConfig // current head hash -> config
	waiters map[hashchain.Hash]chan struct{}

	wg     sync.WaitGroup
	cancel context.CancelFunc
}

type redisConfig struct {
	root hashchain.Hash
	doc  []byte
}

// startRedisDesign connects to rs and starts the storage node; Close stops it.
func startRedisDesign(ctx context.Context, rs *redisServer) (*redisDesign, error) {
	c := redis.NewClient(&redis.Options{Addr: rs.addr, PoolSize: 256})
	ps := c.PSubscribe(ctx, "updates:*")
	if _, err := ps.Receive(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("subscribing storage node to updates:*: %w", err)
	}
	d := &redisDesign{client: c, ps: ps, heads: map[hashchain.Hash]*redisConfig{}, waiters: map[hashchain.Hash]chan struct{}{}}
	ctx, d.cancel = context.WithCancel(context.Background())
	ch := ps.Channel(redis.WithChannelSize(4096))
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.serve(ctx, ch)
	}()
	return d, nil
}

// Close stops the storage node and waits for it.
func (d *redisDesign) Close() {
	d.cancel()
	_ = d.ps.Close()
	d.wg.Wait()
	_ = d.client.Close()
}

// create registers a root configuration with the storage node (in the
// original design every node derives it from the connection info) and
// stores <root> -> root.
func (d *redisDesign) create(ctx context.Context, root []byte) (hashchain.Hash, error) {
	h, canon, err := hashchain.RootHash(root)
	if err != nil {
		return 0, fmt.Errorf("hashing root: %w", err)
	}
	d.mu.Lock()
	d.heads[h] = &redisConfig{root: h, doc: canon}
	d.mu.Unlock()
	if err := d.client.Set(ctx, h.String(), h.String(), 0).Err(); err != nil {
		return 0, fmt.Errorf("storing root: %w", err)
	}
	return h, nil
}

// submit publishes patch against parent and waits until the storage node has
// stored it; it returns the new head.
func (d *redisDesign) submit(ctx context.Context, c *redis.Client, parent hashchain.Hash, patch []byte) (hashchain.Hash, error) {
	env := hashchain.Envelope{Parent: parent, Patch: patch}
	body, err := env.Canonical()
	if err != nil {
		return 0, fmt.Errorf("encoding envelope: %w", err)
	}
	h := hashchain.Sum(body)
	done := make(chan struct{})
	d.mu.Lock()
	d.waiters[h] = done
	d.mu.Unlock()
	if err := c.Publish(ctx, "updates:"+parent.String(), body).Err(); err != nil {
		d.forget(h)
		return 0, fmt.Errorf("publishing update: %w", err)
	}
	t := time.NewTimer(10 * time.Second)
	defer t.Stop()
	select {
	case <-done:
		return h, nil
	case <-ctx.Done():
		d.forget(h)
		return 0, ctx.Err()
	case <-t.C:
		d.forget(h)
		return 0, fmt.Errorf("redis-design: update %s against %s not stored within 10s", h, parent)
	}
}

func (d *redisDesign) forget(h hashchain.Hash) {
	d.mu.Lock()
	delete(d.waiters, h)
	d.mu.Unlock()
}

// head returns the latest hash of root the way a catching-up node would:
// GET <root> for the latest hash, then GET <latest> for its patch.
func (d *redisDesign) head(ctx context.Context, c *redis.Client, root hashchain.Hash) (hashchain.Hash, error) {
	latest, err := c.Get(ctx, root.String()).Result()
	if err != nil {
		return 0, fmt.Errorf("GET root: %w", err)
	}
	h, err := hashchain.ParseHash(latest)
	if err != nil {
		return 0, err
	}
	if h != root {
		if err := c.Get(ctx, latest).Err(); err != nil {
			return 0, fmt.Errorf("GET patch: %w", err)
		}
	}
	return h, nil
}

type applied struct {
	parent, hash, root hashchain.Hash
	patch              []byte
}

func (d *redisDesign) serve(ctx context.Context, ch <-chan *redis.Message) {
	batch := make([]*redis.Message, 0, 256)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			batch = append(batch, m)
		}
	drain:
		for len(batch) < cap(batch) {
			select {
			case m, ok := <-ch:
				if !ok {
					break drain
				}
				batch = append(batch, m)
			default:
				break drain
			}
		}
		var done []applied
		for _, m := range batch {
			if a, ok := d.apply(m); ok {
				done = append(done, a)
			}
		}
		if len(done) == 0 {
			continue
		}
		pipe := d.client.Pipeline()
		for _, a := range done {
			pipe.Set(ctx, a.hash.String(), a.patch, 0)
			pipe.Set(ctx, a.root.String(), a.hash.String(), 0)
			if a.parent != a.root { // the root's key holds root -> latest
				pipe.Del(ctx, a.parent.String())
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			// Waiters time out; the measurement then fails loudly.
			continue
		}
		d.mu.Lock()
		for _, a := range done {
			if w, ok := d.waiters[a.hash]; ok {
				close(w)
				delete(d.waiters, a.hash)
			}
		}
		d.mu.Unlock()
	}
}

// apply handles one update message; it reports false for updates against
// unknown or stale hashes and for invalid patches, which change nothing.
func (d *redisDesign) apply(m *redis.Message) (applied, bool) {
	parent, err := hashchain.ParseHash(strings.TrimPrefix(m.Channel, "updates:"))
	if err != nil {
		return applied{}, false
	}
	env, err := hashchain.DecodeSubmission([]byte(m.Payload), parent)
	if err != nil {
		return applied{}, false
	}
	d.mu.Lock()
	cfg, ok := d.heads[parent]
	d.mu.Unlock()
	if !ok {
		return applied{}, false
	}
	doc, err := hashchain.Apply(cfg.doc, env.Patch, hashchain.Limits{})
	if err != nil {
		return applied{}, false
	}
	h, err := env.Hash()
	if err != nil {
		return applied{}, false
	}
	d.mu.Lock()
	delete(d.heads, parent)
	cfg.doc = doc
	d.heads[h] = cfg
	d.mu.Unlock()
	return applied{parent: parent, hash: h, root: cfg.root, patch: env.Patch}, true
}

// usedMemory returns redis-server's used_memory in bytes.
func usedMemory(ctx context.Context, c *redis.Client) (int64, error) {
	info, err := c.Info(ctx, "memory").Result()
	if err != nil {
		return 0, fmt.Errorf("INFO memory: %w", err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			return strconv.ParseInt(v, 10, 64)
		}
	}
	return 0, errors.New("INFO memory has no used_memory")
}
