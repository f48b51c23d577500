package task

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"text/template"
	"time"
)

func init() {
	Register("reply", newReply)
	Register("command", newCommand)
	Register("exec", newExec)
	Register("http", newHTTP)
	Register("log", newLog)
}

// --- reply

// ReplyConf configures a reply task: Template is a text/template executed
// with {"message": msg, "results": results, "settings": settings}.
type ReplyConf struct {
	Template string `json:"template"`
}

type replyTask struct{ t *template.Template }

func newReply(conf json.RawMessage) (Task, error) {
	var c ReplyConf
	if err := decodeConf(conf, &c); err != nil {
		return nil, err
	}
	if c.Template == "" {
		return nil, fmt.Errorf("%w: reply needs a template", ErrBadConfig)
	}
	t, err := template.New("reply").Parse(c.Template)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	return replyTask{t}, nil
}

func (r replyTask) Run(ctx context.Context, msg map[string]string, results, settings map[string]any) (map[string]any, error) {
	var b strings.Builder
	if err := r.t.Execute(&b, map[string]any{"message": msg, "results": results, "settings": settings}); err != nil {
		return nil, fmt.Errorf("reply template: %w", err)
	}
	results[ReplyKey] = b.String()
	return results, nil
}

// --- command

// CommandConf configures a command task. A message whose text starts with
// Prefix (default "!") followed by a command name runs that command's task
// with results "command" (the name) and "args" (the rest, trimmed); other
// messages pass through unchanged. "help" (unless defined) replies with the
// list of commands and their help texts.
type CommandConf struct {
	Prefix   string                 `json:"prefix,omitempty"`
	Commands map[string]CommandSpec `json:"commands"`
	// Unknown is the reply to an unknown command; empty means no reply.
	Unknown string `json:"unknown,omitempty"`
}

// CommandSpec is one command: a task and its help text.
type CommandSpec struct {
	Help string          `json:"help,omitempty"`
	Type string          `json:"type"`
	Conf json.RawMessage `json:"conf,omitempty"`
}

type commandTask struct {
	prefix  string
	unknown string
	cmds    map[string]Task
	help    string
}

func newCommand(conf json.RawMessage) (Task, error) {
	var c CommandConf
	if err := decodeConf(conf, &c); err != nil {
		return nil, err
	}
	if c.Prefix == "" {
		c.Prefix = "!"
	}
	if c.Commands == nil {
		c.Commands = map[string]CommandSpec{}
	}
	t := &commandTask{prefix: c.Prefix, unknown: c.Unknown, cmds: map[string]Task{}}
	names := make([]string, 0, len(c.Commands)+1)
	for name, s := range c.Commands {
		if name == "" || strings.ContainsAny(name, " \t\n") {
			return nil, fmt.Errorf("%w: bad command name %q", ErrBadConfig, name)
		}
		sub, err := New(s.Type, s.Conf)
		if err != nil {
			return nil, fmt.Errorf("command %q: %w", name, err)
		}
		t.cmds[strings.ToLower(name)] = sub
		names = append(names, name)
	}
	if _, ok := t.cmds["help"]; !ok {
		names = append(names, "help")
		c.Commands["help"] = CommandSpec{Help: "list the commands"}
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("commands:")
	for _, n := range names {
		b.WriteString(" " + c.Prefix + n)
		if h := c.Commands[n].Help; h != "" {
			b.WriteString(" (" + h + ")")
		}
	}
	t.help = b.String()
	return t, nil
}

// ParseCommand splits text into a command name (lower-cased) and its
// arguments when it starts with prefix; ok is false otherwise.
func ParseCommand(prefix, text string) (name, args string, ok bool) {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, prefix) {
		return "", "", false
	}
	rest := text[len(prefix):]
	name, args, _ = strings.Cut(rest, " ")
	if name == "" {
		return "", "", false
	}
	return strings.ToLower(name), strings.TrimSpace(args), true
}

func (c *commandTask) Run(ctx context.Context, msg map[string]string, results, settings map[string]any) (map[string]any, error) {
	name, args, ok := ParseCommand(c.prefix, msg["text"])
	if !ok {
		return results, nil
	}
	results["command"] = name
	results["args"] = args
	sub, ok := c.cmds[name]
	switch {
	case ok:
		return sub.Run(ctx, msg, results, settings)
	case name == "help":
		results[ReplyKey] = c.help
	case c.unknown != "":
		results[ReplyKey] = c.unknown
	}
	return results, nil
}

// --- exec

// ExecConf configures an exec task. Command is the program and its
// arguments (no shell). Env adds variables to a minimal environment (PATH,
// HOME, LANG of the host); the host's other variables are not passed on.
type ExecConf struct {
	Command []string          `json:"command"`
	Env     map[string]string `json:"env,omitempty"`
	Dir     string            `json:"dir,omitempty"`
	Timeout Duration          `json:"timeout,omitempty"` // default 10s
}

type execTask struct{ c ExecConf }

func newExec(conf json.RawMessage) (Task, error) {
	var c ExecConf
	if err := decodeConf(conf, &c); err != nil {
		return nil, err
	}
	if len(c.Command) == 0 || c.Command[0] == "" {
		return nil, fmt.Errorf("%w: exec needs a command", ErrBadConfig)
	}
	if c.Timeout <= 0 {
		c.Timeout = Duration(10 * time.Second)
	}
	return execTask{c}, nil
}

func (e execTask) Run(ctx context.Context, msg map[string]string, results, settings map[string]any) (map[string]any, error) {
	in, err := json.Marshal(input{msg, results, settings})
	if err != nil {
		return nil, fmt.Errorf("exec: encoding input: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(e.c.Timeout))
	defer cancel()
	cmd := exec.CommandContext(ctx, e.c.Command[0], e.c.Command[1:]...)
	cmd.Dir = e.c.Dir
	cmd.Env = []string{}
	for _, k := range []string{"PATH", "HOME", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for k, v := range e.c.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// Own process group, killed as a whole: children of the program die too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr limitedBuffer
	stdout.max, stderr.max = 1<<20, 4096
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return nil, fmt.Errorf("exec %s: %w after %v", e.c.Command[0], ErrTimeout, time.Duration(e.c.Timeout))
	}
	if err != nil {
		return nil, fmt.Errorf("exec %s: %w: %s", e.c.Command[0], err, strings.TrimSpace(stderr.String()))
	}
	if stderr.Len() > 0 {
		Logger(ctx).Info("exec task stderr", "command", e.c.Command[0], "stderr", stderr.String())
	}
	if stdout.over {
		return nil, fmt.Errorf("exec %s: output larger than 1 MiB", e.c.Command[0])
	}
	res, err := merge(results, stdout.Bytes())
	if err != nil {
		return nil, fmt.Errorf("exec %s: %w", e.c.Command[0], err)
	}
	return res, nil
}

// limitedBuffer keeps the first max bytes written and notes overflow.
type limitedBuffer struct {
	bytes.Buffer
	max  int
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room < len(p) {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

// --- http

// HTTPConf configures an http task: POST {"message","results","settings"}
// to URL; a 2xx answer that is a JSON object is merged into the results.
type HTTPConf struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers,omitempty"`
	Timeout Duration          `json:"timeout,omitempty"` // default 10s
}

type httpTask struct {
	c      HTTPConf
	client *http.Client
}

func newHTTP(conf json.RawMessage) (Task, error) {
	var c HTTPConf
	if err := decodeConf(conf, &c); err != nil {
		return nil, err
	}
	if !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://") {
		return nil, fmt.Errorf("%w: http needs an http:// or https:// url, got %q", ErrBadConfig, c.URL)
	}
	if c.Timeout <= 0 {
		c.Timeout = Duration(10 * time.Second)
	}
	return httpTask{c: c, client: &http.Client{}}, nil
}

func (h httpTask) Run(ctx context.Context, msg map[string]string, results, settings map[string]any) (map[string]any, error) {
	in, err := json.Marshal(input{msg, results, settings})
	if err != nil {
		return nil, fmt.Errorf("http task: encoding input: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(h.c.Timeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.c.URL, bytes.NewReader(in))
	if err != nil {
		return nil, fmt.Errorf("http task: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h.c.Headers {
		req.Header.Set(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("http task %s: %w", h.c.URL, ErrTimeout)
		}
		return nil, fmt.Errorf("http task: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("http task %s: reading answer: %w", h.c.URL, err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("http task %s: HTTP %d", h.c.URL, resp.StatusCode)
	}
	res, err := merge(results, body)
	if err != nil {
		return nil, fmt.Errorf("http task %s: %w", h.c.URL, err)
	}
	return res, nil
}

// --- log

// LogConf configures a log task: Message (default "bot message") at Level
// ("debug", "info" (default), "warn", "error").
type LogConf struct {
	Message string `json:"message,omitempty"`
	Level   string `json:"level,omitempty"`
}

type logTask struct {
	msg   string
	level slog.Level
}

func newLog(conf json.RawMessage) (Task, error) {
	c := LogConf{Message: "bot message", Level: "info"}
	if err := decodeConf(conf, &c); err != nil {
		return nil, err
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadConfig, err)
	}
	return logTask{c.Message, l}, nil
}

func (l logTask) Run(ctx context.Context, msg map[string]string, results, settings map[string]any) (map[string]any, error) {
	Logger(ctx).Log(ctx, l.level, l.msg, "message", msg, "results", results)
	return results, nil
}
