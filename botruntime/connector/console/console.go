package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/patchbay/patchbay/botruntime/connector"
)

func init() {
	connector.Register("console", func(p connector.Params) (connector.Connector, error) { return New(p) })
}

// Conf is the console connector's configuration.
type Conf struct {
	User string `json:"user,omitempty"` // default "you"
	Name string `json:"name,omitempty"` // the bot's name in replies, default "bot"
}

// Conn is a console connector. It is safe for concurrent use.
type Conn struct {
	id   string
	conf Conf
	sink connector.Sink
	log  *slog.Logger
	in   io.Reader

	mu  sync.Mutex // guards out
	out io.Writer
}

// New builds a console connector.
func New(p connector.Params) (*Conn, error) {
	var conf Conf
	if err := connector.DecodeConf(p.Conf, &conf); err != nil {
		return nil, err
	}
	if conf.User == "" {
		conf.User = "you"
	}
	if conf.Name == "" {
		conf.Name = "bot"
	}
	c := &Conn{id: p.ID, conf: conf, sink: p.Sink, log: p.Logger, in: p.Stdin, out: p.Stdout}
	if c.in == nil {
		c.in = os.Stdin
	}
	if c.out == nil {
		c.out = os.Stdout
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

// Serve reads lines until the input ends (nil) or ctx ends.
func (c *Conn) Serve(ctx context.Context) error {
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(c.in)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				readErr <- nil
				return
			}
		}
		readErr <- sc.Err()
	}()
	var n int
	for {
		select {
		case <-ctx.Done():
			if cl, ok := c.in.(io.Closer); ok {
				cl.Close()
				<-readErr
			}
			return nil
		case err := <-readErr:
			if err != nil {
				return fmt.Errorf("console: reading input: %w", err)
			}
			return nil
		case line := <-lines:
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			n++
			msg := map[string]string{
				connector.KeyText: line, connector.KeyUser: c.conf.User, connector.KeyChannel: "console",
				connector.KeyPlatform: "console", connector.KeyConnector: c.id, connector.KeyID: c.id + "-" + strconv.Itoa(n),
			}
			if err := c.sink(ctx, msg); err != nil {
				c.log.Error("console message not taken in", "err", err)
			}
		}
	}
}

// Reply writes "<name> text" (one line per line of text).
func (c *Conn) Reply(ctx context.Context, to map[string]string, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range strings.Split(text, "\n") {
		if _, err := fmt.Fprintf(c.out, "<%s> %s\n", c.conf.Name, l); err != nil {
			return fmt.Errorf("console reply: %w", err)
		}
	}
	return nil
}
