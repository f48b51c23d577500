package irc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/patchbay/patchbay/botruntime/connector"
)

func init() { connector.Register("irc", New) }

// Conf is the irc connector's configuration; see the package doc.
type Conf struct {
	Server     string   `json:"server"`
	Nick       string   `json:"nick"`
	User       string   `json:"user,omitempty"`
	Realname   string   `json:"realname,omitempty"`
	Password   string   `json:"password,omitempty"`
	Channels   []string `json:"channels,omitempty"`
	TwitchTags bool     `json:"twitch_tags,omitempty"`
	Platform   string   `json:"platform,omitempty"`
	Rate       struct {
		Messages int      `json:"messages,omitempty"`
		Per      Duration `json:"per,omitempty"`
	} `json:"rate,omitzero"`
	MaxLine int `json:"max_line,omitempty"`
	Backoff struct {
		Min Duration `json:"min,omitempty"`
		Max Duration `json:"max,omitempty"`
	} `json:"backoff,omitzero"`
}

// Duration is a time.Duration written as a Go duration string ("30s").
type Duration time.Duration

// UnmarshalJSON accepts "30s" style strings.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("duration must be a string like \"30s\": %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Conn is an IRC connector. It is safe for concurrent use: Reply may be
// called from any goroutine while Serve runs. Build it with New.
type Conn struct {
	id   string
	conf Conf
	sink connector.Sink
	log  *slog.Logger
	lim  *limiter
	seq  atomic.Uint64 // counter for message IDs when the server sends none

	// mu guards w and c (the live connection and its writer, nil when
	// disconnected); it is held while a line is written.
	mu sync.Mutex
	w  *bufio.Writer
	c  net.Conn

	joined chan struct{} // closed the first time every channel is joined
	once   sync.Once
}

// New is the irc connector's Factory.
func New(p connector.Params) (connector.Connector, error) {
	var conf Conf
	if err := connector.DecodeConf(p.Conf, &conf); err != nil {
		return nil, err
	}
	if conf.Server == "" || conf.Nick == "" {
		return nil, fmt.Errorf("%w: irc needs server and nick", connector.ErrBadConfig)
	}
	if conf.User == "" {
		conf.User = conf.Nick
	}
	if conf.Realname == "" {
		conf.Realname = conf.Nick
	}
	if conf.Platform == "" {
		conf.Platform = "irc"
		if conf.TwitchTags {
			conf.Platform = "twitch"
		}
	}
	if conf.Rate.Messages <= 0 {
		conf.Rate.Messages = 20
	}
	if conf.Rate.Per <= 0 {
		conf.Rate.Per = Duration(30 * time.Second)
	}
	if conf.MaxLine <= 0 {
		conf.MaxLine = 400
	}
	return &Conn{
		id: p.ID, conf: conf, sink: p.Sink, log: p.Logger.With("connector", p.ID, "type", "irc"),
		lim:    newLimiter(conf.Rate.Messages, time.Duration(conf.Rate.Per), time.Now, time.After),
		joined: make(chan struct{}),
	}, nil
}

// Joined is closed once the connector has joined its channels for the first time.
func (c *Conn) Joined() <-chan struct{} { return c.joined }

// Serve connects, and reconnects with backoff, until ctx ends.
func (c *Conn) Serve(ctx context.Context) error {
	b := connector.Backoff{Min: time.Duration(c.conf.Backoff.Min), Max: time.Duration(c.conf.Backoff.Max)}
	for {
		start := time.Now()
		err := c.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) > time.Minute {
			b.Reset()
		}
		c.log.Warn("irc session ended; reconnecting", "err", err)
		if err := b.Wait(ctx); err != nil {
			return nil
		}
	}
}

// session runs one connection until it fails or ctx ends.
func (c *Conn) session(ctx context.Context) error {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", c.conf.Server)
	if err != nil {
		return fmt.Errorf("dialing %s: %w", c.conf.Server, err)
	}
	// The watcher closes the connection when ctx ends, which ends the read loop.
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
		case <-done:
		}
		nc.Close()
	}()
	defer func() {
		c.mu.Lock()
		c.w, c.c = nil, nil
		c.mu.Unlock()
		close(done)
		wg.Wait()
	}()

	w := bufio.NewWriter(nc)
	c.mu.Lock()
	c.w, c.c = w, nc
	c.mu.Unlock()

	nick := c.conf.Nick
	if c.conf.Password != "" {
		c.send("PASS " + c.conf.Password)
	}
	if c.conf.TwitchTags {
		c.send("CAP REQ :twitch.tv/tags twitch.tv/commands")
	}
	c.send("NICK " + nick)
	c.send("USER " + c.conf.User + " 0 * :" + c.conf.Realname)

	r := bufio.NewReaderSize(nc, 8192)
	pinged := false
	for {
		nc.SetReadDeadline(time.Now().Add(4 * time.Minute))
		s, err := r.ReadString('\n')
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !pinged {
				pinged = true
				c.send("PING :patchbay")
				continue
			}
			return fmt.Errorf("reading from %s: %w", c.conf.Server, err)
		}
		pinged = false
		l, err := Parse(s)
		if err != nil {
			continue
		}
		switch l.Command {
		case "PING":
			c.send("PONG :" + last(l.Params))
		case "CAP":
			if len(l.Params) >= 2 && (l.Params[1] == "ACK" || l.Params[1] == "NAK") {
				c.send("CAP END")
			}
		case "001":
			c.log.Info("irc registered", "server", c.conf.Server, "nick", nick)
			if len(c.conf.Channels) > 0 {
				c.send("JOIN " + strings.Join(c.conf.Channels, ","))
			} else {
				c.once.Do(func() { close(c.joined) })
			}
		case "433": // nickname in use
			nick += "_"
			c.send("NICK " + nick)
		case "366": // end of NAMES: a JOIN completed
			if len(l.Params) >= 2 {
				c.log.Info("irc joined", "server", c.conf.Server, "channel", l.Params[1], "nick", nick)
			}
			if n := len(c.conf.Channels); n > 0 && len(l.Params) >= 2 && strings.EqualFold(l.Params[1], c.conf.Channels[n-1]) {
				c.once.Do(func() { close(c.joined) })
			}
		case "ERROR":
			return fmt.Errorf("server %s closed the link: %s", c.conf.Server, last(l.Params))
		case "PRIVMSG":
			if len(l.Params) < 2 {
				continue
			}
			c.deliver(ctx, l, nick)
		}
	}
}

func (c *Conn) deliver(ctx context.Context, l Line, nick string) {
	from := Nick(l.Prefix)
	channel := l.Params[0]
	if strings.EqualFold(channel, nick) {
		channel = from // a private message: reply to the sender
	}
	text := l.Params[len(l.Params)-1]
	if strings.HasPrefix(text, "\x01") { // CTCP (ACTION, VERSION...): not a chat message
		if !strings.HasPrefix(text, "\x01ACTION ") {
			return
		}
		text = strings.TrimSuffix(strings.TrimPrefix(text, "\x01ACTION "), "\x01")
	}
	msg := map[string]string{
		connector.KeyText:      text,
		connector.KeyUser:      from,
		connector.KeyChannel:   channel,
		connector.KeyPlatform:  c.conf.Platform,
		connector.KeyConnector: c.id,
	}
	for k, v := range l.Tags {
		msg["tag."+k] = v
	}
	if id := l.Tags["id"]; id != "" {
		msg[connector.KeyID] = id
	} else {
		msg[connector.KeyID] = c.id + "-" + strconv.FormatUint(c.seq.Add(1), 10)
	}
	if err := c.sink(ctx, msg); err != nil {
		c.log.Error("irc message not taken in", "id", msg[connector.KeyID], "err", err)
	}
}

// send writes one line now, bypassing the rate limiter (protocol traffic).
func (c *Conn) send(line string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sendLocked(line)
}

func (c *Conn) sendLocked(line string) error {
	if c.w == nil {
		return connector.ErrNotConnected
	}
	c.c.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.w.WriteString(line + "\r\n"); err != nil {
		return err
	}
	return c.w.Flush()
}

// Reply sends text to to's channel (or nick) as one or more PRIVMSG lines,
// each waiting for the rate limiter.
func (c *Conn) Reply(ctx context.Context, to map[string]string, text string) error {
	target := to[connector.KeyChannel]
	if target == "" || strings.ContainsAny(target, " \r\n") {
		return fmt.Errorf("irc reply: bad target %q", target)
	}
	max := c.conf.MaxLine
	for _, part := range Split(text, max) {
		if err := c.lim.wait(ctx); err != nil {
			return fmt.Errorf("irc reply: %w", err)
		}
		if err := c.send("PRIVMSG " + target + " :" + part); err != nil {
			return fmt.Errorf("irc reply to %s: %w", target, err)
		}
	}
	return nil
}

func last(p []string) string {
	if len(p) == 0 {
		return ""
	}
	return p[len(p)-1]
}
