package compose

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"gopkg.in/yaml.v3"

	"github.com/patchbay/patchbay/schemas"
)

// Defaults applied to fields a compose file leaves out.
const (
	DefaultMinIdle     = 1
	DefaultMaxWorkers  = 4
	DefaultMaxDeliver  = 5
	DefaultNakDelay    = time.Second
	DefaultAckWait     = 30 * time.Second
	DefaultMaxRestarts = 5
	DefaultPeriod      = 10 * time.Second
)

// Limits on YAML expansion, so a small hostile file cannot blow up.
const (
	maxNodes = 100_000
	maxDepth = 64
)

// ErrInvalid matches (errors.Is) every error Parse returns for a bad file.
var ErrInvalid = errors.New("invalid compose file")

// Pos is a place in a compose file; Line and Column start at 1.
type Pos struct {
	Line, Column int
}

// Error is one problem in a compose file.
type Error struct {
	File string
	Pos
	Msg string
}

// Error formats the error as "file:line:col: message".
func (e *Error) Error() string { return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg) }

// Is reports true for ErrInvalid.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// Errors is every problem found in a file, in file order.
type Errors []*Error

// Error joins the errors, one per line.
func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Is reports true for ErrInvalid.
func (es Errors) Is(target error) bool { return target == ErrInvalid }

// File is a parsed, valid compose file.
type File struct {
	Name    string // the name given to Parse (the path for Load)
	Version int
	Bots    []Bot    // in file order
	Gateway *Gateway // the gateway section, nil when absent
	HTTP    *HTTP    // the http section, nil when absent
}

// Gateway is the gateway section: settings of the Redis-compatible gateway
// that "patchbay serve" uses when no flag or environment variable gives them.
type Gateway struct {
	Listen   string          // HOST:PORT; "" when not given
	Password string          // the default user's password; "" when not given
	Users    map[string]User // named users; nil when none
}

// User is a named gateway user. Exactly one of the fields is set.
type User struct {
	Password       string
	PasswordSHA256 [32]byte // the SHA-256 digest of the password
	HasSHA256      bool     // PasswordSHA256 was given
}

// HTTP is the http section: settings of the HTTP server of "patchbay serve".
type HTTP struct {
	Listen string // HOST:PORT; "" when not given
}

// Bot is one bot of a compose file.
type Bot struct {
	Name       string
	Pos        Pos
	Root       map[string]any // connection info: the root of the bot's settings config
	Settings   map[string]any // initial settings; never nil
	Connectors []Connector
	Tasks      []Task
	Workers    Workers
	Restart    Restart
}

// Connector is a connector entry: its name within the bot, type and conf.
type Connector struct {
	Name string
	Type string
	Conf json.RawMessage // a JSON object; "{}" when left out
	Pos  Pos             // of the type field
}

// Task is a task entry; Name defaults to the type.
type Task struct {
	Name string
	Type string
	Conf json.RawMessage // a JSON object; "{}" when left out
	Pos  Pos             // of the type field
}

// Workers is a bot's worker policy (see botruntime/pipeline.Options).
type Workers struct {
	MinIdle, Max int
	Lazy         bool
	MaxDeliver   int
	NakDelay     time.Duration
	AckWait      time.Duration
}

// Restart is a bot supervisor's restart intensity: at most MaxRestarts
// restarts within Period, or the failure escalates.
type Restart struct {
	MaxRestarts int
	Period      time.Duration
}

// Load reads and parses the compose file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading compose file: %w", err)
	}
	return Parse(path, data)
}

// Parse parses a compose file; name is used in error messages.
func Parse(name string, data []byte) (*File, error) {
	p := &parser{file: name, pos: map[string]Pos{}, keyPos: map[string]Pos{}}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, Errors{p.errAt(Pos{1, 1}, "empty compose file: expected a mapping with \"bots\"")}
		}
		return nil, Errors{p.yamlErr(err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{p.errAt(Pos{extra.Line, extra.Column}, "a second YAML document: a compose file holds one")}
	} else if err != io.EOF {
		return nil, Errors{p.yamlErr(err)}
	}
	v := p.value(&doc, "", 0)
	if len(p.errs) > 0 {
		return nil, p.sorted()
	}
	sch, err := schemas.Compile("compose")
	if err != nil {
		return nil, fmt.Errorf("compose schema: %w", err)
	}
	if err := sch.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if !errors.As(err, &ve) {
			return nil, fmt.Errorf("validating %s: %w", name, err)
		}
		p.schemaErrs(ve)
		return nil, p.sorted()
	}
	f := p.build(v.(map[string]any), &doc)
	if len(p.errs) > 0 {
		return nil, p.sorted()
	}
	return f, nil
}

// CheckTypes reports, with positions, every connector and task type for
// which knownConnector or knownTask returns false (nil skips that check).
func (f *File) CheckTypes(knownConnector, knownTask func(typ string) bool) error {
	var es Errors
	for _, b := range f.Bots {
		for i, c := range b.Connectors {
			if knownConnector != nil && !knownConnector(c.Type) {
				es = append(es, &Error{f.Name, c.Pos, fmt.Sprintf("bots.%s.connectors.%d.type: unknown connector type %q", b.Name, i, c.Type)})
			}
		}
		for i, t := range b.Tasks {
			if knownTask != nil && !knownTask(t.Type) {
				es = append(es, &Error{f.Name, t.Pos, fmt.Sprintf("bots.%s.tasks.%d.type: unknown task type %q", b.Name, i, t.Type)})
			}
		}
	}
	if len(es) > 0 {
		return es
	}
	return nil
}

type parser struct {
	file   string
	pos    map[string]Pos // JSON pointer -> position of the value
	keyPos map[string]Pos // JSON pointer -> position of the key naming it
	nodes  int
	errs   Errors
}

func (p *parser) errAt(pos Pos, format string, args ...any) *Error {
	if pos.Line == 0 {
		pos = Pos{1, 1}
	}
	return &Error{File: p.file, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) add(pos Pos, format string, args ...any) {
	p.errs = append(p.errs, p.errAt(pos, format, args...))
}

func (p *parser) sorted() Errors {
	sort.SliceStable(p.errs, func(i, j int) bool {
		a, b := p.errs[i], p.errs[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
	// Drop exact duplicates (one node can fail several ways).
	out := p.errs[:0]
	for i, e := range p.errs {
		if i > 0 && *e == *p.errs[i-1] {
			continue
		}
		out = append(out, e)
	}
	return out
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func (p *parser) yamlErr(err error) *Error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		return p.errAt(Pos{n, 1}, "YAML syntax: %s", m[2])
	}
	return p.errAt(Pos{1, 1}, "YAML: %s", strings.TrimPrefix(msg, "yaml: "))
}

// value converts a YAML node to a JSON value, recording positions under ptr.
func (p *parser) value(n *yaml.Node, ptr string, depth int) any {
	p.nodes++
	if p.nodes > maxNodes || depth > maxDepth {
		if p.nodes == maxNodes+1 || depth == maxDepth+1 {
			p.add(Pos{n.Line, n.Column}, "document too large or too deep after expanding aliases (limits: %d values, depth %d)", maxNodes, maxDepth)
		}
		return nil
	}
	pos := Pos{n.Line, n.Column}
	if _, ok := p.pos[ptr]; !ok {
		p.pos[ptr] = pos
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return p.value(n.Content[0], ptr, depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil
		}
		return p.value(n.Alias, ptr, depth+1)
	case yaml.SequenceNode:
		if n.Tag != "" && n.ShortTag() != "!!seq" {
			p.add(pos, "unsupported YAML tag %s", n.Tag)
			return nil
		}
		out := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			out = append(out, p.value(c, ptr+"/"+strconv.Itoa(i), depth+1))
		}
		return out
	case yaml.MappingNode:
		if n.Tag != "" && n.ShortTag() != "!!map" {
			p.add(pos, "unsupported YAML tag %s", n.Tag)
			return nil
		}
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			kpos := Pos{k.Line, k.Column}
			if k.Kind != yaml.ScalarNode {
				p.add(kpos, "mapping key must be a string")
				continue
			}
			if k.Tag == "!!merge" {
				p.add(kpos, "merge keys (<<) are not supported; repeat the keys instead")
				continue
			}
			if _, dup := out[k.Value]; dup {
				p.add(kpos, "duplicate key %q", k.Value)
				continue
			}
			cptr := ptr + "/" + escape(k.Value)
			p.keyPos[cptr] = kpos
			out[k.Value] = p.value(val, cptr, depth+1)
		}
		return out
	case yaml.ScalarNode:
		return p.scalar(n, pos)
	}
	p.add(pos, "unexpected YAML node")
	return nil
}

func (p *parser) scalar(n *yaml.Node, pos Pos) any {
	switch n.ShortTag() {
	case "!!str", "!!timestamp", "!!binary":
		return n.Value
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			p.add(pos, "bad boolean %q", n.Value)
		}
		return b
	case "!!int":
		var i int64
		if err := n.Decode(&i); err != nil {
			p.add(pos, "integer %s out of range", n.Value)
			return nil
		}
		return i
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			p.add(pos, "number %s cannot be written in JSON", n.Value)
			return nil
		}
		return f
	}
	p.add(pos, "unsupported YAML tag %s", n.Tag)
	return nil
}

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// display turns "/bots/greeter/workers" into "bots.greeter.workers".
func display(ptr string) string {
	if ptr == "" {
		return "(top level)"
	}
	parts := strings.Split(ptr[1:], "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return strings.Join(parts, ".")
}

var printer = message.NewPrinter(language.English)

// schemaErrs turns a validation error tree into positioned errors.
func (p *parser) schemaErrs(ve *jsonschema.ValidationError) {
	ptr := ""
	for _, t := range ve.InstanceLocation {
		ptr += "/" + escape(t)
	}
	switch k := ve.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		for _, prop := range k.Properties {
			kp := ptr + "/" + escape(prop)
			p.add(p.keyPos[kp], "%s: unknown key %q here (allowed: %s)", display(ptr), prop, p.allowed(ptr))
		}
		return
	case *kind.PropertyNames:
		kp := ptr + "/" + escape(k.Property)
		p.add(p.keyPos[kp], "%s: bad name %q: want 1 to 64 letters, digits, '_' or '-'", display(ptr), k.Property)
		return
	case *kind.Required:
		p.add(p.pos[ptr], "%s: %s", display(ptr), k.LocalizedString(printer))
		return
	}
	if len(ve.Causes) > 0 {
		for _, c := range ve.Causes {
			p.schemaErrs(c)
		}
		return
	}
	p.add(p.pos[ptr], "%s: %s", display(ptr), ve.ErrorKind.LocalizedString(printer))
}

// allowed lists the keys the schema allows at an object location (for
// "unknown key" messages), from the shape of the compose schema.
func (p *parser) allowed(ptr string) string {
	parts := strings.Split(ptr, "/")
	switch {
	case ptr == "":
		return "version, bots, gateway, http"
	case ptr == "/gateway":
		return "listen, password, users"
	case len(parts) == 4 && parts[1] == "gateway" && parts[2] == "users":
		return "password, password_sha256"
	case ptr == "/http":
		return "listen"
	case len(parts) == 3 && parts[1] == "bots":
		return "root, settings, connectors, tasks, workers, restart"
	case len(parts) == 4 && parts[3] == "workers":
		return "min_idle, max, lazy, max_deliver, nak_delay, ack_wait"
	case len(parts) == 4 && parts[3] == "restart":
		return "max_restarts, period"
	case len(parts) == 5 && parts[3] == "connectors":
		return "name, type, conf"
	case len(parts) == 5 && parts[3] == "tasks":
		return "name, type, conf"
	}
	return "see schemas/compose.schema.json"
}

// build turns a schema-valid value into a File; it checks what the schema
// cannot (unique connector names).
func (p *parser) build(v map[string]any, doc *yaml.Node) *File {
	f := &File{Name: p.file, Version: 1}
	// Bot order is file order: read it from the YAML mapping.
	var order []string
	if root := doc.Content[0]; root.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "bots" {
				bots := root.Content[i+1]
				for bots.Kind == yaml.AliasNode && bots.Alias != nil {
					bots = bots.Alias
				}
				for j := 0; j+1 < len(bots.Content); j += 2 {
					order = append(order, bots.Content[j].Value)
				}
			}
		}
	}
	if g, ok := v["gateway"].(map[string]any); ok {
		f.Gateway = &Gateway{}
		f.Gateway.Listen, _ = g["listen"].(string)
		f.Gateway.Password, _ = g["password"].(string)
		if us, ok := g["users"].(map[string]any); ok && len(us) > 0 {
			f.Gateway.Users = make(map[string]User, len(us))
			for name, u := range us {
				um := u.(map[string]any)
				var user User
				user.Password, _ = um["password"].(string)
				if h, ok := um["password_sha256"].(string); ok {
					// The schema's pattern guarantees 64 lower-case hex digits.
					_, _ = hex.Decode(user.PasswordSHA256[:], []byte(h))
					user.HasSHA256 = true
				}
				f.Gateway.Users[name] = user
			}
		}
	}
	if h, ok := v["http"].(map[string]any); ok {
		f.HTTP = &HTTP{}
		f.HTTP.Listen, _ = h["listen"].(string)
	}
	bots := v["bots"].(map[string]any)
	for _, name := range order {
		bm, ok := bots[name].(map[string]any)
		if !ok {
			continue
		}
		bp := "/bots/" + escape(name)
		b := Bot{Name: name, Pos: p.keyPos[bp], Root: bm["root"].(map[string]any), Settings: map[string]any{}}
		if s, ok := bm["settings"].(map[string]any); ok {
			b.Settings = s
		}
		seen := map[string]bool{}
		for i, c := range bm["connectors"].([]any) {
			cm := c.(map[string]any)
			cp := fmt.Sprintf("%s/connectors/%d", bp, i)
			con := Connector{Name: cm["name"].(string), Type: cm["type"].(string), Conf: rawConf(cm["conf"]), Pos: p.pos[cp+"/type"]}
			if seen[con.Name] {
				p.add(p.pos[cp+"/name"], "%s.name: connector name %q used twice in bot %q", display(cp), con.Name, name)
			}
			seen[con.Name] = true
			b.Connectors = append(b.Connectors, con)
		}
		for i, t := range bm["tasks"].([]any) {
			tm := t.(map[string]any)
			tp := fmt.Sprintf("%s/tasks/%d", bp, i)
			tk := Task{Type: tm["type"].(string), Conf: rawConf(tm["conf"]), Pos: p.pos[tp+"/type"]}
			tk.Name, _ = tm["name"].(string)
			if tk.Name == "" {
				tk.Name = tk.Type
			}
			b.Tasks = append(b.Tasks, tk)
		}
		w, _ := bm["workers"].(map[string]any)
		b.Workers = Workers{
			MinIdle:    intOr(w["min_idle"], DefaultMinIdle),
			Max:        intOr(w["max"], DefaultMaxWorkers),
			Lazy:       w["lazy"] == true,
			MaxDeliver: intOr(w["max_deliver"], DefaultMaxDeliver),
			NakDelay:   p.dur(w["nak_delay"], DefaultNakDelay, bp+"/workers/nak_delay"),
			AckWait:    p.dur(w["ack_wait"], DefaultAckWait, bp+"/workers/ack_wait"),
		}
		if b.Workers.Max < b.Workers.MinIdle {
			p.add(p.pos[bp+"/workers/max"], "%s.workers.max: %d is less than min_idle %d", display(bp), b.Workers.Max, b.Workers.MinIdle)
		}
		r, _ := bm["restart"].(map[string]any)
		b.Restart = Restart{
			MaxRestarts: intOr(r["max_restarts"], DefaultMaxRestarts),
			Period:      p.dur(r["period"], DefaultPeriod, bp+"/restart/period"),
		}
		f.Bots = append(f.Bots, b)
	}
	return f
}

func rawConf(v any) json.RawMessage {
	if v == nil {
		return json.RawMessage("{}")
	}
	b, _ := json.Marshal(v)
	return b
}

func intOr(v any, def int) int {
	if i, ok := v.(int64); ok {
		return int(i)
	}
	return def
}

func (p *parser) dur(v any, def time.Duration, ptr string) time.Duration {
	s, ok := v.(string)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		p.add(p.pos[ptr], "%s: want a positive duration like \"1s\", got %q", display(ptr), s)
		return def
	}
	return d
}
