// Package irctest runs a real IRC server (Debian's ngircd) on a free
// loopback port for tests, and provides a plain IRC client to talk to it.
// ngircd must be installed at /usr/sbin/ngircd (.ci/test installs it).
package irctest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/botruntime/connector/irc"
)

// Ngircd is where ngircd is installed on Debian.
const Ngircd = "/usr/sbin/ngircd"

// StartNgircd runs ngircd in the foreground on a free loopback port, with
// flood penalties off so tests are not throttled, until the test ends. It
// returns "127.0.0.1:port".
func StartNgircd(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	motd := filepath.Join(dir, "motd")
	if err := os.WriteFile(motd, []byte("test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`[Global]
Name = irc.patchbay.test
Info = patchbay test server
Listen = 127.0.0.1
Ports = %d
MotdFile = %s
PidFile = %s
[Limits]
MaxConnectionsIP = 0
MaxJoins = 0
MaxPenaltyTime = 0
PingTimeout = 120
PongTimeout = 20
[Options]
DNS = no
Ident = no
PAM = no
OperCanUseMode = yes
`, port, motd, filepath.Join(dir, "pid"))
	cf := filepath.Join(dir, "ngircd.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(Ngircd, "-n", "-f", cf)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting ngircd: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return addr
		}
		select {
		case <-exited:
			t.Fatalf("ngircd exited: %s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("ngircd did not listen on %s: %s", addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Client is a plain IRC client for tests; its methods fail the test on
// errors.
type Client struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

// Dial connects to addr and registers as nick (waits for 001). The
// connection closes when the test ends.
func Dial(t testing.TB, addr, nick string) *Client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc := &Client{t: t, c: c, r: bufio.NewReader(c)}
	rc.Send("NICK " + nick)
	rc.Send("USER " + nick + " 0 * :" + nick)
	rc.WaitFor(func(l irc.Line) bool { return l.Command == "001" })
	return rc
}

// Join joins channel and waits for the end of its NAMES list.
func (rc *Client) Join(channel string) {
	rc.t.Helper()
	rc.Send("JOIN " + channel)
	rc.WaitFor(func(l irc.Line) bool { return l.Command == "366" })
}

// Send writes one line (CRLF added).
func (rc *Client) Send(s string) {
	rc.t.Helper()
	if _, err := fmt.Fprintf(rc.c, "%s\r\n", s); err != nil {
		rc.t.Fatal(err)
	}
}

// WaitFor reads lines, answering PINGs, until match accepts one, which it
// returns; it fails the test after 20 s.
func (rc *Client) WaitFor(match func(irc.Line) bool) irc.Line {
	rc.t.Helper()
	rc.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		s, err := rc.r.ReadString('\n')
		if err != nil {
			rc.t.Fatalf("reading: %v", err)
		}
		l, err := irc.Parse(s)
		if err != nil {
			continue
		}
		if l.Command == "PING" && len(l.Params) > 0 {
			rc.Send("PONG :" + l.Params[len(l.Params)-1])
			continue
		}
		if match(l) {
			return l
		}
	}
}
