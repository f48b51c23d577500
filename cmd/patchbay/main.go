// Command patchbay is the Patchbay binary: the configuration store, the
// Redis-compatible gateway, the bot host and the benchmark harness.
//
// Run "patchbay --help" for the list of commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/patchbay/patchbay/cmd/patchbay/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "patchbay:", err)
		os.Exit(cli.ExitCode(err))
	}
}
