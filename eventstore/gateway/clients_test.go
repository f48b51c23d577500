package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/eventstore"
)

func redisCLI(t *testing.T, addr string, args ...string) string {
	t.Helper()
	host, port, _ := splitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-cli", append([]string{"-h", host, "-p", port}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
	}
	return strings.TrimRight(string(out), "\n")
}

// TestRedisCLI drives the gateway with the real redis-cli binary.
func TestRedisCLI(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Fatalf("redis-cli is required (CI installs redis-tools): %v", err)
	}
	env, addr, _ := startStoreGateway(t, Options{})
	root := createRoot(t, env, `{"platform":"irc","channel":"#cli"}`)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "PONG"},
		{[]string{"-3", "PING"}, "PONG"},
		{[]string{"ECHO", "hi there"}, "hi there"},
		{[]string{"PUBLISH", "ordinary", "x"}, "0"},
		{[]string{"GET", "head:" + root.String()}, root.String()},
		{[]string{"GET", "config:" + root.String()}, `{"channel":"#cli","platform":"irc"}`},
		{[]string{"-3", "GET", "missing"}, ""},
		{[]string{"PUBLISH", "updates:" + root.String(), `[{"op":"add","path":"/x","value":1}]`}, "0"},
		{[]string{"PUBLISH", "updates:" + root.String(), `[]`}, "STALE stale: "},
		{[]string{"SELECT", "1"}, "ERR DB index is out of range"},
		{[]string{"CLIENT", "SETNAME", "a b"}, "ERR Client names cannot contain spaces, newlines or special characters."},
	}
	for _, tt := range tests {
		got := redisCLI(t, addr, tt.args...)
		if got != tt.want && !(strings.HasSuffix(tt.want, " ") && strings.HasPrefix(got, tt.want)) {
			t.Errorf("redis-cli %q: got %q, want %q", tt.args, got, tt.want)
		}
	}
	if info := redisCLI(t, addr, "INFO"); !strings.Contains(info, "# Server") || !strings.Contains(info, "redis_version:") {
		t.Errorf("INFO: %q", info)
	}

	// A streaming subscription.
	host, port, _ := splitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "redis-cli", "-h", host, "-p", port, "SUBSCRIBE", "updates:"+root.String())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	var seen []string
	for lines.Scan() {
		seen = append(seen, lines.Text())
		if len(seen) == 3 { // subscribe, channel, count
			if n := redisCLI(t, addr, "PUBLISH", "update_requests", root.String()); n != "1" {
				t.Fatalf("update_requests count %q, want 1", n)
			}
		}
		if len(seen) == 6 {
			break
		}
	}
	if len(seen) != 6 || seen[0] != "subscribe" || seen[3] != "message" || seen[4] != "updates:"+root.String() {
		t.Fatalf("redis-cli SUBSCRIBE printed %q", seen)
	}
	var u eventstore.Update
	if err := json.Unmarshal([]byte(seen[5]), &u); err != nil || !u.Catchup || u.Root != root {
		t.Fatalf("catch-up via redis-cli: %q %v", seen[5], err)
	}
}

// TestNodeClient runs ioredis (testdata/node, npm install there first).
func TestNodeClient(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is required: %v", err)
	}
	env, addr, _ := startStoreGateway(t, Options{})
	root := createRoot(t, env, `{"platform":"irc","channel":"#node"}`)
	_, port, _ := splitHostPort(addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir, _ := filepath.Abs("testdata/node")
	cmd := exec.CommandContext(ctx, node, "client.js", port, root.String())
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node client.js: %v\n%s\n(run npm install in %s)", err, out, dir)
	}
	var res struct {
		Version      string
		Subscribe    int
		Psubscribe   int
		Ping         string
		Publish      int
		CatchupCount int
		Messages     [][]string
		Head         string
		Unknown      string
		Unsubscribe  int
		Punsubscribe int
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("node output %s: %v", out, err)
	}
	t.Logf("ioredis %s", res.Version)
	if res.Subscribe != 2 || res.Psubscribe != 3 || res.Ping != "PONG" || res.Publish != 2 || res.CatchupCount != 1 || res.Head != root.String() || !strings.HasPrefix(res.Unknown, "UNKNOWN unknown_parent") || res.Unsubscribe != 1 || res.Punsubscribe != 0 {
		t.Fatalf("node results: %+v", res)
	}
	var plain, pattern, catchup bool
	for _, m := range res.Messages {
		switch {
		case len(m) == 3 && m[0] == "message" && m[1] == "news" && m[2] == "hello from node":
			plain = true
		case len(m) == 4 && m[0] == "pmessage" && m[1] == "n*" && m[2] == "news":
			pattern = true
		case len(m) == 3 && m[0] == "message" && m[1] == "updates:"+root.String() && strings.Contains(m[2], `"catchup":true`):
			catchup = true
		}
	}
	if !plain || !pattern || !catchup {
		t.Fatalf("node messages: %q", res.Messages)
	}
}
