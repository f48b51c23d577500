// Package dashboard provides the HTTP handler that "patchbay serve" mounts
// on its HTTP listener: a small JSON API over the store (get, create,
// patch), the bot tree, a read-only HTML dashboard, Prometheus metrics at
// /metrics and a health check at /healthz.
//
// The handler talks to the store through eventstore.Client, that is over
// NATS, exactly as any other client does; it holds no state of its own.
//
// Routes:
//
//	GET  /healthz                  200 "ok" or 503 with the failing check
//	GET  /metrics                  Prometheus text exposition
//	GET  /                         HTML dashboard (bots, tree, gateway)
//	GET  /api/tree                 the bot host's supervision tree (JSON)
//	POST /api/configs              create: body is a root configuration
//	GET  /api/configs/{hash}       the config at hash ({root,hash,seq,config,head})
//	GET  /api/configs/{root}/head  the head of the config with that root
//	POST /api/configs/{hash}       submit: body is a patch or an envelope against hash
//
// Refusals are answered with the store's error object,
// {"error":{"code","message"}}, and a status that fits the code: 409 for
// stale, 404 for unknown_parent and not_found, 422 for invalid_patch,
// test_failed and invalid_config, 413 for too_large.
//
// With Options.Token set, every route but /healthz requires the header
// "Authorization: Bearer <token>".
package dashboard
