package supervisor

import "context"

// Service is a supervised child. Serve blocks until the child is done or
// ctx is cancelled. nil is a normal exit; an error or a panic is a failure;
// ErrDoNotRestart asks not to be restarted.
//
// ctx carries the values of the supervisor's context but not its
// cancellation: the supervisor cancels it when it stops this child (in
// reverse start order, then waits up to the child's Shutdown), and as soon
// as Serve returns, so anything tied to ctx (a registry membership) ends
// with the child. Serve must not wait for its own supervisor while
// stopping, nor ask it to terminate or restart this very child: the
// supervisor would be waiting for Serve to return.
type Service interface {
	Serve(ctx context.Context) error
}

// Starter is a Service that reports when it has started. The supervisor
// calls ServeStarted instead of Serve and waits until started is called (the
// child is running) or ServeStarted returns first: with ErrIgnore the child
// is ignored, with another error or a panic the start failed, with nil the
// child started and exited normally. Calling started more than once is
// harmless. Before calling started, the child must not call its own
// supervisor's methods: the supervisor is waiting for it.
type Starter interface {
	Service
	ServeStarted(ctx context.Context, started func()) error
}

// ServiceFunc adapts a function to a Service.
type ServiceFunc func(ctx context.Context) error

// Serve calls f(ctx).
func (f ServiceFunc) Serve(ctx context.Context) error { return f(ctx) }

// StarterFunc adapts a function to a Starter.
type StarterFunc func(ctx context.Context, started func()) error

// Serve calls f with a no-op started.
func (f StarterFunc) Serve(ctx context.Context) error { return f(ctx, func() {}) }

// ServeStarted calls f(ctx, started).
func (f StarterFunc) ServeStarted(ctx context.Context, started func()) error { return f(ctx, started) }

// StartFunc creates a child's Service each time the child is started or
// restarted; it runs in the supervisor's goroutine and should not block.
// args are the extra arguments of StartChildArgs (SimpleOneForOne only,
// OTP's extra args) and empty otherwise. Returning ErrIgnore ignores the
// child; another error fails the start.
type StartFunc func(args ...any) (Service, error)

// StartService returns a StartFunc that starts the same svc every time
// (the same value is restarted, as in suture).
func StartService(svc Service) StartFunc {
	return func(...any) (Service, error) { return svc, nil }
}

// StartServeFunc returns a StartFunc that starts f every time.
func StartServeFunc(f func(ctx context.Context) error) StartFunc {
	return StartService(ServiceFunc(f))
}
