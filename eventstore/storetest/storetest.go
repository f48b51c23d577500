package storetest

import (
	"context"
	"time"

	"github.com/patchbay/patchbay/eventstore"
)

// TB is the subset of testing.TB the helpers use.
type TB interface {
	Helper()
	TempDir() string
	Cleanup(func())
	Fatalf(format string, args ...any)
}

// Env is a running node and store.
type Env struct {
	// Node is the embedded server (TCP listener on 127.0.0.1, random port).
	Node *eventstore.Node
	// Store serves the NATS contract on Node.Conn().
	Store *eventstore.Store
	// Client talks to Store over Node.Conn().
	Client *eventstore.Client
	// Dir is the data directory.
	Dir string
}

// Start starts a node in a fresh t.TempDir() with a TCP listener on a
// random loopback port, and a Store with opts. Both stop at cleanup.
func Start(t TB, opts eventstore.Options) *Env {
	t.Helper()
	return StartIn(t, t.TempDir(), opts)
}

// StartIn is Start on a given data directory (for restart tests).
func StartIn(t TB, dir string, opts eventstore.Options) *Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := eventstore.StartNode(ctx, eventstore.NodeOptions{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	st, err := eventstore.Open(ctx, node.Conn(), opts)
	if err != nil {
		node.Close()
		t.Fatalf("open store: %v", err)
	}
	e := &Env{Node: node, Store: st, Client: eventstore.NewClient(node.Conn()), Dir: dir}
	t.Cleanup(e.Close)
	return e
}

// Close stops the store and the node (idempotent).
func (e *Env) Close() {
	e.Store.Close()
	e.Node.Close()
}
