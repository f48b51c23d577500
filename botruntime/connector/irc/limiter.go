package irc

import (
	"context"
	"sync"
	"time"
)

// limiter is a token bucket: capacity n tokens, refilled continuously at n
// per period. mu guards tokens and last. now and after are the clock.
type limiter struct {
	n      float64
	period time.Duration
	now    func() time.Time
	after  func(time.Duration) <-chan time.Time

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newLimiter(n int, period time.Duration, now func() time.Time, after func(time.Duration) <-chan time.Time) *limiter {
	return &limiter{n: float64(n), period: period, now: now, after: after, tokens: float64(n), last: now()}
}

// wait takes one token, waiting for it until ctx ends.
func (l *limiter) wait(ctx context.Context) error {
	for {
		l.mu.Lock()
		t := l.now()
		l.tokens = min(l.n, l.tokens+t.Sub(l.last).Seconds()*l.n/l.period.Seconds())
		l.last = t
		if l.tokens >= 1 {
			l.tokens--
			l.mu.Unlock()
			return nil
		}
		need := time.Duration((1 - l.tokens) * float64(l.period) / l.n)
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-l.after(need + time.Millisecond):
		}
	}
}
