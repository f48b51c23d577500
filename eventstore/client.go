package eventstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/patchbay/patchbay/hashchain"
)

// Client speaks the NATS contract from any process (CLI, gateway, bench,
// bots). It is safe for concurrent use. Call NewClient to get one.
type Client struct {
	nc *nats.Conn
	// Timeout applies to requests whose context has no deadline (default 10 s).
	Timeout time.Duration
}

// NewClient returns a Client using nc; the caller keeps owning nc.
func NewClient(nc *nats.Conn) *Client { return &Client{nc: nc, Timeout: 10 * time.Second} }

// request sends data on subj and decodes the reply into out; a refusal
// becomes a *RefusedError.
func (c *Client) request(ctx context.Context, subj string, data []byte, out any) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok && c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	msg, err := c.nc.RequestWithContext(ctx, subj, data)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", subj, err)
	}
	var er errorReply
	if err := json.Unmarshal(msg.Data, &er); err != nil {
		return nil, fmt.Errorf("request %s: decode reply: %w", subj, err)
	}
	if er.Error != nil {
		return nil, er.Error
	}
	if err := json.Unmarshal(msg.Data, out); err != nil {
		return nil, fmt.Errorf("request %s: decode reply: %w", subj, err)
	}
	return msg.Data, nil
}

// Create stores a root configuration (idempotent) and returns its root hash.
func (c *Client) Create(ctx context.Context, root []byte) (CreateReply, error) {
	var r CreateReply
	_, err := c.request(ctx, SubjectCreate, root, &r)
	return r, err
}

// Submit submits a patch array or an envelope against parent. A refusal is
// a *RefusedError (errors.Is works with the hashchain sentinels).
func (c *Client) Submit(ctx context.Context, parent hashchain.Hash, submission []byte) (PatchReply, error) {
	var r PatchReply
	_, err := c.request(ctx, SubjectPatchPrefix+parent.String(), submission, &r)
	return r, err
}

// Get returns the configuration at h (a root hash gives the root
// configuration at seq 0; GetReply.Head names the current head).
func (c *Client) Get(ctx context.Context, h hashchain.Hash) (GetReply, error) {
	var r GetReply
	_, err := c.request(ctx, SubjectGetPrefix+h.String(), nil, &r)
	return r, err
}

// Head returns the current head configuration of the config rooted at root.
func (c *Client) Head(ctx context.Context, root hashchain.Hash) (GetReply, error) {
	r, err := c.Get(ctx, root)
	if err != nil || r.Head == r.Hash {
		return r, err
	}
	return c.Get(ctx, r.Head)
}

// CatchUp requests the catch-up update (patch root -> head) on
// update_requests; the store also publishes it on updates.<root>.
func (c *Client) CatchUp(ctx context.Context, root hashchain.Hash) (Update, error) {
	var u Update
	_, err := c.request(ctx, SubjectUpdateRequests, []byte(root.String()), &u)
	return u, err
}
