package cli

import (
	"context"
	"fmt"
)

func init() {
	register(Command{Name: "create", Summary: "create a config from a root configuration; prints the root hash", Run: runCreate})
}

func runCreate(ctx context.Context, cio IO, args []string) error {
	fs := newFlags("create", "[--server URL] <root-json | @file | ->", "Create a config (idempotent) and print its root hash.", cio)
	server := serverFlag(fs)
	pos, err := parseFlags(fs, cio, args, 1)
	if err != nil {
		return err
	}
	b, err := readArg(pos[0], cio.Stdin)
	if err != nil {
		return err
	}
	c, nc, err := connectStore(ctx, *server)
	if err != nil {
		return err
	}
	defer nc.Close()
	r, err := c.Create(ctx, b)
	if err != nil {
		return err
	}
	fmt.Fprintln(cio.Stdout, r.Root)
	return nil
}
