package gateway

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func newGoRedis(t testing.TB, addr string, proto int, mod func(*redis.Options)) *redis.Client {
	t.Helper()
	o := &redis.Options{Addr: addr, Protocol: proto, MaxRetries: -1, DialTimeout: 10 * time.Second, ReadTimeout: 20 * time.Second, WriteTimeout: 20 * time.Second}
	if mod != nil {
		mod(o)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { c.Close() })
	return c
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func receiveMessage(t testing.TB, ctx context.Context, ps *redis.PubSub) *redis.Message {
	t.Helper()
	for {
		m, err := ps.Receive(ctx)
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		switch m := m.(type) {
		case *redis.Message:
			return m
		case *redis.Subscription, *redis.Pong:
			continue
		default:
			t.Fatalf("unexpected %T %v", m, m)
		}
	}
}

// TestGoRedis runs go-redis v9 against the gateway in RESP2 and RESP3.
func TestGoRedis(t *testing.T) {
	_, nc := startNATS(t)
	addr, srv := startGateway(t, nc, Options{})
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			ctx := testCtx(t)
			c := newGoRedis(t, addr, proto, func(o *redis.Options) { o.ClientName = "gotest" })
			if got, err := c.Ping(ctx).Result(); err != nil || got != "PONG" {
				t.Fatalf("PING: %q %v", got, err)
			}
			if got, err := c.Echo(ctx, "hi\x00there").Result(); err != nil || got != "hi\x00there" {
				t.Fatalf("ECHO: %q %v", got, err)
			}
			if got, err := c.ClientGetName(ctx).Result(); err != nil || got != "gotest" {
				t.Fatalf("CLIENT GETNAME: %q %v", got, err)
			}
			if id, err := c.ClientID(ctx).Result(); err != nil || id <= 0 {
				t.Fatalf("CLIENT ID: %d %v", id, err)
			}
			info, err := c.Info(ctx, "server").Result()
			if err != nil || !strings.Contains(info, "# Server") || !strings.Contains(info, "redis_version:"+RedisVersion) || strings.Contains(info, "# Clients") {
				t.Fatalf("INFO server: %q %v", info, err)
			}
			list, err := c.ClientList(ctx).Result()
			if err != nil || !strings.Contains(list, "name=gotest") || !strings.Contains(list, fmt.Sprintf("resp=%d", proto)) {
				t.Fatalf("CLIENT LIST: %q %v", list, err)
			}
			if n, err := c.Do(ctx, "COMMAND", "COUNT").Int(); err != nil || n != len(commands) {
				t.Fatalf("COMMAND COUNT: %d %v", n, err)
			}
			if _, err := c.Get(ctx, "nothing").Result(); !errors.Is(err, redis.Nil) {
				t.Fatalf("GET missing: %v, want redis.Nil", err)
			}
			if err := c.Set(ctx, "head:0123456789abcdef", "x", 0).Err(); err == nil || !strings.Contains(err.Error(), "read-only") {
				t.Fatalf("SET: %v, want a read-only error", err)
			}
			if err := c.Do(ctx, "NOSUCH", "a").Err(); err == nil || err.Error() != "ERR unknown command 'NOSUCH', with args beginning with: 'a' " {
				t.Fatalf("unknown command: %v", err)
			}

			ch := fmt.Sprintf("chat-%d", proto)
			ps := c.Subscribe(ctx, ch)
			defer ps.Close()
			if _, err := ps.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			pps := c.PSubscribe(ctx, "chat-*")
			defer pps.Close()
			if _, err := pps.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			if err := ps.Ping(ctx); err != nil {
				t.Fatalf("PING in subscribed mode: %v", err)
			}
			pub := newGoRedis(t, addr, proto, nil)
			n, err := pub.Publish(ctx, ch, "hello").Result()
			if err != nil || n != 2 {
				t.Fatalf("PUBLISH: %d %v, want 2", n, err)
			}
			if m := receiveMessage(t, ctx, ps); m.Channel != ch || m.Payload != "hello" {
				t.Fatalf("message: %+v", m)
			}
			if m := receiveMessage(t, ctx, pps); m.Channel != ch || m.Pattern != "chat-*" || m.Payload != "hello" {
				t.Fatalf("pmessage: %+v", m)
			}
			nums, err := pub.PubSubNumSub(ctx, ch, "none").Result()
			if err != nil || nums[ch] != 1 || nums["none"] != 0 {
				t.Fatalf("PUBSUB NUMSUB: %v %v", nums, err)
			}
			if n, err := pub.PubSubNumPat(ctx).Result(); err != nil || n != 1 {
				t.Fatalf("PUBSUB NUMPAT: %d %v", n, err)
			}
			chans, err := pub.PubSubChannels(ctx, "chat-*").Result()
			if err != nil || len(chans) != 1 || chans[0] != ch {
				t.Fatalf("PUBSUB CHANNELS: %v %v", chans, err)
			}
			if err := ps.Unsubscribe(ctx, ch); err != nil {
				t.Fatal(err)
			}
			if err := pps.PUnsubscribe(ctx); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "unsubscribed", func() bool { st := srv.Stats(); return st.Channels == 0 && st.Patterns == 0 })
			if n, err := pub.Publish(ctx, ch, "later").Result(); err != nil || n != 0 {
				t.Fatalf("PUBLISH after unsubscribe: %d %v", n, err)
			}
		})
	}
}

// TestBridgeBetweenGateways: ordinary channels are shared by every gateway
// on the same NATS; a gateway does not deliver its own messages twice.
func TestBridgeBetweenGateways(t *testing.T) {
	ns, nc1 := startNATS(t)
	nc2 := connectNATS(t, ns)
	addr1, _ := startGateway(t, nc1, Options{})
	addr2, _ := startGateway(t, nc2, Options{})
	ctx := testCtx(t)
	local := newGoRedis(t, addr1, 3, nil).Subscribe(ctx, "room.1 *weird*")
	defer local.Close()
	remote := newGoRedis(t, addr2, 2, nil).PSubscribe(ctx, "room.1*")
	defer remote.Close()
	for _, ps := range []*redis.PubSub{local, remote} {
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
	}
	pub := newGoRedis(t, addr1, 3, nil)
	for i := range 3 {
		if n, err := pub.Publish(ctx, "room.1 *weird*", fmt.Sprint(i)).Result(); err != nil || n != 1 {
			t.Fatalf("PUBLISH: %d %v, want 1 (local receivers)", n, err)
		}
	}
	for i := range 3 {
		if m := receiveMessage(t, ctx, local); m.Payload != fmt.Sprint(i) || m.Channel != "room.1 *weird*" {
			t.Fatalf("local got %+v", m)
		}
		if m := receiveMessage(t, ctx, remote); m.Payload != fmt.Sprint(i) || m.Pattern != "room.1*" {
			t.Fatalf("remote got %+v", m)
		}
	}
	// Nothing more: a marker published after arrives next (no duplicates).
	if err := pub.Publish(ctx, "room.1 *weird*", "end").Err(); err != nil {
		t.Fatal(err)
	}
	if m := receiveMessage(t, ctx, local); m.Payload != "end" {
		t.Fatalf("local got duplicate %+v", m)
	}
}

func TestAuth(t *testing.T) {
	_, nc := startNATS(t)
	addr, srv := startGateway(t, nc, Options{
		Password:    "pw",
		Users:       map[string]string{"alice": "wonder"},
		UserDigests: map[string][sha256.Size]byte{"bob": sha256.Sum256([]byte("builder"))},
	})
	ctx := testCtx(t)
	for _, proto := range []int{2, 3} {
		anon := newGoRedis(t, addr, 2, nil)
		if err := anon.Ping(ctx).Err(); err == nil || err.Error() != "NOAUTH Authentication required." {
			t.Fatalf("PING unauthenticated: %v", err)
		}
		if err := anon.Publish(ctx, "x", "y").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
			t.Fatalf("PUBLISH unauthenticated: %v", err)
		}
		bad := newGoRedis(t, addr, proto, func(o *redis.Options) { o.Username, o.Password = "alice", "nope" })
		if err := bad.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
			t.Fatalf("wrong password: %v", err)
		}
		for _, o := range []func(*redis.Options){
			func(o *redis.Options) { o.Password = "pw" },
			func(o *redis.Options) { o.Username, o.Password = "alice", "wonder" },
			func(o *redis.Options) { o.Username, o.Password = "default", "pw" },
			func(o *redis.Options) { o.Username, o.Password = "bob", "builder" },
		} {
			c := newGoRedis(t, addr, proto, o)
			if err := c.Ping(ctx).Err(); err != nil {
				t.Fatalf("RESP%d authenticated PING: %v", proto, err)
			}
		}
		for _, o := range []func(*redis.Options){
			func(o *redis.Options) { o.Username, o.Password = "bob", "wonder" },    // another user's password
			func(o *redis.Options) { o.Username, o.Password = "alice", "builder" }, // ditto
			func(o *redis.Options) { o.Username, o.Password = "carol", "pw" },      // unknown user
			func(o *redis.Options) { o.Password = "wonder" },                       // default user, wrong password
		} {
			c := newGoRedis(t, addr, proto, o)
			if err := c.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
				t.Fatalf("RESP%d: a wrong pair was accepted or gave the wrong error: %v", proto, err)
			}
		}
	}
	// One bad pair per protocol above plus four more each: go-redis may
	// retry a failed handshake, so count at least.
	before := srv.Stats().AuthFailures
	if before < 10 {
		t.Fatalf("AuthFailures = %d, want at least 10", before)
	}
	raw := dialRaw(t, addr)
	raw.send("AUTH bob wonder\r\n")
	raw.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n")
	raw.send("AUTH bob builder\r\n")
	raw.expect("+OK\r\n")
	if got := srv.Stats().AuthFailures; got != before+1 {
		t.Fatalf("AuthFailures = %d after one more failure, want %d", got, before+1)
	}
}

func TestMaxClients(t *testing.T) {
	_, nc := startNATS(t)
	addr, srv := startGateway(t, nc, Options{MaxClients: 2})
	a, b := dialRaw(t, addr), dialRaw(t, addr)
	a.send("PING\r\n")
	a.expect("+PONG\r\n")
	b.send("PING\r\n")
	b.expect("+PONG\r\n")
	c := dialRaw(t, addr)
	if got := c.readAll(); got != "-ERR max number of clients reached\r\n" {
		t.Fatalf("third client got %q", got)
	}
	if st := srv.Stats(); st.RejectedMaxClients < 1 || st.Clients != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestRequestLimits(t *testing.T) {
	_, nc := startNATS(t)
	addr, srv := startGateway(t, nc, Options{MaxRequestBytes: 1000, MaxArgs: 5})
	tests := []struct{ in, want string }{
		{"*2\r\n$4\r\nECHO\r\n$1001\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"*6\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"*3\r\n$7\r\nPUBLISH\r\n$500\r\n" + strings.Repeat("a", 500) + "\r\n$500\r\n", "-ERR Protocol error: request too large\r\n"},
		{"ECHO " + strings.Repeat("b", 1001) + "\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
	}
	for _, tt := range tests {
		c := dialRaw(t, addr)
		c.send(tt.in)
		if got := c.readAll(); got != tt.want {
			t.Errorf("%.40q: got %q, want %q", tt.in, got, tt.want)
		}
	}
	// Other clients are unaffected.
	ok := dialRaw(t, addr)
	ok.send("PING\r\n")
	ok.expect("+PONG\r\n")
	if st := srv.Stats(); st.ProtocolErrors != uint64(len(tests)) {
		t.Fatalf("ProtocolErrors = %d, want %d", st.ProtocolErrors, len(tests))
	}
}
