// Package registry is a process registry of named groups, after chip (a
// Gleam registry run under a supervision tree).
//
// A [Registry] maps group names to members. [Registry.Register] ties a
// membership to the member's context: give it the ctx passed to the
// member's Serve and the member leaves the group when that context ends,
// which the supervisor package guarantees happens as soon as Serve returns.
// A member restarted by its supervisor registers again and Members lists
// only the new one: a membership whose context has ended is never listed,
// even before its removal has been processed.
//
// The same member registered twice in a group is listed once; a member may
// belong to many groups. [Registry.Watch] reports joins and leaves.
//
// A Registry is also a Service (Serve(ctx) error): started as the first
// child of a supervisor it is cleared when that child stops, as chip's
// registry process loses its state.
package registry
