// Package connector defines how a bot talks to a chat platform: the Connector
// contract, the message shape, and a registry of connector types.
//
// A Connector is botcannon's collector and Juvet's receiver. It is a
// supervised child: Serve(ctx) blocks in the supervisor's goroutine, takes
// messages in from its platform and hands each one to the Sink it was built
// with; Reply sends a text back to where a message came from. A connector
// that serves webhooks (Slack's Events API) also implements http.Handler, and
// the host mounts it on its Endpoint.
//
// Messages are flat map[string]string values shaped like Slack's or IRC's
// events; the keys every connector fills are the Key* constants (text, user,
// channel, platform, connector, id). Connectors may add their own keys with a
// prefix (irc adds "tag.<name>" for IRCv3 message tags).
//
// Types register themselves by name in init, caddy style, and Register panics
// on a duplicate name:
//
//	func init() { connector.Register("irc", New) }
//
// The host builds one with New(typ, Params{...}). The built-in types live in
// sub-packages: irc (also Twitch chat), slack, console and natsconn ("nats").
//
// Reconnection: network connectors reconnect inside Serve with exponential
// backoff (see Backoff), so a flapping server does not exhaust the bot
// supervisor's restart intensity; Serve returns only when its context ends or
// the configuration can never work. A panic or such an error is left to the
// supervisor, which restarts the connector and, through the bot's supervision
// order, its workers.
package connector
