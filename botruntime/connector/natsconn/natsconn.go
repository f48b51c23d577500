package natsconn

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/patchbay/patchbay/botruntime/connector"
)

func init() {
	connector.Register("nats", func(p connector.Params) (connector.Connector, error) { return New(p) })
}

// Conf is the nats connector's configuration.
type Conf struct {
	SubjectIn  string `json:"subject_in"`
	SubjectOut string `json:"subject_out"`
	Queue      string `json:"queue,omitempty"`
}

// Conn is a nats connector. It is safe for concurrent use.
type Conn struct {
	id   string
	conf Conf
	nc   *nats.Conn
	sink connector.Sink
	log  *slog.Logger
}

// New builds a nats connector; p.NATS is required.
func New(p connector.Params) (*Conn, error) {
	var conf Conf
	if err := connector.DecodeConf(p.Conf, &conf); err != nil {
		return nil, err
	}
	if conf.SubjectIn == "" || conf.SubjectOut == "" {
		return nil, fmt.Errorf("%w: nats needs subject_in and subject_out", connector.ErrBadConfig)
	}
	if p.NATS == nil && !p.CheckOnly {
		return nil, fmt.Errorf("%w: nats connector without a NATS connection", connector.ErrBadConfig)
	}
	lg := p.Logger
	if lg == nil {
		lg = slog.Default()
	}
	return &Conn{id: p.ID, conf: conf, nc: p.NATS, sink: p.Sink, log: lg.With("connector", p.ID, "type", "nats")}, nil
}

// Serve subscribes to subject_in and hands messages to the Sink until ctx ends.
func (c *Conn) Serve(ctx context.Context) error {
	ch := make(chan *nats.Msg, 256)
	var sub *nats.Subscription
	var err error
	if c.conf.Queue != "" {
		sub, err = c.nc.ChanQueueSubscribe(c.conf.SubjectIn, c.conf.Queue, ch)
	} else {
		sub, err = c.nc.ChanSubscribe(c.conf.SubjectIn, ch)
	}
	if err != nil {
		return fmt.Errorf("nats connector: subscribing to %s: %w", c.conf.SubjectIn, err)
	}
	defer sub.Unsubscribe()
	var n uint64
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-ch:
			n++
			msg := map[string]string{}
			if json.Unmarshal(m.Data, &msg) != nil {
				msg = map[string]string{connector.KeyText: string(m.Data), connector.KeyUser: "nats", connector.KeyChannel: m.Subject}
			}
			msg[connector.KeyPlatform] = "nats"
			msg[connector.KeyConnector] = c.id
			if msg[connector.KeyID] == "" {
				msg[connector.KeyID] = c.id + "-" + strconv.FormatUint(n, 10)
			}
			if m.Reply != "" {
				msg["nats.reply"] = m.Reply
			}
			if err := c.sink(ctx, msg); err != nil {
				c.log.Error("nats message not taken in", "err", err)
			}
		}
	}
}

// Reply publishes the reply on subject_out (and on the message's reply subject).
func (c *Conn) Reply(ctx context.Context, to map[string]string, text string) error {
	b, _ := json.Marshal(map[string]string{"text": text, "channel": to[connector.KeyChannel], "user": to[connector.KeyUser], "in_reply_to": to[connector.KeyID]})
	if err := c.nc.Publish(c.conf.SubjectOut, b); err != nil {
		return fmt.Errorf("nats reply: %w", err)
	}
	if r := to["nats.reply"]; r != "" {
		if err := c.nc.Publish(r, b); err != nil {
			return fmt.Errorf("nats reply: %w", err)
		}
	}
	return nil
}
