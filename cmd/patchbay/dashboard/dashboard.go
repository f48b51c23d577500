package dashboard

import (
	"context"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/hashchain"
)

// Options configures the handler. Zero fields are left out: without Client
// the /api/configs routes answer 503, without Tree /api/tree answers an
// empty object, without Metrics /metrics answers 404.
type Options struct {
	// Client reaches the store.
	Client *eventstore.Client
	// Tree returns the supervision tree for display; it must be safe to
	// call concurrently and return a JSON-encodable value.
	Tree func() any
	// Status returns extra name/value pairs for the dashboard's summary
	// (gateway clients, bots running, ...), in display order.
	Status func() []Field
	// Health reports nil when the node serves; its error text is the 503
	// body of /healthz.
	Health func(ctx context.Context) error
	// Metrics serves /metrics (e.g. promhttp.HandlerFor).
	Metrics http.Handler
	// Token, when set, is required as "Authorization: Bearer <Token>" on
	// every route but /healthz.
	Token string
	// MaxBody bounds request bodies (default 1 MiB + 64 KiB, a little above
	// the store's default document limit so the store names the limit).
	MaxBody int64
	// Logger receives request errors; nil discards them.
	Logger *slog.Logger
}

// Field is one name/value line of the dashboard's summary.
type Field struct {
	Name, Value string
}

// DefaultMaxBody is the request body limit when Options.MaxBody is zero.
const DefaultMaxBody = 1<<20 + 64<<10

type handler struct {
	opts Options
	mux  *http.ServeMux
	log  *slog.Logger
}

// New returns the handler.
func New(opts Options) http.Handler {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	lg := opts.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	h := &handler{opts: opts, mux: http.NewServeMux(), log: lg}
	h.mux.HandleFunc("GET /healthz", h.healthz)
	h.mux.HandleFunc("GET /metrics", h.metrics)
	h.mux.HandleFunc("GET /{$}", h.index)
	h.mux.HandleFunc("GET /api/tree", h.tree)
	h.mux.HandleFunc("POST /api/configs", h.create)
	h.mux.HandleFunc("GET /api/configs/{hash}", h.get)
	h.mux.HandleFunc("GET /api/configs/{hash}/head", h.head)
	h.mux.HandleFunc("POST /api/configs/{hash}", h.submit)
	return h
}

// ServeHTTP checks the token, then routes.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.opts.Token != "" && r.URL.Path != "/healthz" && !h.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="patchbay"`)
		writeError(w, http.StatusUnauthorized, &eventstore.RefusedError{Code: eventstore.CodeUnauthorized, Message: "missing or wrong bearer token"})
		return
	}
	h.mux.ServeHTTP(w, r)
}

func (h *handler) authorized(r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(h.opts.Token)) == 1
}

func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if h.opts.Health != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := h.opts.Health(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "unhealthy: %v\n", err)
			return
		}
	}
	io.WriteString(w, "ok\n")
}

func (h *handler) metrics(w http.ResponseWriter, r *http.Request) {
	if h.opts.Metrics == nil {
		http.NotFound(w, r)
		return
	}
	h.opts.Metrics.ServeHTTP(w, r)
}

func (h *handler) tree(w http.ResponseWriter, _ *http.Request) {
	var v any = struct{}{}
	if h.opts.Tree != nil {
		v = h.opts.Tree()
	}
	writeJSON(w, http.StatusOK, v)
}

// client returns the store client or answers 503.
func (h *handler) client(w http.ResponseWriter) *eventstore.Client {
	if h.opts.Client == nil {
		writeError(w, http.StatusServiceUnavailable, &eventstore.RefusedError{Code: eventstore.CodeInternal, Message: "no store client configured"})
	}
	return h.opts.Client
}

// hash parses the {hash} path value or answers 400.
func (h *handler) hash(w http.ResponseWriter, r *http.Request) (hashchain.Hash, bool) {
	v, err := hashchain.ParseHash(r.PathValue("hash"))
	if err != nil {
		writeError(w, http.StatusBadRequest, &eventstore.RefusedError{Code: eventstore.CodeInvalidPatch, Message: err.Error()})
		return 0, false
	}
	return v, true
}

// body reads the request body within MaxBody or answers 413.
func (h *handler) body(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, &eventstore.RefusedError{Code: eventstore.CodeTooLarge, Message: fmt.Sprintf("request body exceeds %d bytes", mbe.Limit)})
		} else {
			writeError(w, http.StatusBadRequest, &eventstore.RefusedError{Code: eventstore.CodeInvalidPatch, Message: "reading body: " + err.Error()})
		}
		return nil, false
	}
	return b, true
}

func (h *handler) get(w http.ResponseWriter, r *http.Request) {
	h.readHash(w, r, (*eventstore.Client).Get)
}

func (h *handler) head(w http.ResponseWriter, r *http.Request) {
	h.readHash(w, r, (*eventstore.Client).Head)
}

// readHash answers a read of the hash in the path with read.
func (h *handler) readHash(w http.ResponseWriter, r *http.Request, read func(*eventstore.Client, context.Context, hashchain.Hash) (eventstore.GetReply, error)) {
	c := h.client(w)
	if c == nil {
		return
	}
	hv, ok := h.hash(w, r)
	if !ok {
		return
	}
	rep, err := read(c, r.Context(), hv)
	h.reply(w, r, rep, err)
}

func (h *handler) create(w http.ResponseWriter, r *http.Request) {
	c := h.client(w)
	if c == nil {
		return
	}
	b, ok := h.body(w, r)
	if !ok {
		return
	}
	rep, err := c.Create(r.Context(), b)
	h.reply(w, r, rep, err)
}

func (h *handler) submit(w http.ResponseWriter, r *http.Request) {
	c := h.client(w)
	if c == nil {
		return
	}
	hv, ok := h.hash(w, r)
	if !ok {
		return
	}
	b, ok := h.body(w, r)
	if !ok {
		return
	}
	rep, err := c.Submit(r.Context(), hv, b)
	h.reply(w, r, rep, err)
}

// reply writes v, or the refusal err with its status.
func (h *handler) reply(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err == nil {
		writeJSON(w, http.StatusOK, v)
		return
	}
	var re *eventstore.RefusedError
	if errors.As(err, &re) {
		writeError(w, statusFor(re.Code), re)
		return
	}
	h.log.Warn("http api: store request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusBadGateway, &eventstore.RefusedError{Code: eventstore.CodeInternal, Message: err.Error()})
}

// statusFor maps a refusal code to an HTTP status.
func statusFor(code string) int {
	switch code {
	case eventstore.CodeStale, eventstore.CodeCollision:
		return http.StatusConflict
	case eventstore.CodeUnknownParent, eventstore.CodeNotFound:
		return http.StatusNotFound
	case eventstore.CodeInvalidPatch, eventstore.CodeTestFailed, eventstore.CodeInvalidConfig:
		return http.StatusUnprocessableEntity
	case eventstore.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case eventstore.CodeUnauthorized:
		return http.StatusUnauthorized
	default:
		return http.StatusInternalServerError
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"encoding reply"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, re *eventstore.RefusedError) {
	writeJSON(w, status, struct {
		Error *eventstore.RefusedError `json:"error"`
	}{re})
}

//go:embed index.html
var indexHTML string

var indexTmpl = template.Must(template.New("index").Parse(indexHTML))

func (h *handler) index(w http.ResponseWriter, r *http.Request) {
	var fields []Field
	if h.opts.Status != nil {
		fields = h.opts.Status()
	}
	var tree any
	if h.opts.Tree != nil {
		tree = h.opts.Tree()
	}
	tj, err := json.MarshalIndent(tree, "", "  ")
	if err != nil {
		tj = []byte(err.Error())
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := indexTmpl.Execute(w, struct {
		Fields []Field
		Tree   string
		Now    string
	}{fields, string(tj), time.Now().UTC().Format(time.RFC3339)}); err != nil {
		h.log.Warn("dashboard: render", "err", err)
	}
}
