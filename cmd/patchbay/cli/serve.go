package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/patchbay/patchbay/eventstore"
)

func init() {
	register(Command{Name: "serve", Summary: "run a patchbay node: embedded NATS with JetStream and the store", Run: runServe})
	addServeStep(serveStep{Name: "nats", Flags: natsFlags, Start: startNATS})
	addServeStep(serveStep{Name: "store", Start: startStore})
}

// serveStep is one component "patchbay serve" starts. Steps start in the
// order they were added and stop in reverse order.
type serveStep struct {
	// Name names the step in logs.
	Name string
	// Flags, if set, registers the step's flags on serve's flag set; it
	// keeps the values for Start (e.g. in a closure or the state).
	Flags func(fs *flag.FlagSet, st *serveState)
	// Start starts the component; the returned stop function (may be nil)
	// stops it at shutdown.
	Start func(ctx context.Context, st *serveState) (stop func() error, err error)
}

// serveSteps is the ordered list of serve steps, filled from init only.
var serveSteps []serveStep

// addServeStep appends a step to "patchbay serve". Call it from init; a
// step added from another file starts after those of files sorted before it,
// so a component needing the store (gateway, HTTP) can be added anywhere.
func addServeStep(s serveStep) { serveSteps = append(serveSteps, s) }

// serveState is what the serve steps share.
type serveState struct {
	Logger *slog.Logger
	// Node is the NATS node (set by the "nats" step).
	Node *eventstore.Node
	// Store is the event store (set by the "store" step).
	Store *eventstore.Store

	dataDir, listen, url, sync string
}

func natsFlags(fs *flag.FlagSet, st *serveState) {
	fs.StringVar(&st.dataDir, "data", envOr("PATCHBAY_DATA", "./patchbay-data"), "data directory for JetStream (env PATCHBAY_DATA)")
	fs.StringVar(&st.listen, "listen", envOr("PATCHBAY_LISTEN", "127.0.0.1:4222"), "NATS client listen address host:port; '' for in-process only (env PATCHBAY_LISTEN)")
	fs.StringVar(&st.url, "nats-url", envOr("PATCHBAY_NATS_URL", ""), "connect to this existing NATS server instead of embedding one (env PATCHBAY_NATS_URL)")
	fs.StringVar(&st.sync, "sync", "interval", "JetStream fsync: 'interval' (default, survives kill -9) or 'always' (fsync every write, survives power loss)")
}

func startNATS(ctx context.Context, st *serveState) (func() error, error) {
	var always bool
	switch st.sync {
	case "interval", "":
	case "always":
		always = true
	default:
		return nil, fmt.Errorf("%w: --sync must be 'interval' or 'always', not %q", ErrUsage, st.sync)
	}
	node, err := eventstore.StartNode(ctx, eventstore.NodeOptions{DataDir: st.dataDir, Listen: st.listen, URL: st.url, SyncAlways: always, Logger: st.Logger})
	if err != nil {
		return nil, err
	}
	st.Node = node
	st.Logger.Info("nats ready", "data", st.dataDir, "url", node.ClientURL(), "sync", st.sync)
	return node.Close, nil
}

func startStore(ctx context.Context, st *serveState) (func() error, error) {
	s, err := eventstore.Open(ctx, st.Node.Conn(), eventstore.Options{Logger: st.Logger})
	if err != nil {
		return nil, err
	}
	st.Store = s
	st.Logger.Info("store ready")
	return s.Close, nil
}

func runServe(ctx context.Context, cio IO, args []string) error {
	st := &serveState{Logger: slog.New(slog.NewTextHandler(cio.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	fs := newFlags("serve", "[flags]", "Run a patchbay node until SIGINT or SIGTERM.", cio)
	for _, s := range serveSteps {
		if s.Flags != nil {
			s.Flags(fs, st)
		}
	}
	if _, err := parseFlags(fs, cio, args, 0); err != nil {
		return err
	}
	var stops []func() error
	stopAll := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			if err := stops[i](); err != nil {
				st.Logger.Warn("stop", "err", err)
			}
		}
	}
	for _, s := range serveSteps {
		stop, err := s.Start(ctx, st)
		if err != nil {
			stopAll()
			return fmt.Errorf("serve: start %s: %w", s.Name, err)
		}
		if stop != nil {
			stops = append(stops, stop)
		}
	}
	st.Logger.Info("patchbay serving")
	<-ctx.Done()
	st.Logger.Info("shutting down")
	stopAll()
	st.Logger.Info("stopped")
	return nil
}
