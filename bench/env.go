package bench

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/hashchain"
)

// clientConns is how many NATS connections the submitters spread over.
const clientConns = 4

// env is one scenario's world: an embedded Patchbay node (nats-server with
// JetStream file storage in a fresh temp dir) with a store open on it, client
// connections to the same server for patchbay and the NATS baselines, and,
// started on first use, a redis-server for the redis-design baseline. close
// stops everything it started and removes the directory.
type env struct {
	r       *runner
	dir     string
	cleanup func()
	node    *eventstore.Node
	store   *eventstore.Store
	conns   []*nats.Conn
	clients []*eventstore.Client
	js      []jetstream.JetStream

	redis    *redisServer
	redisErr error
}

// startEnv starts a node and a store in a fresh directory.
func (r *runner) startEnv(ctx context.Context, name string) (*env, error) {
	dir, cleanup, err := r.tempDir(name)
	if err != nil {
		return nil, err
	}
	e := &env{r: r, dir: dir, cleanup: cleanup}
	if err := e.open(ctx); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

// open starts the node and store on e.dir and makes the client connections.
func (e *env) open(ctx context.Context) error {
	node, err := eventstore.StartNode(ctx, eventstore.NodeOptions{DataDir: filepath.Join(e.dir, "node"), Logger: e.r.cfg.Logger})
	if err != nil {
		return fmt.Errorf("starting node: %w", err)
	}
	e.node = node
	store, err := eventstore.Open(ctx, node.Conn(), eventstore.Options{Logger: e.r.cfg.Logger, Workers: e.r.cfg.StoreWorkers})
	if err != nil {
		return fmt.Errorf("opening store: %w", err)
	}
	e.store = store
	for range clientConns {
		nc, err := node.Connect()
		if err != nil {
			return fmt.Errorf("connecting client: %w", err)
		}
		js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(64))
		if err != nil {
			nc.Close()
			return fmt.Errorf("jetstream context: %w", err)
		}
		e.conns = append(e.conns, nc)
		e.clients = append(e.clients, eventstore.NewClient(nc))
		e.js = append(e.js, js)
	}
	return nil
}

// shutdown closes connections, store and node but keeps the directory.
func (e *env) shutdown() error {
	var errs []error
	for _, nc := range e.conns {
		nc.Close()
	}
	e.conns, e.clients, e.js = nil, nil, nil
	if e.store != nil {
		errs = append(errs, e.store.Close())
		e.store = nil
	}
	if e.node != nil {
		errs = append(errs, e.node.Close())
		e.node = nil
	}
	return errors.Join(errs...)
}

func (e *env) close() {
	_ = e.shutdown()
	if e.redis != nil {
		e.redis.Stop()
	}
	e.cleanup()
}

// client returns the store client for worker w.
func (e *env) client(w int) *eventstore.Client { return e.clients[w%len(e.clients)] }

// redisServer starts redis-server on first use; the error says why the
// redis-design baseline cannot run.
func (e *env) redisServer(ctx context.Context) (*redisServer, error) {
	if e.redis == nil && e.redisErr == nil {
		e.redis, e.redisErr = startRedis(ctx, e.r.cfg.RedisServer, e.dir)
	}
	return e.redis, e.redisErr
}

// createRoots creates n configurations named prefix-0 .. prefix-(n-1) and
// returns their root hashes.
func (e *env) createRoots(ctx context.Context, prefix string, n int) ([]hashchain.Hash, error) {
	heads := make([]hashchain.Hash, n)
	for i := range n {
		rep, err := e.client(i).Create(ctx, rootConfig(prefix, i))
		if err != nil {
			return nil, fmt.Errorf("creating config %d: %w", i, err)
		}
		heads[i] = rep.Root
	}
	return heads, nil
}

// rootConfig is the root configuration of benchmark config i.
func rootConfig(prefix string, i int) []byte {
	return fmt.Appendf(nil, `{"platform":"bench","server":"127.0.0.1:1","channel":"#%s-%d-%d"}`, prefix, i, time.Now().UnixNano())
}

// makePatch returns the RFC 6902 patch for update n of a measurement with
// documents of about size bytes: it sets /data to a string whose first
// characters count n, so every update and every document differs. The JetStream
// and KV baselines store these same bytes.
func makePatch(size, n int) []byte {
	const head = `[{"op":"add","path":"/data","value":"`
	const tail = `"}]`
	fill := max(size-len(head)-len(tail), 16)
	b := make([]byte, 0, len(head)+fill+len(tail))
	b = append(b, head...)
	b = fmt.Appendf(b, "%016x", n)
	for i := 16; i < fill; i++ {
		b = append(b, 'a'+byte(i%26))
	}
	return append(b, tail...)
}
