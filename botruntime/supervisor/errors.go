package supervisor

import (
	"errors"
	"fmt"
)

// Sentinel errors. Compare with errors.Is: they may be wrapped.
var (
	// ErrDoNotRestart, returned (possibly wrapped) by a child's Serve, asks
	// the supervisor not to restart the child whatever its restart type.
	// The exit does not count against the restart intensity.
	ErrDoNotRestart = errors.New("supervisor: child asked not to be restarted")
	// ErrIgnore, returned by a StartFunc (or by a Starter before it calls
	// started), is OTP's ignore: the child is listed but has no process.
	ErrIgnore = errors.New("supervisor: child start ignored")
	// ErrShutdown is OTP's shutdown exit reason. A transient child that
	// returns an error matching it is not restarted. An *IntensityError
	// matches it, so a transient nested supervisor that gave up is not
	// restarted by its parent.
	ErrShutdown = errors.New("supervisor: shutdown")
	// ErrIntensity: the restart intensity was exceeded (see IntensityError).
	ErrIntensity = errors.New("supervisor: restart intensity reached")
	// ErrInvalidSpec: a child spec or the Options are invalid.
	ErrInvalidSpec = errors.New("supervisor: invalid child spec")
	// ErrAlreadyStarted: StartChild with the id of a running child.
	ErrAlreadyStarted = errors.New("supervisor: child already started")
	// ErrAlreadyPresent: StartChild with the id of a child that is listed but not running.
	ErrAlreadyPresent = errors.New("supervisor: child already present")
	// ErrNotFound: no child with that id.
	ErrNotFound = errors.New("supervisor: child not found")
	// ErrRunning: RestartChild or DeleteChild on a running child.
	ErrRunning = errors.New("supervisor: child is running")
	// ErrRestarting: RestartChild or DeleteChild on a child being restarted.
	ErrRestarting = errors.New("supervisor: child is restarting")
	// ErrSimpleOneForOne: the operation is not valid for (or only valid
	// for) a SimpleOneForOne supervisor.
	ErrSimpleOneForOne = errors.New("supervisor: not valid for this strategy")
	// ErrNotRunning: the supervisor is not serving.
	ErrNotRunning = errors.New("supervisor: not running")
	// ErrAlreadyRunning: Serve or Start called on a supervisor already serving.
	ErrAlreadyRunning = errors.New("supervisor: already running")
)

// PanicError is the failure of a child that panicked. Stack is the
// goroutine's stack at the panic.
type PanicError struct {
	Value any
	Stack []byte
}

// Error describes the failure.
func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

// StartError is returned when a child fails to start: by Serve at
// supervisor start (after the children already started were stopped in
// reverse order), by StartChild and by RestartChild.
type StartError struct {
	Supervisor string // name of the supervisor
	ID         string // id of the child that failed
	Err        error  // the child's reason
}

// Error describes the failure.
func (e *StartError) Error() string {
	return fmt.Sprintf("supervisor %s: start child %q: %v", e.Supervisor, e.ID, e.Err)
}

// Unwrap returns the child's reason.
func (e *StartError) Unwrap() error { return e.Err }

// IntensityError is returned by Serve when more restarts than allowed
// happened within the period. It matches ErrIntensity and ErrShutdown.
type IntensityError struct {
	Supervisor string // name of the supervisor that gave up
	ID         string // the child whose failure exceeded the intensity
	Err        error  // that child's last exit reason (or start failure)
}

// Error describes the failure.
func (e *IntensityError) Error() string {
	return fmt.Sprintf("supervisor %s: restart intensity reached at child %q: %v", e.Supervisor, e.ID, e.Err)
}

// Is reports whether target is ErrIntensity or ErrShutdown.
func (e *IntensityError) Is(target error) bool {
	return target == ErrIntensity || target == ErrShutdown
}

// Unwrap returns the child's last reason.
func (e *IntensityError) Unwrap() error { return e.Err }
