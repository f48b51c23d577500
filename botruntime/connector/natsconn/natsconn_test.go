package natsconn

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/patchbay/patchbay/botruntime/connector"
)

func TestNATSConnector(t *testing.T) {
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	nc, err := nats.Connect("", nats.InProcessServer(s))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	var c connector.Connector
	got := make(chan map[string]string, 2)
	c, err = connector.New("nats", connector.Params{ID: "n1", NATS: nc, Conf: []byte(`{"subject_in":"chat.in","subject_out":"chat.out"}`),
		Sink: func(ctx context.Context, m map[string]string) error {
			got <- m
			return c.Reply(ctx, m, "hi "+m["user"])
		}})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := nc.SubscribeSync("chat.out")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Serve(ctx) }()
	defer func() { cancel(); <-done }()

	// Request/reply: the reply comes back to the requester too (and proves the subscription is live).
	var resp *nats.Msg
	for i := 0; i < 100; i++ {
		resp, err = nc.Request("chat.in", []byte(`{"text":"!hello","user":"bob","channel":"c1","id":"m1"}`), 5*time.Second)
		if err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]string
	json.Unmarshal(resp.Data, &r)
	if r["text"] != "hi bob" || r["in_reply_to"] != "m1" || r["channel"] != "c1" {
		t.Fatalf("reply %v", r)
	}
	m := <-got
	if m["platform"] != "nats" || m["connector"] != "n1" || m["text"] != "!hello" {
		t.Fatalf("message %v", m)
	}
	if o, err := out.NextMsg(10 * time.Second); err != nil || string(o.Data) != string(resp.Data) {
		t.Fatalf("out subject got %v, %v", o, err)
	}
	// Plain text payload.
	nc.Publish("chat.in", []byte("plain words"))
	if m := <-got; m["text"] != "plain words" || m["user"] != "nats" || m["id"] == "" {
		t.Fatalf("plain message %v", m)
	}
}
