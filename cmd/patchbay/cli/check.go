package cli

import (
	"context"
	"errors"
	"fmt"

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
	return f, nil
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
