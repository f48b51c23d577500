package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/patchbay/patchbay/hashchain"
)

// Patchbay channel and key names (DESIGN §3).
const (
	UpdatesPrefix  = "updates:"        // updates:<hash>
	UpdateRequests = "update_requests" // PUBLISH update_requests <root>
	HeadPrefix     = "head:"           // GET head:<root>
	PatchPrefix    = "patch:"          // GET patch:<hash>
	ConfigPrefix   = "config:"         // GET config:<hash>
)

// storeReply is the union of the store's replies we read.
type storeReply struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Root   string          `json:"root"`
	Hash   string          `json:"hash"`
	Head   string          `json:"head"`
	Config json.RawMessage `json:"config"`
}

// errorPrefix maps a store error code to the error reply's code.
func errorPrefix(code string) string {
	switch code {
	case "stale":
		return "STALE"
	case "unknown_parent", "not_found":
		return "UNKNOWN"
	case "invalid_patch", "test_failed", "invalid_config":
		return "INVALID"
	case "too_large":
		return "TOOLARGE"
	case "collision":
		return "COLLISION"
	case "unauthorized":
		return "NOPERM"
	}
	return "ERR"
}

// request sends one request to the store and decodes the reply. A refusal
// comes back as (reply, nil) with reply.Error set; err is a transport error.
func (c *client) request(ctx context.Context, subject string, data []byte) (storeReply, error) {
	ctx, cancel := context.WithTimeout(ctx, c.s.opts.RequestTimeout)
	defer cancel()
	var r storeReply
	m, err := c.s.nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) {
			return r, fmt.Errorf("no event store is serving %s (is the store running?)", subject)
		}
		return r, fmt.Errorf("store request %s: %w", subject, err)
	}
	if err := json.Unmarshal(m.Data, &r); err != nil {
		return r, fmt.Errorf("store reply to %s is not JSON: %w", subject, err)
	}
	return r, nil
}

// refused writes the error reply for a store refusal.
func (c *client) refused(r storeReply) {
	c.reply.Error(errorPrefix(r.Error.Code) + " " + r.Error.Code + ": " + r.Error.Message)
}

func (c *client) cmdPublish(ctx context.Context, args [][]byte) {
	channel, msg := string(args[1]), args[2]
	switch {
	case strings.HasPrefix(channel, UpdatesPrefix):
		h, err := hashchain.ParseHash(channel[len(UpdatesPrefix):])
		if err != nil {
			c.reply.Error("INVALID invalid_patch: channel " + channel + " does not name a hash: " + err.Error())
			return
		}
		r, err := c.request(ctx, "pb.patch."+h.String(), msg)
		if err != nil {
			c.reply.Error("ERR " + err.Error())
			return
		}
		if r.Error != nil {
			c.refused(r)
			return
		}
		c.reply.Int(int64(c.s.hub.count(channel)))
	case channel == UpdateRequests:
		root, err := hashchain.ParseHash(strings.TrimSpace(string(msg)))
		if err != nil {
			c.reply.Error("INVALID invalid_patch: update_requests takes a root hash: " + err.Error())
			return
		}
		r, err := c.request(ctx, UpdateRequests, []byte(root.String()))
		if err != nil {
			c.reply.Error("ERR " + err.Error())
			return
		}
		if r.Error != nil {
			c.refused(r)
			return
		}
		c.reply.Int(int64(c.s.hub.count(UpdatesPrefix + root.String())))
	default:
		subject := ChannelSubjectPrefix + EscapeChannel(channel)
		if len(subject) > 2048 {
			c.reply.Error("ERR channel name too long to bridge between gateways (at most about 680 bytes)")
			return
		}
		if mp := c.s.nc.MaxPayload(); int64(len(msg))+256 > mp {
			c.reply.Error(fmt.Sprintf("ERR message too large to bridge between gateways (%d bytes, NATS max_payload %d)", len(msg), mp))
			return
		}
		n := c.s.hub.deliver(c.s, channel, msg)
		m := nats.NewMsg(subject)
		m.Header.Set(gatewayHeader, c.s.id)
		m.Data = msg
		if err := c.s.nc.PublishMsg(m); err != nil {
			c.s.log.Warn("bridging a message to other gateways failed", "channel", channel, "err", err)
		}
		c.reply.Int(int64(n))
	}
}

func (c *client) cmdGet(ctx context.Context, args [][]byte) {
	key := string(args[1])
	var prefix string
	for _, p := range []string{HeadPrefix, PatchPrefix, ConfigPrefix} {
		if strings.HasPrefix(key, p) {
			prefix = p
		}
	}
	if prefix == "" {
		c.reply.Null()
		return
	}
	h, err := hashchain.ParseHash(key[len(prefix):])
	if err != nil {
		c.reply.Null()
		return
	}
	r, ok := c.get(ctx, h)
	if !ok {
		return
	}
	if r.Error != nil || r.Hash == "" {
		c.reply.Null()
		return
	}
	switch prefix {
	case HeadPrefix:
		if r.Root != h.String() || r.Head == "" {
			c.reply.Null()
			return
		}
		c.reply.BulkString(r.Head)
	case ConfigPrefix:
		c.reply.Bulk(r.Config)
	case PatchPrefix:
		root := r
		if r.Root != r.Hash {
			rh, err := hashchain.ParseHash(r.Root)
			if err != nil {
				c.reply.Error("ERR store sent a bad root hash: " + err.Error())
				return
			}
			if root, ok = c.get(ctx, rh); !ok {
				return
			}
			if root.Error != nil {
				c.reply.Null()
				return
			}
		}
		patch, err := hashchain.Diff(root.Config, r.Config)
		if err != nil {
			c.reply.Error("ERR computing patch root -> " + h.String() + ": " + err.Error())
			return
		}
		c.reply.Bulk(patch)
	}
}

// get asks the store for the config at h; on a transport error it writes the
// error reply and returns ok=false.
func (c *client) get(ctx context.Context, h hashchain.Hash) (storeReply, bool) {
	r, err := c.request(ctx, "pb.get."+h.String(), nil)
	if err != nil {
		c.reply.Error("ERR " + err.Error())
		return r, false
	}
	return r, true
}
