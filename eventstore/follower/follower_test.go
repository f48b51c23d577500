package follower_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/patchbay/patchbay/eventstore"

	"github.com/patchbay/patchbay/eventstore/follower"
	"github.com/patchbay/patchbay/eventstore/storetest"
	"github.com/patchbay/patchbay/hashchain"
	"github.com/patchbay/patchbay/schemas"
)

const rootA = `{"platform":"irc","server":"127.0.0.1:6667","channel":"#lobby"}`

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustCreate(t *testing.T, c *eventstore.Client, root string) hashchain.Hash {
	t.Helper()
	r, err := c.Create(ctxT(t), []byte(root))
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return r.Root
}

// verifyChain replays root's log and checks it with hashchain.Verify.
func verifyChain(t *testing.T, nc *nats.Conn, rootConfig string) {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	root, _, _ := hashchain.RootHash([]byte(rootConfig))
	var envs []hashchain.Envelope
	if err := eventstore.Replay(ctxT(t), js, root, 0, func(u eventstore.Update, _ uint64) error {
		envs = append(envs, hashchain.Envelope{Parent: u.Parent, Patch: u.Patch, Meta: u.Meta})
		return nil
	}); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if _, _, err := hashchain.Verify([]byte(rootConfig), envs, hashchain.Limits{}); err != nil {
		t.Fatalf("verify chain: %v", err)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// TestLoadFollowerSubscriberCatchUp runs one serial write load of
// PATCHBAY_TEST_UPDATES (default 10,000) updates on one config while an
// external TCP subscriber on updates.* and a follower started mid-load
// watch; then checks the catch-up message.
func TestLoadFollowerSubscriberCatchUp(t *testing.T) {
	n := envInt("PATCHBAY_TEST_UPDATES", 10000)
	env := storetest.Start(t, eventstore.Options{})
	ctx := ctxT(t)
	root := mustCreate(t, env.Client, rootA)

	ext, err := nats.Connect(env.Node.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ext.Close)
	extCh := make(chan *nats.Msg, n+10)
	sub, err := ext.ChanSubscribe("updates.*", extCh)
	if err != nil {
		t.Fatal(err)
	}
	sub.SetPendingLimits(-1, -1)
	if err := ext.Flush(); err != nil {
		t.Fatal(err)
	}

	var fmu sync.Mutex
	var fseqs []uint64
	var fStart uint64
	fctx, fcancel := context.WithCancel(ctx)
	var fwg sync.WaitGroup
	startFollower := make(chan struct{})
	var fol *follower.Follower
	fwg.Add(1)
	go func() {
		defer fwg.Done()
		<-startFollower
		fol = follower.New(env.Node.Conn(), root, follower.Options{OnUpdate: func(u eventstore.Update, _ []byte) {
			fmu.Lock()
			fseqs = append(fseqs, u.Seq)
			fmu.Unlock()
		}})
		fol.Serve(fctx)
	}()
	t.Cleanup(func() { fcancel(); fwg.Wait() })

	head := root
	var last eventstore.PatchReply
	for i := range n {
		// Through the Store directly (no request/reply hop): faster under -race.
		r, err := env.Store.Submit(ctx, head, fmt.Appendf(nil, `[{"op":"add","path":"/n","value":%d}]`, i))
		if err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		head, last = r.Hash, r
		if i == n*3/10 {
			close(startFollower)
		}
	}
	// External subscriber: every update once, in order.
	parent := root
	for i := range n {
		select {
		case m := <-extCh:
			var u eventstore.Update
			if err := json.Unmarshal(m.Data, &u); err != nil {
				t.Fatal(err)
			}
			if u.Seq != uint64(i+1) || u.Parent != parent || m.Subject != "updates."+parent.String() {
				t.Fatalf("external message %d: seq %d parent %s on %s, want seq %d parent %s", i, u.Seq, u.Parent, m.Subject, i+1, parent)
			}
			if i == 0 {
				if err := schemas.Validate("update", m.Data); err != nil {
					t.Fatalf("announced update does not match update.schema.json: %v", err)
				}
			}
			parent = u.Hash
		case <-time.After(20 * time.Second):
			t.Fatalf("external subscriber got %d of %d updates", i, n)
		}
	}
	select {
	case m := <-extCh:
		t.Fatalf("extra announcement %s", m.Data)
	case <-time.After(200 * time.Millisecond):
	}
	// Follower: from its loaded state to the head, no gap, no duplicate.
	deadline := time.Now().Add(20 * time.Second)
	for {
		h, seq, _ := fol.Head()
		if seq == last.Seq && h == last.Hash {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("follower at seq %d, want %d", seq, last.Seq)
		}
		time.Sleep(10 * time.Millisecond)
	}
	<-fol.Ready()
	fmu.Lock()
	if len(fseqs) == 0 {
		t.Fatal("follower saw no updates")
	}
	fStart = fseqs[0] - 1
	for i, s := range fseqs {
		if s != fStart+uint64(i)+1 {
			t.Fatalf("follower update %d has seq %d, want %d", i, s, fStart+uint64(i)+1)
		}
	}
	fmu.Unlock()
	t.Logf("follower loaded at seq %d, then got %d updates", fStart, len(fseqs))

	// Catch-up: one message on updates.<root>, and the same bytes as reply.
	cu, err := ext.SubscribeSync("updates." + root.String())
	if err != nil {
		t.Fatal(err)
	}
	ext.Flush()
	reply, err := ext.Request(eventstore.SubjectUpdateRequests, []byte(root.String()), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cu.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if string(pub.Data) != string(reply.Data) {
		t.Fatalf("catch-up reply %s differs from published %s", reply.Data, pub.Data)
	}
	if err := schemas.Validate("update", reply.Data); err != nil {
		t.Fatalf("catch-up update: %v", err)
	}
	var u eventstore.Update
	json.Unmarshal(reply.Data, &u)
	if !u.Catchup || u.Parent != root || u.Hash != last.Hash || u.Seq != last.Seq {
		t.Fatalf("catch-up %+v, want parent %s hash %s seq %d catchup", u, root, last.Hash, last.Seq)
	}
	g, err := env.Client.Get(ctx, last.Hash)
	if err != nil {
		t.Fatal(err)
	}
	got, err := hashchain.Apply([]byte(rootA), u.Patch, hashchain.Limits{})
	if err != nil || string(got) != string(g.Config) {
		t.Fatalf("root + catch-up patch = %s (%v), head = %s", got, err, g.Config)
	}
	_, _, fdoc := fol.Head()
	if string(fdoc) != string(g.Config) {
		t.Fatalf("follower document %s, head %s", fdoc, g.Config)
	}
	// Unknown root: error reply, nothing published.
	bad, err := ext.Request(eventstore.SubjectUpdateRequests, []byte("00000000000000ff"), 10*time.Second)
	if err != nil || !json.Valid(bad.Data) || string(bad.Data)[:9] != `{"error":` {
		t.Fatalf("unknown root catch-up reply %s, %v", bad.Data, err)
	}
	if err := schemas.Validate("error", bad.Data); err != nil {
		t.Fatal(err)
	}
	verifyChain(t, env.Node.Conn(), rootA)
}
