// Package follower follows one Patchbay config: it loads the config's current
// state, then delivers every later update in order, with no gap and no
// duplicate, even when it starts while writers are busy, and across server
// restarts.
//
// A Follower reads the store's JetStream layout directly (see package
// eventstore): the head snapshot on pb.head.<root> (or the root entry on
// pb.root.<root>), then an ordered consumer on pb.log.<root> starting right
// after the snapshot's stream sequence. Because the log is the single source
// of truth and the consumer starts exactly where the snapshot ends, nothing
// committed between "load" and "subscribe" can be missed (the etcd
// watch-from-revision pattern). Updates at or below the loaded seq are
// skipped; an entry that does not follow the current head (a gap, e.g.
// trimmed by retention) makes the follower reload from the snapshot.
// A Follower implements Serve(ctx) error so a supervisor can run it.
package follower
