package eventstore_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/eventstore/storetest"
	"github.com/patchbay/patchbay/hashchain"
)

// TestRestartManyConfigs writes PATCHBAY_TEST_CONFIGS (default 1,000)
// configs x 10 updates, restarts the node and store on the same directory,
// and checks every config's head loads (and a root and a middle hash too).
func TestRestartManyConfigs(t *testing.T) {
	nConfigs := envInt("PATCHBAY_TEST_CONFIGS", 1000)
	perConfig := envInt("PATCHBAY_TEST_PER_CONFIG", 10)
	dir := t.TempDir()
	env := storetest.StartIn(t, dir, eventstore.Options{})
	// No short deadline here: the heavy variant (by hand) runs for minutes;
	// go test's -timeout bounds it.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	heads := make([]hashchain.Hash, nConfigs)
	mids := make([]hashchain.Hash, nConfigs)
	roots := make([]hashchain.Hash, nConfigs)
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range nConfigs {
		g.Go(func() error {
			// Written through the Store directly (no request/reply hop) to
			// keep the test fast under -race.
			cr, err := env.Store.Create(gctx, fmt.Appendf(nil, `{"platform":"test","channel":"#c%d"}`, i))
			if err != nil {
				return err
			}
			roots[i] = cr.Root
			h := cr.Root
			for j := range perConfig {
				r, err := env.Store.Submit(gctx, h, fmt.Appendf(nil, `[{"op":"add","path":"/u%d","value":%d}]`, j, j))
				if err != nil {
					return fmt.Errorf("config %d update %d: %w", i, j, err)
				}
				h = r.Hash
				if j == perConfig/2 {
					mids[i] = h
				}
			}
			heads[i] = h
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d configs x %d updates in %v (%.0f updates/s)", nConfigs, perConfig, time.Since(start).Round(time.Millisecond),
		float64(nConfigs*perConfig)/time.Since(start).Seconds())
	env.Close()

	start = time.Now()
	env = storetest.StartIn(t, dir, eventstore.Options{})
	t.Logf("restart (node + store) took %v", time.Since(start).Round(time.Millisecond))
	start = time.Now()
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range nConfigs {
		g.Go(func() error {
			r, err := env.Store.Head(gctx, roots[i])
			if err != nil {
				return err
			}
			// The document is checked for the default size (10 updates).
			want := string(r.Config)
			if perConfig == 10 {
				want = fmt.Sprintf(`{"channel":"#c%d","platform":"test","u0":0,"u1":1,"u2":2,"u3":3,"u4":4,"u5":5,"u6":6,"u7":7,"u8":8,"u9":9}`, i)
			}
			if r.Hash != heads[i] || r.Seq != uint64(perConfig) || string(r.Config) != want {
				return fmt.Errorf("config %d: head %s seq %d %s, want %s seq %d %s", i, r.Hash, r.Seq, r.Config, heads[i], perConfig, want)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d heads in %v", nConfigs, time.Since(start).Round(time.Millisecond))
	for _, i := range []int{0, nConfigs - 1} {
		r, err := env.Client.Get(ctx, mids[i])
		if err != nil || r.Seq != uint64(perConfig/2+1) || r.Head != heads[i] || r.Root != roots[i] {
			t.Fatalf("get middle hash of config %d: %+v, %v", i, r, err)
		}
		r, err = env.Client.Get(ctx, roots[i])
		if err != nil || r.Seq != 0 || r.Head != heads[i] {
			t.Fatalf("get root of config %d: %+v, %v", i, r, err)
		}
		// The store keeps working after a restart.
		if _, err := env.Client.Submit(ctx, heads[i], []byte(`[{"op":"remove","path":"/u0"}]`)); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Client.Submit(ctx, mids[i], []byte(`[{"op":"remove","path":"/u1"}]`)); code(err) != eventstore.CodeStale {
			t.Fatalf("stale after restart: %v", err)
		}
	}
}

// TestSnapshotAndRetention checks head loads from a snapshot plus a bounded
// replay, and that retention keeps the head loadable.
func TestSnapshotAndRetention(t *testing.T) {
	dir := t.TempDir()
	env := storetest.StartIn(t, dir, eventstore.Options{Retention: 20})
	ctx := ctxT(t)
	root := mustCreate(t, env.Client, rootA)
	h := root
	var hashes []hashchain.Hash
	for i := range 205 {
		r, err := env.Client.Submit(ctx, h, fmt.Appendf(nil, `[{"op":"add","path":"/n","value":%d}]`, i))
		if err != nil {
			t.Fatal(err)
		}
		h = r.Hash
		hashes = append(hashes, h)
	}
	env.Close()
	env = storetest.StartIn(t, dir, eventstore.Options{Retention: 20})
	r, err := env.Store.Head(ctx, root)
	if err != nil || r.Hash != h || r.Seq != 205 || string(r.Config) != `{"channel":"#lobby","n":204,"platform":"irc","server":"127.0.0.1:6667"}` {
		t.Fatalf("head after restart with retention: %+v %s, %v", r, r.Config, err)
	}
	if g, err := env.Client.Get(ctx, hashes[200]); err != nil || g.Seq != 201 {
		t.Fatalf("recent hash: %+v, %v", g, err)
	}
	if _, err := env.Client.Get(ctx, hashes[10]); code(err) != eventstore.CodeNotFound {
		t.Fatalf("trimmed hash: %v, want not_found", err)
	}
	if g, err := env.Client.Get(ctx, root); err != nil || g.Seq != 0 || g.Head != h {
		t.Fatalf("root after trimming: %+v, %v", g, err)
	}
	if _, err := env.Client.Submit(context.Background(), h, []byte(`[]`)); err != nil {
		t.Fatal(err)
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
