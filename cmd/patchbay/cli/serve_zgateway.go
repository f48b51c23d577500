package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"

	"github.com/patchbay/patchbay/eventstore/gateway"
)

// The Redis-compatible gateway step of "patchbay serve"; the file name sorts
// after serve.go so it starts after the store.
func init() {
	var addr, password string
	addServeStep(serveStep{
		Name: "gateway",
		Flags: func(fs *flag.FlagSet, _ *serveState) {
			def := "127.0.0.1:6379"
			if v, ok := os.LookupEnv("PATCHBAY_REDIS_LISTEN"); ok {
				def = v
			}
			fs.StringVar(&addr, "redis-listen", def, "`HOST:PORT` of the Redis-compatible gateway; '' disables it (env PATCHBAY_REDIS_LISTEN)")
			fs.StringVar(&password, "redis-password", os.Getenv("PATCHBAY_REDIS_PASSWORD"), "password Redis clients must AUTH with (env PATCHBAY_REDIS_PASSWORD)")
		},
		Start: func(ctx context.Context, st *serveState) (func() error, error) {
			if addr == "" {
				return nil, nil
			}
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, fmt.Errorf("--redis-listen %q: %w", addr, err)
			}
			if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" && password == "" {
				return nil, errors.New("--redis-listen beyond loopback requires --redis-password")
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
			gw := gateway.New(nc, gateway.Options{Password: password, Logger: st.Logger})
			done := make(chan error, 1)
			go func() { done <- gw.Serve(gctx, ln) }()
			st.Logger.Info("redis gateway listening", "addr", ln.Addr().String())
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
