// Package task defines the steps a bot's workers run for each message
// (botcannon's tasks, with torch's shell commands as the exec type) and a
// registry of task types.
//
// A Task gets the inbound message, the results of the tasks before it and
// the bot's live settings, and returns the results to hand on; it may
// overwrite any key. After the last task, a non-empty string under
// ReplyKey ("reply") is sent back to where the message came from. Run runs
// a list of tasks in order.
//
// Settings are the bot's configuration document as it is when the message
// is handled: the host passes the follower's current config on every run,
// so a patch changes behaviour from the next message on, without a restart.
//
// Built-in types (each registered in init; Register panics on duplicates):
//
//	command  parse "!name args" (configurable prefix) and run the named
//	         command's task; "help" lists the commands
//	reply    render a text/template over .message, .results and .settings
//	         into results["reply"]
//	exec     run a program (no shell) with {"message","results","settings"}
//	         as JSON on stdin; a JSON object on stdout is merged into the
//	         results; killed with its process group at the timeout
//	http     POST the same JSON to a URL; a JSON object answer is merged
//	log      log the message and results with slog (logger from WithLogger)
package task
