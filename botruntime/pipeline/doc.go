// Package pipeline carries a bot's messages from its connectors to its
// workers and the replies back (botcannon's streams, on JetStream).
//
// Per bot there is one JetStream stream, BOT_<bot>, with work-queue
// retention, holding the subjects bot.<bot>.in (the queue) and
// bot.<bot>.dead (dead letters). The flow:
//
//	connector --Sink--> Inlet --publish--> bot.<bot>.in
//	    Pool workers (a shared durable pull consumer "workers")
//	    run the bot's tasks in order, then
//	    publish the taskback on the subject named by the message's
//	    Patchbay-Taskback header: bot.<bot>.taskback.<connector instance>
//	Taskback --Reply--> connector --> platform
//
// Every connector instance has a unique ID (NewInstanceID), so a reply goes
// back to the very process and connection that took the message in, even
// when workers in other processes on the same NATS took the work: all Pools
// of a bot, in any process, share the durable consumer, so each message is
// handled by one worker.
//
// Worker policy (botcannon): at least MinIdle workers always wait for work;
// when one takes a message, a "hot" worker is started at once to keep
// MinIdle waiting, up to Max workers; surplus idle workers stop. With Lazy,
// no hot worker is started: a new message waits for a running task to
// finish, so at most MinIdle messages are handled at a time.
//
// Delivery: a message is acknowledged after its tasks succeeded and its
// taskback was published (so a crash in between may send a reply twice,
// never lose one). A failed run is Nak'ed with NakDelay and redelivered;
// the MaxDeliver-th failure publishes the message to bot.<bot>.dead with
// the Patchbay-Error and Patchbay-Deliveries headers and terminates it.
// While tasks run, the worker tells JetStream the message is in progress
// every AckWait/2, so long tasks are not redelivered under them.
package pipeline
