package supervisor

import (
	"fmt"
	"time"
)

// Restart says when a child is restarted (OTP's restart type). The zero
// value is Permanent.
type Restart int

const (
	// Permanent children are always restarted.
	Permanent Restart = iota
	// Transient children are restarted only after a failure: not after nil,
	// ErrDoNotRestart or ErrShutdown.
	Transient
	// Temporary children are never restarted; their spec is removed when
	// they exit or are terminated.
	Temporary
)

// String returns the OTP-style name of r.
func (r Restart) String() string {
	switch r {
	case Permanent:
		return "permanent"
	case Transient:
		return "transient"
	case Temporary:
		return "temporary"
	}
	return fmt.Sprintf("Restart(%d)", int(r))
}

// Kind says whether a child is a worker or a nested supervisor. The zero
// value is KindWorker.
type Kind int

const (
	// KindWorker is a worker child (default shutdown 5 s).
	KindWorker Kind = iota
	// KindSupervisor is a nested supervisor (default shutdown Infinity).
	KindSupervisor
)

// String returns a readable name of k.
func (k Kind) String() string {
	switch k {
	case KindWorker:
		return "worker"
	case KindSupervisor:
		return "supervisor"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Shutdown is how long the supervisor waits for a child to return after
// cancelling its context: a positive duration, Brutal or Infinity. The zero
// value means the default: Infinity for supervisors, 5 s for workers (OTP).
type Shutdown time.Duration

const (
	// DefaultShutdown selects the default by Kind.
	DefaultShutdown Shutdown = 0
	// Brutal cancels the child's context and does not wait (OTP brutal_kill;
	// a goroutine cannot be killed, so it may still be running).
	Brutal Shutdown = -1
	// Infinity waits as long as the child takes.
	Infinity Shutdown = -2
)

// DefaultWorkerShutdown is the default shutdown timeout of workers.
const DefaultWorkerShutdown = Shutdown(5 * time.Second)

// String returns the OTP-style name of s.
func (s Shutdown) String() string {
	switch {
	case s == Brutal:
		return "brutal_kill"
	case s == Infinity:
		return "infinity"
	case s == DefaultShutdown:
		return "default"
	}
	return time.Duration(s).String()
}

// Strategy is the restart strategy. The zero value is OneForOne.
type Strategy int

const (
	// OneForOne restarts only the child that exited.
	OneForOne Strategy = iota
	// OneForAll stops all other children (reverse start order) and restarts
	// all of them (start order).
	OneForAll
	// RestForOne stops the children started after the one that exited
	// (reverse order) and restarts it and them (start order).
	RestForOne
	// SimpleOneForOne has exactly one spec, a template; children are added
	// with StartChildArgs and restarted like OneForOne.
	SimpleOneForOne
)

// String returns the OTP-style name of s.
func (s Strategy) String() string {
	switch s {
	case OneForOne:
		return "one_for_one"
	case OneForAll:
		return "one_for_all"
	case RestForOne:
		return "rest_for_one"
	case SimpleOneForOne:
		return "simple_one_for_one"
	}
	return fmt.Sprintf("Strategy(%d)", int(s))
}

// AutoShutdown says whether significant children stop the supervisor. The
// zero value is Never.
type AutoShutdown int

const (
	// Never: significant children are not allowed.
	Never AutoShutdown = iota
	// AnySignificant: the supervisor stops (normal exit) when any
	// significant child exits on its own and is not restarted.
	AnySignificant
	// AllSignificant: the supervisor stops when the last running
	// significant child exits on its own and is not restarted.
	AllSignificant
)

// String returns the OTP-style name of a.
func (a AutoShutdown) String() string {
	switch a {
	case Never:
		return "never"
	case AnySignificant:
		return "any_significant"
	case AllSignificant:
		return "all_significant"
	}
	return fmt.Sprintf("AutoShutdown(%d)", int(a))
}

// NoRestarts is the MaxRestarts value for an intensity of 0: the first
// restart exceeds it.
const NoRestarts = -1

// Options configure a Supervisor. The zero value is a one_for_one
// supervisor allowing 1 restart in 5 s, like OTP's defaults.
type Options struct {
	// Name appears in events and errors. Default "supervisor".
	Name string
	// Strategy is the restart strategy.
	Strategy Strategy
	// MaxRestarts is OTP's intensity: at most this many restarts within
	// Period. 0 means the default 1; use NoRestarts for an intensity of 0.
	MaxRestarts int
	// Period is OTP's period. 0 means 5 s.
	Period time.Duration
	// AutoShutdown, with significant children.
	AutoShutdown AutoShutdown
	// RetryDelay is how long to wait before retrying a restart whose start
	// failed (OTP retries at once: the default 0). Each retry counts
	// against the intensity.
	RetryDelay time.Duration
	// Clock is the time source. nil means the real clock.
	Clock Clock
	// OnEvent, if set, is called for every Event, from the supervisor's
	// goroutine, in order. It must be quick and must not call the
	// supervisor's methods (that would deadlock).
	OnEvent func(Event)
}

// ChildSpec describes a child (OTP's child_spec).
type ChildSpec struct {
	// ID names the child among its siblings; required and unique. For a
	// SimpleOneForOne template it is the prefix of the generated ids.
	ID string
	// Start creates the child's Service; required.
	Start StartFunc
	// Restart is the restart type (default Permanent).
	Restart Restart
	// Shutdown is the stop timeout (default by Kind).
	Shutdown Shutdown
	// Kind is worker or supervisor (default worker).
	Kind Kind
	// Significant marks a child whose own exit can stop the supervisor (see
	// AutoShutdown). Requires Transient or Temporary, and AutoShutdown other
	// than Never.
	Significant bool
}

func (c ChildSpec) shutdown() Shutdown {
	if c.Shutdown != DefaultShutdown {
		return c.Shutdown
	}
	if c.Kind == KindSupervisor {
		return Infinity
	}
	return DefaultWorkerShutdown
}

func (o Options) check() error {
	if o.Strategy < OneForOne || o.Strategy > SimpleOneForOne {
		return fmt.Errorf("%w: strategy %v", ErrInvalidSpec, o.Strategy)
	}
	if o.MaxRestarts < NoRestarts {
		return fmt.Errorf("%w: MaxRestarts %d (use NoRestarts for 0)", ErrInvalidSpec, o.MaxRestarts)
	}
	if o.Period < 0 {
		return fmt.Errorf("%w: negative Period %v", ErrInvalidSpec, o.Period)
	}
	if o.RetryDelay < 0 {
		return fmt.Errorf("%w: negative RetryDelay %v", ErrInvalidSpec, o.RetryDelay)
	}
	if o.AutoShutdown < Never || o.AutoShutdown > AllSignificant {
		return fmt.Errorf("%w: auto shutdown %v", ErrInvalidSpec, o.AutoShutdown)
	}
	return nil
}

// checkSpec makes OTP's child spec checks.
func checkSpec(c ChildSpec, auto AutoShutdown) error {
	switch {
	case c.ID == "":
		return fmt.Errorf("%w: empty id", ErrInvalidSpec)
	case c.Start == nil:
		return fmt.Errorf("%w: child %q: nil Start", ErrInvalidSpec, c.ID)
	case c.Restart < Permanent || c.Restart > Temporary:
		return fmt.Errorf("%w: child %q: restart %v", ErrInvalidSpec, c.ID, c.Restart)
	case c.Kind < KindWorker || c.Kind > KindSupervisor:
		return fmt.Errorf("%w: child %q: kind %v", ErrInvalidSpec, c.ID, c.Kind)
	case c.Shutdown < Infinity:
		return fmt.Errorf("%w: child %q: shutdown %d", ErrInvalidSpec, c.ID, int64(c.Shutdown))
	case c.Significant && c.Restart == Permanent:
		return fmt.Errorf("%w: child %q: significant requires transient or temporary", ErrInvalidSpec, c.ID)
	case c.Significant && auto == Never:
		return fmt.Errorf("%w: child %q: significant with auto shutdown never", ErrInvalidSpec, c.ID)
	}
	return nil
}
