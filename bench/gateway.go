package bench

import (
	"context"
	"fmt"
	"net"

	"github.com/patchbay/patchbay/eventstore/gateway"
)

// gatewayServer is a Redis gateway serving on a loopback port for the fanout
// scenario. stop cancels it and waits for Serve to return.
type gatewayServer struct {
	addr   string
	cancel context.CancelFunc
	done   chan error
}

// startGateway starts the Redis gateway on its own connection to e's node.
func (e *env) startGateway(ctx context.Context) (*gatewayServer, error) {
	nc, err := e.node.Connect()
	if err != nil {
		return nil, fmt.Errorf("connecting gateway: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("gateway listener: %w", err)
	}
	g := gateway.New(nc, gateway.Options{})
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	gs := &gatewayServer{addr: l.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() {
		err := g.Serve(sctx, l)
		nc.Close()
		gs.done <- err
	}()
	return gs, nil
}

func (gs *gatewayServer) stop() {
	gs.cancel()
	<-gs.done
}
