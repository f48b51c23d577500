// Node compatibility check for the Patchbay Redis gateway, run by
// clients_test.go: node client.js <port> <root hash>. Prints one JSON object.
'use strict';
const Redis = require('ioredis');

const [port, root] = process.argv.slice(2);
const opts = { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: 1, retryStrategy: () => null };

async function main() {
  const out = { version: require('ioredis/package.json').version };
  const sub = new Redis(opts);
  const pub = new Redis(opts);
  const got = [];
  const done = new Promise((resolve) => {
    sub.on('message', (channel, message) => { got.push(['message', channel, message]); if (got.length === 3) resolve(); });
    sub.on('pmessage', (pattern, channel, message) => { got.push(['pmessage', pattern, channel, message]); if (got.length === 3) resolve(); });
  });
  out.subscribe = await sub.subscribe('news', 'updates:' + root);
  out.psubscribe = await sub.psubscribe('n*');
  out.ping = await pub.ping();
  out.publish = await pub.publish('news', 'hello from node');
  const catchup = await pub.publish('update_requests', root);
  out.catchupCount = catchup;
  await done;
  out.messages = got;
  out.head = await pub.get('head:' + root);
  try {
    await pub.publish('updates:00000000000000ff', '[]');
    out.unknown = 'no error';
  } catch (e) {
    out.unknown = e.message;
  }
  // ioredis resolves a bare (P)UNSUBSCRIBE only once the connection's count
  // reaches 0 (the same against real Redis), so name what to drop.
  out.unsubscribe = await sub.unsubscribe('news', 'updates:' + root);
  out.punsubscribe = await sub.punsubscribe('n*');
  sub.disconnect();
  pub.disconnect();
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
