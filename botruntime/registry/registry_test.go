package registry_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/botruntime/registry"
	"github.com/patchbay/patchbay/botruntime/supervisor"
)

const waitLimit = 20 * time.Second

func equal[M comparable](t *testing.T, what string, got, want []M) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// eventually polls cond with a generous deadline (removal through
// context.AfterFunc is asynchronous; listing is not).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRegisterMembers(t *testing.T) {
	r := registry.New[string]("sessions")
	if r.Name() != "sessions" {
		t.Fatalf("Name = %q", r.Name())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if got := r.Members("nobody"); len(got) != 0 {
		t.Fatalf("unknown group: %v", got)
	}
	un1 := r.Register(ctx, "g", "a")
	un2 := r.Register(ctx, "g", "a") // duplicate: one listing
	r.Register(ctx, "g", "b")
	r.Register(ctx, "h", "a") // one member, many groups
	equal(t, "g", r.Members("g"), []string{"a", "b"})
	equal(t, "h", r.Members("h"), []string{"a"})
	equal(t, "groups", r.Groups(), []string{"g", "h"})
	un1()
	equal(t, "g after one of two registrations ends", r.Members("g"), []string{"a", "b"})
	un2()
	un2() // idempotent
	equal(t, "g after both", r.Members("g"), []string{"b"})
	r.Unregister("h", "a")
	r.Unregister("h", "zzz")
	equal(t, "h", r.Members("h"), nil)
	cancel()
	equal(t, "after the context ended", r.Members("g"), nil)
	eventually(t, "the group to be removed", func() bool { return len(r.Groups()) == 0 })
	if un := r.Register(ctx, "g", "late"); un == nil || len(r.Members("g")) != 0 {
		t.Fatal("registering with a done context listed the member")
	}
}

func TestWatch(t *testing.T) {
	r := registry.New[string]("w")
	var mu sync.Mutex
	var got []string
	changed := make(chan struct{}, 100)
	stop := r.Watch(context.Background(), "g", func(c registry.Change[string]) {
		mu.Lock()
		got = append(got, c.Kind.String()+" "+c.Group+" "+c.Member)
		mu.Unlock()
		changed <- struct{}{}
	})
	ctx, cancel := context.WithCancel(context.Background())
	r.Register(ctx, "g", "a")
	r.Register(ctx, "g", "a")
	r.Register(ctx, "other", "x")
	un := r.Register(context.Background(), "g", "b")
	un()
	cancel()
	for range 4 {
		select {
		case <-changed:
		case <-time.After(waitLimit):
			t.Fatal("missing changes")
		}
	}
	stop()
	mu.Lock()
	defer mu.Unlock()
	equal(t, "changes", got, []string{"join g a", "join g b", "leave g b", "leave g a"})
}

// session is a supervised child that registers itself under its ctx.
type session struct {
	name   string
	reg    *registry.Registry[string]
	groups []string
	gen    int
	mu     sync.Mutex
	ready  chan string
	fail   chan error
}

func (s *session) Serve(ctx context.Context) error { return s.ServeStarted(ctx, func() {}) }

// ServeStarted registers before reporting started, so that registrations
// follow the supervisor's start order.
func (s *session) ServeStarted(ctx context.Context, started func()) error {
	s.mu.Lock()
	s.gen++
	me := fmt.Sprintf("%s#%d", s.name, s.gen)
	s.mu.Unlock()
	for _, g := range s.groups {
		s.reg.Register(ctx, g, me)
		s.reg.Register(ctx, g, me) // a duplicate keeps one listing
	}
	started()
	s.ready <- me
	select {
	case err := <-s.fail:
		return err
	case <-ctx.Done():
		return nil
	}
}

func TestUnderSupervision(t *testing.T) {
	ctx := context.Background()
	reg := registry.New[string]("chat")
	mk := func(name string, groups ...string) *session {
		return &session{name: name, reg: reg, groups: groups, ready: make(chan string, 10), fail: make(chan error, 1)}
	}
	alice, bob := mk("alice", "lobby", "ops"), mk("bob", "lobby")
	sup, err := supervisor.New(supervisor.Options{Name: "sessions", MaxRestarts: 10},
		supervisor.ChildSpec{ID: "registry", Start: supervisor.StartService(reg)},
		supervisor.ChildSpec{ID: "alice", Start: supervisor.StartService(alice)},
		supervisor.ChildSpec{ID: "bob", Start: supervisor.StartService(bob)},
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := sup.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sup.Stop() })
	next := func(s *session) string {
		t.Helper()
		select {
		case me := <-s.ready:
			return me
		case <-time.After(waitLimit):
			t.Fatalf("%s did not start", s.name)
			return ""
		}
	}
	next(alice)
	next(bob)
	equal(t, "lobby", reg.Members("lobby"), []string{"alice#1", "bob#1"})
	equal(t, "ops", reg.Members("ops"), []string{"alice#1"})

	alice.fail <- errors.New("crash")
	if me := next(alice); me != "alice#2" {
		t.Fatalf("restarted as %q", me)
	}
	equal(t, "lobby after alice's restart", reg.Members("lobby"), []string{"bob#1", "alice#2"})
	equal(t, "ops after alice's restart", reg.Members("ops"), []string{"alice#2"})

	if err := sup.TerminateChild(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	equal(t, "lobby after bob stopped", reg.Members("lobby"), []string{"alice#2"})

	if err := sup.Stop(); err != nil {
		t.Fatal(err)
	}
	equal(t, "lobby after the tree stopped", reg.Members("lobby"), nil)
	eventually(t, "every group to be removed", func() bool { return len(reg.Groups()) == 0 })
}

func TestConcurrent(t *testing.T) {
	r := registry.New[int]("c")
	stop := r.Watch(context.Background(), "", func(registry.Change[int]) {})
	defer stop()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				ctx, cancel := context.WithCancel(context.Background())
				un := r.Register(ctx, fmt.Sprint("g", j%3), i*1000+j)
				_ = r.Members(fmt.Sprint("g", j%3))
				if j%2 == 0 {
					un()
				}
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, g := range []string{"g0", "g1", "g2"} {
		if got := r.Members(g); len(got) != 0 {
			t.Fatalf("%s still lists %v", g, got)
		}
	}
}
