// Package cli implements the patchbay command line. The main package only
// wires it up: it calls Main and exits with ExitCode.
//
// Commands live in a table. Each command registers itself from its own file
// in an init function:
//
//	func init() {
//		register(Command{Name: "bench", Summary: "run the benchmarks", Run: runBench})
//	}
//
// so a new command is a new file (cli/bench.go) and touches nothing else.
// Run receives the arguments after the command name and parses its own flags
// with newFlags; "--help" on any command prints its usage. Client commands
// take --server (env PATCHBAY_SERVER, default nats://127.0.0.1:4222) via
// serverFlag and connect with dial.
//
// "patchbay serve" starts its components as a list of serve steps (see
// addServeStep in serve.go): the embedded NATS node, then the store; more
// components (gateway, HTTP) are added as further steps in one place.
package cli
