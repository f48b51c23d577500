package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// ErrUsage marks a command-line usage error; ExitCode maps it to status 2.
var ErrUsage = errors.New("usage")

// Main runs the patchbay command named by args[0] with the remaining
// arguments. It returns nil on success; the caller prints the error and exits
// with ExitCode(err).
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("patchbay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: patchbay <command> [flags]") }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	return fmt.Errorf("%w: no commands yet", ErrUsage)
}

// ExitCode returns the process exit status for an error returned by Main.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrUsage):
		return 2
	default:
		return 1
	}
}
