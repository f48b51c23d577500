package connector

import (
	"context"
	"errors"
	"testing"
	"time"
)

type nop struct{}

func (nop) Serve(ctx context.Context) error                                    { <-ctx.Done(); return nil }
func (nop) Reply(ctx context.Context, to map[string]string, text string) error { return nil }

func TestRegistry(t *testing.T) {
	if !Lookup("test-nop") { // -count=2 runs this twice in one process
		Register("test-nop", func(p Params) (Connector, error) {
			if p.Logger == nil {
				return nil, errors.New("no default logger")
			}
			return nop{}, nil
		})
	}
	if !Lookup("test-nop") || Lookup("test-missing") {
		t.Fatal("Lookup")
	}
	sink := func(context.Context, map[string]string) error { return nil }
	if _, err := New("test-nop", Params{ID: "a", Sink: sink}); err != nil {
		t.Fatal(err)
	}
	if _, err := New("test-missing", Params{ID: "a", Sink: sink}); !errors.Is(err, ErrUnknownType) {
		t.Fatalf("unknown type: %v", err)
	}
	if _, err := New("test-nop", Params{Sink: sink}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("empty ID: %v", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("duplicate Register did not panic")
			}
		}()
		Register("test-nop", func(Params) (Connector, error) { return nop{}, nil })
	}()
	var v struct{ A int }
	if err := DecodeConf([]byte(`{"A":1,"B":2}`), &v); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("unknown field: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	var waits []time.Duration
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second, After: func(d time.Duration) <-chan time.Time {
		waits = append(waits, d)
		c := make(chan time.Time, 1)
		c <- time.Time{}
		return c
	}}
	for i := 0; i < 6; i++ {
		if err := b.Wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	base := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i, w := range waits {
		lo := base[i] * time.Millisecond
		if w < lo || w > lo+lo/5 {
			t.Errorf("wait %d = %v, want %v..%v", i, w, lo, lo+lo/5)
		}
	}
	b.Reset()
	if d := b.Next(); d > 120*time.Millisecond {
		t.Errorf("after Reset: %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.After = func(time.Duration) <-chan time.Time { return nil }
	if err := b.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait on cancelled ctx = %v", err)
	}
}
