package task

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func build(t *testing.T, specs ...Spec) []Named {
	t.Helper()
	tasks, err := Build(specs)
	if err != nil {
		t.Fatal(err)
	}
	return tasks
}

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func TestGreeterCommand(t *testing.T) {
	tasks := build(t, Spec{Type: "command", Conf: raw(`{"prefix":"!","unknown":"no such command","commands":{
		"hello":{"help":"greet you","type":"reply","conf":{"template":"{{.settings.greeting}}, {{.message.user}}!"}},
		"echo":{"type":"reply","conf":{"template":"{{.results.args}}"}}}}`)})
	settings := map[string]any{"greeting": "Hello"}
	tests := []struct {
		text, want string
	}{
		{"!hello", "Hello, alice!"},
		{"  !HELLO there", "Hello, alice!"},
		{"!echo a b  c", "a b  c"},
		{"!help", "commands: !echo !hello (greet you) !help (list the commands)"},
		{"!nope", "no such command"},
		{"hello", ""},
		{"!", ""},
	}
	for _, tt := range tests {
		res, err := Run(context.Background(), tasks, map[string]string{"text": tt.text, "user": "alice"}, settings)
		if err != nil {
			t.Fatal(err)
		}
		if got := Reply(res); got != tt.want {
			t.Errorf("%q: reply %q, want %q", tt.text, got, tt.want)
		}
	}
	// Settings are read per run: a new greeting changes the next reply.
	res, _ := Run(context.Background(), tasks, map[string]string{"text": "!hello", "user": "bob"}, map[string]any{"greeting": "Howdy"})
	if got := Reply(res); got != "Howdy, bob!" {
		t.Errorf("after settings change: %q", got)
	}
}

func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "task.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExec(t *testing.T) {
	t.Setenv("PATCHBAY_TEST_SECRET", "leak")
	script := writeScript(t, `in=$(cat)
case "$in" in *'"user":"alice"'*) u=alice;; *) u=other;; esac
printf '{"reply":"hi %s","foo":"%s","secret":"%s"}' "$u" "$FOO" "$PATCHBAY_TEST_SECRET"
`)
	conf, _ := json.Marshal(map[string]any{"command": []string{script}, "env": map[string]string{"FOO": "bar"}})
	tasks := build(t, Spec{Type: "reply", Conf: raw(`{"template":"first"}`)}, Spec{Type: "exec", Conf: conf})
	res, err := Run(context.Background(), tasks, map[string]string{"text": "x", "user": "alice"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res["reply"] != "hi alice" || res["foo"] != "bar" || res["secret"] != "" {
		t.Fatalf("results %v, want reply overwritten, FOO passed, host env not passed", res)
	}

	// Failure carries stderr.
	bad := writeScript(t, "echo broken >&2; exit 3\n")
	conf, _ = json.Marshal(map[string]any{"command": []string{bad}})
	_, err = Run(context.Background(), build(t, Spec{Type: "exec", Conf: conf}), map[string]string{}, nil)
	if err == nil || !strings.Contains(err.Error(), "broken") || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("error %v, want exit status 3 and stderr", err)
	}
}

func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child")
	script := writeScript(t, "sleep 60 &\necho $! > "+pidFile+"\nwait\n")
	conf, _ := json.Marshal(map[string]any{"command": []string{script}, "timeout": "300ms"})
	tasks := build(t, Spec{Type: "exec", Conf: conf})
	start := time.Now()
	_, err := Run(context.Background(), tasks, map[string]string{}, nil)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("error %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("took %v", d)
	}
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		// The child may linger as a zombie of init briefly; check its state.
		st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if f := strings.Fields(string(st)); len(f) > 2 && f[2] == "Z" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d of the timed-out task still runs", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Message  map[string]string
			Results  map[string]any
			Settings map[string]any
		}
		json.NewDecoder(r.Body).Decode(&in)
		if r.URL.Path == "/slow" {
			select {
			case <-r.Context().Done():
			case <-time.After(20 * time.Second):
			}
			return
		}
		if r.URL.Path == "/fail" {
			http.Error(w, "no", 500)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"reply": in.Settings["p"].(string) + in.Message["user"] + in.Results["reply"].(string), "auth": r.Header.Get("X-Key")})
	}))
	defer srv.Close()
	tasks := build(t, Spec{Type: "reply", Conf: raw(`{"template":"!"}`)}, Spec{Type: "http", Conf: raw(`{"url":"` + srv.URL + `/ok","headers":{"X-Key":"k"}}`)})
	res, err := Run(context.Background(), tasks, map[string]string{"user": "ann"}, map[string]any{"p": ">"})
	if err != nil {
		t.Fatal(err)
	}
	if res["reply"] != ">ann!" || res["auth"] != "k" {
		t.Fatalf("results %v", res)
	}
	_, err = Run(context.Background(), build(t, Spec{Type: "http", Conf: raw(`{"url":"` + srv.URL + `/slow","timeout":"100ms"}`)}), map[string]string{}, nil)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("slow: %v, want ErrTimeout", err)
	}
	_, err = Run(context.Background(), build(t, Spec{Type: "http", Conf: raw(`{"url":"` + srv.URL + `/fail"}`)}), map[string]string{}, nil)
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Fatalf("fail: %v", err)
	}
}

func TestLog(t *testing.T) {
	var buf bytes.Buffer
	ctx := WithLogger(context.Background(), slog.New(slog.NewTextHandler(&buf, nil)))
	_, err := Run(ctx, build(t, Spec{Type: "log", Conf: raw(`{"message":"seen","level":"warn"}`)}), map[string]string{"text": "hi"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := buf.String(); !strings.Contains(s, "level=WARN") || !strings.Contains(s, "msg=seen") || !strings.Contains(s, "text:hi") {
		t.Fatalf("log %q", s)
	}
}

func TestBadConfigs(t *testing.T) {
	for _, s := range []Spec{
		{Type: "nope"},
		{Type: "reply", Conf: raw(`{}`)},
		{Type: "reply", Conf: raw(`{"template":"{{"}`)},
		{Type: "reply", Conf: raw(`{"template":"x","extra":1}`)},
		{Type: "exec", Conf: raw(`{"command":[]}`)},
		{Type: "exec", Conf: raw(`{"command":["x"],"timeout":"soon"}`)},
		{Type: "http", Conf: raw(`{"url":"ftp://x"}`)},
		{Type: "command", Conf: raw(`{"commands":{"a":{"type":"nope"}}}`)},
		{Type: "log", Conf: raw(`{"level":"loud"}`)},
	} {
		if _, err := Build([]Spec{s}); err == nil {
			t.Errorf("%s %s: no error", s.Type, s.Conf)
		}
	}
}

func TestRegisterDuplicatePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	Register("reply", func(json.RawMessage) (Task, error) { return nil, io.EOF })
}
