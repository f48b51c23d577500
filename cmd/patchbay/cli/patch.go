package cli

import (
	"context"
	"fmt"

	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/hashchain"
)

func init() {
	register(Command{Name: "patch", Summary: "submit a patch against a hash; prints the new hash", Run: runPatch})
}

func runPatch(ctx context.Context, cio IO, args []string) error {
	fs := newFlags("patch", "[--server URL] <parent-hash> <patch-json | @file | ->",
		"Submit an RFC 6902 patch array or an envelope {\"parent\",\"patch\",\"meta\"} against parent-hash\nand print the new hash. A refusal (stale, unknown_parent, ...) exits with status 3.", cio)
	server := serverFlag(fs)
	pos, err := parseFlags(fs, cio, args, 2)
	if err != nil {
		return err
	}
	parent, err := hashchain.ParseHash(pos[0])
	if err != nil {
		return fmt.Errorf("%w: parent: %v", ErrUsage, err)
	}
	b, err := readArg(pos[1], cio.Stdin)
	if err != nil {
		return err
	}
	nc, err := dial(ctx, *server)
	if err != nil {
		return err
	}
	defer nc.Close()
	r, err := eventstore.NewClient(nc).Submit(ctx, parent, b)
	if err != nil {
		return err
	}
	fmt.Fprintln(cio.Stdout, r.Hash)
	return nil
}
