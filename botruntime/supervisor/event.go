package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// EventKind says what happened.
type EventKind int

// The event kinds.
const (
	// EventStarted: a child started (Err nil).
	EventStarted EventKind = iota + 1
	// EventStartFailed: a child failed to start (Err is the reason).
	EventStartFailed
	// EventIgnored: a child's start answered ErrIgnore.
	EventIgnored
	// EventExited: a child returned on its own (Err nil for a normal exit).
	EventExited
	// EventPanicked: a child panicked (Err is a *PanicError); an
	// EventExited follows.
	EventPanicked
	// EventRestart: the supervisor restarts after Child's exit (one event
	// per restart, however many children a one_for_all bounce restarts).
	EventRestart
	// EventStopped: the supervisor stopped a child (shutdown, a sibling's
	// restart, TerminateChild). Err is what the child returned.
	EventStopped
	// EventStopTimeout: a child did not return within its shutdown and was
	// abandoned (its goroutine is still running), or a Brutal child had not
	// returned when the supervisor moved on.
	EventStopTimeout
	// EventIntensity: the restart intensity was exceeded; the supervisor
	// stops all children and fails.
	EventIntensity
	// EventAutoShutdown: a significant child's exit stops the supervisor.
	EventAutoShutdown
)

// String returns a readable name of k.
func (k EventKind) String() string {
	switch k {
	case EventStarted:
		return "started"
	case EventStartFailed:
		return "start_failed"
	case EventIgnored:
		return "ignored"
	case EventExited:
		return "exited"
	case EventPanicked:
		return "panicked"
	case EventRestart:
		return "restart"
	case EventStopped:
		return "stopped"
	case EventStopTimeout:
		return "stop_timeout"
	case EventIntensity:
		return "intensity"
	case EventAutoShutdown:
		return "auto_shutdown"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is what the supervisor reports to Options.OnEvent.
type Event struct {
	Kind       EventKind
	Supervisor string    // Options.Name
	Child      string    // child id
	Err        error     // reason, when there is one
	Restarts   int       // the child's restart count so far
	Time       time.Time // from the supervisor's Clock
}

// String is "<supervisor>: <kind> <child>[: <err>]".
func (e Event) String() string {
	s := e.Supervisor + ": " + e.Kind.String() + " " + e.Child
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// LogEvents returns an OnEvent hook writing events to logger: starts and
// stops at Info, exits with an error and restarts at Warn, panics (with
// their stack), intensity and stop timeouts at Error.
func LogEvents(logger *slog.Logger) func(Event) {
	return func(e Event) {
		level := slog.LevelInfo
		attrs := []slog.Attr{
			slog.String("supervisor", e.Supervisor),
			slog.String("child", e.Child),
			slog.Int("restarts", e.Restarts),
		}
		if e.Err != nil {
			attrs = append(attrs, slog.String("err", e.Err.Error()))
		}
		switch e.Kind {
		case EventExited, EventStartFailed:
			if e.Err != nil {
				level = slog.LevelWarn
			}
		case EventRestart:
			level = slog.LevelWarn
		case EventPanicked, EventIntensity, EventStopTimeout:
			level = slog.LevelError
			var pe *PanicError
			if errors.As(e.Err, &pe) {
				attrs = append(attrs, slog.String("stack", string(pe.Stack)))
			}
		}
		logger.LogAttrs(context.Background(), level, "supervisor "+e.Kind.String(), attrs...)
	}
}
