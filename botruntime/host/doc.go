// Package host runs bots from compose files on the supervision tree, the
// event store and the pipeline (Juvet's Factory, Superintendent and Fleet,
// reduced to what exists so far).
//
// A Host owns a Fleet: a one_for_one supervisor with one child per bot.
// Each bot is a rest_for_one supervisor of, in start order:
//
//	settings    the follower of the bot's config in the store
//	connector.<name>, taskback.<name>   per connector, in file order
//	workers     the bot's pipeline.Pool
//
// so a connector (collector) that dies takes the workers started after it
// down with it, as botcannon wants, while the settings follower keeps going.
//
// Settings: the bot's root configuration is its compose root (connection
// info), created in the store with pb.create; a new chain (seq 0) gets the
// compose settings as its first patch (one "add" per key). The bot's
// settings are its whole config document as the follower last saw it, read
// on every message: a patch changes the next reply without a reconnect.
//
// Webhook connectors (slack) are served by the Host's Endpoint: ServeHTTP
// routes /bots/<bot>/<connector> to the connector.
package host
