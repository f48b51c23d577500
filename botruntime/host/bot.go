package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/patchbay/patchbay/botruntime/compose"
	"github.com/patchbay/patchbay/botruntime/connector"
	"github.com/patchbay/patchbay/botruntime/pipeline"
	"github.com/patchbay/patchbay/botruntime/supervisor"
	"github.com/patchbay/patchbay/botruntime/task"
	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/eventstore/follower"
	"github.com/patchbay/patchbay/hashchain"
)

// Bot is a bot the host keeps. Its supervisor is rebuilt at every start
// (a restart of the bot, or of the Fleet); the Bot value, its settings and
// its connector instance IDs last as long as the host keeps it.
type Bot struct {
	Name string
	Root hashchain.Hash // the root hash of the bot's settings config

	h        *Host
	spec     compose.Bot
	tasks    []task.Named
	log      *slog.Logger
	settings atomic.Pointer[map[string]any]
	reconf   chan string // connector names whose effective conf changed

	// mu guards the fields below.
	mu      sync.Mutex
	sup     *supervisor.Supervisor // the current supervisor; nil while down
	ids     map[string]string      // connector name -> instance ID (stable)
	conns   map[string]connector.Connector
	applied map[string]json.RawMessage // connector name -> conf it runs with
	pending map[string]bool            // queued on reconf
}

// Settings returns the bot's current settings document (its config in the
// store). Do not modify it.
func (b *Bot) Settings() map[string]any { return *b.settings.Load() }

// Running reports whether the bot's supervisor runs.
func (b *Bot) Running() bool { return b.supervisor() != nil }

func (b *Bot) supervisor() *supervisor.Supervisor {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sup
}

func (b *Bot) connector(name string) connector.Connector {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.conns[name]
}

// prepare validates a bot, builds its tasks, and creates its config in the
// store with the compose settings as the first patch of a new chain.
func (h *Host) prepare(ctx context.Context, cb compose.Bot) (*Bot, error) {
	if !pipeline.ValidName(cb.Name) {
		return nil, fmt.Errorf("bot %q: %w", cb.Name, pipeline.ErrBadName)
	}
	specs := make([]task.Spec, len(cb.Tasks))
	for i, t := range cb.Tasks {
		specs[i] = task.Spec{Name: t.Name, Type: t.Type, Conf: t.Conf}
	}
	built, err := task.Build(specs)
	if err != nil {
		return nil, fmt.Errorf("bot %q: %w", cb.Name, err)
	}
	log := h.log.With("bot", cb.Name)
	b := &Bot{
		Name: cb.Name, h: h, tasks: built, log: log,
		reconf: make(chan string, 64),
		ids:    map[string]string{}, conns: map[string]connector.Connector{},
		applied: map[string]json.RawMessage{}, pending: map[string]bool{},
	}
	b.spec = cb
	b.spec.Connectors = nil
	for _, cc := range cb.Connectors {
		if err := b.addConnector(cc); err != nil {
			return nil, fmt.Errorf("bot %q: %w", cb.Name, err)
		}
	}

	rootDoc, err := json.Marshal(cb.Root)
	if err != nil {
		return nil, fmt.Errorf("bot %q: root: %w", cb.Name, err)
	}
	client := eventstore.NewClient(h.nc)
	cr, err := client.Create(ctx, rootDoc)
	if err != nil {
		return nil, fmt.Errorf("bot %q: creating its config: %w", cb.Name, err)
	}
	b.Root = cr.Root
	head, err := client.Head(ctx, cr.Root)
	if err != nil {
		return nil, fmt.Errorf("bot %q: reading its config: %w", cb.Name, err)
	}
	if head.Seq == 0 && len(cb.Settings) > 0 {
		var ops []map[string]any
		for k, v := range cb.Settings {
			ops = append(ops, map[string]any{"op": "add", "path": "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1"), "value": v})
		}
		patch, _ := json.Marshal(ops)
		var refused *eventstore.RefusedError
		if _, err := client.Submit(ctx, cr.Root, patch); err != nil && !(errors.As(err, &refused) && refused.Code == "stale") {
			return nil, fmt.Errorf("bot %q: storing its initial settings: %w", cb.Name, err)
		}
		if head, err = client.Head(ctx, cr.Root); err != nil {
			return nil, fmt.Errorf("bot %q: reading its config: %w", cb.Name, err)
		}
	}
	empty := map[string]any{}
	b.settings.Store(&empty)
	b.setConfig(head.Config)
	if _, err := pipeline.EnsureStream(ctx, h.js, cb.Name, pipeline.StreamOptions{}); err != nil {
		return nil, fmt.Errorf("bot %q: %w", cb.Name, err)
	}
	return b, nil
}

// addConnector adds a connector entry and gives it a stable instance ID.
func (b *Bot) addConnector(cc compose.Connector) error {
	if !pipeline.ValidName(cc.Name) {
		return fmt.Errorf("connector %q: %w", cc.Name, pipeline.ErrBadName)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.ids[cc.Name]; dup {
		return fmt.Errorf("connector %q: %w", cc.Name, ErrConnectorExists)
	}
	if err := connector.Check(cc.Type, cc.Conf); err != nil {
		return fmt.Errorf("connector %q: %w", cc.Name, err)
	}
	b.ids[cc.Name] = pipeline.NewInstanceID(cc.Name)
	b.spec.Connectors = append(b.spec.Connectors, cc)
	return nil
}

// setConfig takes a new settings document and queues a restart of every
// running connector whose effective conf it changes.
func (b *Bot) setConfig(config []byte) {
	var m map[string]any
	if err := json.Unmarshal(config, &m); err != nil {
		b.log.Error("bot settings are not a JSON object", "err", err)
		return
	}
	b.settings.Store(&m)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, cc := range b.spec.Connectors {
		old, started := b.applied[cc.Name]
		if !started || b.pending[cc.Name] {
			continue
		}
		conf, err := effectiveConf(cc.Conf, m, cc.Name)
		if err != nil || jsonEqual(conf, old) {
			continue // a bad conf is reported when the connector restarts
		}
		select {
		case b.reconf <- cc.Name:
			b.pending[cc.Name] = true
		default:
			b.log.Warn("connector reconfiguration queue full", "connector", cc.Name)
		}
	}
}

// childSpec is the bot's child under the Fleet: a fresh rest_for_one
// supervisor at each start.
func (b *Bot) childSpec() supervisor.ChildSpec {
	return supervisor.ChildSpec{
		ID: b.Name, Kind: supervisor.KindSupervisor, Restart: supervisor.Temporary,
		Start: func(...any) (supervisor.Service, error) { return b.build() },
	}
}

// build makes the bot's supervisor: groups, settings, then per connector
// the connector and its taskback, then the workers, then the reconfigurer.
// With rest_for_one, a connector that dies takes its workers with it.
func (b *Bot) build() (supervisor.Service, error) {
	h := b.h
	pool, err := pipeline.NewPool(h.nc, h.js, b.Name, pipeline.Options{
		Tasks: b.tasks, Settings: b.Settings, MinIdle: b.spec.Workers.MinIdle, Max: b.spec.Workers.Max,
		Lazy: b.spec.Workers.Lazy, MaxDeliver: b.spec.Workers.MaxDeliver, NakDelay: b.spec.Workers.NakDelay,
		AckWait: b.spec.Workers.AckWait, FetchWait: h.opts.FetchWait, Logger: b.log,
	})
	if err != nil {
		return nil, err
	}
	specs := []supervisor.ChildSpec{
		{ID: "groups", Start: supervisor.StartServeFunc(b.joinGroups)},
		{ID: "settings", Start: supervisor.StartServeFunc(b.followSettings)},
	}
	b.mu.Lock()
	conns := append([]compose.Connector(nil), b.spec.Connectors...)
	b.mu.Unlock()
	for _, cc := range conns {
		specs = append(specs, b.connectorSpecs(cc)...)
	}
	specs = append(specs,
		supervisor.ChildSpec{ID: "workers", Start: supervisor.StartService(pool)},
		supervisor.ChildSpec{ID: "reconfigure", Start: func(...any) (supervisor.Service, error) { return supervisor.ServiceFunc(b.reconfigure), nil }},
	)
	maxR, period := b.spec.Restart.MaxRestarts, b.spec.Restart.Period
	switch {
	case maxR == 0 && period == 0: // a zero Restart: the compose defaults
		maxR, period = compose.DefaultMaxRestarts, compose.DefaultPeriod
	case maxR == 0:
		maxR = supervisor.NoRestarts
	}
	var sup *supervisor.Supervisor
	sup, err = supervisor.New(supervisor.Options{
		Name: "bot." + b.Name, Strategy: supervisor.RestForOne,
		MaxRestarts: maxR, Period: period, OnEvent: supervisor.LogEvents(b.log),
	}, specs...)
	if err != nil {
		return nil, err
	}
	return supervisor.StarterFunc(func(ctx context.Context, started func()) error {
		b.mu.Lock()
		b.sup = sup
		b.mu.Unlock()
		defer func() {
			b.mu.Lock()
			if b.sup == sup {
				b.sup = nil
			}
			b.mu.Unlock()
		}()
		err := sup.ServeStarted(ctx, started)
		if err != nil && ctx.Err() == nil {
			b.log.Error("bot down", "err", err)
		}
		return err
	}), nil
}

// groupRe keeps group names printable.
var groupRe = regexp.MustCompile(`^[^\s]{1,200}$`)

// joinGroups registers the bot in its registry groups while it runs.
func (b *Bot) joinGroups(ctx context.Context) error {
	b.h.groups.Register(ctx, "bot:"+b.Name, b.Name)
	for _, k := range []string{"platform", "channel", "team", "server"} {
		if v, ok := b.spec.Root[k].(string); ok && groupRe.MatchString(v) {
			b.h.groups.Register(ctx, k+":"+v, b.Name)
		}
	}
	<-ctx.Done()
	return nil
}

// followSettings follows the bot's config in the store.
func (b *Bot) followSettings(ctx context.Context) error {
	fol := follower.New(b.h.nc, b.Root, follower.Options{
		OnUpdate: func(_ eventstore.Update, config []byte) { b.setConfig(config) },
		Logger:   b.log,
	})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-fol.Ready(): // the head may be newer than the one prepare read
			_, _, config := fol.Head()
			b.setConfig(config)
		case <-ctx.Done():
		}
	}()
	err := fol.Serve(ctx)
	cancel()
	wg.Wait()
	return err
}

// connectorSpecs are the children running connector cc: its taskback
// first (subscribed before the connector takes anything in; it replies
// through whichever instance of the connector runs), then the connector,
// built anew from its effective conf at each start.
func (b *Bot) connectorSpecs(cc compose.Connector) []supervisor.ChildSpec {
	h := b.h
	path := b.Name + "/connector." + cc.Name
	b.mu.Lock()
	id := b.ids[cc.Name]
	b.mu.Unlock()
	return []supervisor.ChildSpec{
		{ID: "taskback." + cc.Name, Start: func(...any) (supervisor.Service, error) {
			return pipeline.NewTaskback(h.nc, b.Name, id, replier{b, cc.Name}, b.log), nil
		}},
		{ID: "connector." + cc.Name, Start: func(...any) (supervisor.Service, error) {
			conf, err := effectiveConf(cc.Conf, b.Settings(), cc.Name)
			if err != nil {
				return nil, err
			}
			c, err := connector.New(cc.Type, connector.Params{
				ID: id, Conf: conf, Logger: b.log, NATS: h.nc,
				Sink: pipeline.NewInlet(h.js, b.Name, id).Sink,
			})
			if err != nil {
				return nil, err
			}
			b.mu.Lock()
			b.conns[cc.Name] = c
			b.applied[cc.Name] = conf
			delete(b.pending, cc.Name)
			b.mu.Unlock()
			return h.killable(path, serveAsStarter(c)), nil
		}},
	}
}

// replier replies through the bot's current instance of a connector.
type replier struct {
	b    *Bot
	name string
}

// Reply sends text through the connector, or fails with
// connector.ErrNotConnected while it is being restarted.
func (r replier) Reply(ctx context.Context, to map[string]string, text string) error {
	c := r.b.connector(r.name)
	if c == nil {
		return connector.ErrNotConnected
	}
	return c.Reply(ctx, to, text)
}

// serveAsStarter adapts a Service that is started as soon as it runs.
func serveAsStarter(s supervisor.Service) supervisor.Starter {
	return supervisor.StarterFunc(func(ctx context.Context, started func()) error {
		started()
		return s.Serve(ctx)
	})
}

// reconfigure restarts a connector (and its taskback) whose effective conf
// changed, leaving every other child of the bot running.
func (b *Bot) reconfigure(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case name := <-b.reconf:
			sup := b.supervisor()
			if sup == nil {
				continue
			}
			b.log.Info("connector conf changed; restarting it", "connector", name)
			if err := sup.TerminateChild(ctx, "connector."+name); err != nil && ctx.Err() == nil {
				b.log.Warn("reconfigure: stop", "connector", name, "err", err)
			}
			if err := sup.RestartChild(ctx, "connector."+name); err != nil && ctx.Err() == nil {
				return fmt.Errorf("reconfigure connector.%s: %w", name, err)
			}
		}
	}
}

// placeholder matches "${name}" in connector conf strings.
var placeholder = regexp.MustCompile(`\$\{([A-Za-z0-9_.-]+)\}`)

// effectiveConf is a connector's conf as it runs: string values may name a
// top-level field of the settings document as ${field} (a whole string
// "${field}" takes the field's JSON value), and the document's
// "connectors"."<name>" object, when present, overrides top-level keys.
func effectiveConf(conf json.RawMessage, settings map[string]any, name string) (json.RawMessage, error) {
	var v map[string]any
	if len(conf) > 0 {
		if err := json.Unmarshal(conf, &v); err != nil {
			return nil, fmt.Errorf("connector %q conf: %w", name, err)
		}
	}
	if v == nil {
		v = map[string]any{}
	}
	var missing []string
	var subst func(x any) any
	subst = func(x any) any {
		switch t := x.(type) {
		case string:
			if m := placeholder.FindStringSubmatch(t); m != nil && m[0] == t {
				val, ok := settings[m[1]]
				if !ok {
					missing = append(missing, m[1])
				}
				return val
			}
			return placeholder.ReplaceAllStringFunc(t, func(s string) string {
				key := s[2 : len(s)-1]
				val, ok := settings[key]
				if !ok {
					missing = append(missing, key)
					return ""
				}
				if str, ok := val.(string); ok {
					return str
				}
				out, _ := json.Marshal(val)
				return string(out)
			})
		case []any:
			out := make([]any, len(t))
			for i, e := range t {
				out[i] = subst(e)
			}
			return out
		case map[string]any:
			out := make(map[string]any, len(t))
			for k, e := range t {
				out[k] = subst(e)
			}
			return out
		}
		return x
	}
	v = subst(v).(map[string]any)
	if len(missing) > 0 {
		return nil, fmt.Errorf("connector %q conf: %w: the settings have no %s", name, connector.ErrBadConfig, strings.Join(missing, ", "))
	}
	if cs, ok := settings["connectors"].(map[string]any); ok {
		if over, ok := cs[name].(map[string]any); ok {
			for k, e := range over {
				v[k] = e
			}
		}
	}
	return json.Marshal(v)
}

// jsonEqual reports whether two encodings from json.Marshal (which sorts
// map keys) are equal.
func jsonEqual(a, b json.RawMessage) bool { return string(a) == string(b) }
