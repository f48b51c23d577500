package supervisor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

const waitLimit = 20 * time.Second

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var errBoom = errors.New("boom")

// recorder records events as "<supervisor>: <kind> <child>".
type recorder struct {
	mu     sync.Mutex
	events []string
	raw    []Event
	change chan struct{}
}

func newRecorder() *recorder { return &recorder{change: make(chan struct{})} }

func (r *recorder) hook(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e.Supervisor+": "+e.Kind.String()+" "+e.Child)
	r.raw = append(r.raw, e)
	close(r.change)
	r.change = make(chan struct{})
}

func (r *recorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) rawEvents() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.raw)
}

// waitFor waits until ok(events) holds.
func (r *recorder) waitFor(t testing.TB, what string, ok func([]string) bool) []string {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		evs, ch := slices.Clone(r.events), r.change
		r.mu.Unlock()
		if ok(evs) {
			return evs
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s; events:\n%s", what, strings.Join(evs, "\n"))
		}
	}
}

// waitEvent waits until event e has been recorded n times.
func (r *recorder) waitEvent(t testing.TB, e string, n int) []string {
	t.Helper()
	return r.waitFor(t, fmt.Sprintf("%d x %q", n, e), func(evs []string) bool { return count(evs, e) >= n })
}

func count(evs []string, e string) int {
	n := 0
	for _, x := range evs {
		if x == e {
			n++
		}
	}
	return n
}

// after returns the events after the i-th (0-based) occurrence of e.
func after(evs []string, e string, i int) []string {
	for k, x := range evs {
		if x == e {
			if i == 0 {
				return evs[k+1:]
			}
			i--
		}
	}
	return nil
}

// filter keeps the events with one of the given kinds.
func filter(evs []string, kinds ...string) []string {
	var out []string
	for _, e := range evs {
		for _, k := range kinds {
			if strings.Contains(e, ": "+k+" ") {
				out = append(out, e)
				break
			}
		}
	}
	return out
}

// probe is a child whose runs the test controls: every run announces
// itself on runs, then returns what the test sends it, or nil when its
// context ends.
type probe struct {
	id   string
	runs chan *probeRun
	mu   sync.Mutex
	n    int
}

type probeRun struct {
	n    int
	exit chan error
}

func newProbe(id string) *probe { return &probe{id: id, runs: make(chan *probeRun, 100)} }

func (p *probe) Serve(ctx context.Context) error {
	p.mu.Lock()
	p.n++
	run := &probeRun{n: p.n, exit: make(chan error, 1)}
	p.mu.Unlock()
	p.runs <- run
	select {
	case err := <-run.exit:
		if err == errPanic {
			panic("probe panicked")
		}
		return err
	case <-ctx.Done():
		return nil
	}
}

var errPanic = errors.New("please panic")

func (p *probe) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// next waits for the probe's next run.
func (p *probe) next(t testing.TB) *probeRun {
	t.Helper()
	select {
	case r := <-p.runs:
		return r
	case <-time.After(waitLimit):
		t.Fatalf("probe %s: no run within %v", p.id, waitLimit)
		return nil
	}
}

func (p *probe) spec() ChildSpec { return ChildSpec{ID: p.id, Start: StartService(p)} }

func mustNew(t testing.TB, opts Options, specs ...ChildSpec) *Supervisor {
	t.Helper()
	s, err := New(opts, specs...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// startSup starts s and stops it at cleanup.
func startSup(t testing.TB, s *Supervisor) {
	t.Helper()
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = s.Stop() })
}

func wait(t testing.TB, s *Supervisor) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(waitLimit):
		t.Fatalf("supervisor %s did not stop within %v", s.Name(), waitLimit)
		return nil
	}
}

func which(t testing.TB, s *Supervisor) map[string]ChildInfo {
	t.Helper()
	list, err := s.WhichChildren(context.Background())
	if err != nil {
		t.Fatalf("WhichChildren: %v", err)
	}
	m := map[string]ChildInfo{}
	for _, c := range list {
		m[c.ID] = c
	}
	return m
}

func ids(t testing.TB, s *Supervisor) []string {
	t.Helper()
	list, err := s.WhichChildren(context.Background())
	if err != nil {
		t.Fatalf("WhichChildren: %v", err)
	}
	var out []string
	for _, c := range list {
		out = append(out, c.ID)
	}
	return out
}

func equal(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got  %q\n want %q", what, got, want)
	}
}
