package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/patchbay/patchbay/botruntime/compose"
	"github.com/patchbay/patchbay/botruntime/connector"
	"github.com/patchbay/patchbay/botruntime/pipeline"
	"github.com/patchbay/patchbay/botruntime/supervisor"
	"github.com/patchbay/patchbay/botruntime/task"
	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/eventstore/follower"
	"github.com/patchbay/patchbay/hashchain"
)

// Errors of this package, compared with errors.Is.
var (
	// ErrBotExists is returned by CreateBot for a name already running.
	ErrBotExists = errors.New("bot already exists")
	// ErrNoBot is returned for a bot name the host does not run.
	ErrNoBot = errors.New("no such bot")
	// ErrConnectorExists is returned for a connector name a bot already has.
	ErrConnectorExists = errors.New("connector already exists")
)

// Options configures a Host. NATS is required; other zero values are defaults.
type Options struct {
	// NATS reaches the store and carries the pipeline.
	NATS *nats.Conn
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// FetchWait bounds the workers' pull requests (pipeline default when 0).
	FetchWait time.Duration
}

// Host runs bots. It is safe for concurrent use. Build it with New, run it
// with Serve, then add bots with CreateBot.
type Host struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	log   *slog.Logger
	opts  Options
	fleet *supervisor.Supervisor

	// mu guards bots.
	mu   sync.Mutex
	bots map[string]*Bot
}

// New returns a Host; it does no I/O.
func New(opts Options) (*Host, error) {
	if opts.NATS == nil {
		return nil, errors.New("host: Options.NATS is required")
	}
	js, err := jetstream.New(opts.NATS)
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.Default()
	}
	fleet, err := supervisor.New(supervisor.Options{Name: "fleet", MaxRestarts: 100, Period: time.Minute, OnEvent: supervisor.LogEvents(lg)})
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	return &Host{nc: opts.NATS, js: js, log: lg, opts: opts, fleet: fleet, bots: map[string]*Bot{}}, nil
}

// Serve runs the fleet until ctx ends.
func (h *Host) Serve(ctx context.Context) error { return h.fleet.Serve(ctx) }

// Bot is a running bot.
type Bot struct {
	Name     string
	Root     hashchain.Hash // the root hash of the bot's settings config
	settings atomic.Pointer[map[string]any]
	sup      *supervisor.Supervisor
	log      *slog.Logger

	// mu guards conns: connector name -> connector.
	mu    sync.Mutex
	conns map[string]connector.Connector
}

// Settings returns the bot's current settings document. Do not modify it.
func (b *Bot) Settings() map[string]any { return *b.settings.Load() }

func (b *Bot) setConfig(config []byte, log *slog.Logger) {
	var m map[string]any
	if err := json.Unmarshal(config, &m); err != nil {
		log.Error("bot settings are not a JSON object", "bot", b.Name, "err", err)
		return
	}
	b.settings.Store(&m)
}

// Bot returns the running bot called name, or nil.
func (h *Host) Bot(name string) *Bot {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bots[name]
}

// CreateBot creates (or finds) the bot's config in the store and starts the
// bot under the fleet. Serve must be running.
func (h *Host) CreateBot(ctx context.Context, cb compose.Bot) error {
	if !pipeline.ValidName(cb.Name) {
		return fmt.Errorf("bot %q: %w", cb.Name, pipeline.ErrBadName)
	}
	h.mu.Lock()
	_, exists := h.bots[cb.Name]
	h.mu.Unlock()
	if exists {
		return fmt.Errorf("bot %q: %w", cb.Name, ErrBotExists)
	}
	log := h.log.With("bot", cb.Name)
	tasks := make([]task.Spec, len(cb.Tasks))
	for i, t := range cb.Tasks {
		tasks[i] = task.Spec{Name: t.Name, Type: t.Type, Conf: t.Conf}
	}
	built, err := task.Build(tasks)
	if err != nil {
		return fmt.Errorf("bot %q: %w", cb.Name, err)
	}

	// The settings config: root from the connection info, settings as the first patch.
	rootDoc, err := json.Marshal(cb.Root)
	if err != nil {
		return fmt.Errorf("bot %q: root: %w", cb.Name, err)
	}
	client := eventstore.NewClient(h.nc)
	cr, err := client.Create(ctx, rootDoc)
	if err != nil {
		return fmt.Errorf("bot %q: creating its config: %w", cb.Name, err)
	}
	head, err := client.Head(ctx, cr.Root)
	if err != nil {
		return fmt.Errorf("bot %q: reading its config: %w", cb.Name, err)
	}
	if head.Seq == 0 && len(cb.Settings) > 0 {
		var ops []map[string]any
		for k, v := range cb.Settings {
			ops = append(ops, map[string]any{"op": "add", "path": "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"), "value": v})
		}
		patch, _ := json.Marshal(ops)
		var refused *eventstore.RefusedError
		if _, err := client.Submit(ctx, cr.Root, patch); err != nil && !(errors.As(err, &refused) && refused.Code == "stale") {
			return fmt.Errorf("bot %q: storing its initial settings: %w", cb.Name, err)
		}
		if head, err = client.Head(ctx, cr.Root); err != nil {
			return fmt.Errorf("bot %q: reading its config: %w", cb.Name, err)
		}
	}
	b := &Bot{Name: cb.Name, Root: cr.Root, conns: map[string]connector.Connector{}}
	b.setConfig(head.Config, log)
	if b.settings.Load() == nil {
		m := map[string]any{}
		b.settings.Store(&m)
	}

	fol := follower.New(h.nc, cr.Root, follower.Options{
		OnUpdate: func(u eventstore.Update, config []byte) { b.setConfig(config, log) },
		Logger:   log,
	})
	specs := []supervisor.ChildSpec{{ID: "settings", Start: supervisor.StartServeFunc(func(ctx context.Context) error {
		// Load the head once the follower is ready (it may be newer than CreateBot's read).
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-fol.Ready():
				_, _, config := fol.Head()
				b.setConfig(config, log)
			case <-ctx.Done():
			}
		}()
		err := fol.Serve(ctx)
		cancel()
		wg.Wait()
		return err
	})}}
	b.log = log
	for _, cc := range cb.Connectors {
		cs, err := h.connectorSpecs(b, cc)
		if err != nil {
			return fmt.Errorf("bot %q: %w", cb.Name, err)
		}
		specs = append(specs, cs...)
	}
	pool, err := pipeline.NewPool(h.nc, h.js, cb.Name, pipeline.Options{
		Tasks: built, Settings: b.Settings, MinIdle: cb.Workers.MinIdle, Max: cb.Workers.Max, Lazy: cb.Workers.Lazy,
		MaxDeliver: cb.Workers.MaxDeliver, NakDelay: cb.Workers.NakDelay, AckWait: cb.Workers.AckWait,
		FetchWait: h.opts.FetchWait, Logger: log,
	})
	if err != nil {
		return fmt.Errorf("bot %q: %w", cb.Name, err)
	}
	if _, err := pipeline.EnsureStream(ctx, h.js, cb.Name, pipeline.StreamOptions{}); err != nil {
		return fmt.Errorf("bot %q: %w", cb.Name, err)
	}
	specs = append(specs, supervisor.ChildSpec{ID: "workers", Start: supervisor.StartService(pool)})

	sup, err := supervisor.New(supervisor.Options{
		Name: "bot." + cb.Name, Strategy: supervisor.RestForOne,
		MaxRestarts: cb.Restart.MaxRestarts, Period: cb.Restart.Period, OnEvent: supervisor.LogEvents(log),
	}, specs...)
	if err != nil {
		return fmt.Errorf("bot %q: %w", cb.Name, err)
	}
	b.sup = sup
	h.mu.Lock()
	if _, exists := h.bots[cb.Name]; exists {
		h.mu.Unlock()
		return fmt.Errorf("bot %q: %w", cb.Name, ErrBotExists)
	}
	h.bots[cb.Name] = b
	h.mu.Unlock()
	if err := h.fleet.StartChild(ctx, supervisor.ChildSpec{ID: cb.Name, Start: supervisor.StartService(sup), Kind: supervisor.KindSupervisor}); err != nil {
		h.mu.Lock()
		delete(h.bots, cb.Name)
		h.mu.Unlock()
		return fmt.Errorf("bot %q: starting: %w", cb.Name, err)
	}
	return nil
}

// connectorSpecs builds a connector of bot b and the child specs running it
// and its taskback, and records it in b.conns.
func (h *Host) connectorSpecs(b *Bot, cc compose.Connector) ([]supervisor.ChildSpec, error) {
	if !pipeline.ValidName(cc.Name) {
		return nil, fmt.Errorf("connector %q: %w", cc.Name, pipeline.ErrBadName)
	}
	b.mu.Lock()
	_, dup := b.conns[cc.Name]
	b.mu.Unlock()
	if dup {
		return nil, fmt.Errorf("connector %q: %w", cc.Name, ErrConnectorExists)
	}
	id := pipeline.NewInstanceID(cc.Name)
	c, err := connector.New(cc.Type, connector.Params{
		ID: id, Conf: cc.Conf, Logger: b.log, NATS: h.nc,
		Sink: pipeline.NewInlet(h.js, b.Name, id).Sink,
	})
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.conns[cc.Name] = c
	b.mu.Unlock()
	tb := pipeline.NewTaskback(h.nc, b.Name, id, c, b.log)
	return []supervisor.ChildSpec{
		{ID: "connector." + cc.Name, Start: supervisor.StartService(c)},
		{ID: "taskback." + cc.Name, Start: supervisor.StartService(tb)},
	}, nil
}

// ConnectBot adds a connector to a running bot (Juvet's connect_bot). It
// starts after the bot's workers, so it does not take them down when it
// fails; the workers it feeds are the bot's shared pool.
func (h *Host) ConnectBot(ctx context.Context, bot string, cc compose.Connector) error {
	b := h.Bot(bot)
	if b == nil {
		return fmt.Errorf("bot %q: %w", bot, ErrNoBot)
	}
	specs, err := h.connectorSpecs(b, cc)
	if err != nil {
		return fmt.Errorf("bot %q: %w", bot, err)
	}
	for _, sp := range specs {
		if err := b.sup.StartChild(ctx, sp); err != nil {
			return fmt.Errorf("bot %q: starting connector %q: %w", bot, cc.Name, err)
		}
	}
	return nil
}

// Compose checks a compose file's connector and task types against the
// registries (the Superintendent's validation) and creates every bot in it,
// in file order. It stops at the first error; bots created before stay.
func (h *Host) Compose(ctx context.Context, f *compose.File) error {
	if err := f.CheckTypes(connector.Lookup, task.Lookup); err != nil {
		return err
	}
	for _, b := range f.Bots {
		if err := h.CreateBot(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// StopBot stops a bot and forgets it; its queue and config stay in NATS.
func (h *Host) StopBot(ctx context.Context, name string) error {
	h.mu.Lock()
	_, ok := h.bots[name]
	h.mu.Unlock()
	if !ok {
		return fmt.Errorf("bot %q: %w", name, ErrNoBot)
	}
	if err := h.fleet.TerminateChild(ctx, name); err != nil {
		return fmt.Errorf("stopping bot %q: %w", name, err)
	}
	if err := h.fleet.DeleteChild(ctx, name); err != nil {
		return fmt.Errorf("stopping bot %q: %w", name, err)
	}
	h.mu.Lock()
	delete(h.bots, name)
	h.mu.Unlock()
	return nil
}

// ServeHTTP is the Endpoint: /bots/<bot>/<connector> goes to that
// connector when it serves HTTP (slack).
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 3 || parts[0] != "bots" {
		http.NotFound(w, r)
		return
	}
	b := h.Bot(parts[1])
	if b == nil {
		http.NotFound(w, r)
		return
	}
	b.mu.Lock()
	hh, ok := b.conns[parts[2]].(http.Handler)
	b.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	hh.ServeHTTP(w, r)
}
