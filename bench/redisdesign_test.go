package bench

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/patchbay/patchbay/hashchain"
)

// TestRedisDesignFirstWins checks the baseline behaves as the original
// design: updates are stored as <hash> -> patch and <root> -> latest, the
// old hash is deleted, and updates against stale or unknown hashes are
// ignored.
func TestRedisDesignFirstWins(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rs, err := startRedis(ctx, "", t.TempDir())
	if err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	t.Cleanup(rs.Stop)
	d, err := startRedisDesign(ctx, rs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	c := redis.NewClient(&redis.Options{Addr: rs.addr})
	t.Cleanup(func() { c.Close() })

	root, err := d.create(ctx, []byte(`{"platform":"irc","server":"127.0.0.1:6667","channel":"#lobby"}`))
	if err != nil {
		t.Fatal(err)
	}
	p1 := []byte(`[{"op":"add","path":"/a","value":1}]`)
	h1, err := d.submit(ctx, c, root, p1)
	if err != nil {
		t.Fatalf("first update: %v", err)
	}
	// A second update against root is stale; one against an unknown hash is
	// ignored. Both are published before a valid update, which the storage
	// node handles after them.
	if err := c.Publish(ctx, "updates:"+root.String(), `[{"op":"add","path":"/stale","value":1}]`).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, "updates:0123456789abcdef", `[{"op":"add","path":"/x","value":1}]`).Err(); err != nil {
		t.Fatal(err)
	}
	h2, err := d.submit(ctx, c, h1, []byte(`[{"op":"add","path":"/b","value":2}]`))
	if err != nil {
		t.Fatalf("second update: %v", err)
	}
	if got, err := d.head(ctx, c, root); err != nil || got != h2 {
		t.Errorf("head = %v, %v; want %s", got, err, h2)
	}
	if n, err := c.Exists(ctx, h1.String()).Result(); err != nil || n != 0 {
		t.Errorf("old hash %s still stored (exists=%d, err %v)", h1, n, err)
	}
	d.mu.Lock()
	cfg, ok := d.heads[h2]
	heads := len(d.heads)
	d.mu.Unlock()
	if !ok || heads != 1 {
		t.Fatalf("storage node heads: %d, has h2 %v; want only h2", heads, ok)
	}
	want, err := hashchain.Canonicalize([]byte(`{"platform":"irc","server":"127.0.0.1:6667","channel":"#lobby","a":1,"b":2}`))
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.doc) != string(want) {
		t.Errorf("config = %s, want %s", cfg.doc, want)
	}
}
