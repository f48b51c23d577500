package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/patchbay/patchbay/botruntime/host"
	"github.com/patchbay/patchbay/cmd/patchbay/dashboard"
	"github.com/patchbay/patchbay/eventstore"
)

// The bot host step of "patchbay serve": the host's tree, whose Endpoint is
// the HTTP server: webhooks under /bots/ go to the bots' connectors,
// everything else to the dashboard (API, HTML, /metrics, /healthz). The file name sorts after
// serve_zgateway.go so it starts last and stops first.
func init() {
	var listen, token string
	addServeStep(serveStep{
		Name: "host",
		Flags: func(fs *flag.FlagSet, _ *serveState) {
			fs.StringVar(&listen, "http-listen", envOr("PATCHBAY_HTTP_LISTEN", "127.0.0.1:8080"), "`HOST:PORT` of the HTTP server (webhooks, API, dashboard, /metrics, /healthz); '' disables it (env PATCHBAY_HTTP_LISTEN; config http.listen)")
			fs.StringVar(&token, "http-token", os.Getenv("PATCHBAY_HTTP_TOKEN"), "bearer `TOKEN` the HTTP API, dashboard and /metrics require (env PATCHBAY_HTTP_TOKEN); webhooks authenticate themselves")
		},
		Start: startHost(&listen, &token),
	})
}

func startHost(listen, token *string) func(ctx context.Context, st *serveState) (func() error, error) {
	return func(ctx context.Context, st *serveState) (func() error, error) {
		if st.Compose != nil && st.Compose.HTTP != nil {
			*listen = st.setting("http-listen", listen, "PATCHBAY_HTTP_LISTEN", st.Compose.HTTP.Listen)
		}
		if *listen != "" {
			if _, _, err := net.SplitHostPort(*listen); err != nil {
				return nil, fmt.Errorf("--http-listen %q: %w", *listen, err)
			}
			if !loopback(*listen) && *token == "" {
				return nil, errors.New("--http-listen beyond loopback requires --http-token")
			}
		}
		nc, err := st.Node.Connect()
		if err != nil {
			return nil, fmt.Errorf("host: connecting to NATS: %w", err)
		}
		var h *host.Host
		dash := dashboard.New(dashboard.Options{
			Client:  eventstore.NewClient(nc),
			Tree:    func() any { return h.Tree() },
			Status:  func() []dashboard.Field { return st.status(h) },
			Health:  st.healthy,
			Metrics: promhttp.HandlerFor(st.Metrics, promhttp.HandlerOpts{Registry: st.Metrics}),
			Token:   *token,
			Logger:  st.Logger,
		})
		h, err = host.New(host.Options{NATS: nc, Logger: st.Logger, HTTPListen: *listen, Handler: dash, Compose: st.Compose})
		if err != nil {
			nc.Close()
			return nil, err
		}
		registerHostMetrics(st, h)
		hctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- h.Serve(hctx) }()
		stop := func() error {
			cancel()
			err := <-done
			nc.Close()
			return err
		}
		select {
		case <-h.Ready():
		case err := <-done:
			cancel()
			nc.Close()
			return nil, fmt.Errorf("bot host: %w", err)
		case <-ctx.Done():
			return nil, errors.Join(ctx.Err(), stop())
		}
		var exited atomic.Pointer[error]
		st.addHealth("bot host", func(context.Context) error {
			if p := exited.Load(); p != nil {
				return fmt.Errorf("stopped: %v", *p)
			}
			select {
			case err := <-done:
				exited.Store(&err)
				done <- err
				return fmt.Errorf("stopped: %v", err)
			default:
				return nil
			}
		})
		if addr := h.HTTPAddr(); addr != "" {
			st.Logger.Info("http listening", "addr", addr, "token", *token != "")
		}
		st.Logger.Info("bot host ready", "bots", len(h.Bots()))
		return stop, nil
	}
}

// status is the dashboard's summary.
func (st *serveState) status(h *host.Host) []dashboard.Field {
	fs := []dashboard.Field{{Name: "nats", Value: st.Node.ClientURL()}}
	if st.Compose != nil {
		fs = append(fs, dashboard.Field{Name: "compose file", Value: st.configPath})
	}
	hs := h.Stats()
	fs = append(fs, dashboard.Field{Name: "bots", Value: fmt.Sprintf("%d running of %d: %s", hs.BotsRunning, hs.Bots, strings.Join(h.Bots(), ", "))})
	return fs
}

// registerHostMetrics exports the bot host's gauges.
func registerHostMetrics(st *serveState, h *host.Host) {
	registerFuncs(st.Metrics, []metricFunc{
		{"patchbay_bots", "Bots the bot host keeps (running or down).", false, func() float64 { return float64(h.Stats().Bots) }},
		{"patchbay_bots_running", "Bots running now; the others gave up after their restart intensity.", false, func() float64 { return float64(h.Stats().BotsRunning) }},
	})
}
