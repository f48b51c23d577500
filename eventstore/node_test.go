package eventstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// TestNodeToken: with a token, external clients without it are refused,
// the node's own connections and clients with it work.
func TestNodeToken(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := StartNode(ctx, NodeOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:0", Token: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	st, err := Open(ctx, node.Conn(), Options{})
	if err != nil {
		t.Fatalf("the node's own connection: %v", err)
	}
	defer st.Close()
	url := node.ClientURL()
	tests := []struct {
		name string
		url  string
		opts []nats.Option
		ok   bool
	}{
		{"no token", url, nil, false},
		{"wrong token", url, []nats.Option{nats.Token("nope")}, false},
		{"token option", url, []nats.Option{nats.Token("s3cret")}, true},
		{"token in URL", strings.Replace(url, "nats://", "nats://s3cret@", 1), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nc, err := nats.Connect(tt.url, append(tt.opts, nats.MaxReconnects(0))...)
			if !tt.ok {
				if err == nil || !strings.Contains(strings.ToLower(err.Error()), "authorization") {
					nc.Close()
					t.Fatalf("connected without the right token (err %v)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			if _, err := NewClient(nc).Create(ctx, []byte(`{"platform":"x"}`)); err != nil {
				t.Fatalf("create with the token: %v", err)
			}
		})
	}
	extra, err := node.Connect()
	if err != nil {
		t.Fatalf("node.Connect: %v", err)
	}
	extra.Close()
}
