package compose

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadGreeter(t *testing.T) {
	f, err := Load("testdata/greeter.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Bots) != 1 {
		t.Fatalf("got %d bots", len(f.Bots))
	}
	b := f.Bots[0]
	if b.Name != "greeter" || b.Root["channel"] != "#lobby" || b.Settings["greeting"] != "Hello" {
		t.Fatalf("bot %+v", b)
	}
	if len(b.Connectors) != 1 || b.Connectors[0].Type != "irc" || !strings.Contains(string(b.Connectors[0].Conf), `"nick":"greeter"`) {
		t.Fatalf("connectors %+v", b.Connectors)
	}
	if len(b.Tasks) != 2 || b.Tasks[0].Name != "command" || b.Tasks[1].Type != "log" || string(b.Tasks[1].Conf) != "{}" {
		t.Fatalf("tasks %+v", b.Tasks)
	}
	if b.Workers != (Workers{MinIdle: 1, Max: 4, MaxDeliver: DefaultMaxDeliver, NakDelay: time.Second, AckWait: 30 * time.Second}) {
		t.Fatalf("workers %+v", b.Workers)
	}
	if b.Restart != (Restart{5, 10 * time.Second}) {
		t.Fatalf("restart %+v", b.Restart)
	}
	if b.Tasks[0].Pos != (Pos{19, 15}) || b.Pos != (Pos{4, 3}) {
		t.Fatalf("positions: task type %v, bot %v", b.Tasks[0].Pos, b.Pos)
	}
	err = f.CheckTypes(func(s string) bool { return s == "irc" }, func(s string) bool { return s == "command" })
	if err == nil || err.Error() != "testdata/greeter.yaml:28:15: bots.greeter.tasks.1.type: unknown task type \"log\"" {
		t.Fatalf("CheckTypes = %v", err)
	}
}

func TestOrderAndAliases(t *testing.T) {
	src := `
common: &c {platform: irc}
bots:
  zeta: {root: *c, connectors: [{name: a, type: console}], tasks: [{type: log}]}
  alpha: {root: *c, connectors: [{name: a, type: console}], tasks: [{type: log}]}
`
	_, err := Parse("x.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), `x.yaml:2:1: (top level): unknown key "common"`) {
		t.Fatalf("err = %v", err)
	}
	src = strings.Replace(src, "common: &c {platform: irc}\n", "", 1)
	src = strings.Replace(src, "root: *c", "root: &c {platform: irc}", 1)
	f, err := Parse("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if f.Bots[0].Name != "zeta" || f.Bots[1].Name != "alpha" || f.Bots[1].Root["platform"] != "irc" {
		t.Fatalf("bots %+v", f.Bots)
	}
}

const okBot = `bots:
  b:
    root: {platform: irc}
    connectors: [{name: c, type: irc}]
    tasks: [{type: log}]
`

func TestBadFiles(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"empty", "", []string{"f.yaml:1:1: empty compose file: expected a mapping with \"bots\""}},
		{"not a mapping", "- a\n- b\n", []string{"f.yaml:1:1: (top level): got array, want object"}},
		{"syntax", "bots:\n  b: [\n", []string{"f.yaml:2:1: YAML syntax: did not find expected node content"}},
		{"no bots", "version: 1\n", []string{"f.yaml:1:1: (top level): missing property 'bots'"}},
		{"bad version", "version: 2\n" + okBot, []string{"f.yaml:1:10: version: value must be 1"}},
		{"unknown top key", "bot: {}\n" + okBot, []string{`f.yaml:1:1: (top level): unknown key "bot" here (allowed: version, bots, gateway, http)`}},
		{"gateway unknown key", okBot + "gateway: {listn: x}\n", []string{`f.yaml:6:11: gateway: unknown key "listn" here (allowed: listen, password, users)`}},
		{"gateway user two secrets", okBot + "gateway:\n  users:\n    al: {password: a, password_sha256: " + strings.Repeat("a", 64) + "}\n",
			[]string{"f.yaml:8:9: gateway.users.al: maxProperties: got 2, want 1"}},
		{"gateway user bad digest", okBot + "gateway:\n  users:\n    al: {password_sha256: ABC}\n",
			[]string{"f.yaml:8:27: gateway.users.al.password_sha256: 'ABC' does not match pattern '^[0-9a-f]{64}$'"}},
		{"gateway user unknown key", okBot + "gateway:\n  users:\n    al: {pass: a}\n",
			[]string{`f.yaml:8:10: gateway.users.al: unknown key "pass" here (allowed: password, password_sha256)`}},
		{"http listen empty", okBot + "http: {listen: ''}\n", []string{"f.yaml:6:16: http.listen: minLength: got 0, want 1"}},
		{"bad bot name", "bots:\n  bad.name:\n    root: {platform: irc}\n    connectors: [{name: c, type: irc}]\n    tasks: [{type: log}]\n",
			[]string{`f.yaml:2:3: bots: bad name "bad.name": want 1 to 64 letters, digits, '_' or '-'`}},
		{"missing root", "bots:\n  b:\n    connectors: [{name: c, type: irc}]\n    tasks: [{type: log}]\n",
			[]string{"f.yaml:3:5: bots.b: missing property 'root'"}},
		{"root without platform", strings.Replace(okBot, "{platform: irc}", "{server: x}", 1),
			[]string{"f.yaml:3:11: bots.b.root: missing property 'platform'"}},
		{"typo in bot", okBot + "    setings: {}\n",
			[]string{`f.yaml:6:5: bots.b: unknown key "setings" here (allowed: root, settings, connectors, tasks, workers, restart)`}},
		{"wrong types", okBot + "    workers: {min_idle: 0, max: many, lazy: \"yes\"}\n    restart: {period: soon}\n", []string{
			"f.yaml:6:25: bots.b.workers.min_idle: minimum: got 0, want 1",
			"f.yaml:6:33: bots.b.workers.max: got string, want integer",
			"f.yaml:6:45: bots.b.workers.lazy: got string, want boolean",
			"f.yaml:7:23: bots.b.restart.period: 'soon' does not match pattern '^([0-9]+(\\\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$'",
		}},
		{"max below min", okBot + "    workers: {min_idle: 3, max: 2}\n", []string{"f.yaml:6:33: bots.b.workers.max: 2 is less than min_idle 3"}},
		{"connector without name", strings.Replace(okBot, "{name: c, type: irc}", "{type: irc, conf: 5}", 1), []string{
			"f.yaml:4:18: bots.b.connectors.0: missing property 'name'",
			"f.yaml:4:36: bots.b.connectors.0.conf: got number, want object",
		}},
		{"duplicate connector", strings.Replace(okBot, "{name: c, type: irc}", "{name: c, type: irc}, {name: c, type: slack}", 1),
			[]string{"f.yaml:4:47: bots.b.connectors.1.name: connector name \"c\" used twice in bot \"b\""}},
		{"no tasks", strings.Replace(okBot, "[{type: log}]", "[]", 1), []string{"f.yaml:5:12: bots.b.tasks: minItems: got 0, want 1"}},
		{"duplicate key", okBot + "    tasks: []\n", []string{`f.yaml:6:5: duplicate key "tasks"`}},
		{"merge key", "x: &a {platform: irc}\nbots:\n  b:\n    root: {<<: *a}\n", []string{"f.yaml:4:12: merge keys (<<) are not supported; repeat the keys instead"}},
		{"custom tag", "bots: !thing {}\n", []string{"f.yaml:1:7: unsupported YAML tag !thing"}},
		{"custom scalar tag", strings.Replace(okBot, "platform: irc", "platform: !x irc", 1), []string{"f.yaml:3:22: unsupported YAML tag !x"}},
		{"infinity", strings.Replace(okBot, "{platform: irc}", "{platform: irc, x: .inf}", 1), []string{"f.yaml:3:30: number .inf cannot be written in JSON"}},
		{"two documents", okBot + "---\n" + okBot, []string{"f.yaml:6:1: a second YAML document: a compose file holds one"}},
		{"non-string key", "bots:\n  [a]: {}\n", []string{"f.yaml:2:3: mapping key must be a string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("f.yaml", []byte(tt.src))
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
			if got, want := err.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestBillionLaughs(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	_, err := Parse("lol.yaml", []byte(b.String()))
	if err == nil {
		t.Fatal("no error")
	}
	// yaml.v3 itself may refuse first ("excessive aliasing"); either way it must fail fast.
	if !strings.Contains(err.Error(), "too large") && !strings.Contains(err.Error(), "alias") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadMissing(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	seed, _ := os.ReadFile("testdata/greeter.yaml")
	f.Add(seed)
	f.Add([]byte(okBot))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("fuzz.yaml", data)
		if err != nil {
			var es Errors
			if !errors.As(err, &es) {
				return // the schema failed to compile: not the input's fault
			}
			for _, e := range es {
				if e.Line < 1 || e.Column < 1 || !strings.HasPrefix(e.Error(), "fuzz.yaml:") {
					t.Fatalf("error without position: %q", e.Error())
				}
			}
			return
		}
		if len(file.Bots) == 0 {
			t.Fatal("valid file without bots")
		}
		for _, b := range file.Bots {
			if len(b.Connectors) == 0 || len(b.Tasks) == 0 || b.Workers.Max < b.Workers.MinIdle {
				t.Fatalf("invalid bot accepted: %+v", b)
			}
		}
	})
}

func TestGatewayAndHTTPSections(t *testing.T) {
	digest := sha256.Sum256([]byte("builder"))
	src := okBot + "gateway:\n  listen: 127.0.0.1:7000\n  password: pw\n  users:\n    alice: {password: wonderland}\n    bob: {password_sha256: " + hex.EncodeToString(digest[:]) + "}\nhttp: {listen: 127.0.0.1:8081}\n"
	f, err := Parse("f.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := &Gateway{Listen: "127.0.0.1:7000", Password: "pw", Users: map[string]User{
		"alice": {Password: "wonderland"},
		"bob":   {PasswordSHA256: digest, HasSHA256: true},
	}}
	if !reflect.DeepEqual(f.Gateway, want) {
		t.Fatalf("gateway %+v, want %+v", f.Gateway, want)
	}
	if f.HTTP == nil || f.HTTP.Listen != "127.0.0.1:8081" {
		t.Fatalf("http %+v", f.HTTP)
	}
	f, err = Parse("f.yaml", []byte(okBot))
	if err != nil || f.Gateway != nil || f.HTTP != nil {
		t.Fatalf("without sections: %+v %+v %v", f.Gateway, f.HTTP, err)
	}
}
