package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/eventstore/storetest"
	"github.com/patchbay/patchbay/hashchain"
)

const rootJSON = `{"platform":"irc","server":"127.0.0.1:6667","channel":"#lobby"}`

// run runs cli.Main in-process and returns stdout, stderr and the error.
func run(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	err := Main(ctx, args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func TestHelp(t *testing.T) {
	out, _, err := run(t, "", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"serve", "hash", "create", "patch", "get", "log", "watch"} {
		if !strings.Contains(out, "  "+c+" ") {
			t.Errorf("--help does not list %s:\n%s", c, out)
		}
		cout, _, err := run(t, "", c, "--help")
		if err != nil || !strings.Contains(cout, "usage: patchbay "+c) {
			t.Errorf("%s --help = %q, %v", c, cout, err)
		}
	}
	if _, _, err := run(t, "", "frobnicate"); ExitCode(err) != 2 {
		t.Fatalf("unknown command: exit %d (%v), want 2", ExitCode(err), err)
	}
	if _, _, err := run(t, "", "patch", "0123456789abcdef"); ExitCode(err) != 2 {
		t.Fatalf("missing argument: exit %d (%v), want 2", ExitCode(err), err)
	}
}

func TestHashOffline(t *testing.T) {
	want, _, _ := hashchain.RootHash([]byte(rootJSON))
	for _, args := range [][]string{{"hash", rootJSON}, {"hash", "-"}} {
		out, _, err := run(t, rootJSON, args...)
		if err != nil || out != want.String()+"\n" {
			t.Fatalf("%v = %q, %v; want %s", args, out, err, want)
		}
	}
	if _, _, err := run(t, "", "hash", "[1]"); err == nil {
		t.Fatal("hash of an array accepted")
	}
}

func TestClientCommands(t *testing.T) {
	env := storetest.Start(t, eventstore.Options{})
	srv := "--server=" + env.Node.ClientURL()
	out, _, err := run(t, "", "create", srv, rootJSON)
	if err != nil {
		t.Fatal(err)
	}
	root := strings.TrimSpace(out)
	if want, _, _ := hashchain.RootHash([]byte(rootJSON)); root != want.String() {
		t.Fatalf("create printed %q, want %s", root, want)
	}
	pf := filepath.Join(t.TempDir(), "p.json")
	os.WriteFile(pf, []byte(`[{"op":"add","path":"/nick","value":"pb"}]`), 0o644)
	out, _, err = run(t, "", "patch", srv, root, "@"+pf)
	if err != nil {
		t.Fatal(err)
	}
	h1 := strings.TrimSpace(out)
	out, _, err = run(t, `[{"op":"replace","path":"/nick","value":"pb2"}]`, "patch", srv, h1, "-")
	if err != nil {
		t.Fatal(err)
	}
	h2 := strings.TrimSpace(out)
	// Stale: one-line reason, exit status 3.
	_, _, err = run(t, "", "patch", srv, h1, `[{"op":"add","path":"/x","value":1}]`)
	if ExitCode(err) != 3 || !strings.HasPrefix(err.Error(), "stale: ") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("stale patch: exit %d, %v", ExitCode(err), err)
	}
	out, _, err = run(t, "", "get", srv, root)
	if err != nil {
		t.Fatal(err)
	}
	var g eventstore.GetReply
	if err := json.Unmarshal([]byte(out), &g); err != nil || g.Hash.String() != h2 || g.Seq != 2 || !strings.Contains(string(g.Config), `"nick":"pb2"`) {
		t.Fatalf("get root = %s (%v)", out, err)
	}
	out, _, err = run(t, "", "get", "--config", srv, h1)
	if err != nil || out != `{"channel":"#lobby","nick":"pb","platform":"irc","server":"127.0.0.1:6667"}`+"\n" {
		t.Fatalf("get --config h1 = %q, %v", out, err)
	}
	out, _, err = run(t, "", "log", srv, root)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[2], "1 ") || !strings.Contains(lines[2], h1) || !strings.Contains(lines[3], h2) || !strings.Contains(lines[3], `"replace"`) {
		t.Fatalf("log:\n%s", out)
	}

	// watch: head line, then each later update, until cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- Main(ctx, []string{"watch", srv, root}, strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	if !sc.Scan() || !strings.Contains(sc.Text(), `"hash":"`+h2+`"`) || !strings.Contains(sc.Text(), `"seq":2`) {
		t.Fatalf("watch first line %q", sc.Text())
	}
	out, _, err = run(t, "", "patch", srv, h2, `[{"op":"add","path":"/w","value":true}]`)
	if err != nil {
		t.Fatal(err)
	}
	h3 := strings.TrimSpace(out)
	if !sc.Scan() {
		t.Fatal("watch ended early")
	}
	var u eventstore.Update
	if err := json.Unmarshal(sc.Bytes(), &u); err != nil || u.Hash.String() != h3 || u.Seq != 3 || u.Parent.String() != h2 {
		t.Fatalf("watch update line %q (%v)", sc.Text(), err)
	}
	// --head: the root names the config; the patch goes on its head.
	out, _, err = run(t, "", "patch", "--head", srv, root, `[{"op":"add","path":"/h","value":4}]`)
	if err != nil {
		t.Fatal(err)
	}
	h4 := strings.TrimSpace(out)
	if !sc.Scan() {
		t.Fatal("watch ended early")
	}
	if err := json.Unmarshal(sc.Bytes(), &u); err != nil || u.Hash.String() != h4 || u.Seq != 4 || u.Parent.String() != h3 {
		t.Fatalf("watch update after --head %q (%v)", sc.Text(), err)
	}
	cancel()
	go io.Copy(io.Discard, pr)
	if err := <-done; err != nil {
		t.Fatalf("watch returned %v", err)
	}
	if _, _, err := run(t, "", "get", "--server=nats://127.0.0.1:1", root); err == nil || ExitCode(err) != 1 {
		t.Fatalf("no server: %v", err)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// buildBinary builds the patchbay binary into t.TempDir().
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "patchbay")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/patchbay/patchbay/cmd/patchbay").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// lockedBuffer is a bytes.Buffer safe for a child process's output copier
// and the test reading it at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// served is a "patchbay serve" child process.
type served struct {
	cmd  *exec.Cmd
	logs *lockedBuffer
}

// startServe starts "patchbay serve" as a child process with NATS on addr,
// the gateway and HTTP server on free ports (unless extra says otherwise)
// and waits until it answers on NATS.
func startServe(t *testing.T, bin, data, addr string, extra ...string) served {
	t.Helper()
	args := append([]string{"serve", "--data", data, "--listen", addr, "--redis-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0"}, extra...)
	cmd := exec.Command(bin, args...)
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	// Ready when every step has started ("patchbay serving" is logged last).
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(logs.String(), `msg="patchbay serving"`) {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not come up:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return served{cmd, logs}
}

// TestServeKill9 runs "patchbay serve" as a child process, SIGKILLs it after
// N acknowledged updates, restarts it on the same data directory and checks
// that every update is there, the chain verifies, and every entry (the last
// one included) has been announced by the durable announcer.
func TestServeKill9(t *testing.T) {
	bin := buildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	addr := freePort(t)
	cmd := startServe(t, bin, data, addr).cmd
	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	c := eventstore.NewClient(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cr, err := c.Create(ctx, []byte(rootJSON))
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	head := cr.Root
	for i := range n {
		r, err := c.Submit(ctx, head, []byte(`[{"op":"add","path":"/n","value":`+strconv.Itoa(i)+`}]`))
		if err != nil {
			t.Fatalf("update %d: %v", i, err)
		}
		head = r.Hash
	}
	nc.Close()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	startServe(t, bin, data, addr)
	nc, err = nats.Connect("nats://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c = eventstore.NewClient(nc)
	g, err := c.Head(ctx, cr.Root)
	if err != nil {
		t.Fatal(err)
	}
	if g.Hash != head || g.Seq != n || !strings.Contains(string(g.Config), `"n":`+strconv.Itoa(n-1)) {
		t.Fatalf("after restart head %s seq %d %s, want %s seq %d", g.Hash, g.Seq, g.Config, head, n)
	}
	js, _ := jetstream.New(nc)
	var envs []hashchain.Envelope
	if err := eventstore.Replay(ctx, js, cr.Root, 0, func(u eventstore.Update, _ uint64) error {
		envs = append(envs, hashchain.Envelope{Parent: u.Parent, Patch: u.Patch, Meta: u.Meta})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	vh, _, err := hashchain.Verify([]byte(rootJSON), envs, hashchain.Limits{})
	if err != nil || vh != head || len(envs) != n {
		t.Fatalf("verify: %d entries, head %s, %v", len(envs), vh, err)
	}
	// The announcer acks an entry only after publishing it: once it has
	// nothing pending, every entry, the last included, was announced.
	cons, err := js.Consumer(ctx, eventstore.StreamName, eventstore.AnnouncerConsumer)
	if err != nil {
		t.Fatal(err)
	}
	// Entries delivered but not acked before the kill are redelivered after
	// the announcer's AckWait (5 s).
	deadline := time.Now().Add(40 * time.Second)
	for {
		info, err := cons.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.NumPending == 0 && info.NumAckPending == 0 && info.AckFloor.Stream >= info.Delivered.Stream && info.Delivered.Consumer >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("announcer not done: %+v", info)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A new subscriber catches up to the last update via update_requests.
	u, err := c.CatchUp(ctx, cr.Root)
	if err != nil || u.Hash != head || u.Seq != n {
		t.Fatalf("catch-up after restart %+v, %v", u, err)
	}
}

// TestServeGracefulShutdown checks that SIGTERM stops serve cleanly.
func TestServeGracefulShutdown(t *testing.T) {
	bin := buildBinary(t)
	cmd := startServe(t, bin, filepath.Join(t.TempDir(), "data"), freePort(t)).cmd
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	bad := filepath.Join(dir, "bad.yml")
	os.WriteFile(good, []byte("version: 1\nbots:\n  b:\n    root: {platform: nats, subject: in}\n    connectors:\n      - {name: n, type: nats, conf: {subject_in: a.in, subject_out: a.out}}\n    tasks:\n      - type: log\n"), 0o644)
	os.WriteFile(bad, []byte("version: 1\nbots:\n  b:\n    root: 3\n    connectors:\n      - {name: n, type: nope}\n    tasks: []\n"), 0o644)
	out, _, err := run(t, "", "check", good)
	if err != nil || out != good+": ok (1 bot)\n" {
		t.Fatalf("check good = %q, %v", out, err)
	}
	out, errOut, err := run(t, "", "check", good, bad)
	if ExitCode(err) != 1 || !strings.Contains(out, "good.yml: ok") {
		t.Fatalf("check good bad: exit %d (%v), out %q", ExitCode(err), err, out)
	}
	if !strings.Contains(errOut, bad+":4:11: ") {
		t.Fatalf("check bad: want %s:4:11 (root is a number) in\n%s", bad, errOut)
	}
	// A conf its type refuses is found by check, at the entry's place.
	badConf := filepath.Join(dir, "badconf.yml")
	os.WriteFile(badConf, []byte("version: 1\nbots:\n  b:\n    root: {platform: nats}\n    connectors:\n      - {name: n, type: nats, conf: {subject_in: a.in}}\n    tasks:\n      - {type: reply, conf: {}}\n"), 0o644)
	_, errOut, err = run(t, "", "check", badConf)
	want := badConf + ":6:25: bots.b.connectors.0.conf: bad connector configuration: nats needs subject_in and subject_out\n" +
		badConf + ":8:16: bots.b.tasks.0.conf: bad task configuration: reply needs a template\n"
	if ExitCode(err) != 1 || !strings.HasPrefix(errOut, want) {
		t.Fatalf("check badconf: exit %d, stderr\n%s\nwant it to start with\n%s", ExitCode(err), errOut, want)
	}
	if _, _, err := run(t, "", "check"); ExitCode(err) != 2 {
		t.Fatalf("check without files: exit %d, want 2", ExitCode(err))
	}
}
