package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a manually advanced clock for the soft output limit.
type fakeClock struct{ ns atomic.Int64 }

func (f *fakeClock) Now() time.Time          { return time.Unix(0, f.ns.Load()) }
func (f *fakeClock) Advance(d time.Duration) { f.ns.Add(int64(d)) }

// slowSubscriber subscribes on a raw connection with a tiny receive buffer
// and then never reads.
func slowSubscriber(t *testing.T, addr, channel string) *net.TCPConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tc := c.(*net.TCPConn)
	_ = tc.SetReadBuffer(4096)
	fmt.Fprintf(c, "SUBSCRIBE %s\r\n", channel)
	want := fmt.Sprintf("*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n", len(channel), channel)
	got := make([]byte, len(want))
	_ = c.SetReadDeadline(deadline())
	if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Fatalf("subscribe: %q %v", got, err)
	}
	return tc
}

// fastReader counts messages on a raw subscribed connection, checking each
// payload's sequence number.
func fastReader(t *testing.T, addr, channel string, size, total int, progress *atomic.Int64) <-chan error {
	t.Helper()
	c := dialRaw(t, addr)
	c.send("SUBSCRIBE " + channel + "\r\n")
	c.expect(fmt.Sprintf("*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:1\r\n", len(channel), channel))
	done := make(chan error, 1)
	go func() {
		head := fmt.Sprintf("*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n", len(channel), channel, size)
		frame := make([]byte, len(head)+size+2)
		for i := range total {
			_ = c.c.SetReadDeadline(time.Now().Add(60 * time.Second))
			if _, err := io.ReadFull(c.br, frame); err != nil {
				done <- fmt.Errorf("message %d: %w", i, err)
				return
			}
			if string(frame[:len(head)]) != head || !bytes.Equal(frame[len(head):len(head)+size], payload(i, size)) {
				done <- fmt.Errorf("message %d: got %.80q", i, frame)
				return
			}
			progress.Store(int64(i + 1))
		}
		done <- nil
	}()
	return done
}

func payload(i, size int) []byte {
	b := bytes.Repeat([]byte{'.'}, size)
	copy(b, fmt.Sprintf("%08d", i))
	return b
}

// TestSlowSubscriber: a subscriber that stops reading while 100,000
// messages of 300 bytes flow is disconnected by the default policy (32mb
// hard, 8mb soft for 60 s on an injected clock); another subscriber gets
// everything; the gateway's heap stays bounded.
func TestSlowSubscriber(t *testing.T) {
	const total, size, batch = 100_000, 300, 1000
	_, nc := startNATS(t)
	clock := &fakeClock{}
	clock.ns.Store(time.Now().UnixNano())
	addr, srv := startGateway(t, nc, Options{Now: clock.Now})
	slow := slowSubscriber(t, addr, "firehose")
	var progress atomic.Int64
	done := fastReader(t, addr, "firehose", size, total, &progress)

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc

	pub := dialRaw(t, addr)
	start := time.Now()
	for b := 0; b < total/batch; b++ {
		publishBatch(t, pub, "firehose", b*batch, batch, size)
		// Keep the healthy subscriber within ~2 MB of the publisher, well
		// under the 8 MB soft limit, however loaded the machine is.
		waitFor(t, "fast subscriber keeping up", func() bool { return progress.Load() >= int64(b*batch-5000) })
		clock.Advance(10 * time.Second)
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapAlloc)
	}
	if err := <-done; err != nil {
		t.Fatalf("fast subscriber: %v", err)
	}
	elapsed := time.Since(start)
	if st := srv.Stats(); st.OutputLimitDisconnect != 1 {
		t.Fatalf("OutputLimitDisconnect = %d, want 1 (stats %+v)", st.OutputLimitDisconnect, st)
	}
	// The slow client sees its connection end once it reads again.
	_ = slow.SetReadDeadline(deadline())
	t0 := time.Now()
	n, err := io.Copy(io.Discard, slow)
	t.Logf("slow client drained %d bytes in %v, then %v", n, time.Since(t0), err)
	var ne net.Error
	if (errors.As(err, &ne) && ne.Timeout()) || n > 40<<20 {
		t.Fatalf("slow client: %d bytes, %v; want the connection closed within the limits", n, err)
	}
	growth := int64(peak) - int64(base)
	t.Logf("%d messages of %d bytes in %v (%.0f msg/s); heap growth peak %.1f MiB", total, size, elapsed, float64(total)/elapsed.Seconds(), float64(growth)/(1<<20))
	if growth > 128<<20 {
		t.Fatalf("heap grew by %d MiB: output buffering is not bounded", growth>>20)
	}
}

// TestHardOutputLimit: with a small hard limit the slow subscriber goes at
// once and the publisher and other subscribers never wait for it.
func TestHardOutputLimit(t *testing.T) {
	const total, size, batch = 30_000, 400, 100
	_, nc := startNATS(t)
	addr, srv := startGateway(t, nc, Options{PubSubLimit: OutputLimit{Hard: 1 << 20, Soft: -1}})
	slowSubscriber(t, addr, "c")
	var progress atomic.Int64
	done := fastReader(t, addr, "c", size, total, &progress)
	pub := dialRaw(t, addr)
	for b := 0; b < total/batch; b++ {
		publishBatch(t, pub, "c", b*batch, batch, size)
		waitFor(t, "fast subscriber keeping up", func() bool { return progress.Load() >= int64(b*batch-1000) })
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "slow client dropped", func() bool { return srv.Stats().OutputLimitDisconnect == 1 && srv.Stats().Clients == 2 })
}

// TestShutdownClosesClients: cancelling Serve's context closes every client
// and Serve returns (checked by startGateway's cleanup).
func TestShutdownClosesClients(t *testing.T) {
	_, nc := startNATS(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(nc, Options{Logger: testLogger()})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	var c *rawConn
	waitFor(t, "dial", func() bool {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return false
		}
		c = &rawConn{t: t, c: conn, br: newBufReader(conn)}
		return true
	})
	t.Cleanup(func() { c.c.Close() })
	c.send("SUBSCRIBE x\r\n")
	c.expect("*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n")
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return")
	}
	if got := c.readAll(); got != "" {
		t.Fatalf("got %q after shutdown", got)
	}
	if st := s.Stats(); st.Clients != 0 {
		t.Fatalf("clients after shutdown: %d", st.Clients)
	}
}

// publishBatch pipelines n PUBLISH commands (messages first..first+n-1) on
// a raw connection and reads their n integer replies.
func publishBatch(t *testing.T, pub *rawConn, channel string, first, n, size int) {
	t.Helper()
	var b bytes.Buffer
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, "*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n$%d\r\n", len(channel), channel, size)
		b.Write(payload(i, size))
		b.WriteString("\r\n")
	}
	pub.send(b.String())
	_ = pub.c.SetReadDeadline(deadline())
	for i := range n {
		line, err := pub.br.ReadSlice('\n')
		if err != nil || len(line) < 4 || line[0] != ':' {
			t.Fatalf("reply %d to PUBLISH: %q %v", first+i, line, err)
		}
	}
}
