package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/patchbay/patchbay/hashchain"
)

// Options configures Open. The zero value is the default.
type Options struct {
	// Limits bound documents and patches (zero fields: hashchain defaults).
	Limits hashchain.Limits
	// Retention is how many updates per config the log keeps: 0 keeps all;
	// N keeps the last N (the root entry and the head snapshot are always
	// kept, so the head stays loadable; older hashes stop being readable).
	Retention int
	// Workers is the number of request workers (default 16 x GOMAXPROCS,
	// at least 64); each handles one request at a time, so this bounds the
	// commits in flight across configs.
	Workers int
	// Logger receives the store's logs; nil discards them.
	Logger *slog.Logger
	// DisableAnnouncer stops this Store from running the announcer (the
	// durable consumer publishing log entries on updates.<parent>). Run it
	// in exactly one Store per stream to keep announcements in order.
	DisableAnnouncer bool
}

// Store serves the NATS contract (pb.create, pb.patch.<parent>,
// pb.get.<hash>, update_requests) over JetStream and announces accepted
// updates. Several Stores (in one or several processes) may share one stream:
// JetStream's per-subject expected-sequence check decides the first writer.
// It is safe for concurrent use. Call Open to get one and Close to stop it.
type Store struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	log    jetstream.Stream
	heads  jetstream.Stream
	hashes jetstream.KeyValue
	opts   Options
	lim    hashchain.Limits
	logger *slog.Logger
	snapN  int

	// mu guards configs and byHead. Lock order: config.mu before s.mu.
	mu      sync.Mutex
	configs map[hashchain.Hash]*config // by root
	byHead  map[hashchain.Hash]*config // by current head hash

	subs   []*nats.Subscription
	work   []chan *nats.Msg
	wg     sync.WaitGroup
	cancel context.CancelFunc
	ctx    context.Context
	closed sync.Once
}

// config is the cached state of one config. mu guards every field below it.
type config struct {
	mu         sync.Mutex
	loaded     bool
	root       hashchain.Hash
	rootConfig []byte
	head       hashchain.Hash
	seq        uint64
	doc        []byte
	logSeq     uint64 // stream sequence of the last pb.log.<root> entry (0: none)
	sinceSnap  int
}

// Open creates or updates the streams and the hash index on nc's JetStream
// and starts serving the NATS contract on nc.
func Open(ctx context.Context, nc *nats.Conn, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Workers <= 0 {
		opts.Workers = max(64, 16*runtime.GOMAXPROCS(0))
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &Store{nc: nc, js: js, opts: opts, lim: opts.Limits.WithDefaults(), logger: opts.Logger,
		configs: map[hashchain.Hash]*config{}, byHead: map[hashchain.Hash]*config{}, snapN: 32}
	if opts.Retention > 0 && opts.Retention < 2*s.snapN {
		s.snapN = max(1, opts.Retention/2)
	}
	lcfg := jetstream.StreamConfig{
		Name:        StreamName,
		Description: "Patchbay config logs: pb.root.<root> (root configuration) and pb.log.<root> (updates)",
		Subjects:    []string{SubjectLogPrefix + "*", SubjectRootPrefix + "*"},
		Storage:     jetstream.FileStorage,
		Duplicates:  30 * time.Second,
		AllowDirect: true,
		MaxMsgsPerSubject: func() int64 {
			if opts.Retention > 0 {
				return int64(opts.Retention)
			}
			return -1
		}(),
	}
	if s.log, err = js.CreateOrUpdateStream(ctx, lcfg); err != nil {
		return nil, fmt.Errorf("open store: stream %s: %w", StreamName, err)
	}
	if s.heads, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              HeadsStreamName,
		Description:       "Patchbay head snapshots: pb.head.<root>",
		Subjects:          []string{SubjectHeadPrefix + "*"},
		Storage:           jetstream.FileStorage,
		MaxMsgsPerSubject: 1,
		AllowDirect:       true,
	}); err != nil {
		return nil, fmt.Errorf("open store: stream %s: %w", HeadsStreamName, err)
	}
	if s.hashes, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: HashesBucket, Description: "Patchbay hash index: hash -> root, parent, seq",
		Storage: jetstream.FileStorage,
	}); err != nil {
		return nil, fmt.Errorf("open store: bucket %s: %w", HashesBucket, err)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if !opts.DisableAnnouncer {
		cons, err := s.log.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
			Durable:       AnnouncerConsumer,
			FilterSubject: SubjectLogPrefix + "*",
			AckPolicy:     jetstream.AckExplicitPolicy,
			DeliverPolicy: jetstream.DeliverAllPolicy,
			// Unacked entries (the process died between publishing and
			// acking) are redelivered after AckWait; MaxAckPending keeps the
			// in-flight window small enough to be announced well within it.
			AckWait:       5 * time.Second,
			MaxAckPending: 1024,
		})
		if err != nil {
			return nil, fmt.Errorf("open store: announcer consumer: %w", err)
		}
		it, err := cons.Messages(jetstream.PullMaxMessages(512))
		if err != nil {
			return nil, fmt.Errorf("open store: announcer: %w", err)
		}
		s.wg.Add(1)
		go s.announce(it)
	}
	s.work = make([]chan *nats.Msg, opts.Workers)
	for i := range s.work {
		s.work[i] = make(chan *nats.Msg, 256)
		s.wg.Add(1)
		go s.worker(s.work[i])
	}
	for _, subj := range []string{SubjectCreate, SubjectPatchPrefix + "*", SubjectGetPrefix + "*", SubjectUpdateRequests} {
		sub, err := nc.QueueSubscribe(subj, "patchbay-store", s.dispatch)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("open store: subscribe %s: %w", subj, err)
		}
		sub.SetPendingLimits(-1, -1)
		s.subs = append(s.subs, sub)
	}
	if err := nc.Flush(); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}

// Close stops serving, waits for the workers and the announcer, and waits
// for pending asynchronous index writes. It does not close the connection.
func (s *Store) Close() error {
	s.closed.Do(func() {
		for _, sub := range s.subs {
			_ = sub.Drain()
		}
		for _, sub := range s.subs {
			for sub.IsValid() {
				time.Sleep(time.Millisecond)
			}
		}
		s.cancel()
		for _, w := range s.work {
			close(w)
		}
		s.wg.Wait()
		select {
		case <-s.js.PublishAsyncComplete():
		case <-time.After(5 * time.Second):
		}
	})
	return nil
}

// dispatch hands a request to a worker chosen by subject, so requests on one
// subject (one parent) are handled in arrival order.
func (s *Store) dispatch(m *nats.Msg) {
	defer func() { recover() }() // a send on a closed worker channel during Close
	s.work[xxhash.Sum64String(m.Subject)%uint64(len(s.work))] <- m
}

func (s *Store) worker(ch chan *nats.Msg) {
	defer s.wg.Done()
	for m := range ch {
		s.handle(m)
	}
}

func (s *Store) handle(m *nats.Msg) {
	ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
	defer cancel()
	var reply any
	var err error
	switch {
	case m.Subject == SubjectCreate:
		reply, err = s.Create(ctx, m.Data)
	case m.Subject == SubjectUpdateRequests:
		var h hashchain.Hash
		if h, err = hashchain.ParseHash(string(trimSpace(m.Data))); err != nil {
			err = &RefusedError{Code: CodeUnknownParent, Message: err.Error()}
			break
		}
		var data []byte
		if _, data, err = s.catchUp(ctx, h); err == nil {
			if m.Reply != "" {
				_ = m.Respond(data)
			}
			return
		}
	case len(m.Subject) > len(SubjectPatchPrefix) && m.Subject[:len(SubjectPatchPrefix)] == SubjectPatchPrefix:
		var h hashchain.Hash
		if h, err = hashchain.ParseHash(m.Subject[len(SubjectPatchPrefix):]); err != nil {
			err = &RefusedError{Code: CodeUnknownParent, Message: err.Error()}
			break
		}
		reply, err = s.Submit(ctx, h, m.Data)
	case len(m.Subject) > len(SubjectGetPrefix) && m.Subject[:len(SubjectGetPrefix)] == SubjectGetPrefix:
		var h hashchain.Hash
		if h, err = hashchain.ParseHash(m.Subject[len(SubjectGetPrefix):]); err != nil {
			err = &RefusedError{Code: CodeNotFound, Message: err.Error()}
			break
		}
		reply, err = s.Get(ctx, h)
	}
	if m.Reply == "" {
		return
	}
	var data []byte
	if err != nil {
		data, _ = json.Marshal(errorReply{Error: refusal(err)})
	} else {
		data, _ = json.Marshal(reply)
	}
	_ = m.Respond(data)
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t' || b[0] == '"') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == '\t' || b[len(b)-1] == '"') {
		b = b[:len(b)-1]
	}
	return b
}

// isWrongLastSeq reports a JetStream expected-sequence (CAS) failure.
func isWrongLastSeq(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant
	}
	return false
}

// Create stores a root configuration (idempotent): entry 0 of the config on
// pb.root.<root>, written only if that subject is empty.
func (s *Store) Create(ctx context.Context, rootConfig []byte) (CreateReply, error) {
	root, canon, err := hashchain.RootHash(rootConfig)
	if err != nil {
		return CreateReply{}, err
	}
	m := nats.NewMsg(SubjectRootPrefix + root.String())
	m.Data = canon
	m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, "0")
	m.Header.Set(HeaderHash, root.String())
	m.Header.Set(HeaderSeq, "0")
	if _, err := s.js.PublishMsg(ctx, m); err != nil {
		if isWrongLastSeq(err) {
			return CreateReply{Root: root}, nil
		}
		return CreateReply{}, fmt.Errorf("create %s: %w", root, err)
	}
	s.logger.Debug("config created", "root", root)
	return CreateReply{Root: root, Created: true}, nil
}

// rootConfig reads the root entry of root; found=false when it does not exist.
func (s *Store) readRoot(ctx context.Context, root hashchain.Hash) ([]byte, bool, error) {
	msg, err := s.log.GetLastMsgForSubject(ctx, SubjectRootPrefix+root.String())
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read root %s: %w", root, err)
	}
	return msg.Data, true, nil
}

// lookupIndex reads hash's index entry; found=false when absent.
func (s *Store) lookupIndex(ctx context.Context, h hashchain.Hash) (indexEntry, bool, error) {
	e, err := s.hashes.Get(ctx, h.String())
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return indexEntry{}, false, nil
	}
	if err != nil {
		return indexEntry{}, false, fmt.Errorf("hash index %s: %w", h, err)
	}
	var ie indexEntry
	if err := json.Unmarshal(e.Value(), &ie); err != nil {
		return indexEntry{}, false, fmt.Errorf("hash index %s: %w", h, err)
	}
	return ie, true, nil
}

// findRoot returns the root of the config h belongs to (h itself for a root).
func (s *Store) findRoot(ctx context.Context, h hashchain.Hash) (root hashchain.Hash, ie indexEntry, found bool, err error) {
	s.mu.Lock()
	if c := s.configs[h]; c != nil {
		s.mu.Unlock()
		return h, indexEntry{}, true, nil
	}
	if c := s.byHead[h]; c != nil {
		s.mu.Unlock()
		return c.root, indexEntry{}, true, nil
	}
	s.mu.Unlock()
	for attempt := 0; attempt < 2; attempt++ {
		if _, ok, err := s.readRoot(ctx, h); err != nil || ok {
			return h, indexEntry{}, ok, err
		}
		ie, ok, err := s.lookupIndex(ctx, h)
		if err != nil || ok {
			return ie.Root, ie, ok, err
		}
		// Our own index writes are asynchronous: wait for them once.
		select {
		case <-s.js.PublishAsyncComplete():
		case <-time.After(2 * time.Second):
		case <-ctx.Done():
			return 0, indexEntry{}, false, ctx.Err()
		}
	}
	return 0, indexEntry{}, false, nil
}

// getConfig returns the config of root with its lock held and its head
// loaded; found=false (and no lock held) when root does not exist.
func (s *Store) getConfig(ctx context.Context, root hashchain.Hash) (*config, bool, error) {
	s.mu.Lock()
	c := s.configs[root]
	if c == nil {
		c = &config{root: root}
		s.configs[root] = c
	}
	s.mu.Unlock()
	c.mu.Lock()
	if c.loaded {
		return c, true, nil
	}
	ok, err := s.loadLocked(ctx, c)
	if err != nil || !ok {
		c.mu.Unlock()
		if !ok {
			s.mu.Lock()
			if s.configs[root] == c {
				delete(s.configs, root)
			}
			s.mu.Unlock()
		}
		return nil, false, err
	}
	return c, true, nil
}

// loadLocked loads c's head: the latest snapshot, then the log entries after it.
func (s *Store) loadLocked(ctx context.Context, c *config) (bool, error) {
	rc, ok, err := s.readRoot(ctx, c.root)
	if err != nil || !ok {
		return false, err
	}
	c.rootConfig, c.head, c.seq, c.doc, c.logSeq = rc, c.root, 0, rc, 0
	msg, err := s.heads.GetLastMsgForSubject(ctx, SubjectHeadPrefix+c.root.String())
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
	case err != nil:
		return false, fmt.Errorf("load %s: snapshot: %w", c.root, err)
	default:
		var sn snapshot
		if err := json.Unmarshal(msg.Data, &sn); err != nil {
			return false, fmt.Errorf("load %s: snapshot: %w", c.root, err)
		}
		c.head, c.seq, c.doc, c.logSeq = sn.Hash, sn.Seq, sn.Config, sn.LogSeq
	}
	c.loaded = true
	n, err := s.catchUpLocked(ctx, c, true)
	if err != nil {
		c.loaded = false
		return false, err
	}
	if n >= s.snapN {
		s.snapshotLocked(c)
	}
	s.setHead(c, 0)
	return true, nil
}

// catchUpLocked applies the log entries after c.logSeq (written by another
// store, or since the snapshot). It returns how many it applied.
func (s *Store) catchUpLocked(ctx context.Context, c *config, reindex bool) (int, error) {
	subj := SubjectLogPrefix + c.root.String()
	n := 0
	old := c.head
	for {
		msg, err := s.log.GetMsg(ctx, c.logSeq+1, jetstream.WithGetMsgSubject(subj))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("replay %s: %w", c.root, err)
		}
		var u Update
		if err := json.Unmarshal(msg.Data, &u); err != nil {
			return n, fmt.Errorf("replay %s at %d: %w", c.root, msg.Sequence, err)
		}
		if u.Parent != c.head || u.Seq != c.seq+1 {
			return n, fmt.Errorf("replay %s at stream seq %d: entry %s (seq %d, parent %s) does not follow head %s (seq %d)",
				c.root, msg.Sequence, u.Hash, u.Seq, u.Parent, c.head, c.seq)
		}
		doc, err := hashchain.Apply(c.doc, u.Patch, s.lim)
		if err != nil {
			return n, fmt.Errorf("replay %s at %d: %w", c.root, msg.Sequence, err)
		}
		c.head, c.seq, c.doc, c.logSeq = u.Hash, u.Seq, doc, msg.Sequence
		c.sinceSnap++
		n++
		if reindex {
			s.putIndex(u.Hash, indexEntry{Root: c.root, Parent: u.Parent, Seq: u.Seq, LogSeq: msg.Sequence})
		}
	}
	if n > 0 {
		s.setHead(c, old)
	}
	return n, nil
}

// setHead points byHead at c's current head, dropping old.
func (s *Store) setHead(c *config, old hashchain.Hash) {
	s.mu.Lock()
	if old != 0 && s.byHead[old] == c {
		delete(s.byHead, old)
	}
	s.byHead[c.head] = c
	s.mu.Unlock()
}

func (s *Store) putIndex(h hashchain.Hash, ie indexEntry) {
	data, _ := json.Marshal(ie)
	if _, err := s.js.PublishAsync("$KV."+HashesBucket+"."+h.String(), data); err != nil {
		s.logger.Warn("hash index write failed", "hash", h, "err", err)
	}
}

func (s *Store) snapshotLocked(c *config) {
	data, _ := json.Marshal(snapshot{Root: c.root, Hash: c.head, Seq: c.seq, LogSeq: c.logSeq, Config: c.doc})
	if _, err := s.js.PublishAsync(SubjectHeadPrefix+c.root.String(), data); err != nil {
		s.logger.Warn("snapshot write failed", "root", c.root, "err", err)
		return
	}
	c.sinceSnap = 0
}

// Submit applies submission (a patch array or an envelope) against parent.
// A refusal is a *RefusedError (or an error wrapping a hashchain sentinel);
// nothing is stored on refusal.
func (s *Store) Submit(ctx context.Context, parent hashchain.Hash, submission []byte) (PatchReply, error) {
	if len(submission) > s.lim.MaxPatchBytes+4096 {
		return PatchReply{}, &RefusedError{Code: CodeTooLarge, Message: fmt.Sprintf("submission is %d bytes, limit %d", len(submission), s.lim.MaxPatchBytes)}
	}
	env, err := hashchain.DecodeSubmission(submission, parent)
	if err != nil {
		return PatchReply{}, err
	}
	if len(env.Patch) > s.lim.MaxPatchBytes {
		return PatchReply{}, &RefusedError{Code: CodeTooLarge, Message: fmt.Sprintf("patch is %d bytes, limit %d", len(env.Patch), s.lim.MaxPatchBytes)}
	}
	h, err := env.Hash()
	if err != nil {
		return PatchReply{}, err
	}
	root, _, found, err := s.findRoot(ctx, parent)
	if err != nil {
		return PatchReply{}, err
	}
	if !found {
		return PatchReply{}, &RefusedError{Code: CodeUnknownParent, Message: fmt.Sprintf("parent %s is not a hash this store knows", parent)}
	}
	c, found, err := s.getConfig(ctx, root)
	if err != nil {
		return PatchReply{}, err
	}
	if !found {
		return PatchReply{}, &RefusedError{Code: CodeUnknownParent, Message: fmt.Sprintf("parent %s: config %s not found", parent, root)}
	}
	defer c.mu.Unlock()
	if c.head != parent {
		// Another store may have moved the head: catch up before deciding.
		if _, err := s.catchUpLocked(ctx, c, false); err != nil {
			return PatchReply{}, err
		}
		if c.head != parent {
			return PatchReply{}, s.staleError(parent, c)
		}
	}
	doc, err := hashchain.Apply(c.doc, env.Patch, s.lim)
	if err != nil {
		return PatchReply{}, err
	}
	if ie, ok, err := s.lookupIndex(ctx, h); err != nil {
		return PatchReply{}, err
	} else if ok {
		return PatchReply{}, s.existingError(h, ie, root, parent, c)
	}
	u := Update{Root: root, Parent: parent, Hash: h, Seq: c.seq + 1, Patch: env.Patch, Meta: env.Meta, Time: time.Now().UTC()}
	data, err := json.Marshal(u)
	if err != nil {
		return PatchReply{}, fmt.Errorf("submit: encode update: %w", err)
	}
	m := nats.NewMsg(SubjectLogPrefix + root.String())
	m.Data = data
	m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(c.logSeq, 10))
	m.Header.Set(jetstream.MsgIDHeader, h.String())
	m.Header.Set(HeaderHash, h.String())
	m.Header.Set(HeaderParent, parent.String())
	m.Header.Set(HeaderSeq, strconv.FormatUint(u.Seq, 10))
	// The hash index entry goes out first and is awaited before the reply,
	// so every store can place h once a client has learnt it. If the commit
	// then fails, the entry names this same (root, parent): any later
	// submission of this envelope is stale anyway.
	idx, _ := json.Marshal(indexEntry{Root: root, Parent: parent, Seq: u.Seq})
	idxAck, idxErr := s.js.PublishAsync("$KV."+HashesBucket+"."+h.String(), idx)
	ack, err := s.js.PublishMsg(ctx, m)
	if idxErr == nil {
		select {
		case <-idxAck.Ok():
		case idxErr = <-idxAck.Err():
		case <-ctx.Done():
			idxErr = ctx.Err()
		}
	}
	if idxErr != nil {
		s.logger.Warn("hash index write failed", "hash", h, "err", idxErr)
	}
	if err != nil {
		if isWrongLastSeq(err) {
			if _, err := s.catchUpLocked(ctx, c, false); err != nil {
				return PatchReply{}, err
			}
			return PatchReply{}, s.staleError(parent, c)
		}
		return PatchReply{}, fmt.Errorf("submit %s: commit: %w", h, err)
	}
	if ack.Duplicate {
		ie, _, _ := s.lookupIndex(ctx, h)
		return PatchReply{}, s.existingError(h, ie, root, parent, c)
	}
	old := c.head
	c.head, c.seq, c.doc, c.logSeq = h, u.Seq, doc, ack.Sequence
	c.sinceSnap++
	s.setHead(c, old)
	if c.sinceSnap >= s.snapN {
		s.snapshotLocked(c)
	}
	return PatchReply{Root: root, Parent: parent, Hash: h, Seq: u.Seq}, nil
}

func (s *Store) staleError(parent hashchain.Hash, c *config) error {
	return &RefusedError{Code: CodeStale, Message: fmt.Sprintf("parent %s already has a successor; the head of config %s is %s (seq %d)", parent, c.root, c.head, c.seq)}
}

// existingError refuses an update whose hash is already indexed: the same
// update again is stale, a different one is a collision.
func (s *Store) existingError(h hashchain.Hash, ie indexEntry, root, parent hashchain.Hash, c *config) error {
	if ie.Root == root && ie.Parent == parent {
		return s.staleError(parent, c)
	}
	return &RefusedError{Code: CodeCollision, Message: fmt.Sprintf("hash %s already names a different update (config %s, parent %s); refusing to corrupt the chain", h, ie.Root, ie.Parent)}
}

// Head returns the current head of the config rooted at root.
func (s *Store) Head(ctx context.Context, root hashchain.Hash) (GetReply, error) {
	c, found, err := s.getConfig(ctx, root)
	if err != nil {
		return GetReply{}, err
	}
	if !found {
		return GetReply{}, &RefusedError{Code: CodeNotFound, Message: fmt.Sprintf("config %s not found", root)}
	}
	defer c.mu.Unlock()
	if _, err := s.catchUpLocked(ctx, c, false); err != nil {
		return GetReply{}, err
	}
	return GetReply{Root: root, Hash: c.head, Seq: c.seq, Config: c.doc, Head: c.head}, nil
}

// Get returns the configuration at h: a root (seq 0), the head, or any
// retained hash (rebuilt by replaying the config's log up to h).
func (s *Store) Get(ctx context.Context, h hashchain.Hash) (GetReply, error) {
	root, ie, found, err := s.findRoot(ctx, h)
	if err != nil {
		return GetReply{}, err
	}
	if !found {
		return GetReply{}, &RefusedError{Code: CodeNotFound, Message: fmt.Sprintf("hash %s not found", h)}
	}
	c, found, err := s.getConfig(ctx, root)
	if err != nil {
		return GetReply{}, err
	}
	if !found {
		return GetReply{}, &RefusedError{Code: CodeNotFound, Message: fmt.Sprintf("config %s not found", root)}
	}
	if _, err := s.catchUpLocked(ctx, c, false); err != nil {
		c.mu.Unlock()
		return GetReply{}, err
	}
	head, headSeq, rootConfig, doc := c.head, c.seq, c.rootConfig, c.doc
	c.mu.Unlock()
	switch h {
	case root:
		return GetReply{Root: root, Hash: root, Seq: 0, Config: rootConfig, Head: head}, nil
	case head:
		return GetReply{Root: root, Hash: head, Seq: headSeq, Config: doc, Head: head}, nil
	}
	if ie.Root != root {
		if ie, found, err = s.lookupIndex(ctx, h); err != nil || !found {
			return GetReply{}, &RefusedError{Code: CodeNotFound, Message: fmt.Sprintf("hash %s not found", h)}
		}
	}
	// Rebuild by replaying the config's log up to h, from the head snapshot
	// when it is older than h (the only way once retention trimmed the log),
	// else from the root.
	cfg := rootConfig
	var seq, after uint64
	if msg, err := s.heads.GetLastMsgForSubject(ctx, SubjectHeadPrefix+root.String()); err == nil {
		var sn snapshot
		if json.Unmarshal(msg.Data, &sn) == nil && sn.Seq < ie.Seq {
			cfg, seq, after = sn.Config, sn.Seq, sn.LogSeq
		}
	}
	err = Replay(ctx, s.js, root, after, func(u Update, _ uint64) error {
		if u.Seq != seq+1 {
			return fmt.Errorf("hash %s is no longer retained (log starts at seq %d): %w", h, u.Seq, errNotRetained)
		}
		var err error
		if cfg, err = hashchain.Apply(cfg, u.Patch, s.lim); err != nil {
			return err
		}
		seq = u.Seq
		if u.Hash == h {
			return errStopReplay
		}
		return nil
	})
	if errors.Is(err, errStopReplay) {
		return GetReply{Root: root, Hash: h, Seq: seq, Config: cfg, Head: head}, nil
	}
	if err == nil || errors.Is(err, errNotRetained) {
		return GetReply{}, &RefusedError{Code: CodeNotFound, Message: fmt.Sprintf("hash %s is not retained", h)}
	}
	return GetReply{}, err
}

var (
	errStopReplay  = errors.New("stop replay")
	errNotRetained = errors.New("not retained")
)

// catchUp builds the catch-up Update for root (patch root -> head), publishes
// it on updates.<root> and returns it with its bytes.
func (s *Store) catchUp(ctx context.Context, root hashchain.Hash) (Update, []byte, error) {
	c, found, err := s.getConfig(ctx, root)
	if err != nil {
		return Update{}, nil, err
	}
	if !found {
		return Update{}, nil, &RefusedError{Code: CodeUnknownParent, Message: fmt.Sprintf("%s is not a root this store knows", root)}
	}
	if _, err := s.catchUpLocked(ctx, c, false); err != nil {
		c.mu.Unlock()
		return Update{}, nil, err
	}
	head, seq, rc, doc := c.head, c.seq, c.rootConfig, c.doc
	c.mu.Unlock()
	patch, err := hashchain.Diff(rc, doc)
	if err != nil {
		return Update{}, nil, fmt.Errorf("catch-up %s: %w", root, err)
	}
	u := Update{Root: root, Parent: root, Hash: head, Seq: seq, Patch: patch, Time: time.Now().UTC(), Catchup: true}
	data, err := json.Marshal(u)
	if err != nil {
		return Update{}, nil, err
	}
	if err := s.nc.Publish(SubjectUpdatesPrefix+root.String(), data); err != nil {
		return Update{}, nil, fmt.Errorf("catch-up %s: publish: %w", root, err)
	}
	return u, data, nil
}

// announce publishes each log entry on updates.<parent>, then acks it, so an
// entry committed before a crash is announced after the restart.
func (s *Store) announce(it jetstream.MessagesContext) {
	defer s.wg.Done()
	go func() { <-s.ctx.Done(); it.Stop() }()
	for {
		m, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || s.ctx.Err() != nil {
				return
			}
			s.logger.Warn("announcer", "err", err)
			continue
		}
		parent := m.Headers().Get(HeaderParent)
		if parent == "" {
			var u Update
			if json.Unmarshal(m.Data(), &u) == nil {
				parent = u.Parent.String()
			}
		}
		if err := s.nc.Publish(SubjectUpdatesPrefix+parent, m.Data()); err != nil {
			s.logger.Warn("announce failed", "parent", parent, "err", err)
			continue // not acked: redelivered
		}
		_ = m.Ack()
	}
}
