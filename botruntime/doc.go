// Package botruntime hosts bots: a supervision tree with Erlang/OTP
// semantics, a registry of named groups, and the bot host built on them.
package botruntime
