package connector

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"time"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// Backoff computes reconnect delays: Min, doubled after each failure up to
// Max, with up to 20% random jitter, and back to Min after Reset. The zero
// value uses Min 100ms and Max 30s. It is not safe for concurrent use; each
// Serve loop owns one.
type Backoff struct {
	Min, Max time.Duration
	// After waits for d; nil means time.After. Tests inject a fake clock.
	After func(d time.Duration) <-chan time.Time

	n int // failures since the last Reset
}

// Next returns the delay before the next attempt and counts a failure.
func (b *Backoff) Next() time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = 100 * time.Millisecond
	}
	if hi <= 0 {
		hi = 30 * time.Second
	}
	d := lo
	for i := 0; i < b.n && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	b.n++
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

// Reset starts the doubling again from Min (call it after a good session).
func (b *Backoff) Reset() { b.n = 0 }

// Wait sleeps for Next() or until ctx ends, and returns ctx's error then.
func (b *Backoff) Wait(ctx context.Context) error {
	after := b.After
	if after == nil {
		after = time.After
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-after(b.Next()):
		return nil
	}
}
