package follower

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/hashchain"
)

// Options configures a Follower. The zero value is the default.
type Options struct {
	// OnUpdate is called, in order, for every update applied after the
	// initial state (see Head), with the configuration after it. It runs on
	// the Serve goroutine: a slow callback delays later updates.
	OnUpdate func(u eventstore.Update, config []byte)
	// Limits used to apply patches (zero: hashchain defaults).
	Limits hashchain.Limits
	// Logger for retries; nil discards.
	Logger *slog.Logger
}

// ErrGap reports an update that does not follow the follower's head; the
// follower reloads when it sees one.
var ErrGap = errors.New("follower: gap in the update log")

// Follower follows the config rooted at one hash. Its methods are safe for
// concurrent use; Serve must be called once. Call New to get one.
type Follower struct {
	nc   *nats.Conn
	root hashchain.Hash
	opts Options

	readyOnce sync.Once
	ready     chan struct{}

	// mu guards the fields below.
	mu     sync.Mutex
	loaded bool
	head   hashchain.Hash
	seq    uint64
	doc    []byte
	logSeq uint64
}

// New returns a Follower of the config rooted at root over nc (any NATS
// connection to a server carrying the PATCHBAY streams).
func New(nc *nats.Conn, root hashchain.Hash, opts Options) *Follower {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Follower{nc: nc, root: root, opts: opts, ready: make(chan struct{})}
}

// Ready is closed once the follower has loaded the config's state as it was
// when following started (snapshot plus the entries committed by then).
func (f *Follower) Ready() <-chan struct{} { return f.ready }

// Head returns the current hash, seq and configuration (nil before Ready).
func (f *Follower) Head() (hash hashchain.Hash, seq uint64, config []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.head, f.seq, f.doc
}

// Serve follows the config until ctx ends, reconnecting and resuming after
// errors (server restarts) with backoff. It returns ctx's error.
func (f *Follower) Serve(ctx context.Context) error {
	backoff := 50 * time.Millisecond
	for {
		err := f.run(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		f.opts.Logger.Warn("follower: retrying", "root", f.root, "err", err, "backoff", backoff)
		if errors.Is(err, ErrGap) {
			f.mu.Lock()
			f.loaded = false
			f.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// load reads the snapshot (or root entry) into the follower's state.
func (f *Follower) load(ctx context.Context, js jetstream.JetStream) error {
	log, err := js.Stream(ctx, eventstore.StreamName)
	if err != nil {
		return fmt.Errorf("follow %s: %w", f.root, err)
	}
	rm, err := log.GetLastMsgForSubject(ctx, eventstore.SubjectRootPrefix+f.root.String())
	if err != nil {
		return fmt.Errorf("follow %s: root entry: %w", f.root, err)
	}
	head, seq, doc, logSeq := f.root, uint64(0), rm.Data, uint64(0)
	if heads, err := js.Stream(ctx, eventstore.HeadsStreamName); err == nil {
		sm, err := heads.GetLastMsgForSubject(ctx, eventstore.SubjectHeadPrefix+f.root.String())
		if err == nil {
			var sn struct {
				Hash   hashchain.Hash  `json:"hash"`
				Seq    uint64          `json:"seq"`
				LogSeq uint64          `json:"log_seq"`
				Config json.RawMessage `json:"config"`
			}
			if err := json.Unmarshal(sm.Data, &sn); err != nil {
				return fmt.Errorf("follow %s: snapshot: %w", f.root, err)
			}
			head, seq, doc, logSeq = sn.Hash, sn.Seq, sn.Config, sn.LogSeq
		} else if !errors.Is(err, jetstream.ErrMsgNotFound) {
			return fmt.Errorf("follow %s: snapshot: %w", f.root, err)
		}
	}
	f.mu.Lock()
	// Never go backwards (that would deliver updates twice): keep a newer
	// state we already have. After a gap (entries trimmed by retention) a
	// newer snapshot moves the follower past the missing entries.
	if f.head == 0 || seq > f.seq {
		f.head, f.seq, f.doc, f.logSeq = head, seq, doc, logSeq
	}
	f.loaded = true
	f.mu.Unlock()
	return nil
}

func (f *Follower) run(ctx context.Context) error {
	js, err := jetstream.New(f.nc)
	if err != nil {
		return err
	}
	f.mu.Lock()
	loaded := f.loaded
	f.mu.Unlock()
	if !loaded {
		if err := f.load(ctx, js); err != nil {
			return err
		}
	}
	log, err := js.Stream(ctx, eventstore.StreamName)
	if err != nil {
		return fmt.Errorf("follow %s: %w", f.root, err)
	}
	subj := eventstore.SubjectLogPrefix + f.root.String()
	f.mu.Lock()
	start := f.logSeq
	f.mu.Unlock()
	var target uint64
	if last, err := log.GetLastMsgForSubject(ctx, subj); err == nil {
		target = last.Sequence
	} else if !errors.Is(err, jetstream.ErrMsgNotFound) {
		return fmt.Errorf("follow %s: %w", f.root, err)
	}
	if target <= start {
		f.readyOnce.Do(func() { close(f.ready) })
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}, DeliverPolicy: jetstream.DeliverAllPolicy}
	if start > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, start+1
	}
	cons, err := log.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("follow %s: %w", f.root, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("follow %s: %w", f.root, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		m, err := it.Next()
		if err != nil {
			return fmt.Errorf("follow %s: %w", f.root, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("follow %s: %w", f.root, err)
		}
		var u eventstore.Update
		if err := json.Unmarshal(m.Data(), &u); err != nil {
			return fmt.Errorf("follow %s: entry %d: %w", f.root, md.Sequence.Stream, err)
		}
		f.mu.Lock()
		if u.Seq <= f.seq {
			f.logSeq = max(f.logSeq, md.Sequence.Stream)
			f.mu.Unlock()
			continue
		}
		if u.Seq != f.seq+1 || u.Parent != f.head {
			f.mu.Unlock()
			return fmt.Errorf("follow %s: entry seq %d parent %s after head %s seq %d: %w", f.root, u.Seq, u.Parent, f.head, f.seq, ErrGap)
		}
		doc, err := hashchain.Apply(f.doc, u.Patch, f.opts.Limits)
		if err != nil {
			f.mu.Unlock()
			return fmt.Errorf("follow %s: apply seq %d: %w", f.root, u.Seq, err)
		}
		f.head, f.seq, f.doc, f.logSeq = u.Hash, u.Seq, doc, md.Sequence.Stream
		f.mu.Unlock()
		if f.opts.OnUpdate != nil {
			f.opts.OnUpdate(u, doc)
		}
		if md.Sequence.Stream >= target {
			f.readyOnce.Do(func() { close(f.ready) })
		}
	}
}
