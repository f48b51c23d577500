package host

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/patchbay/patchbay/botruntime/compose"
	"github.com/patchbay/patchbay/botruntime/connector"
	"github.com/patchbay/patchbay/botruntime/connector/irc"
	"github.com/patchbay/patchbay/botruntime/connector/irc/irctest"
	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/eventstore/storetest"
)

// crashy is a connector type for tests whose Serve fails at once.
func init() {
	connector.Register("crashy", func(p connector.Params) (connector.Connector, error) { return crashy{}, nil })
}

type crashy struct{}

func (crashy) Serve(context.Context) error { return errors.New("crashy: always fails") }
func (crashy) Reply(context.Context, map[string]string, string) error {
	return connector.ErrNotConnected
}

// startHost runs a Host with opts (NATS defaults to env's node) until the
// test ends, and waits until it is ready.
func startHost(t *testing.T, env *storetest.Env, opts Options) *Host {
	t.Helper()
	if opts.NATS == nil {
		nc, err := env.Node.Connect()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		opts.NATS = nc
	}
	if opts.Logger == nil && !testing.Verbose() {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.FetchWait == 0 {
		opts.FetchWait = time.Second
	}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- h.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("host did not stop")
		}
	})
	select {
	case <-h.Ready():
	case err := <-served:
		t.Fatalf("Serve returned before ready: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("host not ready")
	}
	return h
}

// parseCompose parses a compose file for a test.
func parseCompose(t *testing.T, src string) *compose.File {
	t.Helper()
	f, err := compose.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// echoBot is a compose file with bots answering "<greeting> <text>" on
// NATS subject <name>.in, one per name.
func echoBots(names ...string) string {
	var b strings.Builder
	b.WriteString("bots:\n")
	for _, n := range names {
		fmt.Fprintf(&b, `  %s:
    root: {platform: nats, channel: %s.in}
    settings: {greeting: Hi}
    connectors:
      - {name: n, type: nats, conf: {subject_in: %s.in, subject_out: %s.out}}
    tasks:
      - {type: reply, conf: {template: "{{.settings.greeting}} {{.message.text}}"}}
    restart: {max_restarts: 10, period: 10s}
`, n, n, n, n)
	}
	return b.String()
}

// ask sends text to the bot's subject until the reply is want.
func ask(t *testing.T, nc *nats.Conn, subject, text, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		m, err := nc.Request(subject, []byte(text), 2*time.Second)
		if err == nil {
			var r struct{ Text string }
			json.Unmarshal(m.Data, &r)
			if r.Text == want {
				return
			}
			last = r.Text
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s %q: want %q, last %q", subject, text, want, last)
}

// node finds a node of the tree by path ("factory/fleet/a/workers").
func node(tr TreeNode, path string) (TreeNode, bool) {
	n := tr
	for _, p := range strings.Split(path, "/") {
		i := slices.IndexFunc(n.Children, func(c TreeNode) bool { return c.Name == p })
		if i < 0 {
			return TreeNode{}, false
		}
		n = n.Children[i]
	}
	return n, true
}

// waitTree polls the tree until ok accepts it.
func waitTree(t *testing.T, h *Host, what string, ok func(TreeNode) bool) TreeNode {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		tr := h.Tree()
		if ok(tr) {
			return tr
		}
		if time.Now().After(deadline) {
			b, _ := json.MarshalIndent(tr, "", " ")
			t.Fatalf("tree never showed %s:\n%s", what, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func restartsOf(tr TreeNode, path string) int {
	n, ok := node(tr, path)
	if !ok {
		return -1
	}
	return n.Restarts
}

func TestTreeShapeAndGroups(t *testing.T) {
	env := storetest.Start(t, eventstore.Options{})
	h := startHost(t, env, Options{Compose: parseCompose(t, echoBots("a", "b"))})
	ask(t, env.Node.Conn(), "a.in", "x", "Hi x")
	tr := h.Tree()
	for _, p := range []string{
		"factory/superintendent", "factory/fleet/a/groups", "factory/fleet/a/settings",
		"factory/fleet/a/connector.n", "factory/fleet/a/taskback.n", "factory/fleet/a/workers",
		"factory/fleet/a/reconfigure", "factory/fleet/b/workers",
	} {
		if n, ok := node(tr, p); !ok || n.State != "running" {
			b, _ := json.MarshalIndent(tr, "", " ")
			t.Fatalf("%s: %+v %v in\n%s", p, n, ok, b)
		}
	}
	if _, ok := node(tr, "factory/endpoint"); ok {
		t.Fatal("an endpoint without HTTPListen")
	}
	if got := h.Members("platform:nats"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf(`Members("platform:nats") = %v`, got)
	}
	if got := h.Members("channel:b.in"); !slices.Equal(got, []string{"b"}) {
		t.Fatalf(`Members("channel:b.in") = %v`, got)
	}
	if st := h.Stats(); st.Bots != 2 || st.BotsRunning != 2 {
		t.Fatalf("Stats = %+v", st)
	}
	if err := h.StopBot(context.Background(), "b"); err != nil {
		t.Fatal(err)
	}
	waitTree(t, h, "b gone from the registry", func(TreeNode) bool { return len(h.Members("bot:b")) == 0 })
	if got := h.Bots(); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("Bots() = %v after StopBot(b)", got)
	}
}

// TestKillConnector: a killed connector restarts with the children after
// it (the workers), not those before it (its taskback, settings), and the
// bot answers again.
func TestKillConnector(t *testing.T) {
	env := storetest.Start(t, eventstore.Options{})
	h := startHost(t, env, Options{Compose: parseCompose(t, echoBots("a"))})
	nc := env.Node.Conn()
	ask(t, nc, "a.in", "x", "Hi x")
	if !h.kill("a/connector.n") {
		t.Fatal("no connector a/connector.n to kill")
	}
	tr := waitTree(t, h, "the workers restarted", func(tr TreeNode) bool {
		n, ok := node(tr, "factory/fleet/a/workers")
		return ok && n.Restarts == 1 && n.State == "running"
	})
	for path, want := range map[string]int{
		"factory/fleet/a/connector.n": 1, "factory/fleet/a/taskback.n": 0,
		"factory/fleet/a/settings": 0, "factory/fleet/a/groups": 0, "factory/superintendent": 0,
	} {
		if got := restartsOf(tr, path); got != want {
			t.Errorf("%s restarted %d times, want %d", path, got, want)
		}
	}
	ask(t, nc, "a.in", "y", "Hi y")
}

// TestKillSuperintendent: the Factory is one_for_all, so the Endpoint and
// the Fleet restart with the Superintendent and every bot comes back.
func TestKillSuperintendent(t *testing.T) {
	env := storetest.Start(t, eventstore.Options{})
	h := startHost(t, env, Options{Compose: parseCompose(t, echoBots("a", "b")), HTTPListen: "127.0.0.1:0"})
	nc := env.Node.Conn()
	ask(t, nc, "a.in", "x", "Hi x")
	addr := h.HTTPAddr()
	if !h.kill("superintendent") {
		t.Fatal("no superintendent to kill")
	}
	waitTree(t, h, "the factory restarted", func(tr TreeNode) bool {
		f, ok := node(tr, "factory/fleet")
		b, okb := node(tr, "factory/fleet/b/workers")
		return ok && f.Restarts == 1 && f.State == "running" && okb && b.State == "running"
	})
	if got := restartsOf(h.Tree(), "factory/endpoint"); got != 1 {
		t.Errorf("endpoint restarted %d times, want 1", got)
	}
	if h.HTTPAddr() != addr {
		t.Errorf("endpoint moved from %s to %s", addr, h.HTTPAddr())
	}
	ask(t, nc, "a.in", "again", "Hi again")
	ask(t, nc, "b.in", "again", "Hi again")
	resp, err := http.Get("http://" + addr + "/bots/a/n")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 { // a nats connector serves no webhook
		t.Fatalf("endpoint answered %d", resp.StatusCode)
	}
}

// TestCrashLoopingConnector: a connector that always fails exhausts its
// bot's restart intensity; that bot goes down, the others keep answering
// and nothing above the bot restarts.
func TestCrashLoopingConnector(t *testing.T) {
	env := storetest.Start(t, eventstore.Options{})
	src := echoBots("good") + `  bad:
    root: {platform: test}
    connectors: [{name: c, type: crashy}]
    tasks: [{type: log}]
    restart: {max_restarts: 3, period: 1m}
`
	h := startHost(t, env, Options{Compose: parseCompose(t, src)})
	tr := waitTree(t, h, "bad down", func(tr TreeNode) bool {
		n, ok := node(tr, "factory/fleet/bad")
		return ok && n.State == "down"
	})
	if got := restartsOf(tr, "factory/fleet"); got != 0 {
		t.Errorf("fleet restarted %d times", got)
	}
	if h.Bot("bad").Running() || !h.Bot("good").Running() {
		t.Fatalf("running: bad %v, good %v", h.Bot("bad").Running(), h.Bot("good").Running())
	}
	if st := h.Stats(); st.Bots != 2 || st.BotsRunning != 1 {
		t.Fatalf("Stats = %+v", st)
	}
	if got := h.Members("bot:bad"); len(got) != 0 {
		t.Fatalf("a down bot is still in its groups: %v", got)
	}
	ask(t, env.Node.Conn(), "good.in", "x", "Hi x")
}

// TestTwoHostsShareWorkQueue: two hosts (as two serve processes) run the
// same bot on one NATS; one takes messages in, both hosts' workers handle
// them, and every message is handled exactly once.
func TestTwoHostsShareWorkQueue(t *testing.T) {
	env := storetest.Start(t, eventstore.Options{})
	var mu sync.Mutex
	seen := map[string][]string{} // message text -> hosts that handled it
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Message map[string]string }
		json.NewDecoder(r.Body).Decode(&in)
		time.Sleep(5 * time.Millisecond) // slow enough that one host cannot keep up alone
		mu.Lock()
		seen[in.Message["text"]] = append(seen[in.Message["text"]], r.URL.Query().Get("host"))
		mu.Unlock()
		io.WriteString(w, `{"reply":"ok"}`)
	}))
	defer srv.Close()
	bot := func(host string, connectors string) string {
		return fmt.Sprintf(`bots:
  shared:
    root: {platform: nats, channel: shared.in}
    connectors: %s
    tasks: [{type: http, conf: {url: "%s/?host=%s"}}]
    workers: {min_idle: 2, max: 4}
`, connectors, srv.URL, host)
	}
	startHost(t, env, Options{Compose: parseCompose(t, bot("a", `[{name: n, type: nats, conf: {subject_in: shared.in, subject_out: shared.out}}]`))})
	startHost(t, env, Options{Compose: parseCompose(t, bot("b", `[{name: n, type: nats, conf: {subject_in: unused.in, subject_out: unused.out}}]`))})

	nc := env.Node.Conn()
	sub, err := nc.SubscribeSync("shared.out")
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	for i := range n {
		if err := nc.Publish("shared.in", []byte(`{"text":"m`+strconv.Itoa(i)+`","user":"u"}`)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if _, err := sub.NextMsg(30 * time.Second); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	perHost := map[string]int{}
	for i := range n {
		hosts := seen["m"+strconv.Itoa(i)]
		if len(hosts) != 1 {
			t.Fatalf("message m%d handled %d times (%v)", i, len(hosts), hosts)
		}
		perHost[hosts[0]]++
	}
	if len(seen) != n || perHost["a"] == 0 || perHost["b"] == 0 {
		t.Fatalf("handled %d distinct messages, per host %v: want %d shared by both", len(seen), perHost, n)
	}
	t.Logf("per host: %v", perHost)
}

// TestSlackThroughEndpoint: a signed Events API request to the host's
// HTTP listener reaches the bot, the reply is posted to the Web API; a bad
// signature and a stale timestamp are refused with 401; a retry is not
// processed twice. Other paths go to Options.Handler.
func TestSlackThroughEndpoint(t *testing.T) {
	env := storetest.Start(t, eventstore.Options{})
	posted := make(chan string, 10)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		json.NewDecoder(r.Body).Decode(&m)
		posted <- m["channel"] + ":" + m["text"]
		io.WriteString(w, `{"ok":true}`)
	}))
	defer api.Close()
	src := `bots:
  helper:
    root: {platform: slack, team: T1}
    settings: {greeting: Hello}
    connectors: [{name: slack, type: slack, conf: {signing_secret: s3, bot_token: xoxb, api_url: "` + api.URL + `"}}]
    tasks: [{type: reply, conf: {template: "{{.settings.greeting}}, {{.message.user}}!"}}]
`
	other := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "dashboard") })
	h := startHost(t, env, Options{Compose: parseCompose(t, src), HTTPListen: "127.0.0.1:0", Handler: other})
	url := "http://" + h.HTTPAddr()

	post := func(ts int64, secret, body string, hdr ...string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", url+"/bots/helper/slack", strings.NewReader(body))
		req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
		req.Header.Set("X-Slack-Signature", slackSignature(secret, ts, body))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ev := `{"type":"event_callback","event_id":"Ev1","event":{"type":"message","user":"U1","text":"hi","channel":"C1","ts":"1.1"}}`
	now := time.Now().Unix()
	if code := post(now, "wrong", ev); code != 401 {
		t.Fatalf("bad signature: %d, want 401", code)
	}
	if code := post(now-6*60, "s3", ev); code != 401 {
		t.Fatalf("stale timestamp: %d, want 401", code)
	}
	if code := post(now, "s3", ev); code != 200 {
		t.Fatalf("signed event: %d, want 200", code)
	}
	select {
	case got := <-posted:
		if got != "C1:Hello, U1!" {
			t.Fatalf("posted %q", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no reply posted")
	}
	if code := post(now, "s3", ev, "X-Slack-Retry-Num", "1", "X-Slack-Retry-Reason", "http_timeout"); code != 200 {
		t.Fatalf("retry: %d, want 200", code)
	}
	// A second, different event proves the pipeline ran after the retry; the
	// retry itself must not have produced a post.
	if code := post(now, "s3", strings.ReplaceAll(ev, "Ev1", "Ev2")); code != 200 {
		t.Fatal("second event refused")
	}
	select {
	case got := <-posted:
		if got != "C1:Hello, U1!" {
			t.Fatalf("posted %q", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no reply to the second event")
	}
	select {
	case got := <-posted:
		t.Fatalf("a retry was processed twice: extra post %q", got)
	case <-time.After(300 * time.Millisecond):
	}
	resp, err := http.Get(url + "/api/anything")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "dashboard" {
		t.Fatalf("other paths: %q, want the Handler's answer", body)
	}
}

// TestConnectionFieldChange: a patch to a connection field that a
// connector's conf names (${channel}) restarts only that connector: the
// bot joins the new channel, the settings follower and workers go on.
func TestConnectionFieldChange(t *testing.T) {
	addr := irctest.StartNgircd(t)
	env := storetest.Start(t, eventstore.Options{})
	src := strings.ReplaceAll(`bots:
  greeter:
    root: {platform: irc, server: "ADDR", channel: "#a"}
    settings: {greeting: Hello}
    connectors:
      - {name: irc, type: irc, conf: {server: "${server}", nick: greeter, channels: ["${channel}"], rate: {messages: 1000, per: 1s}}}
      - {name: n, type: nats, conf: {subject_in: greeter.in, subject_out: greeter.out}}
    tasks:
      - {type: command, conf: {commands: {hello: {type: reply, conf: {template: "{{.settings.greeting}}, {{.message.user}}!"}}}}}
`, "ADDR", addr)
	alice := irctest.Dial(t, addr, "alice")
	alice.Join("#a")
	h := startHost(t, env, Options{Compose: parseCompose(t, src)})
	alice.WaitFor(func(l irc.Line) bool { return l.Command == "JOIN" && irc.Nick(l.Prefix) == "greeter" })
	if got := h.Members("channel:#a"); !slices.Equal(got, []string{"greeter"}) {
		t.Fatalf(`Members("channel:#a") = %v`, got)
	}
	before := h.Tree()

	bob := irctest.Dial(t, addr, "bob")
	bob.Join("#b")
	head, err := env.Client.Head(context.Background(), h.Bot("greeter").Root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.Submit(context.Background(), head.Hash, []byte(`[{"op":"replace","path":"/channel","value":"#b"}]`)); err != nil {
		t.Fatal(err)
	}
	bob.WaitFor(func(l irc.Line) bool { return l.Command == "JOIN" && irc.Nick(l.Prefix) == "greeter" })
	bob.Send("PRIVMSG #b :!hello")
	l := bob.WaitFor(func(l irc.Line) bool { return l.Command == "PRIVMSG" })
	if got := l.Params[len(l.Params)-1]; got != "Hello, bob!" || l.Params[0] != "#b" {
		t.Fatalf("reply in #b: %v", l.Params)
	}
	after := h.Tree()
	for _, p := range []string{"settings", "workers", "connector.n", "taskback.n", "groups"} {
		path := "factory/fleet/greeter/" + p
		if restartsOf(after, path) != restartsOf(before, path) {
			t.Errorf("%s restarted (%d -> %d): only the irc connector should", path, restartsOf(before, path), restartsOf(after, path))
		}
	}
	ask(t, env.Node.Conn(), "greeter.in", `{"text":"!hello","user":"u"}`, "Hello, u!")
}

func TestSuperintendentRefuses(t *testing.T) {
	t.Run("unknown type", func(t *testing.T) {
		env := storetest.Start(t, eventstore.Options{})
		f := parseCompose(t, "bots:\n  x:\n    root: {platform: p}\n    connectors: [{name: c, type: nope}]\n    tasks: [{type: log}]\n")
		h, err := New(Options{NATS: env.Node.Conn(), Compose: f})
		if err != nil {
			t.Fatal(err)
		}
		err = h.Serve(context.Background())
		if err == nil || !strings.Contains(err.Error(), `unknown connector type "nope"`) {
			t.Fatalf("Serve = %v, want the unknown type named", err)
		}
	})
	t.Run("no store", func(t *testing.T) {
		env := storetest.Start(t, eventstore.Options{})
		env.Store.Close() // NATS runs, nobody serves the store
		h, err := New(Options{NATS: env.Node.Conn(), StoreTimeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Serve(context.Background()); !errors.Is(err, ErrStoreUnreachable) {
			t.Fatalf("Serve = %v, want ErrStoreUnreachable", err)
		}
		select {
		case <-h.Ready():
			t.Fatal("ready without a store")
		default:
		}
	})
}

// slackSignature is Slack's X-Slack-Signature of body sent at ts.
func slackSignature(secret string, ts int64, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:%s", ts, body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}
