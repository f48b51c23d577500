package irc_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/botruntime/connector"
	"github.com/patchbay/patchbay/botruntime/connector/irc"
	"github.com/patchbay/patchbay/botruntime/connector/irc/irctest"
)

func TestIRCWithNgircd(t *testing.T) {
	addr := irctest.StartNgircd(t)
	var (
		mu   sync.Mutex
		got  []map[string]string
		conn connector.Connector
	)
	sink := func(ctx context.Context, msg map[string]string) error {
		mu.Lock()
		got = append(got, msg)
		mu.Unlock()
		text := "hello, " + msg[connector.KeyUser] + "!"
		if msg[connector.KeyText] == "!long" {
			text = strings.Repeat("word ", 60) + "end"
		}
		go conn.Reply(ctx, msg, text)
		return nil
	}
	conf, _ := json.Marshal(map[string]any{
		"server": addr, "nick": "greeter", "channels": []string{"#lobby"},
		"twitch_tags": true, "platform": "irc", "max_line": 100,
		"rate": map[string]any{"messages": 100, "per": "1s"},
	})
	var err error
	conn, err = connector.New("irc", connector.Params{ID: "irc1", Conf: conf, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- conn.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve returned %v", err)
		}
	})
	select {
	case <-conn.(*irc.Conn).Joined():
	case <-time.After(20 * time.Second):
		t.Fatal("bot did not join #lobby")
	}

	alice := irctest.Dial(t, addr, "alice")
	alice.Join("#lobby")
	alice.Send("PRIVMSG #lobby :!hello")
	l := alice.WaitFor(func(l irc.Line) bool { return l.Command == "PRIVMSG" })
	if irc.Nick(l.Prefix) != "greeter" || l.Params[0] != "#lobby" || l.Params[1] != "hello, alice!" {
		t.Fatalf("got reply %+v, want greeter -> #lobby: hello, alice!", l)
	}

	// A private message is answered privately.
	alice.Send("PRIVMSG greeter :hi")
	l = alice.WaitFor(func(l irc.Line) bool { return l.Command == "PRIVMSG" })
	if l.Params[0] != "alice" || l.Params[1] != "hello, alice!" {
		t.Fatalf("private reply %+v, want to alice", l)
	}

	// A long reply arrives split into lines of at most max_line bytes.
	alice.Send("PRIVMSG #lobby :!long")
	var parts []string
	for {
		l = alice.WaitFor(func(l irc.Line) bool { return l.Command == "PRIVMSG" })
		if len(l.Params[1]) > 100 {
			t.Fatalf("line of %d bytes, want <= 100", len(l.Params[1]))
		}
		parts = append(parts, l.Params[1])
		if strings.HasSuffix(l.Params[1], "end") {
			break
		}
	}
	if want := strings.Repeat("word ", 60) + "end"; strings.Join(parts, " ") != want || len(parts) < 3 {
		t.Fatalf("long reply reassembled = %q in %d parts", strings.Join(parts, " "), len(parts))
	}

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("sink got %d messages, want 3", len(got))
	}
	m := got[0]
	for k, want := range map[string]string{"text": "!hello", "user": "alice", "channel": "#lobby", "platform": "irc", "connector": "irc1", "id": "irc1-1"} {
		if m[k] != want {
			t.Errorf("message[%q] = %q, want %q", k, m[k], want)
		}
	}
}
