package registry

import (
	"context"
	"slices"
	"sync"
)

// Registry holds named groups of members of type M. The zero value is not
// usable: call New. It is safe for concurrent use.
type Registry[M comparable] struct {
	name string

	// mu guards the fields below; held only briefly, never while calling
	// out. Lock order: mu, then a watcher's mu.
	mu       sync.Mutex
	groups   map[string]*group[M]
	watchers map[*watcher[M]]struct{}
}

type group[M comparable] struct {
	order   []M // members in join order
	holders map[M][]*hold
}

// hold is one registration of a member in a group.
type hold struct {
	ctx  context.Context
	stop func() bool // stops the context.AfterFunc
}

// ChangeKind is Join or Leave.
type ChangeKind int

const (
	// Join: a member became listed in a group.
	Join ChangeKind = iota + 1
	// Leave: a member stopped being listed.
	Leave
)

// String returns a readable name of k.
func (k ChangeKind) String() string {
	if k == Join {
		return "join"
	}
	return "leave"
}

// Change is a join or leave reported to watchers.
type Change[M comparable] struct {
	Kind   ChangeKind
	Group  string
	Member M
}

// New returns an empty registry called name.
func New[M comparable](name string) *Registry[M] {
	return &Registry[M]{name: name, groups: make(map[string]*group[M]), watchers: make(map[*watcher[M]]struct{})}
}

// Name returns the registry's name.
func (r *Registry[M]) Name() string { return r.name }

// Register adds member to group until ctx ends or the returned unregister
// is called (idempotent). Registering a member already in the group keeps
// one listing; it stays listed while any of its registrations lasts.
func (r *Registry[M]) Register(ctx context.Context, groupName string, member M) (unregister func()) {
	if ctx.Err() != nil {
		return func() {}
	}
	h := &hold{ctx: ctx}
	r.mu.Lock()
	g := r.groups[groupName]
	if g == nil {
		g = &group[M]{holders: make(map[M][]*hold)}
		r.groups[groupName] = g
	}
	_, listed := g.holders[member]
	if !listed {
		g.order = append(g.order, member)
	}
	g.holders[member] = append(g.holders[member], h)
	if !listed {
		r.notifyLocked(Change[M]{Kind: Join, Group: groupName, Member: member})
	}
	release := func() { r.release(groupName, member, h) }
	h.stop = context.AfterFunc(ctx, release)
	r.mu.Unlock()
	return func() {
		h.stop()
		release()
	}
}

// release drops one registration.
func (r *Registry[M]) release(groupName string, member M, h *hold) {
	r.mu.Lock()
	g := r.groups[groupName]
	if g == nil {
		r.mu.Unlock()
		return
	}
	hs := g.holders[member]
	i := slices.Index(hs, h)
	if i < 0 {
		r.mu.Unlock()
		return
	}
	hs = slices.Delete(hs, i, i+1)
	if len(hs) > 0 {
		g.holders[member] = hs
		r.mu.Unlock()
		return
	}
	r.dropLocked(groupName, g, member)
	r.mu.Unlock()
}

func (r *Registry[M]) dropLocked(groupName string, g *group[M], member M) {
	delete(g.holders, member)
	g.order = slices.DeleteFunc(g.order, func(m M) bool { return m == member })
	if len(g.order) == 0 {
		delete(r.groups, groupName)
	}
	r.notifyLocked(Change[M]{Kind: Leave, Group: groupName, Member: member})
}

// Unregister removes member from group whatever its registrations.
func (r *Registry[M]) Unregister(groupName string, member M) {
	r.mu.Lock()
	g := r.groups[groupName]
	if g == nil {
		r.mu.Unlock()
		return
	}
	hs, ok := g.holders[member]
	if !ok {
		r.mu.Unlock()
		return
	}
	for _, h := range hs {
		if h.stop != nil {
			h.stop()
		}
	}
	r.dropLocked(groupName, g, member)
	r.mu.Unlock()
}

// Members returns group's members in join order. An unknown group has no
// members. Members whose every registration context has ended are not
// listed, even if their removal is still in flight.
func (r *Registry[M]) Members(groupName string) []M {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.groups[groupName]
	if g == nil {
		return nil
	}
	out := make([]M, 0, len(g.order))
	for _, m := range g.order {
		for _, h := range g.holders[m] {
			if h.ctx.Err() == nil {
				out = append(out, m)
				break
			}
		}
	}
	return out
}

// Groups returns the names of the groups that have members, sorted.
func (r *Registry[M]) Groups() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.groups))
	for name := range r.groups {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Serve lets the registry run as a supervised child: it blocks until ctx
// ends, then removes every member (reporting leaves) and returns nil.
func (r *Registry[M]) Serve(ctx context.Context) error {
	<-ctx.Done()
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, g := range r.groups {
		for _, m := range slices.Clone(g.order) {
			for _, h := range g.holders[m] {
				h.stop()
			}
			r.dropLocked(name, g, m)
		}
	}
	return nil
}

// Watch calls fn, in order and from one goroutine, for each join and leave
// in group ("" for every group) from now on, until ctx ends or stop is
// called. stop waits until fn is no longer running; do not call it from fn.
// A member registered again before its previous membership's removal was
// processed stays listed throughout, so no leave and join are reported.
// Changes are queued without bound, so a slow fn delays only itself.
func (r *Registry[M]) Watch(ctx context.Context, groupName string, fn func(Change[M])) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	w := &watcher[M]{group: groupName, wake: make(chan struct{}, 1), done: make(chan struct{})}
	r.mu.Lock()
	r.watchers[w] = struct{}{}
	r.mu.Unlock()
	go func() {
		defer close(w.done)
		defer func() {
			r.mu.Lock()
			delete(r.watchers, w)
			r.mu.Unlock()
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case <-w.wake:
			}
			for _, c := range w.take() {
				if ctx.Err() != nil {
					return
				}
				fn(c)
			}
		}
	}()
	return func() {
		cancel()
		<-w.done
	}
}

// notifyLocked queues c for the interested watchers; queueing under mu
// keeps every watcher's changes in the order they happened.
func (r *Registry[M]) notifyLocked(c Change[M]) {
	for w := range r.watchers {
		if w.group == "" || w.group == c.Group {
			w.push(c)
		}
	}
}

type watcher[M comparable] struct {
	group string
	wake  chan struct{}
	done  chan struct{}

	mu    sync.Mutex // guards queue
	queue []Change[M]
}

func (w *watcher[M]) push(c Change[M]) {
	w.mu.Lock()
	w.queue = append(w.queue, c)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *watcher[M]) take() []Change[M] {
	w.mu.Lock()
	defer w.mu.Unlock()
	q := w.queue
	w.queue = nil
	return q
}
