package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/patchbay/patchbay/hashchain"
)

// Replay reads the updates of the config rooted at root in order, starting
// after stream sequence afterLogSeq (0: from the beginning), with an ordered
// consumer filtered on pb.log.<root> only, and calls fn with each update and
// its stream sequence. It returns when it has delivered every entry that
// existed when it started, or with the first error fn returns.
func Replay(ctx context.Context, js jetstream.JetStream, root hashchain.Hash, afterLogSeq uint64, fn func(u Update, logSeq uint64) error) error {
	stream, err := js.Stream(ctx, StreamName)
	if err != nil {
		return fmt.Errorf("replay %s: %w", root, err)
	}
	subj := SubjectLogPrefix + root.String()
	last, err := stream.GetLastMsgForSubject(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("replay %s: %w", root, err)
	}
	if last.Sequence <= afterLogSeq {
		return nil
	}
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subj}, DeliverPolicy: jetstream.DeliverAllPolicy}
	if afterLogSeq > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, afterLogSeq+1
	}
	cons, err := stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("replay %s: %w", root, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("replay %s: %w", root, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("replay %s: %w", root, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("replay %s: %w", root, err)
		}
		var u Update
		if err := json.Unmarshal(m.Data(), &u); err != nil {
			return fmt.Errorf("replay %s at %d: %w", root, md.Sequence.Stream, err)
		}
		if err := fn(u, md.Sequence.Stream); err != nil {
			return err
		}
		if md.Sequence.Stream >= last.Sequence {
			return nil
		}
	}
}
