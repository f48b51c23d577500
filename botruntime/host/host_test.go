package host

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/patchbay/patchbay/botruntime/compose"
	"github.com/patchbay/patchbay/botruntime/connector"
	"github.com/patchbay/patchbay/botruntime/connector/irc"
	"github.com/patchbay/patchbay/botruntime/connector/irc/irctest"
	"github.com/patchbay/patchbay/botruntime/task"
	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/eventstore/storetest"
)

const greeterYAML = `bots:
  greeter:
    root: {platform: irc, server: "ADDR", channel: "#lobby"}
    settings: {greeting: Hello}
    connectors:
      - name: irc
        type: irc
        conf: {server: "ADDR", nick: greeter, channels: ["#lobby"], rate: {messages: 100000, per: 1s}}
    tasks:
      - type: command
        conf:
          commands:
            hello: {type: reply, conf: {template: "{{.settings.greeting}}, {{.message.user}}!"}}
`

func TestIRCGreeterEndToEnd(t *testing.T) {
	addr := irctest.StartNgircd(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := storetest.Start(t, eventstore.Options{})
	node := env.Node
	h := startHost(t, env, Options{NATS: node.Conn()})

	// Alice is in #lobby first and sees the bot join.
	alice := irctest.Dial(t, addr, "alice")
	alice.Join("#lobby")

	f, err := compose.Parse("greeter.yaml", []byte(strings.ReplaceAll(greeterYAML, "ADDR", addr)))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.CheckTypes(connector.Lookup, task.Lookup); err != nil {
		t.Fatal(err)
	}
	if err := h.Compose(ctx, f); err != nil {
		t.Fatal(err)
	}
	if err := h.CreateBot(ctx, f.Bots[0]); !errors.Is(err, ErrBotExists) {
		t.Fatalf("second CreateBot = %v, want ErrBotExists", err)
	}
	if err := h.StopBot(ctx, "nobody"); !errors.Is(err, ErrNoBot) {
		t.Fatalf("StopBot(nobody) = %v, want ErrNoBot", err)
	}
	alice.WaitFor(func(l irc.Line) bool { return l.Command == "JOIN" && irc.Nick(l.Prefix) == "greeter" })

	ask := func(want string) time.Duration {
		t.Helper()
		start := time.Now()
		alice.Send("PRIVMSG #lobby :!hello")
		l := alice.WaitFor(func(l irc.Line) bool { return l.Command == "PRIVMSG" })
		d := time.Since(start)
		if got := l.Params[len(l.Params)-1]; got != want || irc.Nick(l.Prefix) != "greeter" {
			t.Fatalf("reply %q from %s, want %q", got, l.Prefix, want)
		}
		return d
	}
	ask("Hello, alice!")

	// A patch to the bot's config changes the next reply, without reconnecting.
	b := h.Bot("greeter")
	client := eventstore.NewClient(node.Conn())
	head, err := client.Head(ctx, b.Root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Submit(ctx, head.Hash, []byte(`[{"op":"replace","path":"/greeting","value":"Howdy"}]`)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for b.Settings()["greeting"] != "Howdy" {
		if time.Now().After(deadline) {
			t.Fatalf("settings not updated: %v", b.Settings())
		}
		time.Sleep(10 * time.Millisecond)
	}
	ask("Howdy, alice!")

	// Latency IRC message -> reply, sequential round trips.
	n := 200
	if s := os.Getenv("PATCHBAY_LATENCY_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	lat := make([]time.Duration, n)
	for i := range lat {
		lat[i] = ask("Howdy, alice!")
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("IRC !hello -> reply over %d messages: median %v, p99 %v, max %v", n, lat[n/2], lat[n*99/100], lat[n-1])

	// ConnectBot: a nats connector joins the running bot and shares its workers.
	if err := h.ConnectBot(ctx, "greeter", compose.Connector{Name: "nats", Type: "nats", Conf: []byte(`{"subject_in":"greeter.in","subject_out":"greeter.out"}`)}); err != nil {
		t.Fatal(err)
	}
	var resp *nats.Msg
	for i := 0; i < 200; i++ {
		if resp, err = node.Conn().Request("greeter.in", []byte(`{"text":"!hello","user":"nate"}`), 5*time.Second); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil || !strings.Contains(string(resp.Data), `"text":"Howdy, nate!"`) {
		t.Fatalf("nats reply %v, %v", resp, err)
	}

	// The Endpoint routes Slack events to a slack connector of the bot.
	posted := make(chan string, 1)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		json.NewDecoder(r.Body).Decode(&m)
		posted <- m["channel"] + ":" + m["text"]
		io.WriteString(w, `{"ok":true}`)
	}))
	defer api.Close()
	if err := h.ConnectBot(ctx, "greeter", compose.Connector{Name: "slack", Type: "slack", Conf: []byte(`{"signing_secret":"s3","bot_token":"xoxb","api_url":"` + api.URL + `"}`)}); err != nil {
		t.Fatal(err)
	}
	body := `{"type":"event_callback","event_id":"Ev9","event":{"type":"message","user":"U1","text":"!hello","channel":"C1","ts":"1.1"}}`
	now := time.Now().Unix()
	req := httptest.NewRequest("POST", "/bots/greeter/slack", strings.NewReader(body))
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now, 10))
	req.Header.Set("X-Slack-Signature", slackSignature("s3", now, body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("endpoint status %d", rec.Code)
	}
	select {
	case got := <-posted:
		if got != "C1:Howdy, U1!" {
			t.Fatalf("slack post %q", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no slack reply")
	}
	if rec := httptest.NewRecorder(); func() int { h.ServeHTTP(rec, httptest.NewRequest("POST", "/bots/greeter/irc", nil)); return rec.Code }() != 404 {
		t.Fatal("irc connector served HTTP")
	}

	if err := h.StopBot(ctx, "greeter"); err != nil {
		t.Fatal(err)
	}
	alice.WaitFor(func(l irc.Line) bool { return l.Command == "QUIT" && irc.Nick(l.Prefix) == "greeter" })
	if h.Bot("greeter") != nil {
		t.Fatal("bot still listed after StopBot")
	}
}
