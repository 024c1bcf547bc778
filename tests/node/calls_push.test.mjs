// Push for incoming calls (docs/protocol.md, "Calls" and "Push notifications"): a callee
// device without a WebSocket gets a high-urgency push living as long as the call rings; when
// the call ends unanswered (or is answered on another device) a withdraw with the same tag
// follows. Uses the fake push service of push.test.mjs (lib/push.mjs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { api, assertStatus, connect, login, openConversation, register, sleep, T } from './lib/client.mjs';
import { browserKeys, decrypt, fakePushService, selfSignedCert } from './lib/push.mjs';

const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

async function setup(t, ringTimeoutS) {
  const certs = selfSignedCert(t);
  const service = await fakePushService(t, certs);
  const server = await startServer(t, {
    args: ['--push-ca-file', certs.cert, '--push-allow-private-endpoints', 'true', '--push-collapse-ms', '200',
      '--call-ring-timeout-s', String(ringTimeoutS)],
  });
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const { conversation } = await openConversation(server, alice.token, 'bob');
  const ac = await connect(t, server, alice.token);
  return { server, service, alice, bob, conversation, ac };
}

async function subscribe(server, token, service, path) {
  const keys = browserKeys();
  const res = await api(server, 'POST', '/api/v1/push/subscriptions', {
    token, body: { kind: 'webpush', endpoint: service.url(path), p256dh: keys.p256dh, auth: keys.authB64 },
  });
  assertStatus(res, 201, 'subscribe');
  return keys;
}

test('an incoming call is pushed at high urgency with the ring timeout as TTL, then withdrawn when nobody answers', async (t) => {
  const { server, service, alice, bob, conversation, ac } = await setup(t, 2);
  const keys = await subscribe(server, bob.token, service, '/bob');
  // A device of bob that is connected rings over its WebSocket and gets no push.
  const online = await login(server, 'bob', { device_name: 'online' });
  const onlineKeys = await subscribe(server, online.token, service, '/bob-online');
  const oc = await connect(t, server, online.token);

  const { call } = await ac.call({ type: 'call_start', conversation_id: conversation.id, media: 'video', sdp: OFFER }, 'call');
  await oc.event('call_incoming');
  const req = await service.waitFor('/bob', (r) => decrypt(r, keys).type === 'call');
  assert.equal(req.headers.urgency, 'high');
  assert.equal(req.headers.ttl, '2');
  const payload = decrypt(req, keys);
  assert.equal(payload.tag, `call${call.call_id}`);
  assert.equal(payload.call_id, call.call_id);
  assert.equal(payload.conversation_id, conversation.id);
  assert.equal(payload.media, 'video');
  assert.deepEqual(payload.caller, { id: alice.user.id, username: 'alice', display_name: 'Alice' });
  assert.equal(payload.ts, call.started_at);

  const withdrawn = await service.waitFor('/bob', (r) => decrypt(r, keys).type === 'withdraw', T(15000));
  assert.deepEqual(decrypt(withdrawn, keys), { type: 'withdraw', tag: `call${call.call_id}`, call_id: call.call_id, conversation_id: conversation.id });
  await sleep(T(300));
  assert.equal(service.to('/bob-online').length, 0, `the connected device got no push: ${service.to('/bob-online').map((r) => JSON.stringify(decrypt(r, onlineKeys)))}`);
  // The missed call itself (a system message) is not pushed a second time.
  assert.equal(service.to('/bob').length, 2);
});

test('a call answered on a connected device withdraws the push of the offline one; a declined one too', async (t) => {
  const { server, service, bob, conversation, ac } = await setup(t, 45);
  const keys = await subscribe(server, bob.token, service, '/bob');
  const online = await login(server, 'bob', { device_name: 'online' });
  const oc = await connect(t, server, online.token);
  const { call } = await ac.call({ type: 'call_start', conversation_id: conversation.id, media: 'audio', sdp: OFFER }, 'call');
  await service.waitFor('/bob', (r) => decrypt(r, keys).type === 'call');
  await oc.event('call_incoming');
  await oc.call({ type: 'call_accept', call_id: call.call_id, sdp: OFFER }, 'call');
  const w = await service.waitFor('/bob', (r) => decrypt(r, keys).type === 'withdraw');
  assert.equal(decrypt(w, keys).tag, `call${call.call_id}`);
  await ac.call({ type: 'call_hangup', call_id: call.call_id }, 'call');

  const second = (await ac.call({ type: 'call_start', conversation_id: conversation.id, media: 'audio', sdp: OFFER }, 'call')).call;
  await service.waitFor('/bob', (r) => decrypt(r, keys).call_id === second.call_id && decrypt(r, keys).type === 'call');
  await oc.event('call_incoming', (f) => f.call.call_id === second.call_id);
  await oc.call({ type: 'call_decline', call_id: second.call_id }, 'call');
  await service.waitFor('/bob', (r) => decrypt(r, keys).call_id === second.call_id && decrypt(r, keys).type === 'withdraw');
});
