package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/eventstore/storetest"
	"github.com/patchbay/patchbay/hashchain"
	"github.com/redis/go-redis/v9"
)

// startStoreGateway starts a real store and a gateway on its NATS.
func startStoreGateway(t *testing.T, opts Options) (*storetest.Env, string, *Server) {
	t.Helper()
	env := storetest.Start(t, eventstore.Options{})
	nc, err := env.Node.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	addr, srv := startGateway(t, nc, opts)
	return env, addr, srv
}

// createRoot creates a config through the store (creation is not part of
// the Redis surface) and returns its root hash, computed independently.
func createRoot(t *testing.T, env *storetest.Env, cfg string) hashchain.Hash {
	t.Helper()
	root, _, err := hashchain.RootHash([]byte(cfg))
	if err != nil {
		t.Fatal(err)
	}
	r, err := env.Client.Create(testCtx(t), []byte(cfg))
	if err != nil || r.Root != root {
		t.Fatalf("create: %+v %v (want root %s)", r, err, root)
	}
	return root
}

// follower follows one config through Redis only, like the original
// design's nodes.
type follower struct {
	t       *testing.T
	ps      *redis.PubSub
	cur     hashchain.Hash
	doc     []byte
	applied map[hashchain.Hash]bool
}

// next waits for the update whose parent is f.cur, applies it and moves
// the subscription to the new hash (subscribe new, confirm, unsubscribe old).
func (f *follower) next(ctx context.Context) eventstore.Update {
	f.t.Helper()
	for {
		msg, err := f.ps.ReceiveMessage(ctx)
		if err != nil {
			f.t.Fatalf("follower receive: %v", err)
		}
		var u eventstore.Update
		if err := json.Unmarshal([]byte(msg.Payload), &u); err != nil {
			f.t.Fatalf("update %q: %v", msg.Payload, err)
		}
		if msg.Channel != UpdatesPrefix+u.Parent.String() {
			f.t.Fatalf("update with parent %s on channel %s", u.Parent, msg.Channel)
		}
		if f.applied[u.Hash] || u.Parent != f.cur {
			continue // at-least-once announcements: dedupe by hash
		}
		if u.Hash != f.cur { // a catch-up of an untouched root has hash == root
			doc, err := hashchain.Apply(f.doc, u.Patch, hashchain.Limits{})
			if err != nil {
				f.t.Fatalf("apply %s: %v", u.Hash, err)
			}
			f.doc = doc
			f.move(ctx, u.Hash)
		}
		f.applied[u.Hash] = true
		return u
	}
}

func (f *follower) move(ctx context.Context, to hashchain.Hash) {
	f.t.Helper()
	old := f.cur
	if err := f.ps.Subscribe(ctx, UpdatesPrefix+to.String()); err != nil {
		f.t.Fatal(err)
	}
	// Wait for the confirmation so nothing published on the new hash can be missed.
	for {
		m, err := f.ps.Receive(ctx)
		if err != nil {
			f.t.Fatal(err)
		}
		if s, ok := m.(*redis.Subscription); ok && s.Kind == "subscribe" && s.Channel == UpdatesPrefix+to.String() {
			break
		}
	}
	if err := f.ps.Unsubscribe(ctx, UpdatesPrefix+old.String()); err != nil {
		f.t.Fatal(err)
	}
	f.cur = to
}

// TestOriginalDesignEndToEnd: a client computes a root hash itself,
// subscribes to updates:<root>, publishes the root on update_requests,
// applies the catch-up, moves to updates:<new hash> and follows 1,000
// updates made by another client, ending with exactly the store's document.
func TestOriginalDesignEndToEnd(t *testing.T) {
	env, addr, _ := startStoreGateway(t, Options{})
	ctx := testCtx(t)
	rootCfg := `{"platform":"irc","server":"127.0.0.1:6667","channel":"#lobby"}`
	root := createRoot(t, env, rootCfg)
	writer := newGoRedis(t, addr, 2, nil)

	// History before the follower starts.
	head := root
	for i := range 5 {
		patch := fmt.Sprintf(`[{"op":"add","path":"/pre%d","value":%d}]`, i, i)
		if err := writer.Publish(ctx, UpdatesPrefix+head.String(), patch).Err(); err != nil {
			t.Fatalf("pre-update %d: %v", i, err)
		}
		h, err := writer.Get(ctx, HeadPrefix+root.String()).Result()
		if err != nil {
			t.Fatal(err)
		}
		head = hashchain.Hash(mustParse(t, h))
	}

	// The follower knows only the root configuration.
	fc := newGoRedis(t, addr, 3, nil)
	myRoot, canon, err := hashchain.RootHash([]byte(rootCfg))
	if err != nil || myRoot != root {
		t.Fatalf("RootHash: %s %v", myRoot, err)
	}
	ps := fc.Subscribe(ctx, UpdatesPrefix+root.String())
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	f := &follower{t: t, ps: ps, cur: root, doc: canon, applied: map[hashchain.Hash]bool{}}
	if n, err := fc.Publish(ctx, UpdateRequests, root.String()).Result(); err != nil || n != 1 {
		t.Fatalf("PUBLISH update_requests: %d %v, want 1", n, err)
	}
	u := f.next(ctx)
	if !u.Catchup || u.Hash != head || f.cur != head {
		t.Fatalf("catch-up: %+v, follower at %s, want head %s", u, f.cur, head)
	}

	// 1,000 live updates, one by one.
	for i := range 1000 {
		patch := fmt.Sprintf(`[{"op":"add","path":"/n","value":%d},{"op":"add","path":"/log/-","value":"u%d"}]`, i, i)
		if i == 0 {
			patch = `[{"op":"add","path":"/n","value":0},{"op":"add","path":"/log","value":["u0"]}]`
		}
		n, err := writer.Publish(ctx, UpdatesPrefix+f.cur.String(), patch).Result()
		if err != nil || n != 1 {
			t.Fatalf("update %d: %d %v, want 1 delivery", i, n, err)
		}
		parent := f.cur
		if u := f.next(ctx); u.Parent != parent || u.Seq != uint64(6+i) {
			t.Fatalf("update %d: %+v", i, u)
		}
	}

	// The follower's document is exactly the store's.
	got, err := env.Client.Get(ctx, f.cur)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Config) != string(f.doc) || got.Head != f.cur {
		t.Fatalf("follower ended at %s with\n%s\nstore head %s has\n%s", f.cur, f.doc, got.Head, got.Config)
	}
	if h, err := writer.Get(ctx, HeadPrefix+root.String()).Result(); err != nil || h != f.cur.String() {
		t.Fatalf("GET head: %q %v", h, err)
	}
	if c, err := writer.Get(ctx, ConfigPrefix+f.cur.String()).Result(); err != nil || c != string(f.doc) {
		t.Fatalf("GET config: %q %v", c, err)
	}
	p, err := writer.Get(ctx, PatchPrefix+f.cur.String()).Result()
	if err != nil {
		t.Fatal(err)
	}
	if doc, err := hashchain.Apply(canon, []byte(p), hashchain.Limits{}); err != nil || string(doc) != string(f.doc) {
		t.Fatalf("GET patch: applying %s to the root gives %s, %v", p, doc, err)
	}
}

func mustParse(t *testing.T, s string) hashchain.Hash {
	t.Helper()
	h, err := hashchain.ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestFirstWriterWins: two clients publish against the same head; one is
// accepted, the other refused with -STALE; subscribers see only the first.
func TestFirstWriterWins(t *testing.T) {
	env, addr, _ := startStoreGateway(t, Options{})
	ctx := testCtx(t)
	root := createRoot(t, env, `{"platform":"irc","channel":"#race"}`)
	watch := newGoRedis(t, addr, 3, nil).PSubscribe(ctx, "updates:*")
	defer watch.Close()
	if _, err := watch.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	a, b := newGoRedis(t, addr, 2, nil), newGoRedis(t, addr, 3, nil)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	start := make(chan struct{})
	for i, c := range []*redis.Client{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = c.Publish(ctx, UpdatesPrefix+root.String(), fmt.Sprintf(`[{"op":"add","path":"/by","value":"client%d"}]`, i)).Err()
		}()
	}
	close(start)
	wg.Wait()
	var winner int
	switch {
	case errs[0] == nil && errs[1] != nil:
		winner = 0
	case errs[1] == nil && errs[0] != nil:
		winner = 1
	default:
		t.Fatalf("want exactly one accepted: %v", errs)
	}
	if loser := errs[1-winner]; !strings.HasPrefix(loser.Error(), "STALE ") {
		t.Fatalf("loser got %q, want -STALE", loser)
	}
	m, err := watch.ReceiveMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var u eventstore.Update
	if err := json.Unmarshal([]byte(m.Payload), &u); err != nil || !strings.Contains(string(u.Patch), fmt.Sprintf("client%d", winner)) {
		t.Fatalf("first update %s: %v", m.Payload, err)
	}
	// A marker update on the new head comes next: the refused one was never announced.
	if err := a.Publish(ctx, UpdatesPrefix+u.Hash.String(), `[{"op":"add","path":"/marker","value":true}]`).Err(); err != nil {
		t.Fatal(err)
	}
	for {
		m, err = watch.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var v eventstore.Update
		_ = json.Unmarshal([]byte(m.Payload), &v)
		if v.Hash == u.Hash {
			continue // at-least-once duplicate of the winner
		}
		if v.Parent != u.Hash || !strings.Contains(string(v.Patch), "marker") {
			t.Fatalf("after the winner got %s", m.Payload)
		}
		break
	}
}

// TestPatchbayErrors checks the refusal replies and the read-only keys.
func TestPatchbayErrors(t *testing.T) {
	env, addr, _ := startStoreGateway(t, Options{})
	ctx := testCtx(t)
	root := createRoot(t, env, `{"platform":"irc","channel":"#errors"}`)
	c := newGoRedis(t, addr, 3, nil)
	unknown := "updates:00000000000000ff"
	tests := []struct {
		name, channel, msg, prefix string
	}{
		{"unknown parent", unknown, `[]`, "UNKNOWN unknown_parent: "},
		{"invalid patch", UpdatesPrefix + root.String(), `{"not":"a patch"}`, "INVALID "},
		{"failed test op", UpdatesPrefix + root.String(), `[{"op":"test","path":"/platform","value":"slack"}]`, "INVALID test_failed: "},
		{"bad hash in channel", "updates:XYZ", `[]`, "INVALID "},
		{"unknown root", UpdateRequests, "00000000000000ff", "UNKNOWN unknown_parent: "},
		{"not a hash", UpdateRequests, "hello", "INVALID "},
		{"too large", UpdatesPrefix + root.String(), `[{"op":"add","path":"/big","value":"` + strings.Repeat("x", 300<<10) + `"}]`, "TOOLARGE too_large: "},
		{"invalid config", UpdatesPrefix + root.String(), `[{"op":"replace","path":"","value":[1]}]`, "INVALID "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Publish(ctx, tt.channel, tt.msg).Err()
			if err == nil || !strings.HasPrefix(err.Error(), tt.prefix) {
				t.Fatalf("got %v, want an error starting %q", err, tt.prefix)
			}
		})
	}
	for _, key := range []string{"head:00000000000000ff", "config:00000000000000ff", "patch:00000000000000ff", "head:nothex", "other"} {
		if v, err := c.Get(ctx, key).Result(); !errors.Is(err, redis.Nil) {
			t.Errorf("GET %s: %q %v, want nil", key, v, err)
		}
	}
	if v, err := c.Get(ctx, HeadPrefix+root.String()).Result(); err != nil || v != root.String() {
		t.Errorf("GET head of a fresh root: %q %v", v, err)
	}
	if v, err := c.Get(ctx, PatchPrefix+root.String()).Result(); err != nil || v != "[]" {
		t.Errorf("GET patch of the root: %q %v", v, err)
	}
	for _, cmd := range [][]any{{"SET", HeadPrefix + root.String(), "x"}, {"DEL", ConfigPrefix + root.String()}} {
		if err := c.Do(ctx, cmd...).Err(); err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("%v: %v, want a read-only error", cmd, err)
		}
	}
}
