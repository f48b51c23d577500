package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/patchbay/patchbay/eventstore"
)

func init() {
	register(Command{Name: "log", Summary: "print a config's updates in order (seq, hash, time, ops)", Run: runLog})
}

func runLog(ctx context.Context, cio IO, args []string) error {
	fs := newFlags("log", "[--server URL] [--json] <root>", "Replay a config's log from JetStream and print one line per update.", cio)
	server := serverFlag(fs)
	asJSON := fs.Bool("json", false, "print each update as a JSON line (the stored Update message)")
	pos, err := parseFlags(fs, cio, args, 1)
	if err != nil {
		return err
	}
	root, err := hashArg("root", pos[0])
	if err != nil {
		return err
	}
	c, nc, err := connectStore(ctx, *server)
	if err != nil {
		return err
	}
	defer nc.Close()
	if _, err := c.Get(ctx, root); err != nil {
		return err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(cio.Stdout, 0, 4, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "SEQ\tHASH\tTIME\tOPS")
		fmt.Fprintf(tw, "0\t%s\t-\t(root)\n", root)
	}
	err = eventstore.Replay(ctx, js, root, 0, func(u eventstore.Update, _ uint64) error {
		if *asJSON {
			b, err := json.Marshal(u)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cio.Stdout, "%s\n", b)
			return err
		}
		_, err := fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", u.Seq, u.Hash, u.Time.Format(time.RFC3339), u.Patch)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Flush()
}
