package gateway

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// startNATS starts an embedded NATS server with JetStream on a random
// loopback port and returns a connection to it.
func startNATS(t testing.TB) (*server.Server, *nats.Conn) {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	nc := connectNATS(t, ns)
	return ns, nc
}

func connectNATS(t testing.TB, ns *server.Server) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// startGateway serves a gateway on a random loopback port and returns its
// address and the Server; cleanup stops it and checks Serve's result.
func startGateway(t testing.TB, nc *nats.Conn, opts Options) (string, *Server) {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := New(nc, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve returned %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("Serve did not return after cancel")
		}
	})
	// Serve subscribes before accepting; wait until it accepts.
	waitFor(t, "gateway accepting", func() bool {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
	waitFor(t, "probe connection accepted", func() bool { return s.Stats().Connections >= 1 })
	waitFor(t, "probe connection gone", func() bool { return s.Stats().Clients == 0 })
	return ln.Addr().String(), s
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rawConn is a plain TCP connection for byte-exact protocol checks.
type rawConn struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, br: bufio.NewReader(c)}
}

func (r *rawConn) send(s string) {
	r.t.Helper()
	if _, err := r.c.Write([]byte(s)); err != nil {
		r.t.Fatal(err)
	}
}

// expect reads exactly len(want) bytes and compares them.
func (r *rawConn) expect(want string) {
	r.t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	got := make([]byte, len(want))
	n, err := io.ReadFull(r.br, got)
	if err != nil || string(got) != want {
		r.t.Fatalf("got %q (err %v), want %q", got[:n], err, want)
	}
}

// readAll reads until the server closes the connection.
func (r *rawConn) readAll() string {
	r.t.Helper()
	_ = r.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	b, err := io.ReadAll(r.br)
	if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		r.t.Fatalf("reading until close: %v (got %q)", err, b)
	}
	return string(b)
}

// startRedis runs a real redis-server on a free loopback port, for
// differential tests.
func startRedis(t testing.TB, extra ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is required (CI installs it): %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir()}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	waitFor(t, "redis-server", func() bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		defer c.Close()
		_, _ = c.Write([]byte("PING\r\n"))
		_ = c.SetReadDeadline(time.Now().Add(time.Second))
		b := make([]byte, 1)
		_, err = io.ReadFull(c, b)
		return err == nil && (b[0] == '+' || b[0] == '-')
	})
	return addr
}

func deadline() time.Time { return time.Now().Add(20 * time.Second) }

func ioReadFull(r *rawConn, b []byte) (int, error) {
	_ = r.c.SetReadDeadline(deadline())
	return io.ReadFull(r.br, b)
}

func newBufReader(c net.Conn) *bufio.Reader { return bufio.NewReader(c) }
