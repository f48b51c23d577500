// Package slack is the "slack" connector: Slack's Events API in, the Web
// API's chat.postMessage out.
//
// A *Conn is an http.Handler; the host mounts it on its Endpoint and gives
// the URL to Slack. The handler
//   - refuses (401) a request whose X-Slack-Request-Timestamp is more than
//     five minutes from now or whose X-Slack-Signature is not
//     "v0=" + hex(HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + body));
//   - answers url_verification with the challenge;
//   - for event_callback, enqueues the event and answers 200 at once (Slack
//     wants an answer within 3 seconds), without waiting for the bot;
//   - recognises retries (X-Slack-Retry-Num) and duplicates by event_id: an
//     event already taken in is acknowledged and not processed twice.
//
// Serve drains the queue into the Sink. Message events from users (not from
// bots, no subtype) and app_mention events become messages: text, user,
// channel, platform "slack", connector, id = event_id, thread = thread_ts.
// Reply posts to chat.postMessage at api_url with the bot token.
//
// Configuration: signing_secret and bot_token (required), api_url (default
// https://slack.com/api), queue (default 1024 events).
package slack
