package cli

import (
	"context"
	"fmt"

	"github.com/patchbay/patchbay/hashchain"
)

func init() {
	register(Command{Name: "hash", Summary: "print the root hash of a root configuration (offline)", Run: runHash})
}

func runHash(ctx context.Context, cio IO, args []string) error {
	fs := newFlags("hash", "<root-json | @file | ->", "Print the root hash of a root configuration; needs no server.", cio)
	pos, err := parseFlags(fs, cio, args, 1)
	if err != nil {
		return err
	}
	b, err := readArg(pos[0], cio.Stdin)
	if err != nil {
		return err
	}
	h, _, err := hashchain.RootHash(b)
	if err != nil {
		return err
	}
	fmt.Fprintln(cio.Stdout, h)
	return nil
}
