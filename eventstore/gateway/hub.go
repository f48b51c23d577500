package gateway

import (
	"slices"
	"sync"

	"github.com/patchbay/patchbay/eventstore/gateway/resp"
)

// hub holds the local pub/sub subscriptions.
type hub struct {
	mu       sync.RWMutex // guards channels, patterns and every client's subs/psubs
	channels map[string]map[*client]struct{}
	patterns map[string]map[*client]struct{}
}

func (h *hub) init() {
	h.channels = make(map[string]map[*client]struct{})
	h.patterns = make(map[string]map[*client]struct{})
}

// countLocked returns how many deliveries a message on channel would make.
func (h *hub) countLocked(channel string) int {
	n := len(h.channels[channel])
	for pat, set := range h.patterns {
		if Match(pat, channel) {
			n += len(set)
		}
	}
	return n
}

func (h *hub) count(channel string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.countLocked(channel)
}

// deliver sends payload to every local subscriber of channel (message frames
// first, then pmessage frames for each matching pattern) and returns the
// number of deliveries. It never blocks on a client.
func (h *hub) deliver(s *Server, channel string, payload []byte) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	var frames [2][]byte // RESP2, RESP3
	if set := h.channels[channel]; len(set) > 0 {
		for c := range set {
			p := c.protoIndex()
			if frames[p] == nil {
				w := resp.Writer{Proto: 2 + p}
				w.Push(3)
				w.BulkString("message")
				w.BulkString(channel)
				w.Bulk(payload)
				frames[p] = w.Buf
			}
			c.push(frames[p])
			n++
		}
	}
	for pat, set := range h.patterns {
		if !Match(pat, channel) {
			continue
		}
		var pframes [2][]byte
		for c := range set {
			p := c.protoIndex()
			if pframes[p] == nil {
				w := resp.Writer{Proto: 2 + p}
				w.Push(4)
				w.BulkString("pmessage")
				w.BulkString(pat)
				w.BulkString(channel)
				w.Bulk(payload)
				pframes[p] = w.Buf
			}
			c.push(pframes[p])
			n++
		}
	}
	s.messages.Add(uint64(n))
	return n
}

// subscribe adds c to channels (or patterns) and queues one confirmation per
// argument, in order, with c's running subscription count.
func (h *hub) subscribe(c *client, names [][]byte, pattern bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	kind, table, mine := "subscribe", h.channels, c.subs
	if pattern {
		kind, table, mine = "psubscribe", h.patterns, c.psubs
	}
	w := resp.Writer{Proto: c.proto()}
	for _, b := range names {
		name := string(b)
		if _, ok := mine[name]; !ok {
			mine[name] = struct{}{}
			set := table[name]
			if set == nil {
				set = make(map[*client]struct{})
				table[name] = set
			}
			set[c] = struct{}{}
		}
		w.Push(3)
		w.BulkString(kind)
		w.BulkString(name)
		w.Int(int64(len(c.subs) + len(c.psubs)))
	}
	c.enqueue(w.Buf)
}

// unsubscribe removes c from the named channels (or patterns), or from all of
// them when names is empty, and queues the confirmations. Once a
// confirmation is queued no message for that channel follows it.
func (h *hub) unsubscribe(c *client, names [][]byte, pattern bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	kind, table, mine := "unsubscribe", h.channels, c.subs
	if pattern {
		kind, table, mine = "punsubscribe", h.patterns, c.psubs
	}
	if len(names) == 0 {
		all := make([]string, 0, len(mine))
		for name := range mine {
			all = append(all, name)
		}
		slices.Sort(all)
		for _, name := range all {
			names = append(names, []byte(name))
		}
	}
	w := resp.Writer{Proto: c.proto()}
	if len(names) == 0 {
		w.Push(3)
		w.BulkString(kind)
		w.Null()
		w.Int(int64(len(c.subs) + len(c.psubs)))
	}
	for _, b := range names {
		name := string(b)
		if _, ok := mine[name]; ok {
			delete(mine, name)
			if set := table[name]; set != nil {
				delete(set, c)
				if len(set) == 0 {
					delete(table, name)
				}
			}
		}
		w.Push(3)
		w.BulkString(kind)
		w.BulkString(name)
		w.Int(int64(len(c.subs) + len(c.psubs)))
	}
	c.enqueue(w.Buf)
}

// removeAll drops every subscription of c without confirmations (RESET,
// disconnect).
func (h *hub) removeAll(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for name := range c.subs {
		if set := h.channels[name]; set != nil {
			delete(set, c)
			if len(set) == 0 {
				delete(h.channels, name)
			}
		}
	}
	for name := range c.psubs {
		if set := h.patterns[name]; set != nil {
			delete(set, c)
			if len(set) == 0 {
				delete(h.patterns, name)
			}
		}
	}
	clear(c.subs)
	clear(c.psubs)
}

// subCounts returns c's channel and pattern subscription counts.
func (h *hub) subCounts(c *client) (int, int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(c.subs), len(c.psubs)
}
