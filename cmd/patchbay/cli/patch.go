package cli

import (
	"context"
	"fmt"
)

func init() {
	register(Command{Name: "patch", Summary: "submit a patch against a hash; prints the new hash", Run: runPatch})
}

func runPatch(ctx context.Context, cio IO, args []string) error {
	fs := newFlags("patch", "[--server URL] [--head] <parent-hash> <patch-json | @file | ->",
		"Submit an RFC 6902 patch array or an envelope {\"parent\",\"patch\",\"meta\"} against parent-hash\nand print the new hash. A refusal (stale, unknown_parent, ...) exits with status 3.\nWith --head, the first argument is any hash of the config (e.g. its root) and the\npatch goes against the config's current head.", cio)
	server := serverFlag(fs)
	atHead := fs.Bool("head", false, "submit against the current head of the config the hash belongs to")
	pos, err := parseFlags(fs, cio, args, 2)
	if err != nil {
		return err
	}
	parent, err := hashArg("parent", pos[0])
	if err != nil {
		return err
	}
	b, err := readArg(pos[1], cio.Stdin)
	if err != nil {
		return err
	}
	c, nc, err := connectStore(ctx, *server)
	if err != nil {
		return err
	}
	defer nc.Close()
	if *atHead {
		g, err := c.Get(ctx, parent)
		if err != nil {
			return err
		}
		parent = g.Head
	}
	r, err := c.Submit(ctx, parent, b)
	if err != nil {
		return err
	}
	fmt.Fprintln(cio.Stdout, r.Hash)
	return nil
}
