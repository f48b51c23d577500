package cli

import (
	"context"
	"encoding/json"
	"fmt"
)

func init() {
	register(Command{Name: "get", Summary: "print a config: the head for a root hash, else the config at a hash", Run: runGet})
}

func runGet(ctx context.Context, cio IO, args []string) error {
	fs := newFlags("get", "[--server URL] [--config] [--at] <root-or-hash>",
		"Print {root,hash,seq,config,head} as JSON: for a root hash, the config's current head;\nfor another hash, the config at that hash.", cio)
	server := serverFlag(fs)
	only := fs.Bool("config", false, "print only the configuration document")
	at := fs.Bool("at", false, "for a root hash, print the root configuration itself (seq 0), not the head")
	pos, err := parseFlags(fs, cio, args, 1)
	if err != nil {
		return err
	}
	h, err := hashArg("hash", pos[0])
	if err != nil {
		return err
	}
	c, nc, err := connectStore(ctx, *server)
	if err != nil {
		return err
	}
	defer nc.Close()
	r, err := c.Get(ctx, h)
	if err != nil {
		return err
	}
	if !*at && r.Hash == r.Root && r.Head != r.Hash {
		if r, err = c.Get(ctx, r.Head); err != nil {
			return err
		}
	}
	var out []byte
	if *only {
		out = r.Config
	} else if out, err = json.Marshal(r); err != nil {
		return err
	}
	fmt.Fprintf(cio.Stdout, "%s\n", out)
	return nil
}
