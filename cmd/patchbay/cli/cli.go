package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/hashchain"
)

// ErrUsage marks a command-line usage error; ExitCode maps it to status 2.
var ErrUsage = errors.New("usage")

// Command is one patchbay subcommand.
type Command struct {
	// Name is the word on the command line ("serve").
	Name string
	// Summary is the one-line description shown by "patchbay --help".
	Summary string
	// Run runs the command with the arguments after its name. It parses its
	// own flags (newFlags) and writes results to io.Stdout.
	Run func(ctx context.Context, io IO, args []string) error
}

// IO is a command's standard streams.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// commands is the command table, filled by register from init functions
// only (never mutated after init).
var commands = map[string]Command{}

// register adds c to the command table. Call it from an init function in
// the command's own file. It panics on an empty or duplicate name.
func register(c Command) {
	if c.Name == "" || c.Run == nil {
		panic("cli: register: command needs a Name and a Run")
	}
	if _, dup := commands[c.Name]; dup {
		panic("cli: register: duplicate command " + c.Name)
	}
	commands[c.Name] = c
}

// Main runs the patchbay command named by args[0] with the remaining
// arguments. It returns nil on success; the caller prints the error and exits
// with ExitCode(err).
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cio := IO{Stdin: stdin, Stdout: stdout, Stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return fmt.Errorf("%w: no command given", ErrUsage)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		usage(stderr)
		return fmt.Errorf("%w: unknown command %q", ErrUsage, args[0])
	}
	err := c.Run(ctx, cio, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: patchbay <command> [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].Summary)
	}
	fmt.Fprintln(w, "\nRun \"patchbay <command> --help\" for a command's flags.")
}

// ExitCode returns the process exit status for an error returned by Main:
// 0 for nil, 2 for usage errors, 3 for a refusal by the store, else 1.
func ExitCode(err error) int {
	var re *eventstore.RefusedError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrUsage):
		return 2
	case errors.As(err, &re):
		return 3
	default:
		return 1
	}
}

// newFlags returns a flag set for a command; synopsis follows the command
// name in its usage line.
func newFlags(name, synopsis, summary string, cio IO) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(cio.Stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: patchbay %s %s\n\n%s\n", name, synopsis, summary)
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintln(w, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args; "--help" prints usage to stdout and returns
// flag.ErrHelp (Main turns it into success). Flags may follow arguments.
func parseFlags(fs *flag.FlagSet, cio IO, args []string, nargs int) ([]string, error) {
	var pos []string
	for {
		fs.SetOutput(io.Discard)
		err := fs.Parse(args)
		fs.SetOutput(cio.Stderr)
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(cio.Stdout)
			fs.Usage()
			return nil, flag.ErrHelp
		}
		if err != nil {
			fs.Usage()
			return nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if nargs >= 0 && len(pos) != nargs {
		fs.Usage()
		return nil, fmt.Errorf("%w: %s takes %d argument(s), got %d", ErrUsage, fs.Name(), nargs, len(pos))
	}
	return pos, nil
}

// envOr returns the environment variable name, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// serverFlag adds --server to fs.
func serverFlag(fs *flag.FlagSet) *string {
	return fs.String("server", envOr("PATCHBAY_SERVER", "nats://127.0.0.1:4222"), "NATS URL of a running patchbay node, nats://TOKEN@host:port with a token (env PATCHBAY_SERVER; the token may come from PATCHBAY_NATS_TOKEN)")
}

// hashArg parses a positional hash argument; a malformed one is a usage
// error naming what the argument is.
func hashArg(what, s string) (hashchain.Hash, error) {
	h, err := hashchain.ParseHash(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %s: %v", ErrUsage, what, err)
	}
	return h, nil
}

// connectStore connects to the patchbay node at url and returns a store
// client over the connection; the caller closes the connection.
func connectStore(ctx context.Context, url string) (*eventstore.Client, *nats.Conn, error) {
	nc, err := dial(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	return eventstore.NewClient(nc), nc, nil
}

// dial connects to a patchbay node.
func dial(ctx context.Context, url string) (*nats.Conn, error) {
	timeout := 5 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	opts := []nats.Option{nats.Name("patchbay-cli"), nats.Timeout(timeout)}
	if tok := os.Getenv("PATCHBAY_NATS_TOKEN"); tok != "" {
		opts = append(opts, nats.Token(tok))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s (is \"patchbay serve\" running? set --server or PATCHBAY_SERVER): %w", url, err)
	}
	return nc, nil
}

// readArg returns an argument's content: the text itself, "@file" for a
// file's content, or "-" for standard input.
func readArg(arg string, stdin io.Reader) ([]byte, error) {
	switch {
	case arg == "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fmt.Errorf("read standard input: %w", err)
		}
		return b, nil
	case strings.HasPrefix(arg, "@"):
		b, err := os.ReadFile(arg[1:])
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", arg[1:], err)
		}
		return b, nil
	}
	return []byte(arg), nil
}
