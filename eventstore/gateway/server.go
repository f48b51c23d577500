package gateway

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// RedisVersion is the Redis version the gateway reports (HELLO, INFO): the
// behaviour it reproduces is Redis 7.0's.
const RedisVersion = "7.0.15"

// Defaults used for zero Options fields.
const (
	DefaultMaxClients      = 10000
	DefaultMaxRequestBytes = 8 << 20
	DefaultRequestTimeout  = 10 * time.Second
	DefaultPubSubHard      = 32 << 20
	DefaultPubSubSoft      = 8 << 20
	DefaultPubSubSoftFor   = 60 * time.Second
)

// OutputLimit is the output-buffer policy for subscribed clients, like
// Redis's client-output-buffer-limit pubsub <hard> <soft> <seconds>: a
// client is disconnected when its unsent output exceeds Hard bytes, or
// stays above Soft bytes for SoftFor. Zero fields take the defaults (32 MiB,
// 8 MiB, 60 s); a negative Hard or Soft disables that limit.
type OutputLimit struct {
	Hard, Soft int64
	SoftFor    time.Duration
}

func (l OutputLimit) withDefaults() OutputLimit {
	if l.Hard == 0 {
		l.Hard = DefaultPubSubHard
	}
	if l.Soft == 0 {
		l.Soft = DefaultPubSubSoft
	}
	if l.SoftFor <= 0 {
		l.SoftFor = DefaultPubSubSoftFor
	}
	return l
}

// Options configures a Server. The zero value is a gateway without
// authentication and with Redis's default limits.
type Options struct {
	// Password is the default user's password (AUTH <password>). With a
	// Password or any Users, every command but AUTH, HELLO, QUIT and RESET
	// answers -NOAUTH until the client authenticates.
	Password string
	// Users maps user names to passwords (AUTH <user> <password>).
	Users map[string]string
	// UserDigests maps user names to the SHA-256 digest of their password,
	// as Redis ACL's "#<hex>" form, so a configuration file need not hold
	// the password itself. A name in both Users and UserDigests accepts
	// either.
	UserDigests map[string][sha256.Size]byte
	// MaxClients is the largest number of connected clients (default 10000).
	MaxClients int
	// MaxRequestBytes bounds one command: each argument and the sum of its
	// arguments (default 8 MiB).
	MaxRequestBytes int
	// MaxArgs bounds the argument count of one command (default 1M, as Redis).
	MaxArgs int
	// PubSubLimit is the output-buffer policy for pub/sub deliveries.
	PubSubLimit OutputLimit
	// RequestTimeout bounds each request to the store (default 10 s).
	RequestTimeout time.Duration
	// Logger receives connection-level events (default slog.Default()).
	Logger *slog.Logger
	// Now is the clock used for the soft output limit (default time.Now).
	Now func() time.Time
}

// Stats is a snapshot of a Server's counters, for metrics.
type Stats struct {
	Clients               int    // connected now
	Connections           uint64 // accepted since start
	RejectedMaxClients    uint64 // refused by MaxClients
	Commands              uint64 // commands processed
	ProtocolErrors        uint64 // connections closed for malformed input
	OutputLimitDisconnect uint64 // clients disconnected by the output-buffer policy
	Messages              uint64 // pub/sub messages delivered to clients
	AuthFailures          uint64 // failed AUTH and HELLO ... AUTH attempts
	Channels              int    // channels with at least one local subscriber
	Patterns              int    // distinct patterns subscribed locally
}

// Server is a Redis-compatible gateway. Create it with New and run it with
// Serve; it is safe for concurrent use.
type Server struct {
	nc      *nats.Conn
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	id      string // instance id, tags bridged messages
	started time.Time
	limit   OutputLimit

	nextID atomic.Int64
	hub    hub

	mu      sync.Mutex // guards clients, addr
	clients map[*client]struct{}
	addr    net.Addr
	wg      sync.WaitGroup // every client goroutine

	connections, rejected, commands, protoErrors, limitKills, messages, authFailures atomic.Uint64
}

// New returns a gateway that reaches the store and the other gateways over nc.
func New(nc *nats.Conn, opts Options) *Server {
	if opts.MaxClients <= 0 {
		opts.MaxClients = DefaultMaxClients
	}
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if opts.MaxArgs <= 0 {
		opts.MaxArgs = 1024 * 1024
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.Users = maps.Clone(opts.Users)
	opts.UserDigests = maps.Clone(opts.UserDigests)
	var idb [8]byte
	_, _ = rand.Read(idb[:])
	s := &Server{
		nc:      nc,
		opts:    opts,
		log:     opts.Logger.With("component", "redis-gateway"),
		now:     opts.Now,
		id:      hex.EncodeToString(idb[:]),
		started: time.Now(),
		limit:   opts.PubSubLimit.withDefaults(),
		clients: make(map[*client]struct{}),
	}
	s.hub.init()
	return s
}

func (s *Server) authRequired() bool {
	return s.opts.Password != "" || len(s.opts.Users) > 0 || len(s.opts.UserDigests) > 0
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	n := len(s.clients)
	s.mu.Unlock()
	s.hub.mu.RLock()
	ch, pat := len(s.hub.channels), len(s.hub.patterns)
	s.hub.mu.RUnlock()
	return Stats{
		Clients:               n,
		Connections:           s.connections.Load(),
		RejectedMaxClients:    s.rejected.Load(),
		Commands:              s.commands.Load(),
		ProtocolErrors:        s.protoErrors.Load(),
		OutputLimitDisconnect: s.limitKills.Load(),
		Messages:              s.messages.Load(),
		AuthFailures:          s.authFailures.Load(),
		Channels:              ch,
		Patterns:              pat,
	}
}

// Serve accepts Redis clients on ln until ctx is done, then closes ln and
// every client and waits for their goroutines. It subscribes to the NATS
// subjects it relays (updates.*, ChannelSubjectPrefix+"*") before accepting.
// It returns nil after ctx is done, or the error that stopped it. Call it
// once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	s.addr = ln.Addr()
	s.mu.Unlock()
	var subs []*nats.Subscription
	defer func() {
		for _, sub := range subs {
			_ = sub.Unsubscribe()
		}
	}()
	for subj, h := range map[string]nats.MsgHandler{
		"updates.*":                s.onUpdate,
		ChannelSubjectPrefix + "*": s.onBridged,
	} {
		sub, err := s.nc.Subscribe(subj, h)
		if err != nil {
			ln.Close()
			return fmt.Errorf("gateway: subscribing to %s: %w", subj, err)
		}
		_ = sub.SetPendingLimits(1<<20, 512<<20)
		subs = append(subs, sub)
	}
	if err := s.nc.FlushTimeout(s.opts.RequestTimeout); err != nil {
		ln.Close()
		return fmt.Errorf("gateway: flushing subscriptions: %w", err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		ln.Close()
	}()

	var serveErr error
	backoff := 5 * time.Millisecond
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if errors.Is(err, net.ErrClosed) {
				serveErr = fmt.Errorf("gateway: accepting: %w", err)
				break
			}
			// Out of file descriptors and the like: wait and retry, as net/http does.
			s.log.Warn("accept failed; retrying", "err", err, "backoff", backoff)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		s.accept(ctx, conn)
	}
	cancel()
	<-stopped
	s.mu.Lock()
	for c := range s.clients {
		c.shutdown()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return serveErr
}

func (s *Server) accept(ctx context.Context, conn net.Conn) {
	s.mu.Lock()
	s.connections.Add(1) // under mu, with the insert below, so Stats is consistent
	if len(s.clients) >= s.opts.MaxClients {
		s.mu.Unlock()
		s.rejected.Add(1)
		_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = conn.Write([]byte("-ERR max number of clients reached\r\n"))
		conn.Close()
		return
	}
	c := newClient(s, conn)
	s.clients[c] = struct{}{}
	s.wg.Add(2)
	s.mu.Unlock()
	go c.writeLoop()
	go c.readLoop(ctx)
}

func (s *Server) removeClient(c *client) {
	s.hub.removeAll(c)
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
}

// onUpdate relays NATS updates.<hash> to channel updates:<hash>, bytes unchanged.
func (s *Server) onUpdate(m *nats.Msg) {
	tok := m.Subject[len("updates."):]
	s.hub.deliver(s, "updates:"+tok, m.Data)
}

// onBridged delivers an ordinary channel message published by another gateway.
func (s *Server) onBridged(m *nats.Msg) {
	if m.Header != nil && m.Header.Get(gatewayHeader) == s.id {
		return
	}
	ch, err := UnescapeChannel(m.Subject[len(ChannelSubjectPrefix):])
	if err != nil {
		s.log.Debug("ignoring bridged message with a bad subject", "subject", m.Subject)
		return
	}
	s.hub.deliver(s, ch, m.Data)
}
