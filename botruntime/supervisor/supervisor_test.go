package supervisor

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func blocker(id string) ChildSpec {
	return ChildSpec{ID: id, Start: StartServeFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return nil
	})}
}

// innerTree is OTP's supervisor_SUITE shape: A, B fine, F failing on every
// start, intensity 5 in 1 s.
func innerTree(clk Clock, rec *recorder, runs *atomic.Int64) (Options, []ChildSpec) {
	opts := Options{Name: "inner", MaxRestarts: 5, Period: time.Second, Clock: clk, OnEvent: rec.hook}
	failing := ChildSpec{ID: "F", Start: StartServeFunc(func(ctx context.Context) error {
		runs.Add(1)
		return errBoom
	})}
	return opts, []ChildSpec{blocker("A"), blocker("B"), failing}
}

func TestIntensityExceeded(t *testing.T) {
	t.Run("standalone", func(t *testing.T) {
		clk, rec := NewFakeClock(t0), newRecorder()
		var runs atomic.Int64
		opts, specs := innerTree(clk, rec, &runs)
		s := mustNew(t, opts, specs...)
		if err := s.Start(context.Background()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		err := wait(t, s)
		var ie *IntensityError
		if !errors.As(err, &ie) || !errors.Is(err, ErrIntensity) || !errors.Is(err, ErrShutdown) {
			t.Fatalf("Serve returned %v, want an *IntensityError", err)
		}
		if ie.ID != "F" || !errors.Is(err, errBoom) {
			t.Fatalf("IntensityError names %q (%v), want F (boom)", ie.ID, ie.Err)
		}
		if got := runs.Load(); got != 6 {
			t.Fatalf("F ran %d times, want 1 + 5", got)
		}
		evs := rec.snapshot()
		if got := count(evs, "inner: restart F"); got != 5 {
			t.Fatalf("%d restarts, want 5", got)
		}
		equal(t, "events after intensity", after(evs, "inner: intensity F", 0), []string{"inner: stopped B", "inner: stopped A"})
	})

	nested := func(t *testing.T, restart Restart) (*Supervisor, *recorder, *atomic.Int64) {
		clk, rec := NewFakeClock(t0), newRecorder()
		var runs atomic.Int64
		inner := ChildSpec{ID: "inner", Kind: KindSupervisor, Restart: restart, Start: func(...any) (Service, error) {
			opts, specs := innerTree(clk, rec, &runs)
			return New(opts, specs...)
		}}
		parent := mustNew(t, Options{Name: "parent", MaxRestarts: 1, Period: 5 * time.Second, Clock: clk, OnEvent: rec.hook}, blocker("P"), inner)
		if err := parent.Start(context.Background()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		return parent, rec, &runs
	}

	t.Run("permanent child of a parent", func(t *testing.T) {
		parent, rec, runs := nested(t, Permanent)
		err := wait(t, parent)
		var ie *IntensityError
		if !errors.As(err, &ie) || ie.ID != "inner" || ie.Supervisor != "parent" {
			t.Fatalf("parent returned %v, want intensity reached at inner", err)
		}
		if !errors.Is(err, ErrIntensity) {
			t.Fatalf("the inner reason is lost: %v", err)
		}
		if got := runs.Load(); got != 12 {
			t.Fatalf("F ran %d times, want 2 x 6 (inner restarted once)", got)
		}
		evs := rec.snapshot()
		if got := count(evs, "parent: restart inner"); got != 1 {
			t.Fatalf("parent restarted inner %d times, want 1", got)
		}
		equal(t, "after the parent gave up", after(evs, "parent: intensity inner", 0), []string{"parent: stopped P"})
	})

	t.Run("transient child of a parent", func(t *testing.T) {
		parent, rec, runs := nested(t, Transient)
		t.Cleanup(func() { _ = parent.Stop() })
		rec.waitEvent(t, "parent: exited inner", 1)
		info := which(t, parent)
		if info["inner"].State != Stopped || info["P"].State != Running {
			t.Fatalf("children %+v, want inner stopped and P running", info)
		}
		if got := runs.Load(); got != 6 {
			t.Fatalf("F ran %d times, want 6 (inner not restarted)", got)
		}
		if got := count(rec.snapshot(), "parent: restart inner"); got != 0 {
			t.Fatalf("parent restarted inner %d times, want 0", got)
		}
		if err := parent.Stop(); err != nil {
			t.Fatalf("Stop: %v", err)
		}
	})
}

func TestIntensityPeriod(t *testing.T) {
	setup := func(t *testing.T, max int) (*Supervisor, *FakeClock, *probe) {
		clk := NewFakeClock(t0)
		p := newProbe("W")
		s := mustNew(t, Options{MaxRestarts: max, Period: time.Second, Clock: clk}, p.spec())
		startSup(t, s)
		return s, clk, p
	}
	t.Run("failures 2.1s apart survive", func(t *testing.T) {
		s, clk, p := setup(t, 1)
		for i := 0; i < 4; i++ {
			p.next(t).exit <- errBoom
			clk.Advance(2100 * time.Millisecond)
		}
		r := p.next(t)
		if r.n != 5 {
			t.Fatalf("run %d, want 5", r.n)
		}
		if st := which(t, s)["W"]; st.State != Running || st.Restarts != 4 {
			t.Fatalf("W is %+v, want running after 4 restarts", st)
		}
	})
	t.Run("failures 0.5s apart do not", func(t *testing.T) {
		s, clk, p := setup(t, 1)
		p.next(t).exit <- errBoom
		clk.Advance(500 * time.Millisecond)
		p.next(t).exit <- errBoom
		err := wait(t, s)
		var ie *IntensityError
		if !errors.As(err, &ie) || ie.ID != "W" {
			t.Fatalf("Serve returned %v, want intensity at W", err)
		}
		if p.count() != 2 {
			t.Fatalf("W ran %d times, want 2", p.count())
		}
	})
	t.Run("intensity 0 fails on the first failure", func(t *testing.T) {
		s, _, p := setup(t, NoRestarts)
		p.next(t).exit <- errBoom
		if err := wait(t, s); !errors.Is(err, ErrIntensity) {
			t.Fatalf("Serve returned %v, want ErrIntensity", err)
		}
		if p.count() != 1 {
			t.Fatalf("W ran %d times, want 1", p.count())
		}
	})
}

func TestOneForAll(t *testing.T) {
	rec := newRecorder()
	a, b, c := newProbe("A"), newProbe("B"), newProbe("C")
	tmp := newProbe("T")
	ts := tmp.spec()
	ts.Restart = Temporary
	s := mustNew(t, Options{Name: "s", Strategy: OneForAll, Clock: NewFakeClock(t0), OnEvent: rec.hook},
		a.spec(), b.spec(), ts, c.spec())
	startSup(t, s)
	b.next(t).exit <- errBoom
	evs := rec.waitEvent(t, "s: started C", 2)
	equal(t, "bounce", after(evs, "s: exited B", 0), []string{
		"s: restart B", "s: stopped C", "s: stopped T", "s: stopped A",
		"s: started A", "s: started B", "s: started C",
	})
	info := which(t, s)
	equal(t, "children", ids(t, s), []string{"A", "B", "C"})
	for _, id := range []string{"A", "B", "C"} {
		if info[id].Restarts != 1 || info[id].State != Running {
			t.Errorf("%s: %+v, want running with 1 restart", id, info[id])
		}
	}
	// Default intensity is 1 in 5 s: the bounce of three children counted once.
	if n, err := s.CountChildren(context.Background()); err != nil || n.Active != 3 || n.Specs != 3 {
		t.Fatalf("CountChildren = %+v, %v; want 3 active", n, err)
	}
	if tmp.count() != 1 {
		t.Fatalf("temporary T ran %d times, want 1", tmp.count())
	}
}

func TestRestForOne(t *testing.T) {
	rec := newRecorder()
	a, b, c, d := newProbe("A"), newProbe("B"), newProbe("C"), newProbe("D")
	s := mustNew(t, Options{Name: "s", Strategy: RestForOne, Clock: NewFakeClock(t0), OnEvent: rec.hook},
		a.spec(), b.spec(), c.spec(), d.spec())
	startSup(t, s)
	b.next(t).exit <- errBoom
	evs := rec.waitEvent(t, "s: started D", 2)
	equal(t, "bounce", after(evs, "s: exited B", 0), []string{
		"s: restart B", "s: stopped D", "s: stopped C", "s: started B", "s: started C", "s: started D",
	})
	if a.count() != 1 || which(t, s)["A"].Restarts != 0 {
		t.Fatalf("A ran %d times, want 1 (untouched)", a.count())
	}
	for _, x := range []*probe{c, d} {
		x.next(t)
		if r := x.next(t); r.n != 2 {
			t.Fatalf("%s run %d, want 2", x.id, r.n)
		}
	}
}

func TestRestartTypes(t *testing.T) {
	cases := []struct {
		restart Restart
		exit    error
		want    bool // restarted
	}{
		{Permanent, nil, true},
		{Permanent, errBoom, true},
		{Permanent, errPanic, true},
		{Permanent, ErrDoNotRestart, false},
		{Transient, nil, false},
		{Transient, errBoom, true},
		{Transient, errPanic, true},
		{Transient, ErrShutdown, false},
		{Temporary, nil, false},
		{Temporary, errBoom, false},
		{Temporary, errPanic, false},
	}
	for _, tc := range cases {
		name := tc.restart.String() + "/" + map[bool]string{true: "nil", false: ""}[tc.exit == nil]
		if tc.exit != nil {
			name = tc.restart.String() + "/" + tc.exit.Error()
		}
		t.Run(name, func(t *testing.T) {
			rec := newRecorder()
			p := newProbe("W")
			spec := p.spec()
			spec.Restart = tc.restart
			max := 5
			if !tc.want {
				max = NoRestarts // a counted non-restart would stop the supervisor
			}
			s := mustNew(t, Options{Name: "s", MaxRestarts: max, Clock: NewFakeClock(t0), OnEvent: rec.hook}, blocker("other"), spec)
			startSup(t, s)
			p.next(t).exit <- tc.exit
			rec.waitEvent(t, "s: exited W", 1)
			info := which(t, s) // answered after the exit was fully handled
			if tc.want {
				if r := p.next(t); r.n != 2 {
					t.Fatalf("run %d, want 2", r.n)
				}
				if info["W"].Restarts != 1 {
					t.Fatalf("W: %+v, want 1 restart", info["W"])
				}
			} else {
				if _, listed := info["W"]; listed == (tc.restart == Temporary) {
					t.Fatalf("W listed = %v, want %v (temporary specs are removed)", listed, tc.restart != Temporary)
				}
				if tc.restart != Temporary && info["W"].State != Stopped {
					t.Fatalf("W: %+v, want stopped", info["W"])
				}
				if p.count() != 1 || info["other"].State != Running {
					t.Fatalf("W ran %d times, other %+v", p.count(), info["other"])
				}
			}
			if tc.exit == errPanic {
				var pe *PanicError
				for _, e := range rec.rawEvents() {
					if e.Kind == EventPanicked {
						errors.As(e.Err, &pe)
					}
				}
				if pe == nil || pe.Value != "probe panicked" || !strings.Contains(string(pe.Stack), "helpers_test.go") {
					t.Fatalf("panic event %+v, want a *PanicError with the stack", pe)
				}
			}
		})
	}
}

// stubborn ignores cancellation until released.
func stubborn(id string, sd Shutdown, cancelled chan<- string, release <-chan struct{}) ChildSpec {
	return ChildSpec{ID: id, Shutdown: sd, Start: StartServeFunc(func(ctx context.Context) error {
		<-ctx.Done()
		if cancelled != nil {
			cancelled <- id
		}
		<-release
		return nil
	})}
}

// noTimer gives spec an Infinity shutdown, so that stopping it starts no
// timer that BlockUntil could mistake for the one a test waits for.
func noTimer(spec ChildSpec) ChildSpec {
	spec.Shutdown = Infinity
	return spec
}

func TestShutdown(t *testing.T) {
	t.Run("timeout gives up and reports", func(t *testing.T) {
		clk, rec := NewFakeClock(t0), newRecorder()
		release := make(chan struct{})
		defer close(release)
		s := mustNew(t, Options{Name: "s", Clock: clk, OnEvent: rec.hook}, blocker("A"), stubborn("S", Shutdown(2*time.Second), nil, release))
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		stopped := make(chan error, 1)
		go func() { stopped <- s.Stop() }()
		clk.BlockUntil(1)
		clk.Advance(2 * time.Second)
		if err := <-stopped; err != nil {
			t.Fatalf("Stop: %v", err)
		}
		un := s.Unstopped()
		if len(un) != 1 || strings.Join(un[0].Path, "/") != "S" || !strings.Contains(un[0].Reason, "abandoned") {
			t.Fatalf("Unstopped = %+v, want S abandoned", un)
		}
		equal(t, "stop order", filter(rec.snapshot(), "stopped", "stop_timeout"), []string{"s: stop_timeout S", "s: stopped A"})
	})
	t.Run("brutal is not waited for", func(t *testing.T) {
		clk := NewFakeClock(t0)
		release := make(chan struct{})
		defer close(release)
		s := mustNew(t, Options{Clock: clk}, stubborn("K", Brutal, nil, release))
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := s.Stop(); err != nil { // returns with K still blocked
			t.Fatalf("Stop: %v", err)
		}
		un := s.Unstopped()
		if len(un) != 1 || un[0].Path[0] != "K" || un[0].Shutdown != Brutal {
			t.Fatalf("Unstopped = %+v, want K (brutal)", un)
		}
	})
	t.Run("nested supervisor is waited for", func(t *testing.T) {
		clk, rec := NewFakeClock(t0), newRecorder()
		release, slowRelease := make(chan struct{}), make(chan struct{})
		defer close(release)
		cancelled := make(chan string, 2)
		var slowDone atomic.Bool
		slow := ChildSpec{ID: "slow", Shutdown: Infinity, Start: StartServeFunc(func(ctx context.Context) error {
			<-ctx.Done()
			cancelled <- "slow"
			<-slowRelease
			slowDone.Store(true)
			return nil
		})}
		inner := mustNew(t, Options{Name: "inner", Clock: clk, OnEvent: rec.hook}, slow, stubborn("stuck", Shutdown(time.Second), nil, release))
		parent := mustNew(t, Options{Name: "parent", Clock: clk, OnEvent: rec.hook},
			ChildSpec{ID: "inner", Kind: KindSupervisor, Start: StartService(inner)}, noTimer(blocker("B")))
		if err := parent.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		stopped := make(chan error, 1)
		go func() { stopped <- parent.Stop() }()
		clk.BlockUntil(1) // inner waits for "stuck"
		clk.Advance(time.Second)
		if got := <-cancelled; got != "slow" {
			t.Fatalf("cancelled %q", got)
		}
		select {
		case <-stopped:
			t.Fatal("parent stopped before its nested supervisor's children")
		default:
		}
		close(slowRelease)
		if err := <-stopped; err != nil {
			t.Fatalf("Stop: %v", err)
		}
		if !slowDone.Load() {
			t.Fatal("Stop returned before the nested child finished")
		}
		equal(t, "stop order", filter(rec.snapshot(), "stopped", "stop_timeout"), []string{
			"parent: stopped B", "inner: stop_timeout stuck", "inner: stopped slow", "parent: stopped inner",
		})
		un := parent.Unstopped()
		if len(un) != 1 || strings.Join(un[0].Path, "/") != "inner/stuck" {
			t.Fatalf("Unstopped = %+v, want inner/stuck", un)
		}
	})
}

func TestStartFailure(t *testing.T) {
	t.Run("stops the started ones", func(t *testing.T) {
		rec := newRecorder()
		var cMade atomic.Bool
		bad := ChildSpec{ID: "B", Start: func(...any) (Service, error) { return nil, errBoom }}
		c := ChildSpec{ID: "C", Start: func(...any) (Service, error) {
			cMade.Store(true)
			return ServiceFunc(func(ctx context.Context) error { <-ctx.Done(); return nil }), nil
		}}
		s := mustNew(t, Options{Name: "s", OnEvent: rec.hook}, blocker("A"), bad, c)
		err := s.Start(context.Background())
		var se *StartError
		if !errors.As(err, &se) || se.ID != "B" || !errors.Is(err, errBoom) {
			t.Fatalf("Start = %v, want a StartError naming B", err)
		}
		if !strings.Contains(err.Error(), `"B"`) || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("message %q should name B and the reason", err)
		}
		equal(t, "events", rec.snapshot(), []string{"s: started A", "s: start_failed B", "s: stopped A"})
		if cMade.Load() {
			t.Fatal("C was started")
		}
	})
	t.Run("a starter failing before started", func(t *testing.T) {
		st := ChildSpec{ID: "S", Start: StartService(StarterFunc(func(ctx context.Context, started func()) error {
			return errBoom
		}))}
		s := mustNew(t, Options{}, st)
		if err := s.Start(context.Background()); !errors.Is(err, errBoom) {
			t.Fatalf("Start = %v, want boom", err)
		}
	})
	t.Run("cancelled while a child starts", func(t *testing.T) {
		entered := make(chan struct{})
		st := ChildSpec{ID: "S", Shutdown: Infinity, Start: StartService(StarterFunc(func(ctx context.Context, started func()) error {
			close(entered)
			<-ctx.Done() // never signals started
			return nil
		}))}
		s := mustNew(t, Options{}, blocker("A"), st)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Serve(ctx) }()
		<-entered
		cancel()
		err := <-done
		var se *StartError
		if !errors.As(err, &se) || se.ID != "S" || !errors.Is(err, context.Canceled) {
			t.Fatalf("Serve = %v, want a StartError for S wrapping context.Canceled", err)
		}
	})
	t.Run("start is synchronous", func(t *testing.T) {
		rec := newRecorder()
		var order []string // written by the supervisor goroutine and S's goroutine, ordered by started()
		slowInit := ChildSpec{ID: "S", Start: StartService(StarterFunc(func(ctx context.Context, started func()) error {
			order = append(order, "S initialised")
			started()
			<-ctx.Done()
			return nil
		}))}
		next := ChildSpec{ID: "N", Start: func(...any) (Service, error) {
			order = append(order, "N created")
			return ServiceFunc(func(ctx context.Context) error { <-ctx.Done(); return nil }), nil
		}}
		s := mustNew(t, Options{Name: "s", OnEvent: rec.hook}, slowInit, next)
		startSup(t, s)
		equal(t, "order", order, []string{"S initialised", "N created"})
	})
	t.Run("ignore", func(t *testing.T) {
		ign := ChildSpec{ID: "I", Start: func(...any) (Service, error) { return nil, ErrIgnore }}
		ignStarter := ChildSpec{ID: "J", Start: StartService(StarterFunc(func(ctx context.Context, started func()) error {
			return ErrIgnore
		}))}
		tmp := ChildSpec{ID: "T", Restart: Temporary, Start: func(...any) (Service, error) { return nil, ErrIgnore }}
		s := mustNew(t, Options{}, blocker("A"), ign, ignStarter, tmp)
		startSup(t, s)
		info := which(t, s)
		if info["I"].State != Ignored || info["J"].State != Ignored {
			t.Fatalf("children %+v, want I and J ignored", info)
		}
		if _, ok := info["T"]; ok {
			t.Fatal("an ignored temporary child is listed")
		}
		n, _ := s.CountChildren(context.Background())
		if n != (Counts{Specs: 3, Active: 1, Workers: 3}) {
			t.Fatalf("CountChildren = %+v", n)
		}
	})
}

func TestRestartFailingToStart(t *testing.T) {
	clk, rec := NewFakeClock(t0), newRecorder()
	var attempts atomic.Int64
	p := newProbe("X")
	spec := ChildSpec{ID: "X", Start: func(...any) (Service, error) {
		if attempts.Add(1) == 1 {
			return p, nil
		}
		return nil, errBoom
	}}
	s := mustNew(t, Options{Name: "s", MaxRestarts: 3, Period: time.Second, RetryDelay: 10 * time.Millisecond, Clock: clk, OnEvent: rec.hook}, blocker("A"), spec)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.next(t).exit <- errBoom
	for i := 1; i <= 3; i++ {
		clk.BlockUntil(1) // the retry timer: restart i failed to start
		info := which(t, s)
		if info["X"].State != Restarting || info["A"].State != Running {
			t.Fatalf("attempt %d: children %+v, want X restarting", i, info)
		}
		if err := s.RestartChild(context.Background(), "X"); !errors.Is(err, ErrRestarting) {
			t.Fatalf("RestartChild = %v, want ErrRestarting", err)
		}
		if err := s.DeleteChild(context.Background(), "X"); !errors.Is(err, ErrRestarting) {
			t.Fatalf("DeleteChild = %v, want ErrRestarting", err)
		}
		clk.Advance(10 * time.Millisecond)
	}
	err := wait(t, s)
	var ie *IntensityError
	if !errors.As(err, &ie) || ie.ID != "X" || !errors.Is(err, errBoom) {
		t.Fatalf("Serve = %v, want intensity at X", err)
	}
	if got := attempts.Load(); got != 4 {
		t.Fatalf("%d start attempts, want 1 + 3 restarts", got)
	}
	evs := rec.snapshot()
	if count(evs, "s: start_failed X") != 3 || count(evs, "s: restart X") != 3 {
		t.Fatalf("events %q", evs)
	}
}

func TestAutoShutdown(t *testing.T) {
	sig := func(p *probe) ChildSpec {
		s := p.spec()
		s.Restart, s.Significant = Transient, true
		return s
	}
	t.Run("any significant exits normally", func(t *testing.T) {
		rec := newRecorder()
		p := newProbe("S")
		s := mustNew(t, Options{Name: "s", AutoShutdown: AnySignificant, OnEvent: rec.hook}, blocker("A"), sig(p))
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		p.next(t).exit <- nil
		if err := wait(t, s); err != nil {
			t.Fatalf("Serve = %v, want nil", err)
		}
		equal(t, "events", after(rec.snapshot(), "s: exited S", 0), []string{"s: auto_shutdown S", "s: stopped A"})
	})
	t.Run("terminating by hand does not", func(t *testing.T) {
		p := newProbe("S")
		s := mustNew(t, Options{AutoShutdown: AnySignificant}, blocker("A"), sig(p))
		startSup(t, s)
		p.next(t)
		if err := s.TerminateChild(context.Background(), "S"); err != nil {
			t.Fatal(err)
		}
		if n, err := s.CountChildren(context.Background()); err != nil || n.Active != 1 || n.Specs != 2 {
			t.Fatalf("CountChildren = %+v, %v; want running with S stopped", n, err)
		}
	})
	t.Run("all significant", func(t *testing.T) {
		p, q := newProbe("P"), newProbe("Q")
		rec := newRecorder()
		s := mustNew(t, Options{Name: "s", AutoShutdown: AllSignificant, OnEvent: rec.hook}, sig(p), sig(q))
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		p.next(t).exit <- nil
		rec.waitEvent(t, "s: exited P", 1)
		if info := which(t, s); info["P"].State != Stopped || info["Q"].State != Running {
			t.Fatalf("children %+v", info)
		}
		q.next(t).exit <- nil
		if err := wait(t, s); err != nil {
			t.Fatalf("Serve = %v", err)
		}
	})
	t.Run("invalid combinations", func(t *testing.T) {
		ok := blocker("ok")
		sigPerm := blocker("sp")
		sigPerm.Significant = true
		sigTrans := blocker("st")
		sigTrans.Significant, sigTrans.Restart = true, Transient
		cases := []struct {
			name  string
			opts  Options
			specs []ChildSpec
		}{
			{"significant permanent", Options{AutoShutdown: AnySignificant}, []ChildSpec{sigPerm}},
			{"significant with never", Options{}, []ChildSpec{sigTrans}},
			{"duplicate ids", Options{}, []ChildSpec{ok, ok}},
			{"empty id", Options{}, []ChildSpec{{Start: ok.Start}}},
			{"nil start", Options{}, []ChildSpec{{ID: "x"}}},
			{"bad shutdown", Options{}, []ChildSpec{{ID: "x", Start: ok.Start, Shutdown: -7}}},
			{"simple with two specs", Options{Strategy: SimpleOneForOne}, []ChildSpec{ok, sigTrans}},
			{"simple without template", Options{Strategy: SimpleOneForOne}, nil},
			{"negative intensity", Options{MaxRestarts: -2}, nil},
		}
		for _, tc := range cases {
			if _, err := New(tc.opts, tc.specs...); !errors.Is(err, ErrInvalidSpec) {
				t.Errorf("%s: New = %v, want ErrInvalidSpec", tc.name, err)
			}
		}
		s := mustNew(t, Options{}, ok)
		startSup(t, s)
		if err := s.StartChild(context.Background(), sigTrans); !errors.Is(err, ErrInvalidSpec) {
			t.Errorf("StartChild significant with never = %v", err)
		}
	})
}

func TestDynamicControl(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder()
	s := mustNew(t, Options{Name: "s", OnEvent: rec.hook}, blocker("A"))
	startSup(t, s)
	if err := s.StartChild(ctx, blocker("B")); err != nil {
		t.Fatal(err)
	}
	if err := s.StartChild(ctx, blocker("B")); !errors.Is(err, ErrAlreadyStarted) {
		t.Fatalf("duplicate running = %v", err)
	}
	if _, err := s.StartChildArgs(ctx); !errors.Is(err, ErrSimpleOneForOne) {
		t.Fatal("StartChildArgs on one_for_one succeeded")
	}
	if err := s.RestartChild(ctx, "B"); !errors.Is(err, ErrRunning) {
		t.Fatalf("RestartChild running = %v", err)
	}
	if err := s.DeleteChild(ctx, "B"); !errors.Is(err, ErrRunning) {
		t.Fatalf("DeleteChild running = %v", err)
	}
	if err := s.TerminateChild(ctx, "B"); err != nil {
		t.Fatal(err)
	}
	if err := s.TerminateChild(ctx, "B"); err != nil {
		t.Fatalf("terminating a stopped child = %v", err)
	}
	if err := s.StartChild(ctx, blocker("B")); !errors.Is(err, ErrAlreadyPresent) {
		t.Fatalf("duplicate stopped = %v", err)
	}
	if err := s.RestartChild(ctx, "B"); err != nil {
		t.Fatal(err)
	}
	if st := which(t, s)["B"].State; st != Running {
		t.Fatalf("B %v after RestartChild", st)
	}
	_ = s.TerminateChild(ctx, "B")
	if err := s.DeleteChild(ctx, "B"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteChild(ctx, "B"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("DeleteChild twice = %v", err)
	}
	tmp := blocker("T")
	tmp.Restart = Temporary
	_ = s.StartChild(ctx, tmp)
	_ = s.TerminateChild(ctx, "T")
	equal(t, "children", ids(t, s), []string{"A"})
	failing := ChildSpec{ID: "F", Start: func(...any) (Service, error) { return nil, errBoom }}
	var se *StartError
	if err := s.StartChild(ctx, failing); !errors.As(err, &se) || se.ID != "F" {
		t.Fatalf("StartChild failing = %v", err)
	}
	equal(t, "children after a failed start", ids(t, s), []string{"A"})
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WhichChildren(ctx); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("WhichChildren after Stop = %v", err)
	}
}

func TestSimpleOneForOne(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder()
	got := make(chan any, 10)
	tmpl := ChildSpec{ID: "bot", Restart: Transient, Start: func(args ...any) (Service, error) {
		got <- args[0]
		return ServiceFunc(func(ctx context.Context) error { <-ctx.Done(); return nil }), nil
	}}
	s := mustNew(t, Options{Name: "fleet", Strategy: SimpleOneForOne, OnEvent: rec.hook}, tmpl)
	startSup(t, s)
	if got := ids(t, s); len(got) != 0 {
		t.Fatalf("children at start %q", got)
	}
	id1, err := s.StartChildArgs(ctx, "alpha")
	if err != nil || id1 != "bot-1" || <-got != "alpha" {
		t.Fatalf("StartChildArgs = %q, %v", id1, err)
	}
	id2, _ := s.StartChildArgs(ctx, "beta")
	equal(t, "children", ids(t, s), []string{"bot-1", "bot-2"})
	if err := s.StartChild(ctx, blocker("x")); !errors.Is(err, ErrSimpleOneForOne) {
		t.Fatalf("StartChild on simple = %v", err)
	}
	if err := s.RestartChild(ctx, id1); !errors.Is(err, ErrSimpleOneForOne) {
		t.Fatalf("RestartChild on simple = %v", err)
	}
	if err := s.TerminateChild(ctx, id1); err != nil {
		t.Fatal(err)
	}
	equal(t, "children after terminate", ids(t, s), []string{id2})
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if count(rec.snapshot(), "fleet: stopped "+id2) != 1 {
		t.Fatalf("events %q", rec.snapshot())
	}
}

// TestJuvetFactory is Juvet's shape: a one_for_all factory whose
// superintendent validates the configuration, then a dynamic fleet; killing
// the superintendent rebuilds the fleet empty.
func TestJuvetFactory(t *testing.T) {
	ctx := context.Background()
	newFactory := func(config map[string]string, rec *recorder) (*Supervisor, *Supervisor, *probe) {
		super := newProbe("superintendent")
		superSpec := ChildSpec{ID: "superintendent", Start: func(...any) (Service, error) {
			return StarterFunc(func(ctx context.Context, started func()) error {
				if config["platform"] == "" {
					return errors.New("invalid configuration: platform is required")
				}
				started()
				return super.Serve(ctx)
			}), nil
		}}
		bot := ChildSpec{ID: "bot", Start: func(args ...any) (Service, error) {
			return ServiceFunc(func(ctx context.Context) error { <-ctx.Done(); return nil }), nil
		}}
		fleet := mustNew(t, Options{Name: "fleet", Strategy: SimpleOneForOne, OnEvent: rec.hook}, bot)
		factory := mustNew(t, Options{Name: "factory", Strategy: OneForAll, OnEvent: rec.hook},
			superSpec, ChildSpec{ID: "fleet", Kind: KindSupervisor, Start: StartService(fleet)})
		return factory, fleet, super
	}
	t.Run("invalid configuration", func(t *testing.T) {
		factory, _, _ := newFactory(map[string]string{}, newRecorder())
		err := factory.Start(ctx)
		var se *StartError
		if !errors.As(err, &se) || se.ID != "superintendent" || !strings.Contains(err.Error(), "platform is required") {
			t.Fatalf("Start = %v", err)
		}
	})
	t.Run("rebuild", func(t *testing.T) {
		rec := newRecorder()
		factory, fleet, super := newFactory(map[string]string{"platform": "irc"}, rec)
		startSup(t, factory)
		first := super.next(t)
		for _, name := range []string{"alice", "bob"} {
			if _, err := fleet.StartChildArgs(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := fleet.CountChildren(ctx); n.Active != 2 {
			t.Fatalf("fleet %+v", n)
		}
		first.exit <- errBoom
		evs := rec.waitEvent(t, "factory: started fleet", 2)
		equal(t, "rebuild", filter(after(evs, "factory: exited superintendent", 0), "stopped", "started"), []string{
			"fleet: stopped bot-1", "fleet: stopped bot-2", "factory: stopped fleet",
			"factory: started superintendent", "factory: started fleet",
		})
		if got := ids(t, fleet); len(got) != 0 {
			t.Fatalf("fleet after rebuild %q, want empty", got)
		}
	})
}

func TestLogEvents(t *testing.T) {
	var buf strings.Builder
	h := LogEvents(slogTo(&buf))
	h(Event{Kind: EventPanicked, Supervisor: "s", Child: "c", Err: &PanicError{Value: "x", Stack: []byte("stack here")}})
	h(Event{Kind: EventStarted, Supervisor: "s", Child: "c"})
	out := buf.String()
	for _, want := range []string{"level=ERROR", "supervisor panicked", "child=c", "stack here", "level=INFO"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %q", out, want)
		}
	}
}

func TestFakeClock(t *testing.T) {
	clk := NewFakeClock(t0)
	tm := clk.NewTimer(time.Second)
	if clk.Waiters() != 1 {
		t.Fatalf("waiters %d", clk.Waiters())
	}
	clk.Advance(999 * time.Millisecond)
	select {
	case <-tm.C():
		t.Fatal("fired early")
	default:
	}
	clk.Advance(time.Millisecond)
	if got := <-tm.C(); !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("fired at %v", got)
	}
	if tm.Stop() || clk.Waiters() != 0 {
		t.Fatal("a fired timer stopped")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := clk.BlockUntilContext(ctx, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("BlockUntilContext = %v", err)
	}
}

func TestSimpleOneForOneStopTimeout(t *testing.T) {
	ctx := context.Background()
	clk := NewFakeClock(t0)
	release := make(chan struct{})
	defer close(release)
	tmpl := stubborn("bot", Shutdown(3*time.Second), nil, release)
	s := mustNew(t, Options{Name: "fleet", Strategy: SimpleOneForOne, Clock: clk}, tmpl)
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := s.StartChildArgs(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if un := s.Unstopped(); len(un) != 0 {
		t.Fatalf("Unstopped while running = %+v", un)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- s.Stop() }()
	clk.BlockUntil(1) // one shared deadline for all dynamic children
	clk.Advance(3 * time.Second)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, u := range s.Unstopped() {
		paths = append(paths, strings.Join(u.Path, "/"))
	}
	equal(t, "unstopped", paths, []string{"bot-1", "bot-2"})
}

// A one_for_all bounce whose restart of C fails is retried as a new
// bounce, and the retry counts against the intensity.
func TestOneForAllRetry(t *testing.T) {
	rec := newRecorder()
	b := newProbe("B")
	var cStarts atomic.Int64
	c := ChildSpec{ID: "C", Start: func(...any) (Service, error) {
		if cStarts.Add(1) == 2 {
			return nil, errBoom
		}
		return ServiceFunc(func(ctx context.Context) error { <-ctx.Done(); return nil }), nil
	}}
	s := mustNew(t, Options{Name: "s", Strategy: OneForAll, MaxRestarts: 2, Clock: NewFakeClock(t0), OnEvent: rec.hook},
		noTimer(blocker("A")), noTimer(b.spec()), c)
	startSup(t, s)
	b.next(t).exit <- errBoom
	evs := rec.waitEvent(t, "s: started C", 2)
	equal(t, "bounce and retry", after(evs, "s: exited B", 0), []string{
		"s: restart B", "s: stopped C", "s: stopped A", "s: started A", "s: started B", "s: start_failed C",
		"s: restart C", "s: stopped B", "s: stopped A", "s: started A", "s: started B", "s: started C",
	})
	if info := which(t, s); info["A"].Restarts != 2 || info["C"].State != Running {
		t.Fatalf("children %+v", info)
	}
}

// TestConcurrentControl hammers the introspection and control methods
// while children fail and restart (for the race detector).
func TestConcurrentControl(t *testing.T) {
	ctx := context.Background()
	p := newProbe("W")
	s := mustNew(t, Options{MaxRestarts: 1000, Strategy: RestForOne}, p.spec(), blocker("A"))
	startSup(t, s)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			_, _ = s.WhichChildren(ctx)
			_, _ = s.CountChildren(ctx)
			_ = s.Unstopped()
			id := "D" + string(rune('0'+i%10))
			_ = s.StartChild(ctx, blocker(id))
			_ = s.TerminateChild(ctx, id)
			_ = s.DeleteChild(ctx, id)
		}
	}()
	for range 50 {
		p.next(t).exit <- errBoom
	}
	p.next(t)
	close(stop)
	<-done
	if info := which(t, s); info["W"].Restarts != 50 || info["W"].State != Running {
		t.Fatalf("W: %+v, want running after 50 restarts", info["W"])
	}
}
