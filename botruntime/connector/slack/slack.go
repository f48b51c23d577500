package slack

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/patchbay/patchbay/botruntime/connector"
)

func init() {
	connector.Register("slack", func(p connector.Params) (connector.Connector, error) { return New(p) })
}

// Conf is the slack connector's configuration.
type Conf struct {
	SigningSecret string `json:"signing_secret"`
	BotToken      string `json:"bot_token"`
	APIURL        string `json:"api_url,omitempty"`
	Queue         int    `json:"queue,omitempty"`
}

// MaxSkew is how far a request's timestamp may be from now.
const MaxSkew = 5 * time.Minute

// maxBody bounds an event request's body.
const maxBody = 1 << 20

// Conn is a Slack connector. It is safe for concurrent use. Build it with New.
type Conn struct {
	id     string
	conf   Conf
	sink   connector.Sink
	log    *slog.Logger
	queue  chan map[string]string
	client *http.Client

	// Now is the clock for the timestamp check; New sets time.Now. Set it
	// before serving requests.
	Now func() time.Time

	// mu guards seen and order: the event IDs taken in, oldest first, bounded.
	mu    sync.Mutex
	seen  map[string]struct{}
	order []string
}

// New builds a Slack connector.
func New(p connector.Params) (*Conn, error) {
	var conf Conf
	if err := connector.DecodeConf(p.Conf, &conf); err != nil {
		return nil, err
	}
	if conf.SigningSecret == "" || conf.BotToken == "" {
		return nil, fmt.Errorf("%w: slack needs signing_secret and bot_token", connector.ErrBadConfig)
	}
	if conf.APIURL == "" {
		conf.APIURL = "https://slack.com/api"
	}
	if conf.Queue <= 0 {
		conf.Queue = 1024
	}
	lg := p.Logger
	if lg == nil {
		lg = slog.Default()
	}
	return &Conn{
		id: p.ID, conf: conf, sink: p.Sink, log: lg.With("connector", p.ID, "type", "slack"),
		queue: make(chan map[string]string, conf.Queue), client: &http.Client{Timeout: 10 * time.Second},
		Now: time.Now, seen: map[string]struct{}{},
	}, nil
}

// Serve hands queued events to the Sink until ctx ends.
func (c *Conn) Serve(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case m := <-c.queue:
			if err := c.sink(ctx, m); err != nil {
				c.log.Error("slack event not taken in", "id", m[connector.KeyID], "err", err)
			}
		}
	}
}

// Verify checks a request's timestamp and v0 signature against the secret.
func Verify(secret string, now time.Time, ts, sig string, body []byte) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("missing or bad X-Slack-Request-Timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return errors.New("request timestamp too far from now")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:", ts)
	mac.Write(body)
	want := "v0=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return errors.New("bad X-Slack-Signature")
	}
	return nil
}

type envelope struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	EventID   string `json:"event_id"`
	Event     struct {
		Type     string `json:"type"`
		Subtype  string `json:"subtype"`
		BotID    string `json:"bot_id"`
		User     string `json:"user"`
		Text     string `json:"text"`
		Channel  string `json:"channel"`
		TS       string `json:"ts"`
		ThreadTS string `json:"thread_ts"`
	} `json:"event"`
}

// ServeHTTP takes in one Events API request.
func (c *Conn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		http.Error(w, "body too large or unreadable", http.StatusBadRequest)
		return
	}
	if err := Verify(c.conf.SigningSecret, c.Now(), r.Header.Get("X-Slack-Request-Timestamp"), r.Header.Get("X-Slack-Signature"), body); err != nil {
		c.log.Warn("slack request refused", "err", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		http.Error(w, "bad JSON", http.StatusBadRequest)
		return
	}
	switch env.Type {
	case "url_verification":
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, env.Challenge)
		return
	case "event_callback":
	default:
		w.WriteHeader(http.StatusOK)
		return
	}
	if env.EventID == "" || !c.firstTime(env.EventID) {
		if n := r.Header.Get("X-Slack-Retry-Num"); n != "" {
			c.log.Debug("slack retry of an event already taken in", "event", env.EventID, "retry", n)
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	e := env.Event
	if (e.Type != "message" && e.Type != "app_mention") || e.Subtype != "" || e.BotID != "" {
		w.WriteHeader(http.StatusOK)
		return
	}
	m := map[string]string{
		connector.KeyText: e.Text, connector.KeyUser: e.User, connector.KeyChannel: e.Channel,
		connector.KeyPlatform: "slack", connector.KeyConnector: c.id, connector.KeyID: env.EventID,
		"ts": e.TS,
	}
	if e.ThreadTS != "" {
		m[connector.KeyThread] = e.ThreadTS
	}
	select {
	case c.queue <- m:
		w.WriteHeader(http.StatusOK)
	default:
		c.forget(env.EventID) // let Slack's retry bring it back
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}
}

// firstTime records id and reports whether it was new. It keeps the last
// 4096 IDs (Slack retries within minutes).
func (c *Conn) firstTime(id string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[id]; ok {
		return false
	}
	c.seen[id] = struct{}{}
	c.order = append(c.order, id)
	if len(c.order) > 4096 {
		delete(c.seen, c.order[0])
		c.order = c.order[1:]
	}
	return true
}

func (c *Conn) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.seen, id)
}

// Reply posts text to to's channel (in its thread when it has one) with
// chat.postMessage.
func (c *Conn) Reply(ctx context.Context, to map[string]string, text string) error {
	payload := map[string]string{"channel": to[connector.KeyChannel], "text": text}
	if th := to[connector.KeyThread]; th != "" {
		payload["thread_ts"] = th
	}
	b, _ := json.Marshal(payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.conf.APIURL, "/")+"/chat.postMessage", bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("slack reply: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+c.conf.BotToken)
	resp, err := c.client.Do(req)
	if err != nil {
		return fmt.Errorf("slack chat.postMessage: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&out); err != nil {
		return fmt.Errorf("slack chat.postMessage: HTTP %d: %w", resp.StatusCode, err)
	}
	if !out.OK {
		return fmt.Errorf("slack chat.postMessage: %s", out.Error)
	}
	return nil
}
