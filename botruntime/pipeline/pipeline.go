package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"github.com/patchbay/patchbay/botruntime/task"
)

// Headers set on queued and dead-lettered messages.
const (
	HeaderTaskback   = "Patchbay-Taskback"   // subject the reply goes to
	HeaderConnector  = "Patchbay-Connector"  // connector instance that took the message in
	HeaderError      = "Patchbay-Error"      // dead letters: the last error
	HeaderDeliveries = "Patchbay-Deliveries" // dead letters: how often it was tried
)

// ErrBadName is returned for a bot or connector name that cannot be part of
// a NATS subject or stream name.
var ErrBadName = errors.New("bad name: want letters, digits, '_' and '-'")

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidName reports whether name can be a bot or connector instance name.
func ValidName(name string) bool { return validName.MatchString(name) }

// StreamName is the bot's JetStream stream.
func StreamName(bot string) string { return "BOT_" + bot }

// InSubject is the bot's work-queue subject.
func InSubject(bot string) string { return "bot." + bot + ".in" }

// DeadSubject is where the bot's dead letters go.
func DeadSubject(bot string) string { return "bot." + bot + ".dead" }

// TaskbackSubject is where replies for one connector instance go.
func TaskbackSubject(bot, instance string) string { return "bot." + bot + ".taskback." + instance }

// NewInstanceID returns a new unique connector instance ID for a connector named name.
func NewInstanceID(name string) string { return name + "-" + nuid.Next() }

// StreamOptions configures EnsureStream; the zero value means file storage,
// one replica.
type StreamOptions struct {
	Memory   bool // memory storage instead of file
	Replicas int  // 0 means 1
}

// EnsureStream creates or updates the bot's work-queue stream.
func EnsureStream(ctx context.Context, js jetstream.JetStream, bot string, opts StreamOptions) (jetstream.Stream, error) {
	if !ValidName(bot) {
		return nil, fmt.Errorf("bot %q: %w", bot, ErrBadName)
	}
	cfg := jetstream.StreamConfig{
		Name:        StreamName(bot),
		Description: "patchbay work queue of bot " + bot,
		Subjects:    []string{InSubject(bot), DeadSubject(bot)},
		Retention:   jetstream.WorkQueuePolicy,
		Storage:     jetstream.FileStorage,
		Replicas:    max(opts.Replicas, 1),
		Duplicates:  2 * time.Minute,
	}
	if opts.Memory {
		cfg.Storage = jetstream.MemoryStorage
	}
	s, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("creating stream %s: %w", cfg.Name, err)
	}
	return s, nil
}

// Inlet queues a connector's messages for its bot. It is safe for
// concurrent use.
type Inlet struct {
	js            jetstream.JetStream
	bot, instance string
}

// NewInlet returns the inlet of connector instance instance of bot.
func NewInlet(js jetstream.JetStream, bot, instance string) *Inlet {
	return &Inlet{js: js, bot: bot, instance: instance}
}

// Sink publishes msg to the bot's queue; it has the connector.Sink type.
// The message's id (when set) is the JetStream dedupe ID, so a message
// published twice within two minutes is queued once.
func (in *Inlet) Sink(ctx context.Context, msg map[string]string) error {
	data, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encoding message: %w", err)
	}
	m := nats.NewMsg(InSubject(in.bot))
	m.Data = data
	m.Header.Set(HeaderTaskback, TaskbackSubject(in.bot, in.instance))
	m.Header.Set(HeaderConnector, in.instance)
	if id := msg["id"]; id != "" {
		m.Header.Set(jetstream.MsgIDHeader, in.instance+":"+id)
	}
	if _, err := in.js.PublishMsg(ctx, m); err != nil {
		return fmt.Errorf("queueing message for bot %s: %w", in.bot, err)
	}
	return nil
}

// TaskbackMsg is what a worker sends back to the connector that took a
// message in.
type TaskbackMsg struct {
	Message map[string]string `json:"message"`
	Reply   string            `json:"reply"`
}

// Replier sends a reply; connector.Connector is one.
type Replier interface {
	Reply(ctx context.Context, to map[string]string, text string) error
}

// Taskback receives the replies for one connector instance and hands them
// to the connector. It is a supervised child: run Serve next to the
// connector.
type Taskback struct {
	nc            *nats.Conn
	bot, instance string
	to            Replier
	log           *slog.Logger
	ready         chan struct{}
	once          sync.Once
}

// NewTaskback returns the taskback of connector instance instance of bot;
// logger nil means slog.Default().
func NewTaskback(nc *nats.Conn, bot, instance string, to Replier, logger *slog.Logger) *Taskback {
	if logger == nil {
		logger = slog.Default()
	}
	return &Taskback{nc: nc, bot: bot, instance: instance, to: to, log: logger, ready: make(chan struct{})}
}

// Ready is closed once the first Serve is subscribed.
func (t *Taskback) Ready() <-chan struct{} { return t.ready }

// Serve subscribes to the instance's taskback subject and calls Reply for
// each reply, in order, until ctx ends. A failed Reply is logged: the
// message was handled, and the platform's error is not the worker's.
func (t *Taskback) Serve(ctx context.Context) error { return t.ServeStarted(ctx, func() {}) }

// ServeStarted is Serve, calling started once the subscription is in
// place, so a supervisor starts the children after it only then.
func (t *Taskback) ServeStarted(ctx context.Context, started func()) error {
	ch := make(chan *nats.Msg, 1024)
	sub, err := t.nc.ChanSubscribe(TaskbackSubject(t.bot, t.instance), ch)
	if err != nil {
		return fmt.Errorf("subscribing to taskback: %w", err)
	}
	defer sub.Unsubscribe()
	if err := t.nc.FlushTimeout(10 * time.Second); err != nil {
		return fmt.Errorf("subscribing to taskback: %w", err)
	}
	t.once.Do(func() { close(t.ready) })
	started()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-ch:
			var tb TaskbackMsg
			if err := json.Unmarshal(m.Data, &tb); err != nil {
				t.log.Error("bad taskback", "err", err)
				continue
			}
			if err := t.to.Reply(ctx, tb.Message, tb.Reply); err != nil {
				t.log.Error("reply failed", "bot", t.bot, "connector", t.instance, "err", err)
			}
		}
	}
}

// Options configures a Pool. The zero value of each field is its default.
type Options struct {
	// Tasks run in order for every message.
	Tasks []task.Named
	// Settings returns the bot's current settings; nil means none. It is
	// called once per message.
	Settings func() map[string]any
	// MinIdle is how many workers always wait for work; default 1.
	MinIdle int
	// Max is the most workers; default 4 (at least MinIdle).
	Max int
	// Lazy starts no hot worker: new messages wait for running tasks.
	Lazy bool
	// MaxDeliver is how often a message is tried before it is dead-lettered; default 5.
	MaxDeliver int
	// NakDelay is the redelivery delay after a failure; default 1s.
	NakDelay time.Duration
	// AckWait is JetStream's ack wait; default 30s.
	AckWait time.Duration
	// Durable is the shared consumer's name; default "workers".
	Durable string
	// FetchWait bounds one pull request; default 5s.
	FetchWait time.Duration
	// Logger; nil means slog.Default().
	Logger *slog.Logger
}

// Pool runs a bot's workers. It is a supervised child (Serve). Stats is
// safe for concurrent use.
type Pool struct {
	js   jetstream.JetStream
	nc   *nats.Conn
	bot  string
	opts Options
	log  *slog.Logger

	// mu guards idle and busy, the numbers of waiting and working workers.
	mu         sync.Mutex
	idle, busy int
	handled    uint64 // messages acknowledged by this pool
}

// NewPool returns a pool for bot; Serve does the I/O. nc is the connection
// of js (for taskbacks).
func NewPool(nc *nats.Conn, js jetstream.JetStream, bot string, opts Options) (*Pool, error) {
	if !ValidName(bot) {
		return nil, fmt.Errorf("bot %q: %w", bot, ErrBadName)
	}
	if opts.MinIdle <= 0 {
		opts.MinIdle = 1
	}
	if opts.Max <= 0 {
		opts.Max = 4
	}
	opts.Max = max(opts.Max, opts.MinIdle)
	if opts.MaxDeliver <= 0 {
		opts.MaxDeliver = 5
	}
	if opts.NakDelay <= 0 {
		opts.NakDelay = time.Second
	}
	if opts.AckWait <= 0 {
		opts.AckWait = 30 * time.Second
	}
	if opts.Durable == "" {
		opts.Durable = "workers"
	}
	if opts.FetchWait <= 0 {
		opts.FetchWait = 5 * time.Second
	}
	if opts.Settings == nil {
		opts.Settings = func() map[string]any { return map[string]any{} }
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.Default()
	}
	return &Pool{js: js, nc: nc, bot: bot, opts: opts, log: lg.With("bot", bot)}, nil
}

// Stats returns how many workers wait, how many work, and how many
// messages this pool has acknowledged.
func (p *Pool) Stats() (idle, busy int, handled uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.idle, p.busy, p.handled
}

// Serve makes sure the stream and the shared consumer exist, runs the
// workers until ctx ends, and waits for them.
func (p *Pool) Serve(ctx context.Context) error {
	if _, err := EnsureStream(ctx, p.js, p.bot, StreamOptions{}); err != nil {
		return err
	}
	cons, err := p.js.CreateOrUpdateConsumer(ctx, StreamName(p.bot), jetstream.ConsumerConfig{
		Durable:       p.opts.Durable,
		FilterSubject: InSubject(p.bot),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       p.opts.AckWait,
		MaxDeliver:    p.opts.MaxDeliver + 1, // the pool dead-letters at MaxDeliver itself
		MaxAckPending: -1,
	})
	if err != nil {
		return fmt.Errorf("creating consumer %s on %s: %w", p.opts.Durable, StreamName(p.bot), err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	p.mu.Lock()
	for i := 0; i < p.opts.MinIdle; i++ {
		p.spawnLocked(ctx, &wg, cons)
	}
	p.mu.Unlock()
	<-ctx.Done()
	wg.Wait()
	return nil
}

// spawnLocked starts one idle worker; p.mu is held.
func (p *Pool) spawnLocked(ctx context.Context, wg *sync.WaitGroup, cons jetstream.Consumer) {
	p.idle++
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.work(ctx, wg, cons)
	}()
}

func (p *Pool) work(ctx context.Context, wg *sync.WaitGroup, cons jetstream.Consumer) {
	fails := 0
	for {
		fctx, cancel := context.WithTimeout(ctx, p.opts.FetchWait)
		msg, err := cons.Next(jetstream.FetchContext(fctx))
		cancel()
		if ctx.Err() != nil {
			if msg != nil {
				msg.Nak() // taken as we stop: let another worker have it
			}
			p.mu.Lock()
			p.idle--
			p.mu.Unlock()
			return
		}
		if err != nil || msg == nil {
			if !errors.Is(err, nats.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
				fails++
				p.log.Warn("fetching work failed", "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(min(time.Duration(fails)*100*time.Millisecond, 5*time.Second)):
				}
			}
			p.mu.Lock()
			if p.idle > p.opts.MinIdle {
				p.idle--
				p.mu.Unlock()
				return
			}
			p.mu.Unlock()
			continue
		}
		fails = 0
		p.mu.Lock()
		p.idle--
		p.busy++
		if !p.opts.Lazy && p.idle < p.opts.MinIdle && p.idle+p.busy < p.opts.Max {
			p.spawnLocked(ctx, wg, cons) // the hot worker
		}
		p.mu.Unlock()

		acked := p.handle(ctx, msg)

		p.mu.Lock()
		p.busy--
		if acked {
			p.handled++
		}
		if p.idle >= p.opts.MinIdle {
			p.mu.Unlock()
			return // surplus: another worker already waits
		}
		p.idle++
		p.mu.Unlock()
	}
}

// handle runs the tasks for one message and settles it; it reports whether
// the message was acknowledged.
func (p *Pool) handle(ctx context.Context, msg jetstream.Msg) bool {
	md, err := msg.Metadata()
	if err != nil {
		p.log.Error("message without metadata", "err", err)
		msg.Term()
		return false
	}
	var in map[string]string
	if err := json.Unmarshal(msg.Data(), &in); err != nil {
		p.dead(ctx, msg, md.NumDelivered, fmt.Errorf("message is not a JSON object of strings: %w", err))
		return false
	}
	// Keep the message ours while the tasks run.
	stop := make(chan struct{})
	var keep sync.WaitGroup
	keep.Add(1)
	go func() {
		defer keep.Done()
		t := time.NewTicker(p.opts.AckWait / 2)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				msg.InProgress()
			}
		}
	}()
	results, err := task.Run(task.WithLogger(ctx, p.log), p.opts.Tasks, in, p.opts.Settings())
	close(stop)
	keep.Wait()
	if ctx.Err() != nil {
		msg.Nak()
		return false
	}
	if err != nil {
		if md.NumDelivered >= uint64(p.opts.MaxDeliver) {
			p.dead(ctx, msg, md.NumDelivered, err)
			return false
		}
		p.log.Warn("tasks failed; will retry", "delivery", md.NumDelivered, "err", err)
		msg.NakWithDelay(p.opts.NakDelay)
		return false
	}
	if reply := task.Reply(results); reply != "" {
		if to := msg.Headers().Get(HeaderTaskback); to != "" {
			b, _ := json.Marshal(TaskbackMsg{Message: in, Reply: reply})
			if err := p.nc.Publish(to, b); err != nil {
				p.log.Warn("taskback not sent; will retry", "err", err)
				msg.NakWithDelay(p.opts.NakDelay)
				return false
			}
		}
	}
	if err := msg.DoubleAck(ctx); err != nil {
		p.log.Warn("ack failed", "err", err)
		return false
	}
	return true
}

// dead publishes msg to the dead-letter subject and terminates it.
func (p *Pool) dead(ctx context.Context, msg jetstream.Msg, deliveries uint64, cause error) {
	p.log.Error("message dead-lettered", "deliveries", deliveries, "err", cause)
	m := nats.NewMsg(DeadSubject(p.bot))
	m.Data = msg.Data()
	for k, v := range msg.Headers() {
		if k != jetstream.MsgIDHeader {
			m.Header[k] = v
		}
	}
	m.Header.Set(HeaderError, cause.Error())
	m.Header.Set(HeaderDeliveries, strconv.FormatUint(deliveries, 10))
	if _, err := p.js.PublishMsg(ctx, m); err != nil {
		p.log.Error("dead letter not stored; leaving the message for redelivery", "err", err)
		msg.NakWithDelay(p.opts.NakDelay)
		return
	}
	msg.Term()
}
