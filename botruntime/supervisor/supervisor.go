package supervisor

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// State is a child's state in WhichChildren.
type State int

const (
	// Running: the child has a goroutine.
	Running State = iota + 1
	// Restarting: the child exited and its restart has not succeeded yet
	// (a failed restart is being retried, or a bounce is under way).
	Restarting
	// Stopped: the spec is listed but the child is not running (it exited
	// without restart, or was terminated by TerminateChild).
	Stopped
	// Ignored: the child's start answered ErrIgnore.
	Ignored
)

// String returns a readable name of s.
func (s State) String() string {
	switch s {
	case Running:
		return "running"
	case Restarting:
		return "restarting"
	case Stopped:
		return "stopped"
	case Ignored:
		return "ignored"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// ChildInfo describes a child (OTP's which_children).
type ChildInfo struct {
	ID       string
	State    State
	Restarts int // times this child was restarted by the supervisor
	Kind     Kind
	Restart  Restart
}

// Counts is OTP's count_children.
type Counts struct {
	Specs       int // child specs listed
	Active      int // children running
	Supervisors int // specs of kind supervisor
	Workers     int // specs of kind worker
}

// Unstopped is a child that did not return when stopped: its goroutine was
// abandoned and may still be running.
type Unstopped struct {
	// Path is the child's id, prefixed by the ids of the nested
	// supervisors between the reporting supervisor and it.
	Path     []string
	Shutdown Shutdown
	Reason   string
}

// Supervisor supervises children. Build one with New; run it with Serve
// (it is a Service and a Starter, so it nests) or Start/Stop. A Supervisor
// can be served again after Serve returns: it starts from its initial specs
// (children added by StartChild are forgotten, as in OTP). Its methods are
// safe for concurrent use; the control and introspection methods return
// ErrNotRunning when it is not serving.
type Supervisor struct {
	opts  Options
	specs []ChildSpec

	mu        sync.Mutex // guards the fields below; a leaf lock
	cur       *run       // the current run, set while serving and started
	serving   bool
	unstopped []Unstopped // of the last or current run
	bg        *background
}

type background struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error // set before done is closed
}

// New checks opts and specs (OTP's checks: duplicate ids, significant
// children, exactly one template for SimpleOneForOne...) and returns a
// Supervisor that is not running yet. Errors wrap ErrInvalidSpec.
func New(opts Options, specs ...ChildSpec) (*Supervisor, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	if opts.Name == "" {
		opts.Name = "supervisor"
	}
	if opts.MaxRestarts == 0 {
		opts.MaxRestarts = 1
	} else if opts.MaxRestarts == NoRestarts {
		opts.MaxRestarts = 0
	}
	if opts.Period == 0 {
		opts.Period = 5 * time.Second
	}
	if opts.Clock == nil {
		opts.Clock = RealClock()
	}
	if opts.Strategy == SimpleOneForOne && len(specs) != 1 {
		return nil, fmt.Errorf("%w: simple_one_for_one needs exactly one template spec, got %d", ErrInvalidSpec, len(specs))
	}
	seen := make(map[string]bool, len(specs))
	for _, c := range specs {
		if err := checkSpec(c, opts.AutoShutdown); err != nil {
			return nil, err
		}
		if seen[c.ID] {
			return nil, fmt.Errorf("%w: duplicate child id %q", ErrInvalidSpec, c.ID)
		}
		seen[c.ID] = true
	}
	return &Supervisor{opts: opts, specs: slices.Clone(specs)}, nil
}

// Name returns Options.Name.
func (s *Supervisor) Name() string { return s.opts.Name }

// Serve starts the children in order and supervises them until ctx is
// cancelled (then it stops them in reverse order and returns nil), until an
// auto shutdown (nil), or until the restart intensity is exceeded (an
// *IntensityError). If a child fails to start, the children already started
// are stopped in reverse order and Serve returns a *StartError.
func (s *Supervisor) Serve(ctx context.Context) error {
	return s.ServeStarted(ctx, func() {})
}

// ServeStarted is Serve, calling started once every initial child has
// started. It makes a nested supervisor start synchronously.
func (s *Supervisor) ServeStarted(ctx context.Context, started func()) error {
	s.mu.Lock()
	if s.serving {
		s.mu.Unlock()
		return ErrAlreadyRunning
	}
	s.serving = true
	s.unstopped = nil
	s.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	r := &run{
		s:     s,
		ctx:   ctx,
		byID:  make(map[string]*child),
		exits: make(chan *proc),
		calls: make(chan call),
		quit:  make(chan struct{}),
	}
	defer func() {
		cancel()
		s.mu.Lock()
		s.cur = nil
		s.serving = false
		s.unstopped = r.unstopped
		s.mu.Unlock()
		close(r.quit)
	}()

	if s.opts.Strategy != SimpleOneForOne {
		for _, spec := range s.specs {
			c := &child{spec: spec}
			if err := r.start(c); err != nil {
				r.stopAll()
				return &StartError{Supervisor: s.opts.Name, ID: spec.ID, Err: err}
			}
			if c.state == Ignored && spec.Restart == Temporary {
				continue
			}
			r.add(c)
		}
	}
	s.mu.Lock()
	s.cur = r
	s.mu.Unlock()
	started()
	return r.loop()
}

// Start runs Serve in a goroutine the Supervisor owns and returns once the
// children have started (nil) or failed to start (the *StartError). Stop
// or cancelling ctx ends it.
func (s *Supervisor) Start(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	b := &background{cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	if s.bg != nil {
		select {
		case <-s.bg.done:
		default:
			s.mu.Unlock()
			cancel()
			return ErrAlreadyRunning
		}
	}
	s.bg = b
	s.mu.Unlock()
	started := make(chan struct{})
	go func() {
		b.err = s.ServeStarted(ctx, func() { close(started) })
		cancel()
		close(b.done)
	}()
	select {
	case <-started:
		return nil
	case <-b.done:
		// Both may be ready when the children started and then failed at
		// once; the start phase succeeded, so report that (Wait has the
		// later error).
		select {
		case <-started:
			return nil
		default:
			return b.err
		}
	}
}

// Stop cancels a supervisor begun with Start, waits until Serve has
// returned and returns its error (nil after a plain stop). Unstopped then
// lists children that were abandoned.
func (s *Supervisor) Stop() error {
	s.mu.Lock()
	b := s.bg
	s.mu.Unlock()
	if b == nil {
		return ErrNotRunning
	}
	b.cancel()
	<-b.done
	return b.err
}

// Wait waits until a supervisor begun with Start has stopped on its own or
// been stopped, and returns Serve's error.
func (s *Supervisor) Wait() error {
	s.mu.Lock()
	b := s.bg
	s.mu.Unlock()
	if b == nil {
		return ErrNotRunning
	}
	<-b.done
	return b.err
}

// Unstopped lists the children (recursively through nested supervisors)
// that did not return within their shutdown during the current or last run
// and were abandoned: their goroutines may still be running. Do not call it
// from an OnEvent hook.
func (s *Supervisor) Unstopped() []Unstopped {
	s.mu.Lock()
	r, list := s.cur, slices.Clone(s.unstopped)
	s.mu.Unlock()
	if r == nil {
		return list
	}
	// The current run's list is owned by its goroutine: ask it.
	var out []Unstopped
	if err := s.call(context.Background(), r, func(r *run) { out = slices.Clone(r.unstopped) }); err == nil {
		return out
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.unstopped)
}

// WhichChildren lists the children in start order (OTP's which_children).
func (s *Supervisor) WhichChildren(ctx context.Context) ([]ChildInfo, error) {
	var out []ChildInfo
	err := s.do(ctx, func(r *run) {
		out = make([]ChildInfo, 0, len(r.children))
		for _, c := range r.children {
			out = append(out, ChildInfo{ID: c.id, State: c.state, Restarts: c.restarts, Kind: c.spec.Kind, Restart: c.spec.Restart})
		}
	})
	return out, err
}

// CountChildren is OTP's count_children.
func (s *Supervisor) CountChildren(ctx context.Context) (Counts, error) {
	var n Counts
	err := s.do(ctx, func(r *run) {
		n.Specs = len(r.children)
		for _, c := range r.children {
			if c.proc != nil {
				n.Active++
			}
			if c.spec.Kind == KindSupervisor {
				n.Supervisors++
			} else {
				n.Workers++
			}
		}
	})
	return n, err
}

// StartChild adds spec and starts it (OTP's start_child with a spec; not for
// SimpleOneForOne). If the start fails the spec is not kept and the error is
// a *StartError; a child answering ErrIgnore is kept (unless temporary)
// with no process. A duplicate id gives ErrAlreadyStarted or ErrAlreadyPresent.
func (s *Supervisor) StartChild(ctx context.Context, spec ChildSpec) error {
	if s.opts.Strategy == SimpleOneForOne {
		return fmt.Errorf("start child %q: %w: use StartChildArgs", spec.ID, ErrSimpleOneForOne)
	}
	if err := checkSpec(spec, s.opts.AutoShutdown); err != nil {
		return err
	}
	var err error
	if derr := s.do(ctx, func(r *run) {
		if old, ok := r.byID[spec.ID]; ok {
			if old.proc != nil {
				err = fmt.Errorf("start child %q: %w", spec.ID, ErrAlreadyStarted)
			} else {
				err = fmt.Errorf("start child %q: %w", spec.ID, ErrAlreadyPresent)
			}
			return
		}
		c := &child{spec: spec}
		if serr := r.start(c); serr != nil {
			err = &StartError{Supervisor: s.opts.Name, ID: spec.ID, Err: serr}
			return
		}
		if c.state == Ignored && spec.Restart == Temporary {
			return
		}
		r.add(c)
	}); derr != nil {
		return derr
	}
	return err
}

// StartChildArgs starts a child of a SimpleOneForOne supervisor from its
// template, passing args to the template's StartFunc (OTP's start_child
// with extra args), and returns the generated id ("<template id>-<n>").
// A child answering ErrIgnore is not kept: the id is returned with
// ErrIgnore.
func (s *Supervisor) StartChildArgs(ctx context.Context, args ...any) (string, error) {
	if s.opts.Strategy != SimpleOneForOne {
		return "", fmt.Errorf("start child: %w: StartChildArgs needs simple_one_for_one", ErrSimpleOneForOne)
	}
	var id string
	var err error
	if derr := s.do(ctx, func(r *run) {
		r.nextID++
		id = s.specs[0].ID + "-" + strconv.Itoa(r.nextID)
		c := &child{spec: s.specs[0], args: args}
		c.spec.ID = id
		if serr := r.start(c); serr != nil {
			err = &StartError{Supervisor: s.opts.Name, ID: id, Err: serr}
			return
		}
		if c.state == Ignored {
			err = ErrIgnore
			return
		}
		r.add(c)
	}); derr != nil {
		return "", derr
	}
	return id, err
}

// TerminateChild stops a child honouring its shutdown (OTP's
// terminate_child). The spec stays listed (Stopped) unless the child is
// temporary or the supervisor is SimpleOneForOne. Terminating a stopped
// child is not an error. It never triggers an auto shutdown.
func (s *Supervisor) TerminateChild(ctx context.Context, id string) error {
	var err error
	if derr := s.do(ctx, func(r *run) {
		c, ok := r.byID[id]
		if !ok {
			err = fmt.Errorf("terminate child %q: %w", id, ErrNotFound)
			return
		}
		r.terminate(c)
		r.dropRetry(c)
		if c.spec.Restart == Temporary || s.opts.Strategy == SimpleOneForOne {
			r.remove(c)
			return
		}
		c.state = Stopped
	}); derr != nil {
		return derr
	}
	return err
}

// RestartChild starts a listed child that is not running (OTP's
// restart_child): ErrRunning if it runs, ErrRestarting if it is being
// restarted. It does not count against the intensity.
func (s *Supervisor) RestartChild(ctx context.Context, id string) error {
	if s.opts.Strategy == SimpleOneForOne {
		return fmt.Errorf("restart child %q: %w", id, ErrSimpleOneForOne)
	}
	var err error
	if derr := s.do(ctx, func(r *run) {
		c, ok := r.byID[id]
		switch {
		case !ok:
			err = fmt.Errorf("restart child %q: %w", id, ErrNotFound)
		case c.proc != nil:
			err = fmt.Errorf("restart child %q: %w", id, ErrRunning)
		case c.state == Restarting:
			err = fmt.Errorf("restart child %q: %w", id, ErrRestarting)
		default:
			if serr := r.start(c); serr != nil {
				c.state = Stopped
				err = &StartError{Supervisor: s.opts.Name, ID: id, Err: serr}
			}
		}
	}); derr != nil {
		return derr
	}
	return err
}

// DeleteChild removes the spec of a child that is not running (OTP's
// delete_child).
func (s *Supervisor) DeleteChild(ctx context.Context, id string) error {
	if s.opts.Strategy == SimpleOneForOne {
		return fmt.Errorf("delete child %q: %w", id, ErrSimpleOneForOne)
	}
	var err error
	if derr := s.do(ctx, func(r *run) {
		c, ok := r.byID[id]
		switch {
		case !ok:
			err = fmt.Errorf("delete child %q: %w", id, ErrNotFound)
		case c.proc != nil:
			err = fmt.Errorf("delete child %q: %w", id, ErrRunning)
		case c.state == Restarting:
			err = fmt.Errorf("delete child %q: %w", id, ErrRestarting)
		default:
			r.remove(c)
		}
	}); derr != nil {
		return derr
	}
	return err
}

type call struct {
	fn   func(*run)
	done chan struct{}
}

// do runs fn in the supervisor's goroutine.
func (s *Supervisor) do(ctx context.Context, fn func(*run)) error {
	s.mu.Lock()
	r := s.cur
	s.mu.Unlock()
	if r == nil {
		return ErrNotRunning
	}
	return s.call(ctx, r, fn)
}

func (s *Supervisor) call(ctx context.Context, r *run, fn func(*run)) error {
	c := call{fn: fn, done: make(chan struct{})}
	select {
	case r.calls <- c:
	case <-r.quit:
		return ErrNotRunning
	case <-ctx.Done():
		return ctx.Err()
	}
	<-c.done // once accepted, fn always runs to the end
	return nil
}

// child is a listed child; owned by the run's goroutine.
type child struct {
	spec     ChildSpec
	id       string
	args     []any
	proc     *proc // nil when not running
	state    State
	restarts int
	retry    bool  // queued for a restart retry
	failed   error // why the last restart failed to start
}

// proc is one run of a child's goroutine.
type proc struct {
	child   *child
	svc     Service
	cancel  context.CancelFunc
	started chan struct{}
	signal  atomic.Bool   // started was closed
	done    chan struct{} // closed when Serve has returned
	err     error         // set before done is closed
}

func (p *proc) markStarted() {
	if p.signal.CompareAndSwap(false, true) {
		close(p.started)
	}
}

// run is the state of one Serve; owned by its goroutine.
type run struct {
	s         *Supervisor
	ctx       context.Context // the run's context: children derive theirs from it
	children  []*child        // in start order
	byID      map[string]*child
	restarts  []time.Time // restart times within the period
	nextID    int
	exits     chan *proc
	calls     chan call
	quit      chan struct{} // closed when Serve returns
	retryQ    []*child
	retryT    Timer
	unstopped []Unstopped
}

func (r *run) emit(kind EventKind, c *child, err error) {
	if r.s.opts.OnEvent == nil {
		return
	}
	e := Event{Kind: kind, Supervisor: r.s.opts.Name, Err: err, Time: r.s.opts.Clock.Now()}
	if c != nil {
		e.Child, e.Restarts = c.spec.ID, c.restarts
	}
	r.s.opts.OnEvent(e)
}

func (r *run) add(c *child) {
	c.id = c.spec.ID
	r.children = append(r.children, c)
	r.byID[c.spec.ID] = c
}

func (r *run) remove(c *child) {
	if i := slices.Index(r.children, c); i >= 0 {
		r.children = slices.Delete(r.children, i, i+1)
	}
	delete(r.byID, c.spec.ID)
	r.dropRetry(c)
}

func (r *run) dropRetry(c *child) {
	if c.retry {
		c.retry = false
		r.retryQ = slices.DeleteFunc(r.retryQ, func(x *child) bool { return x == c })
	}
}

// start starts c and waits until it has started. ErrIgnore is not an
// error: c is then Ignored.
func (r *run) start(c *child) error {
	err := r.launch(c)
	switch {
	case err == nil:
		c.state = Running
		r.emit(EventStarted, c, nil)
		return nil
	case errors.Is(err, ErrIgnore):
		c.state = Ignored
		r.emit(EventIgnored, c, nil)
		return nil
	default:
		r.emit(EventStartFailed, c, err)
		return err
	}
}

func (r *run) launch(c *child) (err error) {
	var svc Service
	func() {
		defer func() {
			if v := recover(); v != nil {
				err = &PanicError{Value: v, Stack: debug.Stack()}
			}
		}()
		svc, err = c.spec.Start(c.args...)
	}()
	if err != nil {
		return err
	}
	if svc == nil {
		return errors.New("start function returned a nil Service")
	}
	// The child's context keeps the supervisor's values but not its
	// cancellation: children are stopped one by one, in reverse start
	// order, by terminate, never all at once by the parent's cancel.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.ctx))
	p := &proc{child: c, svc: svc, cancel: cancel, started: make(chan struct{}), done: make(chan struct{})}
	starter, isStarter := svc.(Starter)
	if !isStarter {
		p.markStarted()
	}
	go p.serve(ctx, starter, r.exits, r.quit)
	if err := r.awaitStart(c, p); err != nil {
		return err
	}
	c.proc = p
	return nil
}

// awaitStart waits until p has started, failed or the supervisor is told
// to stop.
func (r *run) awaitStart(c *child, p *proc) error {
	select {
	case <-p.started:
		return nil
	default:
	}
	select {
	case <-p.started:
	case <-r.ctx.Done():
		// The supervisor is told to stop while the child is starting: stop
		// the child honouring its shutdown and fail the start.
		c.proc = p
		r.terminate(c)
		return fmt.Errorf("supervisor stopping while starting: %w", r.ctx.Err())
	case <-p.done:
		select {
		case <-p.started:
		default:
			if p.err != nil {
				return p.err
			}
			// Returned nil before signalling: started, then exited normally;
			// the exit message follows.
		}
	}
	return nil
}

func (p *proc) serve(ctx context.Context, starter Starter, exits chan<- *proc, quit <-chan struct{}) {
	func() {
		defer func() {
			if v := recover(); v != nil {
				p.err = &PanicError{Value: v, Stack: debug.Stack()}
			}
		}()
		if starter != nil {
			p.err = starter.ServeStarted(ctx, p.markStarted)
		} else {
			p.err = p.svc.Serve(ctx)
		}
	}()
	p.cancel() // a member's context ends with its Serve (registries rely on it)
	close(p.done)
	select {
	case exits <- p:
	case <-quit:
	}
}

func (r *run) loop() error {
	for {
		var retryC <-chan time.Time
		if len(r.retryQ) > 0 {
			if r.retryT == nil {
				r.retryT = r.s.opts.Clock.NewTimer(r.s.opts.RetryDelay)
			}
			retryC = r.retryT.C()
		}
		select {
		case <-r.ctx.Done():
			r.stopAll()
			return nil
		case p := <-r.exits:
			if err := r.exited(p); err != nil {
				r.stopAll()
				if errors.Is(err, errAutoShutdown) {
					return nil
				}
				return err
			}
		case c := <-r.calls:
			c.fn(r)
			close(c.done)
		case <-retryC:
			r.retryT = nil
			c := r.retryQ[0]
			r.retryQ = r.retryQ[1:]
			c.retry = false
			if r.byID[c.spec.ID] == c && c.proc == nil && c.state == Restarting {
				if err := r.restart(c, c.failed); err != nil {
					r.stopAll()
					return err
				}
			}
		}
	}
}

var errAutoShutdown = errors.New("auto shutdown")

// exited handles the exit of p. A non-nil result ends the run.
func (r *run) exited(p *proc) error {
	c := p.child
	if c.proc != p {
		return nil // stale: already stopped or replaced
	}
	c.proc = nil
	r.collectNested(c, p)
	err := p.err
	if _, ok := err.(*PanicError); ok {
		r.emit(EventPanicked, c, err)
	}
	r.emit(EventExited, c, err)
	if !restarts(c.spec.Restart, err) {
		if c.spec.Restart == Temporary || r.s.opts.Strategy == SimpleOneForOne {
			r.remove(c)
		}
		c.state = Stopped
		if c.spec.Significant && r.autoShutdownDue() {
			r.emit(EventAutoShutdown, c, err)
			return errAutoShutdown
		}
		return nil
	}
	c.state = Restarting
	return r.restart(c, err)
}

func restarts(t Restart, err error) bool {
	if errors.Is(err, ErrDoNotRestart) {
		return false
	}
	switch t {
	case Permanent:
		return true
	case Transient:
		return err != nil && !errors.Is(err, ErrShutdown)
	}
	return false
}

func (r *run) autoShutdownDue() bool {
	switch r.s.opts.AutoShutdown {
	case AnySignificant:
		return true
	case AllSignificant:
		for _, x := range r.children {
			if x.spec.Significant && (x.proc != nil || x.state == Restarting) {
				return false
			}
		}
		return true
	}
	return false
}

// restart counts one restart against the intensity and applies the
// strategy for c, which is not running. A non-nil result ends the run.
func (r *run) restart(c *child, reason error) error {
	now := r.s.opts.Clock.Now()
	threshold := now.Add(-r.s.opts.Period)
	// restarts is in time order: drop the expired ones from the front
	// (amortised O(1) per restart).
	i := 0
	for i < len(r.restarts) && r.restarts[i].Before(threshold) {
		i++
	}
	r.restarts = append(r.restarts[i:], now)
	if len(r.restarts) > r.s.opts.MaxRestarts {
		r.emit(EventIntensity, c, reason)
		return &IntensityError{Supervisor: r.s.opts.Name, ID: c.spec.ID, Err: reason}
	}
	r.emit(EventRestart, c, reason)
	from := 0
	switch r.s.opts.Strategy {
	case OneForOne, SimpleOneForOne:
		r.restartSet(c, []*child{c})
		return nil
	case RestForOne:
		from = slices.Index(r.children, c)
	}
	set := slices.Clone(r.children[from:])
	for i := len(set) - 1; i >= 0; i-- {
		x := set[i]
		if x == c {
			continue
		}
		r.terminate(x)
		r.dropRetry(x)
		x.state = Restarting
		if x.spec.Restart == Temporary {
			r.remove(x)
		}
	}
	set = slices.DeleteFunc(set, func(x *child) bool { return r.byID[x.spec.ID] != x })
	r.restartSet(c, set)
	return nil
}

// restartSet starts set in order; on a start failure the failed child is
// queued for a retry (which bounces again) and the rest wait for it.
func (r *run) restartSet(c *child, set []*child) {
	for i, x := range set {
		x.restarts++
		if err := r.start(x); err != nil {
			x.state = Restarting
			for _, y := range set[i+1:] {
				y.state = Restarting
			}
			if !x.retry {
				x.retry = true
				r.retryQ = append(r.retryQ, x)
			}
			x.failed = err
			return
		}
	}
}

// terminate stops c's process honouring its shutdown; c stays listed.
func (r *run) terminate(c *child) {
	p := c.proc
	if p == nil {
		return
	}
	c.proc = nil
	p.cancel()
	sd := c.spec.shutdown()
	switch {
	case sd == Brutal:
		select {
		case <-p.done:
		default:
			r.abandon(c, sd, "brutal kill: context cancelled, not waited for; the goroutine may still be running")
			return
		}
	case sd == Infinity:
		<-p.done
	default:
		t := r.s.opts.Clock.NewTimer(time.Duration(sd))
		select {
		case <-p.done:
			t.Stop()
		case <-t.C():
			r.abandon(c, sd, fmt.Sprintf("did not return within %v; goroutine abandoned, still running", time.Duration(sd)))
			return
		}
	}
	r.collectNested(c, p)
	r.emit(EventStopped, c, p.err)
}

func (r *run) abandon(c *child, sd Shutdown, reason string) {
	r.unstopped = append(r.unstopped, Unstopped{Path: []string{c.spec.ID}, Shutdown: sd, Reason: reason})
	r.emit(EventStopTimeout, c, errors.New(reason))
}

// collectNested adds a stopped nested supervisor's unstopped children.
func (r *run) collectNested(c *child, p *proc) {
	n, ok := p.svc.(*Supervisor)
	if !ok {
		return
	}
	n.mu.Lock()
	list := slices.Clone(n.unstopped)
	n.mu.Unlock()
	for _, u := range list {
		u.Path = append([]string{c.spec.ID}, u.Path...)
		r.unstopped = append(r.unstopped, u)
	}
}

// stopAll stops every child: in reverse start order, or all at once for
// SimpleOneForOne (as OTP does).
func (r *run) stopAll() {
	if r.retryT != nil {
		r.retryT.Stop()
		r.retryT = nil
	}
	r.retryQ = nil
	if r.s.opts.Strategy == SimpleOneForOne {
		r.stopParallel()
		return
	}
	for i := len(r.children) - 1; i >= 0; i-- {
		c := r.children[i]
		r.terminate(c)
		c.state = Stopped
	}
}

func (r *run) stopParallel() {
	var running []*child
	for _, c := range r.children {
		if c.proc != nil {
			running = append(running, c)
			c.proc.cancel()
		}
	}
	if len(running) == 0 {
		return
	}
	sd := r.s.specs[0].shutdown()
	var timeout <-chan time.Time
	if sd > 0 {
		t := r.s.opts.Clock.NewTimer(time.Duration(sd))
		defer t.Stop()
		timeout = t.C()
	}
	expired := false
	for _, c := range running {
		p := c.proc
		c.proc = nil
		c.state = Stopped
		switch {
		case sd == Brutal || expired:
		case sd == Infinity:
			<-p.done
		default:
			select {
			case <-p.done:
			case <-timeout:
				expired = true
			}
		}
		select {
		case <-p.done:
			r.collectNested(c, p)
			r.emit(EventStopped, c, p.err)
		default:
			if sd == Brutal {
				r.abandon(c, sd, "brutal kill: context cancelled, not waited for; the goroutine may still be running")
			} else {
				r.abandon(c, sd, fmt.Sprintf("did not return within %v; goroutine abandoned, still running", time.Duration(sd)))
			}
		}
	}
}
