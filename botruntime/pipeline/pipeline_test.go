package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/patchbay/patchbay/botruntime/task"
)

// startJS starts an embedded JetStream server and returns a connection maker.
func startJS(t testing.TB) func() (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return func() (*nats.Conn, jetstream.JetStream) {
		t.Helper()
		nc, err := nats.Connect("", nats.InProcessServer(s))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		return nc, js
	}
}

// run runs a Serve-style function until the test ends.
func run(t *testing.T, serve func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("Serve did not return")
		}
	})
}

// replies records what a connector would send.
type replies struct {
	mu  sync.Mutex
	got map[string]string // message id -> reply
	ch  chan struct{}
}

func newReplies() *replies { return &replies{got: map[string]string{}, ch: make(chan struct{}, 10000)} }

func (r *replies) Reply(ctx context.Context, to map[string]string, text string) error {
	r.mu.Lock()
	if _, dup := r.got[to["id"]]; dup {
		r.got[to["id"]] = "DUPLICATE"
	} else {
		r.got[to["id"]] = text
	}
	r.mu.Unlock()
	r.ch <- struct{}{}
	return nil
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTwoPoolsHandleEachMessageOnce(t *testing.T) {
	connect := startJS(t)
	const bot, n = "greeter", 200
	var (
		mu    sync.Mutex
		count = map[string]int{}
	)
	tasks := []task.Named{{Name: "count", Task: task.Func(func(ctx context.Context, msg map[string]string, res, settings map[string]any) (map[string]any, error) {
		mu.Lock()
		count[msg["id"]]++
		mu.Unlock()
		res["reply"] = fmt.Sprintf("%s %s via %s", settings["greeting"], msg["user"], msg["connector"])
		return res, nil
	})}}
	settings := func() map[string]any { return map[string]any{"greeting": "hi"} }

	var pools []*Pool
	for i := 0; i < 2; i++ { // two "processes": own connections
		nc, js := connect()
		p, err := NewPool(nc, js, bot, Options{Tasks: tasks, Settings: settings, MinIdle: 1, Max: 3, FetchWait: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		pools = append(pools, p)
		run(t, p.Serve)
	}
	// Two connector instances, each with its inlet and taskback.
	var inlets []*Inlet
	var reps []*replies
	for i := 0; i < 2; i++ {
		nc, js := connect()
		id := NewInstanceID(fmt.Sprintf("irc%d", i))
		r := newReplies()
		tb := NewTaskback(nc, bot, id, r, nil)
		run(t, tb.Serve)
		select {
		case <-tb.Ready():
		case <-time.After(20 * time.Second):
			t.Fatal("taskback not ready")
		}
		inlets = append(inlets, NewInlet(js, bot, id))
		reps = append(reps, r)
	}
	_, js := connect()
	waitFor(t, "stream", func() bool { _, err := js.Stream(context.Background(), StreamName(bot)); return err == nil })

	for i := 0; i < n; i++ {
		c := i % 2
		msg := map[string]string{"id": fmt.Sprint(i), "user": "u", "connector": fmt.Sprint("c", c), "text": "!hello"}
		if err := inlets[c].Sink(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	// A re-published message (same id) is deduplicated by JetStream.
	inlets[0].Sink(context.Background(), map[string]string{"id": "0", "user": "u", "connector": "c0"})

	waitFor(t, "all replies", func() bool {
		total := 0
		for _, r := range reps {
			r.mu.Lock()
			total += len(r.got)
			r.mu.Unlock()
		}
		return total == n
	})
	for c, r := range reps {
		for id, text := range r.got {
			var i int
			fmt.Sscan(id, &i)
			if want := fmt.Sprintf("hi u via c%d", c); i%2 != c || text != want {
				t.Errorf("connector %d got reply %q for message %s, want %q for even/odd split", c, text, id, want)
			}
		}
	}
	mu.Lock()
	for i := 0; i < n; i++ {
		if got := count[fmt.Sprint(i)]; got != 1 {
			t.Errorf("message %d handled %d times, want 1", i, got)
		}
	}
	mu.Unlock()
	waitFor(t, "both pools to count their acks", func() bool {
		_, _, h0 := pools[0].Stats()
		_, _, h1 := pools[1].Stats()
		return h0+h1 == n
	})
	s, _ := js.Stream(context.Background(), StreamName(bot))
	waitFor(t, "empty work queue", func() bool {
		info, err := s.Info(context.Background())
		return err == nil && info.State.Msgs == 0
	})
}

func TestHungExecIsKilledRetriedAndDeadLettered(t *testing.T) {
	connect := startJS(t)
	const bot = "hang"
	dir := t.TempDir()
	runs := filepath.Join(dir, "runs")
	script := filepath.Join(dir, "hang.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho run >> "+runs+"\nexec sleep 60\n"), 0o755)
	conf, _ := json.Marshal(map[string]any{"command": []string{script}, "timeout": "200ms"})
	tasks, err := task.Build([]task.Spec{{Type: "exec", Conf: conf}})
	if err != nil {
		t.Fatal(err)
	}
	nc, js := connect()
	dead, err := nc.SubscribeSync(DeadSubject(bot))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := NewPool(nc, js, bot, Options{Tasks: tasks, MaxDeliver: 3, NakDelay: 10 * time.Millisecond, FetchWait: time.Second})
	run(t, p.Serve)
	waitFor(t, "stream", func() bool { _, err := js.Stream(context.Background(), StreamName(bot)); return err == nil })
	if err := NewInlet(js, bot, "c-1").Sink(context.Background(), map[string]string{"id": "m1", "text": "!slow"}); err != nil {
		t.Fatal(err)
	}
	m, err := dead.NextMsg(20 * time.Second)
	if err != nil {
		t.Fatalf("no dead letter: %v", err)
	}
	if got := m.Header.Get(HeaderDeliveries); got != "3" {
		t.Errorf("deliveries header %q, want 3", got)
	}
	if e := m.Header.Get(HeaderError); !strings.Contains(e, "timed out") {
		t.Errorf("error header %q, want a timeout", e)
	}
	if m.Header.Get(HeaderTaskback) != TaskbackSubject(bot, "c-1") || !strings.Contains(string(m.Data), `"m1"`) {
		t.Errorf("dead letter lost the original: %v %s", m.Header, m.Data)
	}
	b, _ := os.ReadFile(runs)
	if got := strings.Count(string(b), "run"); got != 3 {
		t.Errorf("task ran %d times, want 3", got)
	}
	cons, _ := js.Consumer(context.Background(), StreamName(bot), "workers")
	waitFor(t, "terminated message", func() bool {
		info, err := cons.Info(context.Background())
		return err == nil && info.NumAckPending == 0 && info.NumPending == 0 && info.NumRedelivered == 0
	})
}

// blocker is a task that waits for release.
type blocker struct {
	started chan string
	release chan struct{}
}

func (b *blocker) Run(ctx context.Context, msg map[string]string, res, _ map[string]any) (map[string]any, error) {
	b.started <- msg["id"]
	select {
	case <-b.release:
		return res, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestWorkerPolicy(t *testing.T) {
	for _, tt := range []struct {
		name              string
		lazy              bool
		wantBusy, wantIdl int
	}{
		{"hot", false, 3, 1},
		{"lazy", true, 1, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			connect := startJS(t)
			nc, js := connect()
			b := &blocker{started: make(chan string, 10), release: make(chan struct{})}
			bot := "policy_" + tt.name
			p, _ := NewPool(nc, js, bot, Options{Tasks: []task.Named{{Name: "block", Task: b}}, MinIdle: 1, Max: 4, Lazy: tt.lazy, FetchWait: time.Second})
			run(t, p.Serve)
			waitFor(t, "stream", func() bool { _, err := js.Stream(context.Background(), StreamName(bot)); return err == nil })
			in := NewInlet(js, bot, "c")
			for i := 0; i < 3; i++ {
				in.Sink(context.Background(), map[string]string{"id": fmt.Sprint(i)})
			}
			for i := 0; i < tt.wantBusy; i++ {
				<-b.started
			}
			waitFor(t, "pool shape", func() bool { idle, busy, _ := p.Stats(); return idle == tt.wantIdl && busy == tt.wantBusy })
			close(b.release)
			waitFor(t, "all handled", func() bool { _, _, h := p.Stats(); return h == 3 })
			waitFor(t, "back to min idle", func() bool { idle, busy, _ := p.Stats(); return idle == 1 && busy == 0 })
		})
	}
}

func TestNames(t *testing.T) {
	if ValidName("a.b") || ValidName("") || ValidName("a b") || !ValidName("greeter_1-x") {
		t.Fatal("ValidName")
	}
	if _, err := NewPool(nil, nil, "a.b", Options{}); !errors.Is(err, ErrBadName) {
		t.Fatalf("NewPool(bad name) = %v", err)
	}
}
