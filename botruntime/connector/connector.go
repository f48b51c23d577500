package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/nats-io/nats.go"

	"github.com/patchbay/patchbay/botruntime/factory"
)

// Keys every connector fills in an inbound message.
const (
	KeyText      = "text"      // the message text
	KeyUser      = "user"      // who sent it (IRC nick, Slack user ID)
	KeyChannel   = "channel"   // where to reply: IRC channel or nick, Slack channel ID
	KeyPlatform  = "platform"  // "irc", "twitch", "slack", "console", "nats"
	KeyConnector = "connector" // the ID of the connector instance that took it in
	KeyID        = "id"        // platform message ID, or one made by the connector
	KeyThread    = "thread"    // optional: the thread to reply in (Slack thread_ts)
)

// Sink receives inbound messages. A connector calls it from Serve, one
// message at a time, and treats an error as "not taken": it logs it and
// carries on with the next message (a platform cannot be told to resend).
// The pipeline's Inlet.Sink publishes to the bot's work queue.
type Sink func(ctx context.Context, msg map[string]string) error

// Connector is one connection to a chat platform. Serve runs it until ctx
// ends; Reply may be called from any goroutine while Serve runs and returns
// ErrNotConnected when the platform is not reachable at that moment.
type Connector interface {
	// Serve takes messages in and hands them to the Sink until ctx ends.
	// It returns nil or ctx's error after ctx ends, or an error when the
	// connector cannot go on.
	Serve(ctx context.Context) error
	// Reply sends text back to the place msg came from (its channel, thread or user).
	Reply(ctx context.Context, to map[string]string, text string) error
}

// Params is what a Factory gets. The zero value of each optional field means
// its default.
type Params struct {
	// ID names this connector instance; it is copied into every message's
	// KeyConnector. Required.
	ID string
	// Conf is the connector's configuration from the compose file, as JSON.
	Conf json.RawMessage
	// Sink receives inbound messages. Required.
	Sink Sink
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// NATS is the connection used by connectors that talk NATS (type "nats").
	NATS *nats.Conn
	// Stdin and Stdout are used by the console connector; nil means os.Stdin
	// and os.Stdout.
	Stdin  io.Reader
	Stdout io.Writer
	// CheckOnly asks the factory only to validate Conf: the connector it
	// returns is never served, so resources such as NATS may be nil (see
	// Check).
	CheckOnly bool
}

// Factory builds a connector of one type from its parameters. It validates
// the configuration and does no I/O.
type Factory func(p Params) (Connector, error)

// Errors of this package, compared with errors.Is.
var (
	// ErrUnknownType is returned by New for a type nobody registered.
	ErrUnknownType = errors.New("unknown connector type")
	// ErrNotConnected is returned by Reply while the connector has no live
	// connection to its platform.
	ErrNotConnected = errors.New("connector not connected")
	// ErrBadConfig wraps every configuration error a Factory returns.
	ErrBadConfig = errors.New("bad connector configuration")
)

// types holds the registered connector types.
var types = factory.Set[Factory]{Kind: "connector"}

// Register makes a connector type available under name. Call it from init.
// It panics if name is empty, f is nil or name is already registered.
func Register(name string, f Factory) {
	if f == nil {
		panic("connector: Register with a nil factory")
	}
	types.Register(name, f)
}

// Lookup reports whether a connector type is registered.
func Lookup(name string) bool { return types.Has(name) }

// Types returns the registered type names, sorted.
func Types() []string { return types.Names() }

// New builds a connector of type typ. It returns an error wrapping
// ErrUnknownType for an unregistered type, and the factory's error otherwise.
func New(typ string, p Params) (Connector, error) {
	f, ok := types.Get(typ)
	if !ok {
		return nil, fmt.Errorf("connector %q: %w %q (known: %v)", p.ID, ErrUnknownType, typ, Types())
	}
	if p.ID == "" {
		return nil, fmt.Errorf("connector of type %q: %w: empty ID", typ, ErrBadConfig)
	}
	if p.Sink == nil {
		return nil, fmt.Errorf("connector %q: %w: nil Sink", p.ID, ErrBadConfig)
	}
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	c, err := f(p)
	if err != nil {
		return nil, fmt.Errorf("connector %q (%s): %w", p.ID, typ, err)
	}
	return c, nil
}

// Check validates a connector configuration of type typ without building
// anything that does I/O: "patchbay check" uses it so that a compose file
// with, say, a nats connector missing its subjects fails before serve.
func Check(typ string, conf json.RawMessage) error {
	_, err := New(typ, Params{
		ID: "check", Conf: conf, CheckOnly: true,
		Sink:   func(context.Context, map[string]string) error { return nil },
		Logger: slog.New(slog.DiscardHandler),
	})
	return err
}

// DecodeConf decodes a JSON configuration strictly (unknown fields are an
// error) into v; empty conf leaves v unchanged. Errors wrap ErrBadConfig.
func DecodeConf(conf json.RawMessage, v any) error {
	if len(conf) == 0 || string(conf) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytesReader(conf))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	return nil
}
