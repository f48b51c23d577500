package task

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/patchbay/patchbay/botruntime/factory"
)

// ReplyKey is the results key whose string value is sent back as the reply.
const ReplyKey = "reply"

// Task is one step of a bot's work. Run must not keep msg, results or
// settings after it returns, and must not modify msg or settings; it may
// modify and return results. Implementations are safe for concurrent use:
// one Task value serves every worker of a bot.
type Task interface {
	Run(ctx context.Context, msg map[string]string, results map[string]any, settings map[string]any) (map[string]any, error)
}

// Func adapts a function to Task.
type Func func(ctx context.Context, msg map[string]string, results map[string]any, settings map[string]any) (map[string]any, error)

// Run calls f.
func (f Func) Run(ctx context.Context, msg map[string]string, results, settings map[string]any) (map[string]any, error) {
	return f(ctx, msg, results, settings)
}

// Factory builds a task of one type from its JSON configuration. It
// validates the configuration and does no I/O.
type Factory func(conf json.RawMessage) (Task, error)

// Spec is a task in a configuration: its type and its conf.
type Spec struct {
	Name string          `json:"name,omitempty"`
	Type string          `json:"type"`
	Conf json.RawMessage `json:"conf,omitempty"`
}

// Named is a built task with the name it has in its bot.
type Named struct {
	Name string
	Task Task
}

// Errors of this package, compared with errors.Is.
var (
	// ErrUnknownType is returned by New for an unregistered type.
	ErrUnknownType = errors.New("unknown task type")
	// ErrBadConfig wraps configuration errors of the built-in types.
	ErrBadConfig = errors.New("bad task configuration")
	// ErrTimeout wraps the error of an exec or http task that ran out of time.
	ErrTimeout = errors.New("task timed out")
)

// types holds the registered task types.
var types = factory.Set[Factory]{Kind: "task"}

// Register makes a task type available under name. Call it from init.
// It panics if name is empty, f is nil or name is already registered.
func Register(name string, f Factory) {
	if f == nil {
		panic("task: Register with a nil factory")
	}
	types.Register(name, f)
}

// Lookup reports whether a task type is registered.
func Lookup(name string) bool { return types.Has(name) }

// Types returns the registered type names, sorted.
func Types() []string { return types.Names() }

// New builds a task of type typ from conf.
func New(typ string, conf json.RawMessage) (Task, error) {
	f, ok := types.Get(typ)
	if !ok {
		return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownType, typ, Types())
	}
	t, err := f(conf)
	if err != nil {
		return nil, fmt.Errorf("task type %q: %w", typ, err)
	}
	return t, nil
}

// Build builds every spec in order; a task's name defaults to its type.
func Build(specs []Spec) ([]Named, error) {
	out := make([]Named, 0, len(specs))
	for i, s := range specs {
		t, err := New(s.Type, s.Conf)
		if err != nil {
			return nil, fmt.Errorf("task %d (%s): %w", i, s.Name, err)
		}
		name := s.Name
		if name == "" {
			name = s.Type
		}
		out = append(out, Named{Name: name, Task: t})
	}
	return out, nil
}

// Run runs tasks in order, each on the previous one's results, starting
// from empty results, and returns the final results. It stops at the first
// error, which names the task.
func Run(ctx context.Context, tasks []Named, msg map[string]string, settings map[string]any) (map[string]any, error) {
	results := map[string]any{}
	if settings == nil {
		settings = map[string]any{}
	}
	for _, t := range tasks {
		out, err := t.Task.Run(ctx, msg, results, settings)
		if err != nil {
			return results, fmt.Errorf("task %s: %w", t.Name, err)
		}
		if out != nil {
			results = out
		}
	}
	return results, nil
}

// Reply returns the reply text in results, or "".
func Reply(results map[string]any) string {
	s, _ := results[ReplyKey].(string)
	return s
}

type loggerKey struct{}

// WithLogger returns a context whose tasks log to l (the log task, and exec's
// stderr).
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// Logger returns the logger of ctx, or slog.Default().
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok && l != nil {
		return l
	}
	return slog.Default()
}

// decodeConf decodes conf strictly into v; empty conf leaves v as is.
func decodeConf(conf json.RawMessage, v any) error {
	if len(conf) == 0 || string(conf) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(conf))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	return nil
}

// Duration is a time.Duration written as a Go duration string ("5s").
type Duration time.Duration

// UnmarshalJSON accepts "5s" style strings.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"5s\": %s", b)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// input is the JSON an exec or http task gets.
type input struct {
	Message  map[string]string `json:"message"`
	Results  map[string]any    `json:"results"`
	Settings map[string]any    `json:"settings"`
}

// merge copies a JSON object's keys into results (a copy).
func merge(results map[string]any, out []byte) (map[string]any, error) {
	out = bytes.TrimSpace(out)
	if len(out) == 0 {
		return results, nil
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, fmt.Errorf("output is not a JSON object: %w", err)
	}
	res := make(map[string]any, len(results)+len(m))
	for k, v := range results {
		res[k] = v
	}
	for k, v := range m {
		res[k] = v
	}
	return res, nil
}
