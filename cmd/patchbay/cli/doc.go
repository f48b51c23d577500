// Package cli implements the patchbay command line: flag parsing, the serve
// command and the client commands. The main package only wires it up.
package cli
