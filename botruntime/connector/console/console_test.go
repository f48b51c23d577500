package console

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/patchbay/patchbay/botruntime/connector"
)

func TestConsole(t *testing.T) {
	var out bytes.Buffer
	var c connector.Connector
	var got []map[string]string
	sink := func(ctx context.Context, m map[string]string) error {
		got = append(got, m)
		return c.Reply(ctx, m, "hello, "+m["user"]+"!\nbye")
	}
	c, err := connector.New("console", connector.Params{ID: "con", Conf: []byte(`{"user":"ann","name":"greeter"}`), Sink: sink,
		Stdin: strings.NewReader("!hello\n\n  second  \n"), Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Serve(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := "<greeter> hello, ann!\n<greeter> bye\n<greeter> hello, ann!\n<greeter> bye\n"; out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
	if len(got) != 2 || got[0]["text"] != "!hello" || got[1]["text"] != "second" || got[1]["id"] != "con-2" || got[0]["platform"] != "console" {
		t.Fatalf("messages %v", got)
	}
	if _, err := connector.New("console", connector.Params{ID: "x", Conf: []byte(`{"usr":"typo"}`), Sink: sink}); err == nil {
		t.Fatal("unknown conf field accepted")
	}
}
