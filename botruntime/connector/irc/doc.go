// Package irc is the "irc" connector: a client for IRC servers and for
// Twitch chat, which speaks IRC with IRCv3 message tags.
//
// It registers, joins its channels, answers PING, turns every PRIVMSG into a
// message (text, user = sender nick, channel = the channel, or the sender for
// a private message, platform, connector, id = the "id" tag or a counter, and
// each IRCv3 tag as "tag.<name>"), and sends replies as PRIVMSG lines cut to
// the server's line length on word boundaries, through a token-bucket rate
// limiter (Twitch allows 20 messages per 30 seconds for a normal user).
//
// Configuration (JSON, from the compose file):
//
//	server       "host:port" (required)
//	nick         nickname (required); "_" is appended while it is taken
//	user, realname   default to nick
//	password     sent as PASS (Twitch: "oauth:...")
//	channels     channels to join, e.g. ["#lobby"]
//	twitch_tags  request the twitch.tv/tags and twitch.tv/commands capabilities
//	platform     value of the platform key, default "irc" ("twitch" with twitch_tags)
//	rate         {"messages": 20, "per": "30s"} (the default)
//	max_line     bytes of text per PRIVMSG, default 400
//	backoff      {"min": "100ms", "max": "30s"} between reconnects
//
// Serve reconnects with exponential backoff (connector.Backoff) and returns
// only when its context ends.
package irc
