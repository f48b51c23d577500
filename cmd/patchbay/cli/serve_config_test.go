package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/redis/go-redis/v9"

	"github.com/patchbay/patchbay/hashchain"
)

// composeEcho is a compose file with one bot on the nats connector, a named
// gateway user and its own ports left to flags.
const composeEcho = `version: 1
gateway:
  users:
    alice: {password: wonderland}
bots:
  echo:
    root: {platform: nats, subject: demo.in}
    settings: {greeting: Hi}
    connectors:
      - name: n
        type: nats
        conf: {subject_in: demo.in, subject_out: demo.out}
    tasks:
      - type: reply
        conf: {template: "{{.settings.greeting}} {{.message.text}}"}
`

// TestServeConfig runs "patchbay serve --config" as a child process: the bot
// answers over NATS, a patch changes its answer without a restart, the
// gateway requires the configured user, and the HTTP server answers
// /healthz, /metrics and the API.
func TestServeConfig(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "patchbay.yml")
	if err := os.WriteFile(cfg, []byte(composeEcho), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, redisAddr, httpAddr := freePort(t), freePort(t), freePort(t)
	srv := startServe(t, bin, filepath.Join(dir, "data"), addr, "--config", cfg, "--redis-listen", redisAddr, "--http-listen", httpAddr, "--redis-user", "bob:builder")
	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	ask := func(want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			m, err := nc.Request("demo.in", []byte("there"), 2*time.Second)
			if err == nil {
				var r struct{ Text string }
				if err := json.Unmarshal(m.Data, &r); err != nil {
					t.Fatalf("reply %q: %v", m.Data, err)
				}
				if r.Text == want {
					return
				}
				err = &json.UnsupportedValueError{Str: r.Text}
			}
			if time.Now().After(deadline) {
				t.Fatalf("bot reply: want %q, last %v\nlogs:\n%s", want, err, srv.logs.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	ask("Hi there")

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	root, _, err := hashchain.RootHash([]byte(`{"platform":"nats","subject":"demo.in"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, "", "patch", "--server=nats://"+addr, "--head", root.String(), `[{"op":"replace","path":"/greeting","value":"Yo"}]`); err != nil {
		t.Fatal(err)
	}
	ask("Yo there")

	// Gateway: the configured user, nothing without AUTH.
	anon := redis.NewClient(&redis.Options{Addr: redisAddr, Protocol: 2})
	defer anon.Close()
	if err := anon.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Fatalf("ping without auth: %v, want NOAUTH", err)
	}
	alice := redis.NewClient(&redis.Options{Addr: redisAddr, Username: "alice", Password: "wonderland"})
	defer alice.Close()
	if v, err := alice.Get(ctx, "head:"+root.String()).Result(); err != nil || len(v) != 16 {
		t.Fatalf("GET head as alice: %q, %v", v, err)
	}
	bob := redis.NewClient(&redis.Options{Addr: redisAddr, Username: "bob", Password: "builder", Protocol: 3})
	defer bob.Close()
	if err := bob.Ping(ctx).Err(); err != nil {
		t.Fatalf("bob from --redis-user: %v", err)
	}
	bad := redis.NewClient(&redis.Options{Addr: redisAddr, Username: "alice", Password: "nope"})
	defer bad.Close()
	if err := bad.Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Fatalf("wrong password: %v, want WRONGPASS", err)
	}

	// HTTP: health, metrics, API, tree.
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + httpAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz = %d %q", code, body)
	}
	code, body := get("/metrics")
	for _, re := range []string{
		`(?m)^patchbay_nats_connections [1-9]`,
		`(?m)^patchbay_gateway_auth_failures_total [1-9]`,
		`(?m)^patchbay_bots 1$`,
		`(?m)^go_goroutines \d+`,
	} {
		if code != 200 || !regexp.MustCompile(re).MatchString(body) {
			t.Errorf("/metrics (%d) does not match %s", code, re)
		}
	}
	if code, body := get("/api/configs/" + root.String() + "/head"); code != 200 || !strings.Contains(body, `"greeting":"Yo"`) {
		t.Fatalf("/api head = %d %s", code, body)
	}
	if code, body := get("/api/tree"); code != 200 || !strings.Contains(body, `"echo"`) {
		t.Fatalf("/api/tree = %d %s", code, body)
	}
	if strings.Count(srv.logs.String(), "level=ERROR") > 0 {
		t.Errorf("serve logged errors:\n%s", srv.logs.String())
	}
}

// TestServeBadConfig: a broken compose file stops serve before it starts
// anything, with file:line:col.
func TestServeBadConfig(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "bad.yml")
	os.WriteFile(cfg, []byte("version: 1\nbots:\n  b:\n    root: [1]\n"), 0o644)
	out, err := exec.Command(bin, "serve", "--config", cfg, "--data", filepath.Join(dir, "data"), "--listen", "", "--redis-listen", "", "--http-listen", "").CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), cfg+":4:11:") {
		t.Fatalf("serve with a bad config: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !os.IsNotExist(err) {
		t.Errorf("serve created the data directory before refusing the config (%v)", err)
	}
}

// TestServeRefusesOpenListeners: listening beyond loopback without
// authentication is refused with a one-line error, before serving.
func TestServeRefusesOpenListeners(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"nats", []string{"--listen", "0.0.0.0:0"}, "--listen beyond loopback requires --nats-token"},
		{"gateway", []string{"--listen", "", "--redis-listen", "0.0.0.0:0"}, "--redis-listen beyond loopback requires --redis-password or --redis-user"},
		{"http", []string{"--listen", "", "--redis-listen", "", "--http-listen", "0.0.0.0:0"}, "--http-listen beyond loopback requires --http-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--data", filepath.Join(t.TempDir(), "data")}, tt.args...)
			_, _, err := run(t, "", args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("serve %v = %v, want %q", tt.args, err, tt.want)
			}
		})
	}
}

// TestServeNATSToken: with --nats-token, client commands need the token
// (PATCHBAY_NATS_TOKEN or in the URL).
func TestServeNATSToken(t *testing.T) {
	bin := buildBinary(t)
	addr := freePort(t)
	startServe(t, bin, filepath.Join(t.TempDir(), "data"), addr, "--nats-token", "tok3n")
	root := `{"platform":"irc","channel":"#tok"}`
	if _, _, err := run(t, "", "create", "--server", "nats://"+addr, root); err == nil || !strings.Contains(strings.ToLower(err.Error()), "authorization") {
		t.Fatalf("create without the token: %v, want an authorization error", err)
	}
	if out, _, err := run(t, "", "create", "--server", "nats://tok3n@"+addr, root); err != nil || len(strings.TrimSpace(out)) != 16 {
		t.Fatalf("create with the token in the URL: %q, %v", out, err)
	}
	t.Setenv("PATCHBAY_NATS_TOKEN", "tok3n")
	if _, _, err := run(t, "", "get", "--server", "nats://"+addr, "--config", mustRoot(t, root)); err != nil {
		t.Fatalf("get with PATCHBAY_NATS_TOKEN: %v", err)
	}
}

func mustRoot(t *testing.T, doc string) string {
	t.Helper()
	h, _, err := hashchain.RootHash([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// TestTwoServesShareWorkQueue: two "patchbay serve" processes on one NATS
// (the second with --nats-url) run the same bot; the first takes messages
// in, workers of both handle them, each message exactly once.
func TestTwoServesShareWorkQueue(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	bot := func(name, subject string) string {
		f := filepath.Join(dir, name+".yml")
		src := `bots:
  shared:
    root: {platform: nats, channel: shared}
    connectors: [{name: n, type: nats, conf: {subject_in: ` + subject + `, subject_out: shared.out}}]
    tasks:
      - {type: exec, conf: {command: [/bin/sleep, "0.01"]}}
      - {type: reply, conf: {template: "` + name + `"}}
    workers: {min_idle: 2, max: 4}
`
		if err := os.WriteFile(f, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	addr := freePort(t)
	startServe(t, bin, filepath.Join(dir, "a"), addr, "--config", bot("a", "shared.in"))
	startServe(t, bin, filepath.Join(dir, "b"), "", "--nats-url", "nats://"+addr, "--config", bot("b", "unused.in"))

	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	out, err := nc.SubscribeSync("shared.out")
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	for i := range n {
		if err := nc.Publish("shared.in", []byte(fmt.Sprintf(`{"text":"m%d","user":"u"}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	per := map[string]int{}
	seen := map[string]bool{}
	for i := range n {
		m, err := out.NextMsg(60 * time.Second)
		if err != nil {
			t.Fatalf("reply %d of %d: %v (per process so far %v)", i, n, err, per)
		}
		var r struct {
			Text      string `json:"text"`
			InReplyTo string `json:"in_reply_to"`
		}
		if err := json.Unmarshal(m.Data, &r); err != nil {
			t.Fatal(err)
		}
		if seen[r.InReplyTo] {
			t.Fatalf("message %s handled twice", r.InReplyTo)
		}
		seen[r.InReplyTo] = true
		per[r.Text]++
	}
	if m, err := out.NextMsg(500 * time.Millisecond); err == nil {
		t.Fatalf("an extra reply: %s", m.Data)
	}
	if per["a"] == 0 || per["b"] == 0 || per["a"]+per["b"] != n {
		t.Fatalf("replies per process %v: want %d shared by both", per, n)
	}
	t.Logf("messages handled per process: %v", per)
}
