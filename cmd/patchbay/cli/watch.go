package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/patchbay/patchbay/eventstore"
	"github.com/patchbay/patchbay/eventstore/follower"
	"github.com/patchbay/patchbay/hashchain"
)

func init() {
	register(Command{Name: "watch", Summary: "follow a config and print each update as a JSON line until interrupted", Run: runWatch})
}

func runWatch(ctx context.Context, cio IO, args []string) error {
	fs := newFlags("watch", "[--server URL] <root>",
		"Follow a config: print its current head as a JSON line {root,hash,seq,config},\nthen every later update (an Update message) as a JSON line, until interrupted.", cio)
	server := serverFlag(fs)
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
	// mu serialises writes to stdout and guards ready and printed: updates
	// up to the head printed at Ready are not printed again.
	var mu sync.Mutex
	ready := false
	var printed uint64
	f := follower.New(nc, root, follower.Options{OnUpdate: func(u eventstore.Update, _ []byte) {
		mu.Lock()
		defer mu.Unlock()
		if !ready || u.Seq <= printed {
			return
		}
		b, _ := json.Marshal(u)
		fmt.Fprintf(cio.Stdout, "%s\n", b)
		printed = u.Seq
	}})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.Serve(ctx) }()
	select {
	case <-f.Ready():
	case <-ctx.Done():
		<-done
		return nil
	}
	mu.Lock()
	h, seq, doc := f.Head()
	head, _ := json.Marshal(struct {
		Root   hashchain.Hash  `json:"root"`
		Hash   hashchain.Hash  `json:"hash"`
		Seq    uint64          `json:"seq"`
		Config json.RawMessage `json:"config"`
	}{root, h, seq, doc})
	fmt.Fprintf(cio.Stdout, "%s\n", head)
	printed, ready = seq, true
	mu.Unlock()
	<-done
	return nil
}
