package eventstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/eventstore/storetest"
	"github.com/patchbay/patchbay/hashchain"
	"github.com/patchbay/patchbay/schemas"
)

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
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

// verifyChain replays root's log, checks it is one linear chain with
// hashchain.Verify and returns its updates.
func verifyChain(t *testing.T, nc *nats.Conn, rootConfig string) []eventstore.Update {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	root, _, err := hashchain.RootHash([]byte(rootConfig))
	if err != nil {
		t.Fatal(err)
	}
	var ups []eventstore.Update
	var envs []hashchain.Envelope
	err = eventstore.Replay(ctxT(t), js, root, 0, func(u eventstore.Update, _ uint64) error {
		ups = append(ups, u)
		envs = append(envs, hashchain.Envelope{Parent: u.Parent, Patch: u.Patch, Meta: u.Meta})
		return nil
	})
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	head, _, err := hashchain.Verify([]byte(rootConfig), envs, hashchain.Limits{})
	if err != nil {
		t.Fatalf("verify chain: %v", err)
	}
	for i, u := range ups {
		if u.Seq != uint64(i+1) || u.Root != root {
			t.Fatalf("entry %d: seq %d root %s, want seq %d root %s", i, u.Seq, u.Root, i+1, root)
		}
	}
	if len(ups) > 0 && ups[len(ups)-1].Hash != head {
		t.Fatalf("last entry hash %s, verified head %s", ups[len(ups)-1].Hash, head)
	}
	return ups
}

func code(err error) string {
	var re *eventstore.RefusedError
	if errors.As(err, &re) {
		return re.Code
	}
	return ""
}

const rootA = `{"platform":"irc","server":"127.0.0.1:6667","channel":"#lobby"}`

func TestCreateSubmitGet(t *testing.T) {
	env := storetest.Start(t, eventstore.Options{})
	c := env.Client
	ctx := ctxT(t)
	root := mustCreate(t, c, rootA)
	want, _, _ := hashchain.RootHash([]byte(rootA))
	if root != want {
		t.Fatalf("root %s, want %s", root, want)
	}
	if r, err := c.Create(ctx, []byte(rootA)); err != nil || r.Created || r.Root != root {
		t.Fatalf("second create = %+v, %v; want created=false root %s", r, err, root)
	}
	r1, err := c.Submit(ctx, root, []byte(`[{"op":"add","path":"/nick","value":"pb"}]`))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if r1.Seq != 1 || r1.Parent != root || r1.Root != root {
		t.Fatalf("reply %+v", r1)
	}
	wantHash, _ := hashchain.Envelope{Parent: root, Patch: json.RawMessage(`[{"op":"add","path":"/nick","value":"pb"}]`)}.Hash()
	if r1.Hash != wantHash {
		t.Fatalf("hash %s, want %s", r1.Hash, wantHash)
	}
	r2, err := c.Submit(ctx, r1.Hash, []byte(`{"parent":"`+r1.Hash.String()+`","patch":[{"op":"replace","path":"/nick","value":"pb2"}],"meta":{"author":"t"}}`))
	if err != nil || r2.Seq != 2 {
		t.Fatalf("submit envelope: %+v %v", r2, err)
	}
	g, err := c.Get(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	if g.Seq != 0 || g.Head != r2.Hash || string(g.Config) != `{"channel":"#lobby","platform":"irc","server":"127.0.0.1:6667"}` {
		t.Fatalf("get root = %+v (config %s)", g, g.Config)
	}
	g, err = c.Get(ctx, r1.Hash)
	if err != nil || g.Seq != 1 || !strings.Contains(string(g.Config), `"nick":"pb"`) || g.Head != r2.Hash {
		t.Fatalf("get r1 = %+v %s, %v", g, g.Config, err)
	}
	h, err := c.Head(ctx, root)
	if err != nil || h.Hash != r2.Hash || h.Seq != 2 || !strings.Contains(string(h.Config), `"nick":"pb2"`) {
		t.Fatalf("head = %+v %s, %v", h, h.Config, err)
	}
	if _, err := c.Get(ctx, 0x1234); code(err) != eventstore.CodeNotFound {
		t.Fatalf("get unknown: %v", err)
	}
	ups := verifyChain(t, env.Node.Conn(), rootA)
	if len(ups) != 2 || string(ups[1].Meta) != `{"author":"t"}` {
		t.Fatalf("chain %+v", ups)
	}
}

func TestRefusals(t *testing.T) {
	env := storetest.Start(t, eventstore.Options{Limits: hashchain.Limits{MaxPatchBytes: 1024}})
	c := env.Client
	ctx := ctxT(t)
	root := mustCreate(t, c, rootA)
	r1, err := c.Submit(ctx, root, []byte(`[{"op":"add","path":"/a","value":1}]`))
	if err != nil {
		t.Fatal(err)
	}
	big := `[{"op":"add","path":"/big","value":"` + strings.Repeat("x", 2000) + `"}]`
	tests := []struct {
		name, parent, body, code string
		sentinel                 error
	}{
		{"stale", root.String(), `[{"op":"add","path":"/b","value":2}]`, eventstore.CodeStale, hashchain.ErrStale},
		{"unknown parent", "00000000000000ff", `[]`, eventstore.CodeUnknownParent, hashchain.ErrUnknownParent},
		{"invalid patch", r1.Hash.String(), `[{"op":"frobnicate","path":"/a"}]`, eventstore.CodeInvalidPatch, hashchain.ErrInvalidPatch},
		{"not json", r1.Hash.String(), `[{`, eventstore.CodeInvalidPatch, hashchain.ErrInvalidPatch},
		{"missing path", r1.Hash.String(), `[{"op":"remove","path":"/nope"}]`, eventstore.CodeInvalidPatch, hashchain.ErrInvalidPatch},
		{"test failed", r1.Hash.String(), `[{"op":"test","path":"/a","value":2}]`, eventstore.CodeTestFailed, hashchain.ErrTestFailed},
		{"too large", r1.Hash.String(), big, eventstore.CodeTooLarge, hashchain.ErrTooLarge},
		{"not an object", r1.Hash.String(), `[{"op":"replace","path":"","value":[1]}]`, eventstore.CodeInvalidConfig, hashchain.ErrInvalidConfig},
		{"parent mismatch", r1.Hash.String(), `{"parent":"` + root.String() + `","patch":[]}`, eventstore.CodeInvalidPatch, hashchain.ErrInvalidPatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := hashchain.ParseHash(tt.parent)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Submit(ctx, p, []byte(tt.body))
			if code(err) != tt.code || !errors.Is(err, tt.sentinel) {
				t.Fatalf("got %v, want code %s", err, tt.code)
			}
			h, err := c.Head(ctx, root)
			if err != nil || h.Hash != r1.Hash || h.Seq != 1 {
				t.Fatalf("head after refusal = %+v, %v; want %s seq 1", h, err, r1.Hash)
			}
		})
	}
	if _, err := c.Create(ctx, []byte(`[1,2]`)); code(err) != eventstore.CodeInvalidConfig {
		t.Fatalf("create array: %v", err)
	}
	if ups := verifyChain(t, env.Node.Conn(), rootA); len(ups) != 1 {
		t.Fatalf("%d entries stored, want 1", len(ups))
	}
}

func TestCollision(t *testing.T) {
	env := storetest.Start(t, eventstore.Options{})
	c := env.Client
	ctx := ctxT(t)
	root := mustCreate(t, c, rootA)
	patch := `[{"op":"add","path":"/x","value":1}]`
	h, _ := hashchain.Envelope{Parent: root, Patch: json.RawMessage(patch)}.Hash()
	// Plant a different update under the hash this envelope will get, as a
	// real xxhash64 collision would.
	js, _ := jetstream.New(env.Node.Conn())
	kv, err := js.KeyValue(ctx, eventstore.HashesBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, h.String(), []byte(`{"root":"00000000000000aa","parent":"00000000000000bb","seq":3,"log_seq":9}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, root, []byte(patch)); code(err) != eventstore.CodeCollision {
		t.Fatalf("got %v, want collision", err)
	}
	if ups := verifyChain(t, env.Node.Conn(), rootA); len(ups) != 0 {
		t.Fatalf("%d entries stored after a collision", len(ups))
	}
}

// race runs writers goroutines x attempts submissions against whatever each
// believes is the head, through clients, and checks one linear chain.
func race(t *testing.T, clients []*eventstore.Client, nc *nats.Conn, writers, attempts int) {
	ctx := ctxT(t)
	root := mustCreate(t, clients[0], rootA)
	var mu sync.Mutex
	winners := map[hashchain.Hash]hashchain.Hash{} // parent -> winner
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := clients[w%len(clients)]
			head := root
			for i := range attempts {
				r, err := c.Submit(ctx, head, fmt.Appendf(nil, `[{"op":"add","path":"/w%d","value":%d}]`, w, i))
				if err == nil {
					mu.Lock()
					if prev, dup := winners[head]; dup {
						mu.Unlock()
						errs <- fmt.Errorf("two winners on parent %s: %s and %s", head, prev, r.Hash)
						return
					}
					winners[head] = r.Hash
					mu.Unlock()
					head = r.Hash
					continue
				}
				if code(err) != eventstore.CodeStale {
					errs <- fmt.Errorf("writer %d attempt %d: %v, want stale", w, i, err)
					return
				}
				g, err := c.Get(ctx, root)
				if err != nil {
					errs <- err
					return
				}
				head = g.Head
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	ups := verifyChain(t, nc, rootA)
	if len(ups) != len(winners) {
		t.Fatalf("chain has %d entries, %d accepted replies", len(ups), len(winners))
	}
	for _, u := range ups {
		if winners[u.Parent] != u.Hash {
			t.Fatalf("entry %d (%s) was not the acknowledged winner on %s", u.Seq, u.Hash, u.Parent)
		}
	}
	t.Logf("%d accepted of %d attempts", len(ups), writers*attempts)
}

func TestRaceOneWinnerPerHash(t *testing.T) {
	env := storetest.Start(t, eventstore.Options{})
	race(t, []*eventstore.Client{env.Client}, env.Node.Conn(), 16, 1000)
}

func TestTwoStoresOneStream(t *testing.T) {
	env := storetest.Start(t, eventstore.Options{})
	// A second store on its own connection with its own cache; both serve
	// the same subjects in one queue group, so requests spread over both.
	nc2, err := env.Node.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc2.Close)
	st2, err := eventstore.Open(ctxT(t), nc2, eventstore.Options{DisableAnnouncer: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	race(t, []*eventstore.Client{env.Client, eventstore.NewClient(nc2)}, env.Node.Conn(), 8, 150)
	// Direct calls on both stores: stale caches must be caught by the CAS.
	ctx := ctxT(t)
	root, _, _ := hashchain.RootHash([]byte(rootA))
	g, err := env.Store.Head(ctx, root)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st2.Submit(ctx, g.Hash, []byte(`[{"op":"add","path":"/s2","value":1}]`))
	if err != nil {
		t.Fatalf("store 2 submit on head: %v", err)
	}
	if _, err := env.Store.Submit(ctx, g.Hash, []byte(`[{"op":"add","path":"/s1","value":1}]`)); code(err) != eventstore.CodeStale {
		t.Fatalf("store 1 submit on old head: %v, want stale", err)
	}
	if _, err := env.Store.Submit(ctx, r.Hash, []byte(`[{"op":"add","path":"/s1","value":1}]`)); err != nil {
		t.Fatalf("store 1 submit on store 2's head: %v", err)
	}
	verifyChain(t, env.Node.Conn(), rootA)
}

// TestRepliesMatchSchemas validates real replies of the store against the
// JSON Schemas in schemas/.
func TestRepliesMatchSchemas(t *testing.T) {
	env := storetest.Start(t, eventstore.Options{})
	nc := env.Node.Conn()
	req := func(subj, data, schema string) []byte {
		t.Helper()
		m, err := nc.Request(subj, []byte(data), 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := schemas.Validate(schema, m.Data); err != nil {
			t.Fatalf("%s reply %s: %v", subj, m.Data, err)
		}
		return m.Data
	}
	if err := schemas.Validate("root", []byte(rootA)); err != nil {
		t.Fatal(err)
	}
	var cr eventstore.CreateReply
	json.Unmarshal(req(eventstore.SubjectCreate, rootA, "create-reply"), &cr)
	sub := `{"parent":"` + cr.Root.String() + `","patch":[{"op":"add","path":"/a","value":1}],"meta":{"author":"x"}}`
	if err := schemas.Validate("submission", []byte(sub)); err != nil {
		t.Fatal(err)
	}
	var pr eventstore.PatchReply
	json.Unmarshal(req(eventstore.SubjectPatchPrefix+cr.Root.String(), sub, "patch-reply"), &pr)
	req(eventstore.SubjectGetPrefix+pr.Hash.String(), "", "get-reply")
	req(eventstore.SubjectGetPrefix+cr.Root.String(), "", "get-reply")
	req(eventstore.SubjectPatchPrefix+cr.Root.String(), `[]`, "error")
	req(eventstore.SubjectGetPrefix+"ffffffffffffffff", "", "error")
	// The stored log entry is a valid Update.
	js, _ := jetstream.New(nc)
	err := eventstore.Replay(ctxT(t), js, cr.Root, 0, func(u eventstore.Update, seq uint64) error {
		s, _ := js.Stream(ctxT(t), eventstore.StreamName)
		m, err := s.GetMsg(ctxT(t), seq)
		if err != nil {
			return err
		}
		return schemas.Validate("update", m.Data)
	})
	if err != nil {
		t.Fatal(err)
	}
}
