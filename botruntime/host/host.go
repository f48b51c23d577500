package host

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/patchbay/patchbay/botruntime/compose"
	"github.com/patchbay/patchbay/botruntime/connector"
	"github.com/patchbay/patchbay/botruntime/registry"
	"github.com/patchbay/patchbay/botruntime/supervisor"
	"github.com/patchbay/patchbay/botruntime/task"
	"github.com/patchbay/patchbay/eventstore"
)

// Errors of this package, compared with errors.Is.
var (
	// ErrBotExists is returned by CreateBot for a name already running.
	ErrBotExists = errors.New("bot already exists")
	// ErrNoBot is returned for a bot name the host does not run.
	ErrNoBot = errors.New("no such bot")
	// ErrConnectorExists is returned for a connector name a bot already has.
	ErrConnectorExists = errors.New("connector already exists")
	// ErrStoreUnreachable is returned by Serve when the Superintendent
	// cannot reach the event store.
	ErrStoreUnreachable = errors.New("event store unreachable")
	// errKilled is the exit reason of a child killed through Host.kill.
	errKilled = errors.New("killed")
)

// Options configures a Host. NATS is required; the zero value of every
// other field is its default.
type Options struct {
	// NATS reaches the store and carries the pipeline.
	NATS *nats.Conn
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// FetchWait bounds the workers' pull requests (pipeline default when 0).
	FetchWait time.Duration
	// HTTPListen is the Endpoint's "host:port"; "" runs no Endpoint (the
	// Host is still an http.Handler for webhooks). Port 0 picks a free
	// port, kept across restarts of the Endpoint (see HTTPAddr).
	HTTPListen string
	// Handler serves every Endpoint path outside /bots/ (the API and
	// dashboard of "patchbay serve"); nil answers 404.
	Handler http.Handler
	// Compose lists bots the Superintendent creates when the tree starts,
	// after validating their types and reaching the store.
	Compose *compose.File
	// StoreTimeout bounds the Superintendent's check that the store
	// answers (default 10 s).
	StoreTimeout time.Duration
	// MaxRestarts within Period is the Factory's restart intensity (default
	// 3 in 1 minute): beyond it Serve returns the failure.
	MaxRestarts int
	Period      time.Duration
}

// Host runs bots on Juvet's tree. It is safe for concurrent use. Build it
// with New and run it with Serve; CreateBot, ConnectBot and StopBot change
// the fleet while it runs (a bot created before Serve starts with it).
type Host struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	log     *slog.Logger
	opts    Options
	groups  *registry.Registry[string]
	factory *supervisor.Supervisor
	ready   chan struct{}

	// mu guards the fields below.
	mu       sync.Mutex
	order    []string        // bot names in creation order
	bots     map[string]*Bot // every bot the host keeps (running or down)
	fleet    *supervisor.Supervisor
	httpAddr string
	killers  map[string]func() // test hook: path -> make that child fail
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
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.StoreTimeout <= 0 {
		opts.StoreTimeout = 10 * time.Second
	}
	if opts.MaxRestarts == 0 {
		opts.MaxRestarts = 3
	}
	if opts.Period <= 0 {
		opts.Period = time.Minute
	}
	h := &Host{
		nc: opts.NATS, js: js, log: opts.Logger, opts: opts,
		groups:  registry.New[string]("bots"),
		ready:   make(chan struct{}),
		bots:    map[string]*Bot{},
		killers: map[string]func(){},
	}
	specs := []supervisor.ChildSpec{
		{ID: "superintendent", Start: func(...any) (supervisor.Service, error) { return h.superintendent(), nil }},
	}
	if opts.HTTPListen != "" {
		specs = append(specs, supervisor.ChildSpec{ID: "endpoint", Start: func(...any) (supervisor.Service, error) { return h.endpoint(), nil }})
	}
	specs = append(specs, supervisor.ChildSpec{ID: "fleet", Kind: supervisor.KindSupervisor, Start: h.startFleet})
	h.factory, err = supervisor.New(supervisor.Options{
		Name: "factory", Strategy: supervisor.OneForAll,
		MaxRestarts: opts.MaxRestarts, Period: opts.Period, OnEvent: supervisor.LogEvents(h.log),
	}, specs...)
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	return h, nil
}

// Serve runs the tree until ctx ends (then it returns nil) or the Factory
// gives up (its restart intensity exceeded, or the Superintendent could not
// validate the compose file or reach the store at the first start).
func (h *Host) Serve(ctx context.Context) error {
	var once sync.Once
	err := h.factory.ServeStarted(ctx, func() { once.Do(func() { close(h.ready) }) })
	if err != nil && ctx.Err() != nil {
		return nil
	}
	return err
}

// Ready is closed once the tree has started for the first time: the
// compose file's bots are created and the Endpoint listens.
func (h *Host) Ready() <-chan struct{} { return h.ready }

// HTTPAddr is the Endpoint's listening address ("" without one, or before
// Ready).
func (h *Host) HTTPAddr() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.httpAddr
}

// Members returns the names of the running bots in a registry group:
// "bot:<name>", "platform:<root platform>", "channel:<root channel>",
// "team:<root team>" and "server:<root server>".
func (h *Host) Members(group string) []string { return h.groups.Members(group) }

// Groups lists the registry groups that have members.
func (h *Host) Groups() []string { return h.groups.Groups() }

// Bot returns the bot called name, or nil.
func (h *Host) Bot(name string) *Bot {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.bots[name]
}

// Bots returns the names of the bots the host keeps, in creation order.
func (h *Host) Bots() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.order)
}

// Stats is a snapshot of the host for metrics.
type Stats struct {
	Bots        int // bots the host keeps
	BotsRunning int // of which running now (the rest gave up: restart intensity)
}

// Stats returns counts of the host's bots.
func (h *Host) Stats() Stats {
	h.mu.Lock()
	st := Stats{Bots: len(h.bots)}
	bots := make([]*Bot, 0, len(h.bots))
	for _, b := range h.bots {
		bots = append(bots, b)
	}
	h.mu.Unlock()
	for _, b := range bots {
		if b.Running() {
			st.BotsRunning++
		}
	}
	return st
}

// superintendent is Juvet's Superintendent: at each start it validates the
// compose file against the registries, reaches the store and prepares the
// compose file's bots (their configs in the store), and only then reports
// started, so the Endpoint and the Fleet start after it.
func (h *Host) superintendent() supervisor.Service {
	return h.killable("superintendent", supervisor.StarterFunc(func(ctx context.Context, started func()) error {
		if f := h.opts.Compose; f != nil {
			if err := f.CheckTypes(connector.Lookup, task.Lookup); err != nil {
				return fmt.Errorf("superintendent: %w", err)
			}
		}
		if err := h.pingStore(ctx); err != nil {
			return fmt.Errorf("superintendent: %w", err)
		}
		if f := h.opts.Compose; f != nil {
			for _, cb := range f.Bots {
				if h.Bot(cb.Name) != nil {
					continue // kept from an earlier start
				}
				b, err := h.prepare(ctx, cb)
				if err != nil {
					return fmt.Errorf("superintendent: %w", err)
				}
				h.keep(b)
			}
		}
		started()
		<-ctx.Done()
		return nil
	}))
}

// pingStore checks that an event store answers requests.
func (h *Host) pingStore(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, h.opts.StoreTimeout)
	defer cancel()
	_, err := eventstore.NewClient(h.nc).Get(ctx, 0)
	var refused *eventstore.RefusedError
	if err == nil || errors.As(err, &refused) {
		return nil // any answer, even not_found, means a store serves
	}
	return fmt.Errorf("%w: %w", ErrStoreUnreachable, err)
}

// endpoint is Juvet's Endpoint: the HTTP listener for webhook platforms
// (/bots/<bot>/<connector>) and Options.Handler.
func (h *Host) endpoint() supervisor.Service {
	return supervisor.StarterFunc(func(ctx context.Context, started func()) error {
		addr := h.HTTPAddr()
		if addr == "" {
			addr = h.opts.HTTPListen
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("endpoint: %w", err)
		}
		h.mu.Lock()
		h.httpAddr = ln.Addr().String()
		h.mu.Unlock()
		mux := http.NewServeMux()
		mux.Handle("/bots/", h)
		if h.opts.Handler != nil {
			mux.Handle("/", h.opts.Handler)
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(h.log.Handler(), slog.LevelWarn)}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ln) }()
		h.log.Info("endpoint listening", "addr", ln.Addr().String())
		started()
		select {
		case err := <-done:
			return fmt.Errorf("endpoint: %w", err)
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = srv.Shutdown(sctx)
		<-done
		return err
	})
}

// startFleet starts Juvet's Fleet: a one_for_one supervisor with one child
// per bot the host keeps. A bot whose own supervisor gives up stays down
// (its child is temporary) so that one crash-looping bot cannot take the
// others with it; a restart of the Factory brings every bot back.
func (h *Host) startFleet(...any) (supervisor.Service, error) {
	h.mu.Lock()
	specs := make([]supervisor.ChildSpec, 0, len(h.order))
	for _, name := range h.order {
		specs = append(specs, h.bots[name].childSpec())
	}
	h.mu.Unlock()
	fleet, err := supervisor.New(supervisor.Options{
		Name: "fleet", MaxRestarts: 100, Period: time.Minute, OnEvent: supervisor.LogEvents(h.log),
	}, specs...)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	h.fleet = fleet
	h.mu.Unlock()
	return fleet, nil
}

// currentFleet is the running Fleet, or nil.
func (h *Host) currentFleet() *supervisor.Supervisor {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.fleet
}

// keep records a prepared bot; it reports false if the name is taken.
func (h *Host) keep(b *Bot) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, dup := h.bots[b.Name]; dup {
		return false
	}
	h.bots[b.Name] = b
	h.order = append(h.order, b.Name)
	return true
}

// forget drops a bot from the host's list.
func (h *Host) forget(name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.bots, name)
	h.order = slices.DeleteFunc(h.order, func(n string) bool { return n == name })
}

// CreateBot creates (or finds) the bot's config in the store and starts the
// bot under the Fleet; before Serve, the bot starts with the tree.
func (h *Host) CreateBot(ctx context.Context, cb compose.Bot) error {
	if h.Bot(cb.Name) != nil {
		return fmt.Errorf("bot %q: %w", cb.Name, ErrBotExists)
	}
	b, err := h.prepare(ctx, cb)
	if err != nil {
		return err
	}
	if !h.keep(b) {
		return fmt.Errorf("bot %q: %w", cb.Name, ErrBotExists)
	}
	for {
		fleet := h.currentFleet()
		if fleet == nil {
			return nil // the Fleet starts it with the others
		}
		err = fleet.StartChild(ctx, b.childSpec())
		switch {
		case err == nil, errors.Is(err, supervisor.ErrAlreadyStarted), errors.Is(err, supervisor.ErrAlreadyPresent):
			return nil
		case errors.Is(err, supervisor.ErrNotRunning):
			// The Factory is restarting the Fleet. A new Fleet built after
			// keep(b) includes the bot; one built before needs StartChild.
			if h.currentFleet() == fleet {
				return nil
			}
		default:
			h.forget(cb.Name)
			return fmt.Errorf("bot %q: starting: %w", cb.Name, err)
		}
	}
}

// ConnectBot adds a connector to a bot (Juvet's connect_bot). On a running
// bot it starts after the bot's workers, so its failure does not take them
// down; after a restart of the bot it takes its place with the others.
func (h *Host) ConnectBot(ctx context.Context, bot string, cc compose.Connector) error {
	b := h.Bot(bot)
	if b == nil {
		return fmt.Errorf("bot %q: %w", bot, ErrNoBot)
	}
	if err := b.addConnector(cc); err != nil {
		return fmt.Errorf("bot %q: %w", bot, err)
	}
	sup := b.supervisor()
	if sup == nil {
		return nil
	}
	for _, sp := range b.connectorSpecs(cc) {
		if err := sup.StartChild(ctx, sp); err != nil {
			return fmt.Errorf("bot %q: starting connector %q: %w", bot, cc.Name, err)
		}
	}
	return nil
}

// Compose creates every bot of a compose file, in file order, after
// checking its connector and task types. It stops at the first error; bots
// created before stay. (Options.Compose does the same at each start of the
// tree, from the Superintendent.)
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
	if h.Bot(name) == nil {
		return fmt.Errorf("bot %q: %w", name, ErrNoBot)
	}
	h.forget(name)
	if fleet := h.currentFleet(); fleet != nil {
		if err := fleet.TerminateChild(ctx, name); err != nil && !errors.Is(err, supervisor.ErrNotFound) {
			return fmt.Errorf("stopping bot %q: %w", name, err)
		}
		if err := fleet.DeleteChild(ctx, name); err != nil && !errors.Is(err, supervisor.ErrNotFound) {
			return fmt.Errorf("stopping bot %q: %w", name, err)
		}
	}
	return nil
}

// ServeHTTP routes /bots/<bot>/<connector> to that connector when it serves
// HTTP (slack); anything else is 404.
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	bot, conn, ok := splitBotPath(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	b := h.Bot(bot)
	if b == nil {
		http.NotFound(w, r)
		return
	}
	hh, ok := b.connector(conn).(http.Handler)
	if !ok {
		http.NotFound(w, r)
		return
	}
	hh.ServeHTTP(w, r)
}

// splitBotPath splits "/bots/<bot>/<connector>".
func splitBotPath(p string) (bot, conn string, ok bool) {
	rest, ok := strings.CutPrefix(p, "/bots/")
	if !ok {
		return "", "", false
	}
	bot, conn, ok = strings.Cut(strings.TrimSuffix(rest, "/"), "/")
	return bot, conn, ok && bot != "" && conn != "" && !strings.Contains(conn, "/")
}

// TreeNode is one process of the tree, for display.
type TreeNode struct {
	Name     string     `json:"name"`
	Kind     string     `json:"kind"` // "supervisor" or "worker"
	State    string     `json:"state"`
	Restarts int        `json:"restarts"`
	Children []TreeNode `json:"children,omitempty"`
}

// Tree returns the tree's current state: Host, Factory, its children, and
// under the Fleet each bot's supervisor and children.
func (h *Host) Tree() TreeNode {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	root := TreeNode{Name: "host", Kind: "supervisor", State: "running"}
	factory := TreeNode{Name: "factory", Kind: "supervisor", State: "running"}
	infos, err := h.factory.WhichChildren(ctx)
	if err != nil {
		factory.State = "stopped"
	}
	for _, ci := range infos {
		n := nodeOf(ci)
		if ci.ID == "fleet" {
			if fleet := h.currentFleet(); fleet != nil && ci.State == supervisor.Running {
				n.Children = h.fleetTree(ctx, fleet)
			}
		}
		factory.Children = append(factory.Children, n)
	}
	root.Children = []TreeNode{factory}
	return root
}

func (h *Host) fleetTree(ctx context.Context, fleet *supervisor.Supervisor) []TreeNode {
	infos, _ := fleet.WhichChildren(ctx)
	running := map[string]supervisor.ChildInfo{}
	for _, ci := range infos {
		running[ci.ID] = ci
	}
	var out []TreeNode
	for _, name := range h.Bots() {
		ci, ok := running[name]
		if !ok {
			out = append(out, TreeNode{Name: name, Kind: "supervisor", State: "down"})
			continue
		}
		n := nodeOf(ci)
		if b := h.Bot(name); b != nil && ci.State == supervisor.Running {
			if sup := b.supervisor(); sup != nil {
				kids, _ := sup.WhichChildren(ctx)
				for _, k := range kids {
					n.Children = append(n.Children, nodeOf(k))
				}
			}
		}
		out = append(out, n)
	}
	return out
}

func nodeOf(ci supervisor.ChildInfo) TreeNode {
	return TreeNode{Name: ci.ID, Kind: ci.Kind.String(), State: ci.State.String(), Restarts: ci.Restarts}
}

// killable wraps a child so that kill(path) makes it fail with errKilled,
// as erlang:exit(Pid, kill) would: tests use it to exercise real restarts.
func (h *Host) killable(path string, svc supervisor.Starter) supervisor.Starter {
	return supervisor.StarterFunc(func(ctx context.Context, started func()) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		killed := make(chan struct{})
		var once sync.Once
		h.mu.Lock()
		h.killers[path] = func() { once.Do(func() { close(killed) }) }
		h.mu.Unlock()
		done := make(chan error, 1)
		go func() { done <- svc.ServeStarted(ctx, started) }()
		select {
		case err := <-done:
			return err
		case <-killed:
			cancel()
			<-done
			return fmt.Errorf("%s: %w", path, errKilled)
		}
	})
}

// kill makes the child at path fail ("superintendent", or
// "<bot>/connector.<name>"); it reports whether such a child runs.
func (h *Host) kill(path string) bool {
	h.mu.Lock()
	k, ok := h.killers[path]
	h.mu.Unlock()
	if ok {
		k()
	}
	return ok
}
