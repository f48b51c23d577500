package eventstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// NodeOptions configures StartNode. The zero value is not usable on its own:
// either DataDir (embed a server) or URL (connect to an existing one) must be set.
type NodeOptions struct {
	// DataDir is the JetStream storage directory of the embedded server.
	// Required when embedding; no temporary directory is made.
	DataDir string
	// Listen is "host:port" for external NATS clients over TCP; "" means
	// in-process only (no TCP listener). Port 0 picks a free port.
	Listen string
	// URL, when set, connects to this existing NATS server or cluster instead
	// of embedding one; DataDir, Listen and SyncAlways are then ignored.
	URL string
	// SyncAlways makes the embedded JetStream fsync every write before it
	// acknowledges it (server option sync_interval: always). By default
	// JetStream fsyncs periodically (every 2 minutes): an acknowledged write
	// survives a crash of the process (kill -9) but not necessarily a power
	// loss or kernel crash. With SyncAlways it survives those too, at a
	// large cost in write throughput.
	SyncAlways bool
	// Token, when set, is the token every NATS client must present
	// (server option authorization { token }): the node's own connections
	// use it, and so must external clients (nats://TOKEN@host:port or the
	// client's token option). With URL, it is presented to that server.
	Token string
	// Logger receives the embedded server's notices, warnings and errors;
	// nil discards them.
	Logger *slog.Logger
}

// Node is a NATS server with JetStream, embedded in this process, or a
// connection to an external one. It owns one connection (Conn). It is safe
// for concurrent use. Call StartNode to get one and Close to stop it.
type Node struct {
	srv  *server.Server // nil when connected by URL
	url  string
	nc   *nats.Conn
	opts NodeOptions
}

// StartNode starts an embedded NATS server with JetStream file storage under
// opts.DataDir (or connects to opts.URL) and opens the node's connection.
func StartNode(ctx context.Context, opts NodeOptions) (*Node, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	n := &Node{opts: opts}
	if opts.URL != "" {
		n.url = opts.URL
		nc, err := n.Connect()
		if err != nil {
			return nil, fmt.Errorf("start node: connect to %s: %w", opts.URL, err)
		}
		n.nc = nc
		return n, nil
	}
	if opts.DataDir == "" {
		return nil, errors.New("start node: DataDir is required to embed a NATS server")
	}
	sopts := &server.Options{
		ServerName:    "patchbay",
		JetStream:     true,
		StoreDir:      opts.DataDir,
		NoSigs:        true,
		SyncAlways:    opts.SyncAlways,
		MaxPayload:    8 << 20,
		Authorization: opts.Token,
	}
	if opts.Listen == "" {
		sopts.DontListen = true
	} else {
		host, port, err := net.SplitHostPort(opts.Listen)
		if err != nil {
			return nil, fmt.Errorf("start node: listen address %q: %w", opts.Listen, err)
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			return nil, fmt.Errorf("start node: listen port %q: %w", port, err)
		}
		if p == 0 {
			p = server.RANDOM_PORT
		}
		if host == "" {
			host = "127.0.0.1"
		}
		sopts.Host, sopts.Port = host, p
	}
	srv, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("start node: %w", err)
	}
	srv.SetLoggerV2(&slogAdapter{l: opts.Logger}, false, false, false)
	srv.Start()
	deadline := 30 * time.Second
	if d, ok := ctx.Deadline(); ok {
		deadline = time.Until(d)
	}
	if !srv.ReadyForConnections(deadline) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, errors.New("start node: embedded NATS server did not become ready")
	}
	n.srv = srv
	if opts.Listen != "" {
		n.url = srv.ClientURL()
	}
	nc, err := n.Connect()
	if err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("start node: in-process connection: %w", err)
	}
	n.nc = nc
	return n, nil
}

// Conn returns the node's own connection (in-process when embedded). The
// node closes it in Close.
func (n *Node) Conn() *nats.Conn { return n.nc }

// Connect opens a new connection to the same server: in-process when
// embedded, else by URL. The caller closes it.
func (n *Node) Connect(opts ...nats.Option) (*nats.Conn, error) {
	base := []nats.Option{nats.MaxReconnects(-1), nats.Name("patchbay")}
	if n.opts.Token != "" {
		base = append(base, nats.Token(n.opts.Token))
	}
	if n.srv != nil {
		return nats.Connect("", append(append(base, nats.InProcessServer(n.srv)), opts...)...)
	}
	return nats.Connect(n.url, append(base, opts...)...)
}

// ClientURL returns the URL external clients connect to
// (nats://127.0.0.1:PORT) when Listen was set or the node connected by URL;
// "" for an in-process-only node.
func (n *Node) ClientURL() string { return n.url }

// Server returns the embedded server, or nil when connected by URL.
func (n *Node) Server() *server.Server { return n.srv }

// Close closes the node's connection and shuts down the embedded server,
// waiting for it to stop.
func (n *Node) Close() error {
	if n.nc != nil {
		n.nc.Close()
	}
	if n.srv != nil {
		n.srv.Shutdown()
		n.srv.WaitForShutdown()
	}
	return nil
}

// slogAdapter routes the embedded server's log to slog.
type slogAdapter struct{ l *slog.Logger }

func (a *slogAdapter) Noticef(format string, v ...any) {
	a.l.Info(fmt.Sprintf(format, v...), "component", "nats")
}
func (a *slogAdapter) Warnf(format string, v ...any) {
	a.l.Warn(fmt.Sprintf(format, v...), "component", "nats")
}
func (a *slogAdapter) Fatalf(format string, v ...any) {
	a.l.Error(fmt.Sprintf(format, v...), "component", "nats")
}
func (a *slogAdapter) Errorf(format string, v ...any) {
	a.l.Error(fmt.Sprintf(format, v...), "component", "nats")
}
func (a *slogAdapter) Debugf(format string, v ...any) {}
func (a *slogAdapter) Tracef(format string, v ...any) {}
