package cli

import (
	"context"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"sort"
	"strings"

	"github.com/patchbay/patchbay/eventstore/gateway"
)

// userFlags collects repeated --redis-user NAME:PASSWORD flags.
type userFlags map[string]string

// String lists the user names, never the passwords.
func (u userFlags) String() string {
	names := make([]string, 0, len(u))
	for n := range u {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// Set adds one NAME:PASSWORD.
func (u userFlags) Set(s string) error {
	name, pw, ok := strings.Cut(s, ":")
	switch {
	case !ok || name == "" || pw == "":
		return errors.New("want NAME:PASSWORD")
	case name == "default":
		return errors.New("the default user's password is --redis-password")
	case strings.ContainsAny(name, " \t\r\n"):
		return errors.New("a user name has no spaces")
	}
	u[name] = pw
	return nil
}

// The Redis-compatible gateway step of "patchbay serve"; the file name sorts
// after serve.go so it starts after the store.
func init() {
	var addr, password string
	users := userFlags{}
	addServeStep(serveStep{
		Name: "gateway",
		Flags: func(fs *flag.FlagSet, _ *serveState) {
			clear(users) // a fresh run in the same process starts empty
			fs.StringVar(&addr, "redis-listen", envOr("PATCHBAY_REDIS_LISTEN", "127.0.0.1:6379"), "`HOST:PORT` of the Redis-compatible gateway; '' disables it (env PATCHBAY_REDIS_LISTEN; config gateway.listen)")
			fs.StringVar(&password, "redis-password", os.Getenv("PATCHBAY_REDIS_PASSWORD"), "password of the default user Redis clients AUTH with (env PATCHBAY_REDIS_PASSWORD; config gateway.password)")
			fs.Var(users, "redis-user", "a named gateway user as `NAME:PASSWORD` for AUTH NAME PASSWORD; repeatable (config gateway.users adds more)")
		},
		Start: func(ctx context.Context, st *serveState) (func() error, error) {
			opts := gateway.Options{Logger: st.Logger, Users: map[string]string(users)}
			if st.Compose != nil && st.Compose.Gateway != nil {
				cg := st.Compose.Gateway
				addr = st.setting("redis-listen", &addr, "PATCHBAY_REDIS_LISTEN", cg.Listen)
				password = st.setting("redis-password", &password, "PATCHBAY_REDIS_PASSWORD", cg.Password)
				for name, u := range cg.Users {
					if _, ok := users[name]; ok {
						continue // the flag wins
					}
					if u.HasSHA256 {
						if opts.UserDigests == nil {
							opts.UserDigests = map[string][sha256.Size]byte{}
						}
						opts.UserDigests[name] = u.PasswordSHA256
					} else {
						users[name] = u.Password
					}
				}
			}
			opts.Password = password
			if addr == "" {
				return nil, nil
			}
			if _, _, err := net.SplitHostPort(addr); err != nil {
				return nil, fmt.Errorf("--redis-listen %q: %w", addr, err)
			}
			nUsers := len(opts.Users) + len(opts.UserDigests)
			if !loopback(addr) && password == "" && nUsers == 0 {
				return nil, errors.New("--redis-listen beyond loopback requires --redis-password or --redis-user")
			}
			nc, err := st.Node.Connect()
			if err != nil {
				return nil, fmt.Errorf("gateway: connecting to NATS: %w", err)
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				nc.Close()
				return nil, fmt.Errorf("gateway: %w", err)
			}
			gctx, cancel := context.WithCancel(context.Background())
			gw := gateway.New(nc, opts)
			registerGatewayMetrics(st, gw)
			done := make(chan error, 1)
			go func() { done <- gw.Serve(gctx, ln) }()
			st.addHealth("gateway", func(context.Context) error {
				if !nc.IsConnected() {
					return fmt.Errorf("gateway's NATS connection is %s", nc.Status())
				}
				return nil
			})
			st.Logger.Info("redis gateway listening", "addr", ln.Addr().String(), "users", nUsers, "password", password != "")
			return func() error {
				cancel()
				err := <-done
				nc.Close()
				if errors.Is(err, context.Canceled) {
					err = nil
				}
				return err
			}, nil
		},
	})
}

// registerGatewayMetrics exports the gateway's counters.
func registerGatewayMetrics(st *serveState, gw *gateway.Server) {
	s := func(f func(gateway.Stats) float64) func() float64 { return func() float64 { return f(gw.Stats()) } }
	registerFuncs(st.Metrics, []metricFunc{
		{"patchbay_gateway_clients", "Redis clients connected to the gateway now.", false, s(func(x gateway.Stats) float64 { return float64(x.Clients) })},
		{"patchbay_gateway_connections_total", "Redis connections the gateway accepted.", true, s(func(x gateway.Stats) float64 { return float64(x.Connections) })},
		{"patchbay_gateway_rejected_connections_total", "Redis connections refused by the client limit.", true, s(func(x gateway.Stats) float64 { return float64(x.RejectedMaxClients) })},
		{"patchbay_gateway_commands_total", "Redis commands the gateway processed.", true, s(func(x gateway.Stats) float64 { return float64(x.Commands) })},
		{"patchbay_gateway_protocol_errors_total", "Connections closed for malformed RESP.", true, s(func(x gateway.Stats) float64 { return float64(x.ProtocolErrors) })},
		{"patchbay_gateway_output_limit_disconnects_total", "Slow subscribers disconnected by the output-buffer policy.", true, s(func(x gateway.Stats) float64 { return float64(x.OutputLimitDisconnect) })},
		{"patchbay_gateway_messages_total", "Pub/sub messages delivered to Redis clients.", true, s(func(x gateway.Stats) float64 { return float64(x.Messages) })},
		{"patchbay_gateway_auth_failures_total", "Failed AUTH and HELLO AUTH attempts.", true, s(func(x gateway.Stats) float64 { return float64(x.AuthFailures) })},
		{"patchbay_gateway_channels", "Channels with at least one subscriber on this gateway.", false, s(func(x gateway.Stats) float64 { return float64(x.Channels) })},
		{"patchbay_gateway_patterns", "Distinct patterns subscribed on this gateway.", false, s(func(x gateway.Stats) float64 { return float64(x.Patterns) })},
	})
}
