package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/patchbay/patchbay/botruntime/compose"
	"github.com/patchbay/patchbay/botruntime/connector"
	_ "github.com/patchbay/patchbay/botruntime/host" // registers the built-in connector and task types
	"github.com/patchbay/patchbay/botruntime/task"
)

func init() {
	register(Command{Name: "check", Summary: "validate compose files (bots, connectors, tasks) without running them", Run: runCheck})
}

// ErrInvalidFile reports that check found problems; they were printed, one
// per line, as file:line:col: message.
var ErrInvalidFile = errors.New("invalid compose file")

func runCheck(ctx context.Context, cio IO, args []string) error {
	fs := newFlags("check", "<patchbay.yml>...",
		"Validate compose files against the schema and the registered connector and task types.\nPrints file:line:col: message for every problem, or one ok line per file.", cio)
	files, err := parseFlags(fs, cio, args, -1)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		fs.Usage()
		return fmt.Errorf("%w: check needs at least one file", ErrUsage)
	}
	bad := 0
	for _, path := range files {
		f, err := loadCompose(path)
		if err != nil {
			bad++
			fmt.Fprintln(cio.Stderr, err)
			continue
		}
		fmt.Fprintf(cio.Stdout, "%s: ok (%s)\n", path, plural(len(f.Bots), "bot"))
	}
	if bad > 0 {
		return fmt.Errorf("%w: %d of %d files have problems", ErrInvalidFile, bad, len(files))
	}
	return nil
}

// loadCompose reads, parses and validates a compose file, including the
// connector and task types it names.
func loadCompose(path string) (*compose.File, error) {
	f, err := compose.Load(path)
	if err != nil {
		return nil, err
	}
	if err := f.CheckTypes(connector.Lookup, task.Lookup); err != nil {
		return nil, err
	}
	if err := checkConfs(f); err != nil {
		return nil, err
	}
	return f, nil
}

// checkConfs builds every connector (check only) and task of f, so that a
// conf the type refuses is reported at its place in the file.
func checkConfs(f *compose.File) error {
	var es compose.Errors
	for _, b := range f.Bots {
		for i, c := range b.Connectors {
			if err := connector.Check(c.Type, c.Conf); err != nil {
				es = append(es, &compose.Error{File: f.Name, Pos: c.Pos, Msg: fmt.Sprintf("bots.%s.connectors.%d.conf: %s", b.Name, i, confErr(err))})
			}
		}
		for i, t := range b.Tasks {
			if _, err := task.New(t.Type, t.Conf); err != nil {
				es = append(es, &compose.Error{File: f.Name, Pos: t.Pos, Msg: fmt.Sprintf("bots.%s.tasks.%d.conf: %s", b.Name, i, confErr(err))})
			}
		}
	}
	if len(es) > 0 {
		return es
	}
	return nil
}

// confErr is a factory's error without the wrapping that names the type
// (the position already says where).
func confErr(err error) string {
	msg := err.Error()
	for _, p := range []string{`connector "check" (`, `task type "`} {
		if strings.HasPrefix(msg, p) {
			if i := strings.Index(msg, ": "); i >= 0 {
				msg = msg[i+2:]
			}
		}
	}
	return msg
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
