package follower_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/eventstore/follower"
	"github.com/patchbay/patchbay/hashchain"
)

// startAt starts a node and store on dir listening on addr.
func startAt(t *testing.T, dir, addr string) (*eventstore.Node, *eventstore.Store) {
	t.Helper()
	ctx := ctxT(t)
	node, err := eventstore.StartNode(ctx, eventstore.NodeOptions{DataDir: dir, Listen: addr})
	if err != nil {
		t.Fatal(err)
	}
	st, err := eventstore.Open(ctx, node.Conn(), eventstore.Options{})
	if err != nil {
		node.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(); node.Close() })
	return node, st
}

// TestFollowerSurvivesServerRestart follows over TCP while the server is
// stopped and restarted on the same data directory and port.
func TestFollowerSurvivesServerRestart(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	node, st := startAt(t, dir, addr)
	ctx := ctxT(t)
	c := eventstore.NewClient(node.Conn())
	root := mustCreate(t, c, rootA)
	head := root
	submit := func(c *eventstore.Client, i int) {
		t.Helper()
		r, err := c.Submit(ctx, head, fmt.Appendf(nil, `[{"op":"add","path":"/n","value":%d}]`, i))
		if err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		head = r.Hash
	}
	for i := range 5 {
		submit(c, i)
	}
	fc, err := nats.Connect("nats://"+addr, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fc.Close)
	got := make(chan uint64, 100)
	f := follower.New(fc, root, follower.Options{OnUpdate: func(u eventstore.Update, _ []byte) { got <- u.Seq }})
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.Serve(fctx) }()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-f.Ready():
	case <-time.After(20 * time.Second):
		t.Fatal("follower not ready")
	}
	if _, seq, _ := f.Head(); seq != 5 {
		t.Fatalf("loaded seq %d, want 5", seq)
	}
	submit(c, 5)
	st.Close()
	node.Close()

	node, _ = startAt(t, dir, addr)
	c = eventstore.NewClient(node.Conn())
	for i := 6; i < 10; i++ {
		submit(c, i)
	}
	var seqs []uint64
	// No snapshot yet (fewer than 32 updates): the follower starts at the
	// root and delivers 1..5 while loading, then 6..10 across the restart.
	for len(seqs) < 10 {
		select {
		case s := <-got:
			seqs = append(seqs, s)
		case <-time.After(30 * time.Second):
			t.Fatalf("follower got %v, want seqs 1..10", seqs)
		}
	}
	for i, s := range seqs {
		if s != uint64(1+i) {
			t.Fatalf("follower seqs %v, want 1..10", seqs)
		}
	}
	h, seq, doc := f.Head()
	want, _ := hashchain.Apply([]byte(rootA), []byte(`[{"op":"add","path":"/n","value":9}]`), hashchain.Limits{})
	if h != head || seq != 10 || string(doc) != string(want) {
		t.Fatalf("follower head %s seq %d %s, want %s 10 %s", h, seq, doc, head, want)
	}
}
