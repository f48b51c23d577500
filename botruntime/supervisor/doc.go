// Package supervisor is a supervision tree with Erlang/OTP semantics.
//
// A child is a [Service]: a blocking Serve(ctx) error run in a goroutine
// the supervisor owns. Returning nil is a normal exit; returning an error or
// panicking (captured as a *[PanicError] with its stack) is a failure. A
// child that implements [Starter] reports when it has started, so that a
// supervisor starts its children one after the other, synchronously, like
// OTP's start_link; other children count as started as soon as their
// goroutine is launched.
//
// A [Supervisor] is built by [New] from [Options] (strategy, restart
// intensity, auto shutdown, clock, event hook) and a list of [ChildSpec]
// (id, start function, restart type, shutdown, kind, significant). All four
// OTP strategies exist: [OneForOne], [OneForAll], [RestForOne] and
// [SimpleOneForOne]. When more than MaxRestarts restarts happen within
// Period, the supervisor stops its children in reverse start order and its
// Serve returns an *[IntensityError] (errors.Is ErrIntensity and ErrShutdown),
// which its own parent handles like any other failed child.
//
// A Supervisor is itself a Service and a Starter, so trees nest: give the
// nested supervisor's spec Kind [KindSupervisor]. Use [Supervisor.Start] and
// [Supervisor.Stop] at the root of a tree, or Serve directly.
//
// Goroutines cannot be killed. A child that does not return within its
// shutdown timeout is abandoned (its goroutine keeps running) and is listed
// by [Supervisor.Unstopped], recursively through nested supervisors.
//
// Time comes from an injectable [Clock]; [FakeClock] makes intensity and
// shutdown timeouts deterministic in tests. Events ([Event]) go to
// Options.OnEvent; [LogEvents] writes them with log/slog.
//
// Lock order: a Supervisor's mu is a leaf lock (nothing is called while it
// is held). All child state is owned by the goroutine running Serve and is
// only touched there; the public methods send it closures to run.
package supervisor
