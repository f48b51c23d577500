// Package eventstore is Patchbay's event-sourced configuration store on
// NATS JetStream: an embedded (or external) NATS server, the update protocol
// of the NATS contract, snapshots, replay and announcements.
package eventstore
