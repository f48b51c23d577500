// Package natsconn is the "nats" connector: messages in on one NATS subject,
// replies out on another, over the host's *nats.Conn (Params.NATS).
//
// An inbound payload that is a JSON object of strings is taken as the message
// itself (text, user, channel...); any other payload is the text of a message
// from user "nats". Platform, connector and (if missing) id are filled in.
// When the inbound NATS message has a reply subject, it is kept as
// "nats.reply" and the reply goes there as well as to the out subject.
// A reply is the JSON object {"text", "channel", "user", "in_reply_to"}.
//
// Configuration: subject_in (required), subject_out (required), queue
// (optional NATS queue group, so that several hosts share the subject).
// The NATS connection reconnects by itself; Serve returns when ctx ends.
package natsconn
