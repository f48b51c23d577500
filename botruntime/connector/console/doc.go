// Package console is the "console" connector, for trying a bot by hand:
// every line read from an input (os.Stdin by default) is a message from user
// "you" (conf "user") in channel "console", and replies are written to an
// output (os.Stdout by default) as "<bot> text" lines (conf "name").
//
// Serve returns nil at the end of the input. Reading cannot be interrupted
// in general: when ctx ends Serve closes the input if it is an io.Closer and
// waits for its reader; otherwise it returns at once and the reader
// goroutine ends at the next line or at the end of the input.
package console
