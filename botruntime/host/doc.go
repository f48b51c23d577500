// Package host runs bots on Juvet's process tree, with their settings in
// the event store and their work on the JetStream pipeline.
//
// The tree, built with package supervisor:
//
//	Host
//	└── Factory            one_for_all
//	    ├── Superintendent validates Options.Compose (types), reaches the
//	    │                  store, creates the compose bots' configs; only
//	    │                  then do the others start
//	    ├── Endpoint       the HTTP listener (Options.HTTPListen): webhooks
//	    │                  at /bots/<bot>/<connector>, Options.Handler else
//	    └── Fleet          one_for_one, dynamic: one temporary child per bot
//	        └── <bot>      rest_for_one, rebuilt at each start:
//	            ├── groups              registry membership while it runs
//	            ├── settings            the follower of the bot's config
//	            ├── taskback.<name>     per connector, in file order: its
//	            ├── connector.<name>    taskback (replies), then the connector
//	            ├── workers             the bot's pipeline.Pool
//	            └── reconfigure         restarts connectors whose conf changed
//
// A taskback subscribes before its connector takes anything in, and replies
// through whichever instance of the connector runs. A connector that dies
// takes the children after it (the workers) with it, as botcannon's
// collector does; its taskback and the settings follower keep going. A bot whose supervisor exceeds its restart intensity stays
// down (the Fleet's children are temporary), so one crash-looping bot never
// takes the others with it; a restart of the Factory (the Superintendent
// dying, say) brings every bot back.
//
// Settings: a bot's root configuration is its compose root (connection
// info: platform, server, channel or team), created in the store; a new
// chain (seq 0) gets the compose settings as its first patch. The bot's
// settings are its config document as the follower last saw it, read on
// every message, so a patch changes the next reply without a restart.
//
// Connection fields: a connector's conf may name top-level fields of the
// settings document as ${field} (a whole string "${channel}" takes the
// field's JSON value), and the document's "connectors"."<name>" object
// overrides keys of that connector's conf. When a patch changes a
// connector's effective conf, only that connector is
// restarted with the new conf; workers and other connectors go on.
//
// Groups (Members): "bot:<name>", and "platform:", "server:", "channel:",
// "team:" with the root's values, for every running bot.
package host
