package irc

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchbay/patchbay/botruntime/connector"
)

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
