package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchbay/patchbay/botruntime/connector"
)

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

func sign(ts int64, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + strconv.FormatInt(ts, 10) + ":" + body))
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func newTestConn(t *testing.T, apiURL string, got chan map[string]string) *Conn {
	t.Helper()
	conf, _ := json.Marshal(map[string]string{"signing_secret": secret, "bot_token": "xoxb-test", "api_url": apiURL})
	c, err := connector.New("slack", connector.Params{ID: "sl", Conf: conf, Sink: func(ctx context.Context, m map[string]string) error { got <- m; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	return c.(*Conn)
}

func TestEvents(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	got := make(chan map[string]string, 10)
	c := newTestConn(t, "http://127.0.0.1:1", got)
	c.Now = func() time.Time { return now }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Serve(ctx) }()
	defer func() { cancel(); <-done }()

	post := func(ts int64, sig, body string, hdr map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/slack/events", strings.NewReader(body))
		r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts, 10))
		r.Header.Set("X-Slack-Signature", sig)
		for k, v := range hdr {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		c.ServeHTTP(w, r)
		return w
	}
	ev := `{"type":"event_callback","event_id":"Ev1","event":{"type":"message","user":"U1","text":"!hello","channel":"C1","ts":"1.2"}}`

	tests := []struct {
		name     string
		ts       int64
		sig      string
		body     string
		hdr      map[string]string
		code     int
		respBody string
	}{
		{"challenge", now.Unix(), sign(now.Unix(), `{"type":"url_verification","challenge":"abc123"}`), `{"type":"url_verification","challenge":"abc123"}`, nil, 200, "abc123"},
		{"bad signature", now.Unix(), sign(now.Unix(), ev) + "0", ev, nil, 401, ""},
		{"wrong secret", now.Unix(), "v0=" + strings.Repeat("ab", 32), ev, nil, 401, ""},
		{"old timestamp", now.Unix() - 301, sign(now.Unix()-301, ev), ev, nil, 401, ""},
		{"future timestamp", now.Unix() + 301, sign(now.Unix()+301, ev), ev, nil, 401, ""},
		{"event", now.Unix() - 299, sign(now.Unix()-299, ev), ev, nil, 200, ""},
		{"retry", now.Unix(), sign(now.Unix(), ev), ev, map[string]string{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}, 200, ""},
		{"bot message ignored", now.Unix(), sign(now.Unix(), strings.Replace(ev, `"Ev1"`, `"Ev2"`, 1)[:len(ev)-2]+`,"bot_id":"B1"}}`), strings.Replace(ev, `"Ev1"`, `"Ev2"`, 1)[:len(ev)-2] + `,"bot_id":"B1"}}`, nil, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := post(tt.ts, tt.sig, tt.body, tt.hdr)
			if w.Code != tt.code {
				t.Fatalf("status %d, want %d (%s)", w.Code, tt.code, w.Body)
			}
			if tt.respBody != "" && w.Body.String() != tt.respBody {
				t.Fatalf("body %q, want %q", w.Body, tt.respBody)
			}
		})
	}
	select {
	case m := <-got:
		for k, want := range map[string]string{"text": "!hello", "user": "U1", "channel": "C1", "platform": "slack", "connector": "sl", "id": "Ev1"} {
			if m[k] != want {
				t.Errorf("msg[%q] = %q, want %q", k, m[k], want)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatal("event not delivered")
	}
	// The retry and the bot message must not have been delivered.
	ev3 := strings.Replace(ev, `"Ev1"`, `"Ev3"`, 1)
	if w := post(now.Unix(), sign(now.Unix(), ev3), ev3, nil); w.Code != 200 {
		t.Fatal(w.Code)
	}
	if m := <-got; m["id"] != "Ev3" {
		t.Fatalf("next delivered event is %q, want Ev3 (a duplicate slipped through)", m["id"])
	}
}

func TestReplyPostsMessage(t *testing.T) {
	type call struct {
		auth string
		body map[string]string
	}
	calls := make(chan call, 2)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/chat.postMessage" {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var m map[string]string
		json.Unmarshal(b, &m)
		calls <- call{r.Header.Get("Authorization"), m}
		if m["channel"] == "nochan" {
			io.WriteString(w, `{"ok":false,"error":"channel_not_found"}`)
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	defer api.Close()
	c := newTestConn(t, api.URL+"/api", nil)
	if err := c.Reply(context.Background(), map[string]string{"channel": "C1", "thread": "9.9"}, "hi there"); err != nil {
		t.Fatal(err)
	}
	got := <-calls
	if got.auth != "Bearer xoxb-test" || got.body["channel"] != "C1" || got.body["text"] != "hi there" || got.body["thread_ts"] != "9.9" {
		t.Fatalf("postMessage got %+v", got)
	}
	err := c.Reply(context.Background(), map[string]string{"channel": "nochan"}, "x")
	if err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Fatalf("Reply error = %v, want channel_not_found", err)
	}
}
