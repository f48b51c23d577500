package irc

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/botruntime/connector"
)

// startNgircd runs ngircd in the foreground on a free loopback port and
// returns "127.0.0.1:port".
func startNgircd(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	motd := filepath.Join(dir, "motd")
	os.WriteFile(motd, []byte("test\n"), 0o644)
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
	cmd := exec.Command("/usr/sbin/ngircd", "-n", "-f", cf)
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

// rawClient is a plain IRC client for tests.
type rawClient struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr, nick string) *rawClient {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	rc := &rawClient{t: t, c: c, r: bufio.NewReader(c)}
	rc.send("NICK " + nick)
	rc.send("USER " + nick + " 0 * :" + nick)
	rc.waitFor(func(l Line) bool { return l.Command == "001" })
	return rc
}

func (rc *rawClient) send(s string) {
	rc.t.Helper()
	if _, err := fmt.Fprintf(rc.c, "%s\r\n", s); err != nil {
		rc.t.Fatal(err)
	}
}

func (rc *rawClient) waitFor(match func(Line) bool) Line {
	rc.t.Helper()
	rc.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		s, err := rc.r.ReadString('\n')
		if err != nil {
			rc.t.Fatalf("reading: %v", err)
		}
		l, err := Parse(s)
		if err != nil {
			continue
		}
		if l.Command == "PING" {
			rc.send("PONG :" + last(l.Params))
			continue
		}
		if match(l) {
			return l
		}
	}
}

func TestIRCWithNgircd(t *testing.T) {
	addr := startNgircd(t)
	var (
		mu   sync.Mutex
		got  []map[string]string
		conn connector.Connector
	)
	sink := func(ctx context.Context, msg map[string]string) error {
		mu.Lock()
		got = append(got, msg)
		mu.Unlock()
		text := "hello, " + msg[connector.KeyUser] + "!"
		if msg[connector.KeyText] == "!long" {
			text = strings.Repeat("word ", 60) + "end"
		}
		go conn.Reply(ctx, msg, text)
		return nil
	}
	conf, _ := json.Marshal(map[string]any{
		"server": addr, "nick": "greeter", "channels": []string{"#lobby"},
		"twitch_tags": true, "platform": "irc", "max_line": 100,
		"rate": map[string]any{"messages": 100, "per": "1s"},
	})
	var err error
	conn, err = connector.New("irc", connector.Params{ID: "irc1", Conf: conf, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- conn.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve returned %v", err)
		}
	})
	select {
	case <-conn.(*Conn).Joined():
	case <-time.After(20 * time.Second):
		t.Fatal("bot did not join #lobby")
	}

	alice := dialRaw(t, addr, "alice")
	alice.send("JOIN #lobby")
	alice.waitFor(func(l Line) bool { return l.Command == "366" })
	alice.send("PRIVMSG #lobby :!hello")
	l := alice.waitFor(func(l Line) bool { return l.Command == "PRIVMSG" })
	if Nick(l.Prefix) != "greeter" || l.Params[0] != "#lobby" || l.Params[1] != "hello, alice!" {
		t.Fatalf("got reply %+v, want greeter -> #lobby: hello, alice!", l)
	}

	// A private message is answered privately.
	alice.send("PRIVMSG greeter :hi")
	l = alice.waitFor(func(l Line) bool { return l.Command == "PRIVMSG" })
	if l.Params[0] != "alice" || l.Params[1] != "hello, alice!" {
		t.Fatalf("private reply %+v, want to alice", l)
	}

	// A long reply arrives split into lines of at most max_line bytes.
	alice.send("PRIVMSG #lobby :!long")
	var parts []string
	for {
		l = alice.waitFor(func(l Line) bool { return l.Command == "PRIVMSG" })
		if len(l.Params[1]) > 100 {
			t.Fatalf("line of %d bytes, want <= 100", len(l.Params[1]))
		}
		parts = append(parts, l.Params[1])
		if strings.HasSuffix(l.Params[1], "end") {
			break
		}
	}
	if want := strings.Repeat("word ", 60) + "end"; strings.Join(parts, " ") != want || len(parts) < 3 {
		t.Fatalf("long reply reassembled = %q in %d parts", strings.Join(parts, " "), len(parts))
	}

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("sink got %d messages, want 3", len(got))
	}
	m := got[0]
	for k, want := range map[string]string{"text": "!hello", "user": "alice", "channel": "#lobby", "platform": "irc", "connector": "irc1", "id": "irc1-1"} {
		if m[k] != want {
			t.Errorf("message[%q] = %q, want %q", k, m[k], want)
		}
	}
}

func TestReconnectAfterServerRestart(t *testing.T) {
	// A server that accepts, sends one PRIVMSG, and drops the connection: the
	// connector must come back and deliver again.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var wg sync.WaitGroup
	hello := make(chan []string, 2) // what the client sent up to PONG, per connection
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 2; i++ {
			c, err := l.Accept()
			if err != nil {
				return
			}
			r := bufio.NewReader(c)
			var lines []string
			fmt.Fprintf(c, "PING :tok%d\r\n", i)
			for {
				s, err := r.ReadString('\n')
				if err != nil {
					break
				}
				lines = append(lines, strings.TrimRight(s, "\r\n"))
				if strings.HasPrefix(s, "PONG") {
					break
				}
			}
			hello <- lines
			fmt.Fprintf(c, ":srv CAP * ACK :twitch.tv/tags\r\n:srv 001 bot :welcome\r\n@id=m%d;display-name=A\\sB :bob!b@h PRIVMSG #c :n%d\r\n", i, i)
			r.ReadString('\n') // CAP END
			c.Close()
		}
	}()
	got := make(chan map[string]string, 4)
	conf, _ := json.Marshal(map[string]any{"server": l.Addr().String(), "nick": "bot", "password": "oauth:x", "twitch_tags": true, "backoff": map[string]string{"min": "1ms", "max": "5ms"}})
	c, err := connector.New("irc", connector.Params{ID: "x", Conf: conf, Sink: func(ctx context.Context, m map[string]string) error { got <- m; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Serve(ctx) }()
	for i := 0; i < 2; i++ {
		select {
		case m := <-got:
			if m["id"] != fmt.Sprintf("m%d", i) || m["tag.display-name"] != "A B" || m["text"] != fmt.Sprintf("n%d", i) || m["platform"] != "twitch" {
				t.Errorf("message %d = %v", i, m)
			}
			want := fmt.Sprintf("PASS oauth:x|CAP REQ :twitch.tv/tags twitch.tv/commands|NICK bot|USER bot 0 * :bot|PONG :tok%d", i)
			if got := strings.Join(<-hello, "|"); got != want {
				t.Errorf("connection %d: client sent %q, want %q", i, got, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("message %d not delivered", i)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v", err)
	}
	l.Close()
	wg.Wait()
	if err := c.Reply(context.Background(), map[string]string{"channel": "#c"}, "x"); err == nil {
		t.Fatal("Reply after Serve returned: want ErrNotConnected")
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Line
	}{
		{"PING :irc.x\r\n", Line{Command: "PING", Params: []string{"irc.x"}}},
		{":n!u@h PRIVMSG #c :hello world", Line{Prefix: "n!u@h", Command: "PRIVMSG", Params: []string{"#c", "hello world"}}},
		{"@id=1;badges=a/1,b/2;msg=a\\sb\\:c\\\\ :n PRIVMSG #c ::)", Line{Tags: map[string]string{"id": "1", "badges": "a/1,b/2", "msg": "a b;c\\"}, Prefix: "n", Command: "PRIVMSG", Params: []string{"#c", ":)"}}},
		{":srv 001 me :Welcome", Line{Prefix: "srv", Command: "001", Params: []string{"me", "Welcome"}}},
		{"privmsg  a   b", Line{Command: "PRIVMSG", Params: []string{"a", "b"}}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	if _, err := Parse(":prefix-only"); err == nil {
		t.Error("Parse(prefix only): want error")
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want []string
	}{
		{"hello world", 400, []string{"hello world"}},
		{"aaa bbb ccc", 7, []string{"aaa bbb", "ccc"}},
		{"abcdefghij", 4, []string{"abcd", "efgh", "ij"}},
		{"one\ntwo\r\n\nthree", 400, []string{"one", "two", "three"}},
		{"ééé", 3, []string{"é", "é", "é"}},
	}
	for _, tt := range tests {
		if got := Split(tt.in, tt.max); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Split(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestLimiter(t *testing.T) {
	// 20 per 30s: 20 sends pass at once, the 21st waits 1.5 s of fake time.
	now := time.Unix(0, 0)
	var waited []time.Duration
	after := func(d time.Duration) <-chan time.Time {
		waited = append(waited, d)
		now = now.Add(d)
		ch := make(chan time.Time, 1)
		ch <- now
		return ch
	}
	l := newLimiter(20, 30*time.Second, func() time.Time { return now }, after)
	for i := 0; i < 21; i++ {
		if err := l.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(waited) != 1 || waited[0] < 1500*time.Millisecond || waited[0] > 1502*time.Millisecond {
		t.Fatalf("waits = %v, want one of about 1.5s", waited)
	}
	if now.Sub(time.Unix(0, 0)) < 1500*time.Millisecond {
		t.Fatalf("fake clock advanced %v", now.Sub(time.Unix(0, 0)))
	}
}

func FuzzParse(f *testing.F) {
	f.Add("@a=b\\s;c :n!u@h PRIVMSG #c :hi\r\n")
	f.Add(":srv 001 me :Welcome")
	f.Fuzz(func(t *testing.T, s string) {
		l, err := Parse(s)
		if err != nil {
			return
		}
		if l.Command == "" {
			t.Fatal("parsed a line without command")
		}
		for _, p := range Split(s, 16) {
			if len(p) > 16 || p == "" {
				t.Fatalf("Split piece %q", p)
			}
		}
	})
}
