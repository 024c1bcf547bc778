// Push in a cluster (docs/protocol.md, "When a push is sent"; bus/cluster_sessions.h): a
// device connected to another node gets the event and no push; once it disconnects, or its
// node dies, it gets pushes again, including the one held back for a message it had not read.
//
//   cd tests/node && PARLEY_TEST_STORE=postgresql://... node --test ../cluster/push.test.mjs
//
// Negative checks never sleep-and-hope: Bob has a second, never-connected session with its own
// registration (/bob-phone). Delivery examines each message for all of Bob's registrations at
// once, so once /bob-phone has the push for a message, the decision for /bob-laptop is made too.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';

import { api, assertStatus, cid, connect, httpSend as post, login, openConversation, register, sleep, T } from '../node/lib/client.mjs';
import { startServer } from '../node/lib/server.mjs';
import { browserKeys, decrypt, fakePushService, selfSignedCert } from '../node/lib/push.mjs';
import { freshDatabase } from './db.mjs';
import { metric } from './metrics.mjs';
import { startNats } from './nats.mjs';

const GRACE = T(500);

async function httpSend(server, token, conversationId, clientId, text) {
  const res = await post(server, token, conversationId, clientId, text);
  assertStatus(res, 200, 'send');
  return res.body;
}

async function subscribe(server, token, service, path, keys = browserKeys()) {
  const res = await api(server, 'POST', '/api/v1/push/subscriptions', {
    token, body: { kind: 'webpush', endpoint: service.url(path), p256dh: keys.p256dh, auth: keys.authB64 },
  });
  assertStatus(res, 201, 'subscribe');
  return keys;
}

// Waits until `server` counts `want` sessions connected on other nodes.
async function remoteSessions(server, want) {
  const deadline = Date.now() + T(15000);
  for (;;) {
    const n = await metric(server, 'parley_cluster_sessions_remote');
    if (n === want) return;
    if (Date.now() > deadline) throw new Error(`parley_cluster_sessions_remote stayed at ${n}, not ${want}`);
    await sleep(50);
  }
}

async function cluster(t) {
  const nats = await startNats(t);
  const uri = freshDatabase(`parley_push_${process.pid}_${crypto.randomBytes(3).toString('hex')}`);
  const certs = selfSignedCert(t);
  const service = await fakePushService(t, certs);
  const vapid = crypto.createECDH('prime256v1');
  vapid.generateKeys();
  // getPrivateKey() drops the scalar's leading zero bytes (one key in 256 is shorter); the
  // server takes exactly the 32-byte scalar, as RFC 8292 keys are written.
  const vapidKey = Buffer.concat([Buffer.alloc(32 - vapid.getPrivateKey().length), vapid.getPrivateKey()]);
  const args = ['--store', uri, '--store-connections', '2', '--bus', nats.busArg,
    '--push-vapid-private-key', vapidKey.toString('base64url'), '--push-ca-file', certs.cert,
    '--push-allow-private-endpoints', 'true', '--push-collapse-ms', '200', '--push-retry-base-ms', '50'];
  const [a, b] = await Promise.all([startServer(t, { args }), startServer(t, { args })]);
  const alice = await register(a, 'alice');
  const carol = await register(a, 'carol');
  const bob = await register(a, 'bob', { device_name: 'laptop' });
  const phone = await login(a, 'bob', { device_name: 'phone' });
  const ab = (await openConversation(a, alice.token, 'bob')).conversation;
  const cb = (await openConversation(a, carol.token, 'bob')).conversation;
  const laptopKeys = await subscribe(a, bob.token, service, '/bob-laptop');
  const phoneKeys = await subscribe(a, phone.token, service, '/bob-phone');
  const pushes = (path, keys) => service.to(path).map((r) => decrypt(r, keys));
  return { a, b, args, service, alice, carol, bob, ab, cb, laptop: (() => pushes('/bob-laptop', laptopKeys)),
    phone: (() => pushes('/bob-phone', phoneKeys)), laptopKeys, phoneKeys };
}

const about = (conversation, seq) => (p) => p.conversation_id === conversation && p.seq === seq;

test('a device connected to another node gets the event, not a push; after it leaves it gets pushes again', async (t) => {
  const c = await cluster(t);
  const bobB = await connect(t, c.b, c.bob.token);
  await remoteSessions(c.a, 1);  // A has heard from B that the laptop's session is connected

  // Alice (on A) writes; Bob's laptop is on B: the event there, no push to the laptop.
  const m1 = await httpSend(c.a, c.alice.token, c.ab.id, cid(), 'are you there?');
  const ev = await bobB.event('message', (f) => f.message?.conversation_id === c.ab.id, T(10000));
  assert.equal(ev.message.seq, m1.message.seq);
  await c.service.waitFor('/bob-phone', (r) => about(c.ab.id, m1.message.seq)(decrypt(r, c.phoneKeys)));
  // Carol writes too; the laptop reads Alice's message but not Carol's.
  const m2 = await httpSend(c.a, c.carol.token, c.cb.id, cid(), 'lunch?');
  await bobB.event('message', (f) => f.message?.conversation_id === c.cb.id, T(10000));
  await c.service.waitFor('/bob-phone', (r) => about(c.cb.id, m2.message.seq)(decrypt(r, c.phoneKeys)));
  await bobB.call({ type: 'read', conversation_id: c.ab.id, seq: m1.message.seq }, 'ok');
  await sleep(GRACE);
  assert.deepEqual(c.laptop(), [], 'no push to a session connected to another node');

  // The laptop leaves B. The push held back for Carol's unread message is made now; the one
  // for Alice's, read meanwhile, is not.
  bobB.close();
  await remoteSessions(c.a, 0);
  await c.service.waitFor('/bob-laptop', (r) => about(c.cb.id, m2.message.seq)(decrypt(r, c.laptopKeys)));
  // And a new message reaches the laptop as a push.
  const m3 = await httpSend(c.a, c.alice.token, c.ab.id, cid(), 'call me');
  await c.service.waitFor('/bob-laptop', (r) => about(c.ab.id, m3.message.seq)(decrypt(r, c.laptopKeys)));
  await sleep(GRACE);
  assert.equal(c.laptop().filter(about(c.ab.id, m1.message.seq)).length, 0, 'no push for a message read meanwhile');
  assert.equal(c.laptop().filter(about(c.cb.id, m2.message.seq)).length, 1, 'the held push, once');
});

test('a push held for a device on another node is dropped when that device logs out', async (t) => {
  const c = await cluster(t);
  const bobB = await connect(t, c.b, c.bob.token);
  await remoteSessions(c.a, 1);
  const m = await httpSend(c.a, c.alice.token, c.ab.id, cid(), 'for your eyes only');
  await c.service.waitFor('/bob-phone', (r) => about(c.ab.id, m.message.seq)(decrypt(r, c.phoneKeys)));
  // The laptop signs out (through B): its socket closes, which releases the held push, but
  // its registration died with the session and nothing may reach it any more.
  assertStatus(await api(c.b, 'POST', '/api/v1/logout', { token: c.bob.token }), 200, 'logout');
  await bobB.waitClose(T(10000));
  await remoteSessions(c.a, 0);
  const sentinel = await httpSend(c.a, c.carol.token, c.cb.id, cid(), 'sentinel');
  await c.service.waitFor('/bob-phone', (r) => about(c.cb.id, sentinel.message.seq)(decrypt(r, c.phoneKeys)));
  await sleep(GRACE);
  assert.deepEqual(c.laptop(), [], 'nothing to a signed-out device');
});

test('a device connected to a node that dies gets its pushes after the failure window', async (t) => {
  const c = await cluster(t);
  const bobB = await connect(t, c.b, c.bob.token);
  await remoteSessions(c.a, 1);
  const killedAt = Date.now();
  await c.b.kill('SIGKILL');
  bobB.terminate();
  // Alice writes while A still counts the laptop as connected on B: the push is held, then
  // made when B is declared dead (docs/architecture.md: 5 s of silence).
  const m = await httpSend(c.a, c.alice.token, c.ab.id, cid(), 'where did you go?');
  const push = decrypt(await c.service.waitFor('/bob-laptop', (r) => about(c.ab.id, m.message.seq)(decrypt(r, c.laptopKeys)),
    T(30000)), c.laptopKeys);
  assert.equal(push.text, 'where did you go?');
  await remoteSessions(c.a, 0);
  // After that, pushes go out at once again.
  const m2 = await httpSend(c.a, c.alice.token, c.ab.id, cid(), 'hello?');
  await c.service.waitFor('/bob-laptop', (r) => about(c.ab.id, m2.message.seq)(decrypt(r, c.laptopKeys)));
  console.log(`# cluster push figures ${JSON.stringify({ held_push_after_kill_ms: Date.now() - killedAt })}`);
});

test('a node that starts later learns the sessions already connected elsewhere', async (t) => {
  const c = await cluster(t);
  const bobB = await connect(t, c.b, c.bob.token);
  await remoteSessions(c.a, 1);
  assert.equal(await metric(c.a, 'parley_cluster_sessions_local'), 0, 'A holds no session itself');
  assert.equal(await metric(c.b, 'parley_cluster_sessions_local'), 1);
  // A third node, started now, never heard the announcement: B's digest makes it ask.
  const d = await startServer(t, { args: c.args });
  await remoteSessions(d, 1);
  const m = await httpSend(d, c.alice.token, c.ab.id, cid(), 'via D');
  await bobB.event('message', (f) => f.message?.seq === m.message.seq, T(10000));
  await c.service.waitFor('/bob-phone', (r) => about(c.ab.id, m.message.seq)(decrypt(r, c.phoneKeys)));
  await sleep(GRACE);
  assert.deepEqual(c.laptop(), [], 'no push from D to a session connected to B');
  // B stops cleanly: its goodbye drops its sessions on A and D at once.
  await c.b.stop();
  await remoteSessions(d, 0);
  await remoteSessions(c.a, 0);
});
