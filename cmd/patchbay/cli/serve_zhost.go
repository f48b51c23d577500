package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/patchbay/patchbay/botruntime/host"
	"github.com/patchbay/patchbay/cmd/patchbay/dashboard"
	"github.com/patchbay/patchbay/eventstore"
)

// The bot host step of "patchbay serve" with the HTTP server: webhooks
// under /bots/ go to the host's Endpoint, everything else to the dashboard
// (API, HTML, /metrics, /healthz). The file name sorts after
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
		h, err := host.New(host.Options{NATS: nc, Logger: st.Logger})
		if err != nil {
			nc.Close()
			return nil, err
		}
		registerHostMetrics(st, h)
		hctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- h.Serve(hctx) }()
		var srv *http.Server
		srvDone := make(chan error, 1)
		stop := func() error {
			var errs []error
			if srv != nil {
				sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
				errs = append(errs, srv.Shutdown(sctx))
				scancel()
				if err := <-srvDone; !errors.Is(err, http.ErrServerClosed) {
					errs = append(errs, err)
				}
			}
			cancel()
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				errs = append(errs, err)
			}
			nc.Close()
			return errors.Join(errs...)
		}
		if st.Compose != nil {
			if err := h.Compose(ctx, st.Compose); err != nil {
				return nil, errors.Join(fmt.Errorf("bot host: %w", err), stop())
			}
		}
		if *listen != "" {
			ln, err := net.Listen("tcp", *listen)
			if err != nil {
				return nil, errors.Join(fmt.Errorf("http: %w", err), stop())
			}
			dash := dashboard.New(dashboard.Options{
				Client:  eventstore.NewClient(nc),
				Tree:    func() any { return hostTree(st, h) },
				Status:  func() []dashboard.Field { return st.status(h) },
				Health:  st.healthy,
				Metrics: promhttp.HandlerFor(st.Metrics, promhttp.HandlerOpts{Registry: st.Metrics}),
				Token:   *token,
				Logger:  st.Logger,
			})
			mux := http.NewServeMux()
			mux.Handle("/bots/", h) // webhooks authenticate themselves (Slack's signature)
			mux.Handle("/", dash)
			srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: nil}
			go func() { srvDone <- srv.Serve(ln) }()
			st.Logger.Info("http listening", "addr", ln.Addr().String(), "token", *token != "")
		}
		st.addHealth("bot host", func(context.Context) error {
			select {
			case err := <-done:
				done <- err
				return fmt.Errorf("stopped: %v", err)
			default:
				return nil
			}
		})
		st.Logger.Info("bot host ready", "bots", len(botNames(st, h)))
		return stop, nil
	}
}

// status is the dashboard's summary.
func (st *serveState) status(h *host.Host) []dashboard.Field {
	fs := []dashboard.Field{{Name: "nats", Value: st.Node.ClientURL()}}
	if st.Compose != nil {
		fs = append(fs, dashboard.Field{Name: "compose file", Value: st.configPath})
	}
	names := botNames(st, h)
	fs = append(fs, dashboard.Field{Name: "bots running", Value: strconv.Itoa(len(names)) + " " + strings.Join(names, ", ")})
	return fs
}

// registerHostMetrics exports the bot host's gauges.
func registerHostMetrics(st *serveState, h *host.Host) {
	registerFuncs(st.Metrics, []metricFunc{
		{"patchbay_bots", "Bots running in this process.", false, func() float64 { return float64(len(botNames(st, h))) }},
	})
}

// botNames lists the compose file's bots that the host runs.
func botNames(st *serveState, h *host.Host) []string {
	var names []string
	if st.Compose != nil {
		for _, b := range st.Compose.Bots {
			if h.Bot(b.Name) != nil {
				names = append(names, b.Name)
			}
		}
	}
	return names
}

// hostTree is the bot host for display: each bot with its root hash and settings.
func hostTree(st *serveState, h *host.Host) any {
	type bot struct {
		Name     string         `json:"name"`
		Root     string         `json:"root"`
		Settings map[string]any `json:"settings"`
	}
	out := []bot{}
	for _, n := range botNames(st, h) {
		if b := h.Bot(n); b != nil {
			out = append(out, bot{n, b.Root.String(), b.Settings()})
		}
	}
	return map[string]any{"bots": out}
}
