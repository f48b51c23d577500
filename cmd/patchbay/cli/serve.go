package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/patchbay/patchbay/botruntime/compose"
	"github.com/patchbay/patchbay/eventstore"
)

// loopback reports whether addr (host:port) listens on loopback only.
func loopback(addr string) bool {
	hostPart, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if hostPart == "localhost" {
		return true
	}
	ip := net.ParseIP(hostPart)
	return ip != nil && ip.IsLoopback()
}

// newLogger returns the serve logger for --log-level and --log-format.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("%w: --log-level %q: want debug, info, warn or error", ErrUsage, level)
	}
	ho := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return nil, fmt.Errorf("%w: --log-format %q: want text or json", ErrUsage, format)
}

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
	// Compose is the file named by --config (nil without one); its
	// gateway and http sections give defaults that flags and environment
	// variables override.
	Compose *compose.File
	// Metrics is the Prometheus registry /metrics exports; steps register
	// their collectors on it.
	Metrics *prometheus.Registry
	// Node is the NATS node (set by the "nats" step).
	Node *eventstore.Node
	// Store is the event store (set by the "store" step).
	Store *eventstore.Store

	// health are the checks /healthz runs, in order.
	health []healthCheck
	// set holds the names of flags given on the command line.
	set map[string]bool

	configPath, logLevel, logFormat string
	dataDir, listen, url, sync      string
	natsToken                       string
}

// healthCheck is one named check behind /healthz.
type healthCheck struct {
	name  string
	check func(ctx context.Context) error
}

// addHealth adds a check to /healthz.
func (st *serveState) addHealth(name string, check func(ctx context.Context) error) {
	st.health = append(st.health, healthCheck{name, check})
}

// healthy runs every health check and returns the first failure.
func (st *serveState) healthy(ctx context.Context) error {
	for _, h := range st.health {
		if err := h.check(ctx); err != nil {
			return fmt.Errorf("%s: %w", h.name, err)
		}
	}
	return nil
}

// setting returns a setting's value by precedence: the flag when given on
// the command line, else the environment variable env when set, else the
// configuration file's value when not empty, else the flag's default.
func (st *serveState) setting(flagName string, flagVal *string, env, fileVal string) string {
	if st.set[flagName] {
		return *flagVal
	}
	if _, ok := os.LookupEnv(env); ok || fileVal == "" {
		return *flagVal
	}
	return fileVal
}

func natsFlags(fs *flag.FlagSet, st *serveState) {
	fs.StringVar(&st.configPath, "config", os.Getenv("PATCHBAY_CONFIG"), "compose `FILE` with bots to run and gateway/http settings (env PATCHBAY_CONFIG); see \"patchbay check\"")
	fs.StringVar(&st.logLevel, "log-level", envOr("PATCHBAY_LOG_LEVEL", "info"), "log level: debug, info, warn or error (env PATCHBAY_LOG_LEVEL)")
	fs.StringVar(&st.logFormat, "log-format", envOr("PATCHBAY_LOG_FORMAT", "text"), "log format: text or json (env PATCHBAY_LOG_FORMAT)")
	fs.StringVar(&st.dataDir, "data", envOr("PATCHBAY_DATA", "./patchbay-data"), "data directory for JetStream (env PATCHBAY_DATA)")
	fs.StringVar(&st.listen, "listen", envOr("PATCHBAY_LISTEN", "127.0.0.1:4222"), "NATS client listen address host:port; '' for in-process only (env PATCHBAY_LISTEN)")
	fs.StringVar(&st.url, "nats-url", envOr("PATCHBAY_NATS_URL", ""), "connect to this existing NATS server instead of embedding one (env PATCHBAY_NATS_URL)")
	fs.StringVar(&st.natsToken, "nats-token", os.Getenv("PATCHBAY_NATS_TOKEN"), "`TOKEN` NATS clients must present (nats://TOKEN@host:port); required with a --listen beyond loopback (env PATCHBAY_NATS_TOKEN)")
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
	if st.url == "" && st.listen != "" && !loopback(st.listen) && st.natsToken == "" {
		return nil, fmt.Errorf("%w: --listen beyond loopback requires --nats-token", ErrUsage)
	}
	node, err := eventstore.StartNode(ctx, eventstore.NodeOptions{DataDir: st.dataDir, Listen: st.listen, URL: st.url, SyncAlways: always, Token: st.natsToken, Logger: st.Logger})
	if err != nil {
		return nil, err
	}
	st.Node = node
	if srv := node.Server(); srv != nil {
		st.Metrics.MustRegister(newNATSCollector(srv))
	}
	st.addHealth("nats", func(context.Context) error {
		if !node.Conn().IsConnected() {
			return fmt.Errorf("not connected (%s)", node.Conn().Status())
		}
		return nil
	})
	st.Logger.Info("nats ready", "data", st.dataDir, "url", node.ClientURL(), "sync", st.sync, "token", st.natsToken != "")
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
	st := &serveState{set: map[string]bool{}, Metrics: prometheus.NewRegistry()}
	fs := newFlags("serve", "[flags]", "Run a patchbay node until SIGINT or SIGTERM: embedded NATS with JetStream, the store,\nthe Redis-compatible gateway, the bot host and the HTTP server (API, dashboard, /metrics, /healthz).\nSettings come from flags, else PATCHBAY_* environment variables, else the --config file.", cio)
	for _, s := range serveSteps {
		if s.Flags != nil {
			s.Flags(fs, st)
		}
	}
	if _, err := parseFlags(fs, cio, args, 0); err != nil {
		return err
	}
	fs.Visit(func(f *flag.Flag) { st.set[f.Name] = true })
	lg, err := newLogger(cio.Stderr, st.logLevel, st.logFormat)
	if err != nil {
		return err
	}
	st.Logger = lg
	if st.configPath != "" {
		if st.Compose, err = loadCompose(st.configPath); err != nil {
			return err
		}
	}
	st.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
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
