package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patchbay/patchbay/eventstore/gateway/resp"
)

// replyHighWater is how much unsent output stops a client's reader from
// running further commands until the writer catches up (backpressure for
// pipelined requests; pub/sub deliveries are bounded by OutputLimit instead).
const replyHighWater = 256 << 10

// client is one connection. Its reader goroutine (readLoop) owns rd, reply
// and the fields marked "reader"; writeLoop owns the socket writes.
type client struct {
	s       *Server
	conn    net.Conn
	id      int64
	created time.Time
	protoV  atomic.Int32 // 2 or 3

	rd    *resp.Reader // reader
	reply resp.Writer  // reader: the current command's reply
	quit  bool         // reader: close after this reply

	// guarded by s.hub.mu
	subs, psubs map[string]struct{}

	mu        sync.Mutex // guards everything below
	cond      *sync.Cond // signalled when out changes or the client closes
	out       []byte     // unsent output
	inflight  int        // bytes being written now
	closed    bool       // no more output; conn closed or closing
	draining  bool       // close once out is written
	softSince time.Time  // when output first went over the soft limit; zero if under
	authed    bool
	user      string
	name      string
	libName   string
	libVer    string
	lastCmd   string
	lastUse   time.Time
}

func newClient(s *Server, conn net.Conn) *client {
	c := &client{
		s:       s,
		conn:    conn,
		id:      s.nextID.Add(1),
		created: time.Now(),
		subs:    make(map[string]struct{}),
		psubs:   make(map[string]struct{}),
		authed:  !s.authRequired(),
		user:    "default",
		lastUse: time.Now(),
	}
	c.cond = sync.NewCond(&c.mu)
	c.protoV.Store(2)
	c.rd = resp.NewReader(conn)
	c.rd.MaxBulk = s.opts.MaxRequestBytes
	c.rd.MaxRequest = s.opts.MaxRequestBytes
	c.rd.MaxArgs = s.opts.MaxArgs
	return c
}

func (c *client) proto() int      { return int(c.protoV.Load()) }
func (c *client) protoIndex() int { return int(c.protoV.Load()) - 2 }

func (c *client) isAuthed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.authed
}

// enqueue appends a reply or confirmation to the output buffer. It does not
// apply the pub/sub limit.
func (c *client) enqueue(b []byte) {
	c.mu.Lock()
	if !c.closed && !c.draining {
		c.out = append(c.out, b...)
		c.cond.Broadcast()
	}
	c.mu.Unlock()
}

// push appends a pub/sub delivery and applies the output limit; a client
// over it is disconnected. It never blocks on the network.
func (c *client) push(frame []byte) {
	c.mu.Lock()
	if c.closed || c.draining {
		c.mu.Unlock()
		return
	}
	c.out = append(c.out, frame...)
	c.cond.Broadcast()
	pending := int64(len(c.out) + c.inflight)
	lim := c.s.limit
	reason := ""
	switch {
	case lim.Hard > 0 && pending > lim.Hard:
		reason = "hard"
	case lim.Soft > 0 && pending > lim.Soft:
		now := c.s.now()
		if c.softSince.IsZero() {
			c.softSince = now
		} else if now.Sub(c.softSince) >= lim.SoftFor {
			reason = "soft"
		}
	default:
		c.softSince = time.Time{}
	}
	if reason == "" {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.out = nil
	c.cond.Broadcast()
	name := c.name
	c.mu.Unlock()
	// Reset rather than close gracefully: the kernel must not keep trying to
	// deliver megabytes to a client that does not read.
	if tc, ok := c.conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.conn.Close()
	c.s.limitKills.Add(1)
	c.s.log.Warn("disconnecting slow subscriber: output buffer limit reached",
		"client", c.id, "name", name, "addr", c.conn.RemoteAddr().String(),
		"limit", reason, "pending_bytes", pending)
}

// shutdown closes the connection at once (server shutdown, write errors).
func (c *client) shutdown() {
	c.mu.Lock()
	c.closed = true
	c.out = nil
	c.cond.Broadcast()
	c.mu.Unlock()
	c.conn.Close()
}

// drainAndClose lets the writer send what is queued, then close.
func (c *client) drainAndClose() {
	c.mu.Lock()
	c.draining = true
	c.cond.Broadcast()
	c.mu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
}

func (c *client) writeLoop() {
	defer c.s.wg.Done()
	var spare []byte
	for {
		c.mu.Lock()
		for len(c.out) == 0 && !c.closed && !c.draining {
			c.cond.Wait()
		}
		if c.closed || len(c.out) == 0 {
			c.closed = true
			c.cond.Broadcast()
			c.mu.Unlock()
			c.conn.Close()
			return
		}
		buf := c.out
		c.out = spare[:0]
		c.inflight = len(buf)
		c.mu.Unlock()

		_, err := c.conn.Write(buf)

		c.mu.Lock()
		c.inflight = 0
		c.cond.Broadcast()
		c.mu.Unlock()
		if err != nil {
			c.shutdown()
			return
		}
		spare = nil
		if cap(buf) <= 64<<10 {
			spare = buf[:0]
		}
	}
}

// waitWritable blocks the reader while too much output is queued.
func (c *client) waitWritable() {
	c.mu.Lock()
	for !c.closed && len(c.out)+c.inflight > replyHighWater {
		c.cond.Wait()
	}
	c.mu.Unlock()
}

func (c *client) readLoop(ctx context.Context) {
	defer c.s.wg.Done()
	defer c.s.removeClient(c)
	for {
		c.rd.Unauthenticated = !c.isAuthed()
		args, err := c.rd.ReadCommand()
		if err != nil {
			var pe *resp.ProtocolError
			if errors.As(err, &pe) {
				c.s.protoErrors.Add(1)
				c.s.log.Debug("closing client after a protocol error", "client", c.id, "err", pe.Msg)
				c.reply.Reset()
				c.reply.Error("ERR " + pe.Msg)
				c.enqueue(c.reply.Buf)
				c.drainAndClose()
				return
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.s.log.Debug("client read failed", "client", c.id, "err", err)
			}
			c.shutdown()
			return
		}
		c.reply.Reset()
		c.reply.Proto = c.proto()
		c.exec(ctx, args)
		c.s.commands.Add(1)
		if len(c.reply.Buf) > 0 {
			c.enqueue(c.reply.Buf)
		}
		if c.quit {
			c.drainAndClose()
			return
		}
		c.waitWritable()
	}
}
