// Push notifications end to end (docs/protocol.md, "Push notifications"): parleyd pushes to a
// fake push service over HTTPS (a certificate made for the test, trusted through
// --push-ca-file); the test decrypts each push with the subscription's private key (npm
// http_ece) and checks the VAPID JWT with node's own ES256.
//
// Negative cases never sleep-and-hope: after the message that must not be pushed, a
// "sentinel" message goes to the same device through another conversation. Delivery examines
// messages in commit order, so once the sentinel's push has arrived the first message has been
// decided on; a short grace covers a request already in flight.

import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import {
  api, assertError, assertStatus, cid, connect, httpSend, login, openConversation, register, sleep, T,
} from './lib/client.mjs';
import {
  browserKeys, decrypt, fakePushService, selfSignedCert, verifyVapid, waitMetric,
} from './lib/push.mjs';
import { oggOpus, waveform } from './lib/voice.mjs';

const GRACE = T(300);

// The fake push service listens on loopback, which a client's endpoint may reach only with
// --push-allow-private-endpoints (tests only; see the last test for the default).
async function setup(t, { answer, args = [], privateEndpoints = true } = {}) {
  const certs = selfSignedCert(t);
  const service = await fakePushService(t, certs, answer);
  const server = await startServer(t, {
    args: ['--push-ca-file', certs.cert, '--push-collapse-ms', '1000', '--push-retry-base-ms', '50',
      '--push-max-attempts', '3', ...(privateEndpoints ? ['--push-allow-private-endpoints', 'true'] : []), ...args],
  });
  return { server, service };
}

async function subscribe(server, token, service, path, keys = browserKeys()) {
  const res = await api(server, 'POST', '/api/v1/push/subscriptions', {
    token, body: { kind: 'webpush', endpoint: service.url(path), p256dh: keys.p256dh, auth: keys.authB64 },
  });
  assertStatus(res, 201, 'subscribe');
  return { keys, subscription: res.body.subscription };
}

async function listSubscriptions(server, token) {
  const res = await api(server, 'GET', '/api/v1/push/subscriptions', { token });
  assertStatus(res, 200, 'list');
  return res.body.subscriptions;
}

// Alice, Bob and Carol; Bob subscribed at /bob; direct conversations alice-bob and carol-bob.
async function trio(t, opts) {
  const { server, service } = await setup(t, opts);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => register(server, u)));
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const cb = (await openConversation(server, carol.token, 'bob')).conversation;
  const { keys } = await subscribe(server, bob.token, service, '/bob');
  return { server, service, alice, bob, carol, ab, cb, keys };
}

// Sends a sentinel from Carol and waits for its push at `path`; the pushes before it are settled.
async function sentinel(ctx, path = '/bob') {
  const text = `sentinel ${cid()}`;
  await httpSend(ctx.server, ctx.carol.token, ctx.cb.id, cid(), text);
  await ctx.service.waitFor(path, (r) => decrypt(r, ctx.keys).text === text);
  await sleep(GRACE);
}

function pushesAbout(ctx, conversationId, path = '/bob') {
  return ctx.service.to(path).map((r) => decrypt(r, ctx.keys)).filter((p) => p.conversation_id === conversationId);
}

test('an offline device gets an encrypted, VAPID-signed push with the documented payload', async (t) => {
  const ctx = await trio(t);
  const config = await api(ctx.server, 'GET', '/api/v1/push/config', { token: ctx.bob.token });
  assertStatus(config, 200, 'config');
  assert.equal(Buffer.from(config.body.vapid_public_key, 'base64url').length, 65);
  assert.equal(config.body.gateway, false);

  const sent = await httpSend(ctx.server, ctx.alice.token, ctx.ab.id, cid(), 'see you at 8');
  const req = await ctx.service.waitFor('/bob');
  const payload = decrypt(req, ctx.keys);
  assert.equal(payload.type, 'message');
  assert.equal(payload.tag, `c${ctx.ab.id}`);
  assert.equal(payload.conversation_id, ctx.ab.id);
  assert.equal(payload.seq, sent.message?.seq ?? 1);
  assert.equal(payload.count, 1);
  assert.equal(payload.badge, 1);
  assert.equal(payload.kind, 'direct');
  assert.equal(payload.text, 'see you at 8');
  assert.deepEqual(payload.sender, { id: ctx.alice.user.id, username: 'alice', display_name: 'Alice' });
  assert.equal(typeof payload.ts, 'number');
  assert.equal(req.headers.urgency, 'high');
  assert.equal(req.headers.topic, `c${ctx.ab.id}`);
  assert.equal(req.headers.ttl, '86400');
  verifyVapid(req, config.body.vapid_public_key, ctx.service.origin);
  await waitMetric(ctx.server, 'parley_push_sent_total', 1);
});

test('a document and a voice message are pushed with what to show instead of text', async (t) => {
  const ctx = await trio(t);
  const up = async (query, bytes) => {
    const res = await api(ctx.server, 'POST', `/api/v1/media?${query}`, { token: ctx.alice.token, raw: bytes, headers: { 'content-type': 'application/octet-stream' } });
    assertStatus(res, 201, query);
    return res.body.media.media_id;
  };
  const doc = await up(`kind=file&name=${encodeURIComponent('Menu \u00e9t\u00e9.pdf')}`, Buffer.from('%PDF-1.4\n'));
  const voice = await up('kind=voice', oggOpus(500));
  assertStatus(await api(ctx.server, 'POST', `/api/v1/conversations/${ctx.ab.id}/messages`,
    { token: ctx.alice.token, body: { client_id: cid(), media_id: doc, text: 'tonight' } }), 200, 'send the file');
  const first = decrypt(await ctx.service.waitFor('/bob', (r) => decrypt(r, ctx.keys).attachment === 'file'), ctx.keys);
  assert.equal(first.file_name, 'Menu \u00e9t\u00e9.pdf');
  assert.equal(first.text, 'tonight');
  assert.equal(first.media, undefined);
  assertStatus(await api(ctx.server, 'POST', `/api/v1/conversations/${ctx.ab.id}/messages`,
    { token: ctx.alice.token, body: { client_id: cid(), media_id: voice, duration_ms: 500, waveform: waveform() } }), 200, 'send the voice message');
  const second = decrypt(await ctx.service.waitFor('/bob', (r) => decrypt(r, ctx.keys).attachment === 'voice'), ctx.keys);
  assert.equal(second.text, '');
  assert.equal(second.file_name, undefined);
});

test('the "hidden" preview leaves sender and text out', async (t) => {
  const ctx = await trio(t);
  const set = await api(ctx.server, 'PATCH', '/api/v1/me/notifications', { token: ctx.bob.token, body: { preview: 'hidden' } });
  assertStatus(set, 200, 'set preview');
  assert.deepEqual(set.body, { preview: 'hidden' });
  assertError(await api(ctx.server, 'PATCH', '/api/v1/me/notifications', { token: ctx.bob.token, body: { preview: 'some' } }),
    400, 'invalid_argument', 'bad preview');
  assert.deepEqual((await api(ctx.server, 'GET', '/api/v1/me/notifications', { token: ctx.bob.token })).body, { preview: 'hidden' });
  await httpSend(ctx.server, ctx.alice.token, ctx.ab.id, cid(), 'secret');
  const payload = decrypt(await ctx.service.waitFor('/bob'), ctx.keys);
  assert.equal(payload.type, 'message');
  assert.equal(payload.text, undefined);
  assert.equal(payload.sender, undefined);
  assert.equal(payload.conversation_id, ctx.ab.id);
});

test('a connected device gets the event and no push; its offline sibling gets the push', async (t) => {
  const ctx = await trio(t);
  const phone = await login(ctx.server, 'bob', { device_name: 'phone' });
  const phoneKeys = browserKeys();
  await subscribe(ctx.server, phone.token, ctx.service, '/bob-phone', phoneKeys);
  const ws = await connect(t, ctx.server, ctx.bob.token);  // the first session is online
  await httpSend(ctx.server, ctx.alice.token, ctx.ab.id, cid(), 'hello');
  await ws.event('message');
  const push = await ctx.service.waitFor('/bob-phone');
  assert.equal(decrypt(push, phoneKeys).text, 'hello');
  await sleep(GRACE);
  assert.equal(ctx.service.to('/bob').length, 0, 'no push to the connected session');
});

test('a muted conversation sends no push; unmuting brings them back; mute syncs to the other devices', async (t) => {
  const ctx = await trio(t);
  const other = await login(ctx.server, 'bob', { device_name: 'tablet' });
  const otherWs = await connect(t, ctx.server, other.token);
  const before = await api(ctx.server, 'GET', '/api/v1/sync?since=0', { token: other.token });
  const muted = await api(ctx.server, 'PUT', `/api/v1/conversations/${ctx.ab.id}/mute`, {
    token: ctx.bob.token, body: { duration: 'always' },
  });
  assertStatus(muted, 200, 'mute');
  assert.deepEqual(muted.body, { conversation_id: ctx.ab.id, muted_until: 9007199254740991 });
  const event = await otherWs.event('muted');
  assert.equal(event.conversation_id, ctx.ab.id);
  assert.equal(event.muted_until, 9007199254740991);
  const synced = await api(ctx.server, 'GET', `/api/v1/sync?since=${before.body.version}`, { token: other.token });
  const c = synced.body.conversations.find((x) => x.id === ctx.ab.id);
  assert.ok(c, 'the mute changes the conversation for bob\'s sync');
  assert.equal(c.muted_until, 9007199254740991);
  const alices = await api(ctx.server, 'GET', `/api/v1/conversations/${ctx.ab.id}`, { token: ctx.alice.token });
  assert.equal(alices.body.conversation.muted_until, 0, 'a mute is private');

  await httpSend(ctx.server, ctx.alice.token, ctx.ab.id, cid(), 'muted one');
  await sentinel(ctx);
  assert.equal(pushesAbout(ctx, ctx.ab.id).length, 0, 'no push from the muted conversation');

  const eight = await api(ctx.server, 'PUT', `/api/v1/conversations/${ctx.ab.id}/mute`, {
    token: ctx.bob.token, body: { duration: '8h' },
  });
  const expected = Date.now() + 8 * 3600 * 1000;
  assert.ok(Math.abs(eight.body.muted_until - expected) < 60_000, `8h: ${eight.body.muted_until}`);
  assertStatus(await api(ctx.server, 'PUT', `/api/v1/conversations/${ctx.ab.id}/mute`, {
    token: ctx.bob.token, body: { duration: 'off' },
  }), 200, 'unmute');
  await httpSend(ctx.server, ctx.alice.token, ctx.ab.id, cid(), 'audible');
  const pushed = await ctx.service.waitFor('/bob', (r) => decrypt(r, ctx.keys).text === 'audible');
  assert.ok(pushed);
});

test('mute refuses bad durations and non-members', async (t) => {
  const ctx = await trio(t);
  for (const duration of ['forever', '', '8H', 5]) {
    const res = await api(ctx.server, 'PUT', `/api/v1/conversations/${ctx.ab.id}/mute`, { token: ctx.bob.token, body: { duration } });
    assert.ok(res.status === 400, `duration ${JSON.stringify(duration)} -> ${res.status}`);
  }
  assertError(await api(ctx.server, 'PUT', `/api/v1/conversations/${ctx.ab.id}/mute`, {
    token: ctx.carol.token, body: { duration: '8h' },
  }), 404, 'not_found', 'not a member');
  const ws = await connect(t, ctx.server, ctx.bob.token);
  const answer = await ws.call({ type: 'mute', conversation_id: ctx.ab.id, duration: '1w' }, 'muted');
  assert.equal(answer.conversation_id, ctx.ab.id);
});

test('a blocked sender\'s messages are never pushed', async (t) => {
  const ctx = await trio(t);
  assertStatus(await api(ctx.server, 'PUT', `/api/v1/blocks/${ctx.alice.user.id}`, { token: ctx.bob.token }), 200, 'block');
  await httpSend(ctx.server, ctx.alice.token, ctx.ab.id, cid(), 'let me in');
  await sentinel(ctx);
  assert.equal(pushesAbout(ctx, ctx.ab.id).length, 0);
});

test('own messages are not pushed to one\'s own devices', async (t) => {
  const ctx = await trio(t);
  await httpSend(ctx.server, ctx.bob.token, ctx.ab.id, cid(), 'from bob');
  await sentinel(ctx);
  assert.equal(pushesAbout(ctx, ctx.ab.id).length, 0);
});

test('a 410 deletes the subscription', async (t) => {
  const ctx = await trio(t, { answer: (r) => ({ status: r.path === '/bob' ? 410 : 201 }) });
  await httpSend(ctx.server, ctx.alice.token, ctx.ab.id, cid(), 'gone?');
  await ctx.service.waitFor('/bob');
  await waitMetric(ctx.server, 'parley_push_subscriptions_removed_total', 1);
  assert.deepEqual(await listSubscriptions(ctx.server, ctx.bob.token), []);
  await httpSend(ctx.server, ctx.alice.token, ctx.ab.id, cid(), 'again');
  await sleep(GRACE);
  assert.equal(ctx.service.to('/bob').length, 1, 'nothing more to a removed subscription');
});

test('a 500 is retried with backoff, then given up', async (t) => {
  const ctx = await trio(t, { answer: (r) => ({ status: r.path === '/bob' ? 500 : 201 }) });
  await httpSend(ctx.server, ctx.alice.token, ctx.ab.id, cid(), 'retry me');
  await waitMetric(ctx.server, 'parley_push_failed_total', 1);
  assert.equal(ctx.service.to('/bob').length, 3, 'exactly --push-max-attempts attempts');
  assert.equal(await waitMetric(ctx.server, 'parley_push_retried_total', 2), 2);
  assert.equal((await listSubscriptions(ctx.server, ctx.bob.token)).length, 1, 'a 500 does not remove it');
});

test('a burst of 20 messages collapses into a few pushes counting them all', async (t) => {
  const ctx = await trio(t);
  const ws = await connect(t, ctx.server, ctx.alice.token);
  await Promise.all(Array.from({ length: 20 }, (_, i) => ws.sendMessage(ctx.ab.id, cid(), `m${i + 1}`)));
  const last = await ctx.service.waitFor('/bob', (r) => decrypt(r, ctx.keys).count === 20);
  const payload = decrypt(last, ctx.keys);
  assert.equal(payload.text, 'm20');
  assert.equal(payload.seq, 20);
  const all = ctx.service.to('/bob');
  assert.ok(all.length < 20, `collapsed: ${all.length} pushes for 20 messages`);
  for (const r of all) assert.equal(r.headers.topic, `c${ctx.ab.id}`);
});

test('an edit updates and a deletion withdraws the notification (same tag)', async (t) => {
  const ctx = await trio(t, { args: ['--push-collapse-ms', '0'] });
  // The message's push is answered only after the edit: an edit made while that push is in
  // flight must still follow it (it was once dropped, the push not having gone through yet).
  let release;
  const held = new Promise((resolve) => (release = resolve));
  const answer = ctx.service.answer;
  ctx.service.answer = (r) => (ctx.service.requests.length === 1 ? held.then(() => answer(r)) : answer(r));
  const ws = await connect(t, ctx.server, ctx.alice.token);
  const ack = await ws.sendMessage(ctx.ab.id, cid(), 'typo');
  await ctx.service.waitFor('/bob', (r) => decrypt(r, ctx.keys).type === 'message');
  await ws.call({ type: 'edit', conversation_id: ctx.ab.id, seq: ack.message.seq, text: 'fixed' }, 'edited');
  await sleep(GRACE); // the edit examined by the push delivery while the first push is in flight
  release();
  const edited = decrypt(await ctx.service.waitFor('/bob', (r) => decrypt(r, ctx.keys).type === 'message_changed'), ctx.keys);
  assert.equal(edited.text, 'fixed');
  assert.equal(edited.tag, `c${ctx.ab.id}`);
  await ws.call({ type: 'delete', conversation_id: ctx.ab.id, seq: ack.message.seq, for: 'everyone' }, 'ok');
  const withdrawn = decrypt(await ctx.service.waitFor('/bob', (r) => decrypt(r, ctx.keys).type === 'withdraw'), ctx.keys);
  assert.deepEqual(withdrawn, { type: 'withdraw', tag: `c${ctx.ab.id}`, conversation_id: ctx.ab.id, seq: ack.message.seq });
});

test('a session\'s subscriptions die with it', async (t) => {
  const ctx = await trio(t);
  const phone = await login(ctx.server, 'bob', { device_name: 'phone' });
  await subscribe(ctx.server, phone.token, ctx.service, '/phone');
  assertStatus(await api(ctx.server, 'POST', '/api/v1/logout', { token: phone.token }), 200, 'logout');
  await httpSend(ctx.server, ctx.alice.token, ctx.ab.id, cid(), 'anyone?');
  await ctx.service.waitFor('/bob');
  await sentinel(ctx);
  assert.equal(ctx.service.to('/phone').length, 0, 'no push to a logged-out session');
  const again = await login(ctx.server, 'bob', { device_name: 'phone' });
  assert.deepEqual(await listSubscriptions(ctx.server, again.token), []);
});

test('the gateway hook gets Matrix-style notifications; rejected keys are removed', async (t) => {
  const certs = selfSignedCert(t);
  const gateway = await fakePushService(t, certs, (r) => {
    const n = JSON.parse(r.body.toString()).notification;
    const rejected = n.devices.filter((d) => d.pushkey.startsWith('dead')).map((d) => d.pushkey);
    return { status: 200, body: JSON.stringify({ rejected }) };
  });
  const server = await startServer(t, {
    args: ['--push-ca-file', certs.cert, '--push-gateway-url', gateway.url('/_matrix/push/v1/notify')],
  });
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  assert.equal((await api(server, 'GET', '/api/v1/push/config', { token: bob.token })).body.gateway, true);
  for (const pushkey of ['good-key', 'dead-key']) {
    const res = await api(server, 'POST', '/api/v1/push/subscriptions', {
      token: bob.token, body: { kind: 'gateway', app_id: 'org.example.parley', pushkey },
    });
    assertStatus(res, 201, 'gateway subscribe');
    assert.equal(res.body.subscription.pushkey, pushkey);
  }
  await httpSend(server, alice.token, ab.id, cid(), 'to the app');
  // One request per device, sent independently: the removal of the rejected key says nothing
  // about whether the good key's request has arrived yet, so wait for both.
  const forKey = (key) => (r) => JSON.parse(r.body.toString()).notification.devices.some((d) => d.pushkey === key);
  await gateway.waitFor('/_matrix/push/v1/notify', forKey('good-key'));
  await gateway.waitFor('/_matrix/push/v1/notify', forKey('dead-key'));
  await waitMetric(server, 'parley_push_subscriptions_removed_total', 1);
  const notes = gateway.to('/_matrix/push/v1/notify').map((r) => JSON.parse(r.body.toString()).notification);
  assert.equal(notes.length, 2);
  const n = notes.find((x) => x.devices[0].pushkey === 'good-key');
  assert.equal(n.event_id, `${ab.id}:1`);
  assert.equal(n.conversation_id, ab.id);
  assert.equal(n.sender, 'alice');
  assert.equal(n.sender_display_name, 'Alice');
  assert.deepEqual(n.content, { body: 'to the app' });
  assert.equal(n.prio, 'high');
  assert.deepEqual(n.counts, { unread: 1, conversation_unread: 1 });
  assert.equal(n.devices[0].app_id, 'org.example.parley');
  const left = (await listSubscriptions(server, bob.token)).map((s) => s.pushkey);
  assert.deepEqual(left, ['good-key']);
});

test('hostile registrations are refused and store nothing', async (t) => {
  const { server, service } = await setup(t, { args: ['--push-max-per-session', '2', '--push-max-per-user', '3'] });
  const bob = await register(server, 'bob');
  const k = browserKeys();
  const good = { kind: 'webpush', endpoint: service.url('/x'), p256dh: k.p256dh, auth: k.authB64 };
  const offCurve = Buffer.from(k.p256dh, 'base64url');
  offCurve[40] ^= 1;
  const bad = [
    [{ ...good, endpoint: 'http://push.example/x' }, 'invalid_argument'],
    [{ ...good, endpoint: 'http://127.0.0.1:9/x' }, 'invalid_argument'],  // loopback http needs the flag
    [{ ...good, endpoint: 'javascript:alert(1)' }, 'invalid_argument'],
    [{ ...good, endpoint: `https://user@${service.origin.slice(8)}/x` }, 'invalid_argument'],
    [{ ...good, endpoint: `${service.url('/x')}#f` }, 'invalid_argument'],
    [{ ...good, endpoint: `https://p.example/${'a'.repeat(2100)}` }, 'invalid_argument'],
    [{ ...good, endpoint: 'https://p.example/\u00e9' }, 'invalid_argument'],
    [{ ...good, p256dh: k.p256dh.slice(0, 40) }, 'invalid_argument'],
    [{ ...good, p256dh: offCurve.toString('base64url') }, 'invalid_argument'],
    [{ ...good, p256dh: 'A'.repeat(5000) }, 'invalid_argument'],
    [{ ...good, auth: 'short' }, 'invalid_argument'],
    [{ ...good, auth: Buffer.alloc(32).toString('base64url') }, 'invalid_argument'],
    [{ ...good, kind: 'apns' }, 'invalid_argument'],
    [{ ...good, app_id: 'x' }, 'invalid_argument'],
    [{ kind: 'gateway', app_id: 'org.example', pushkey: 'k' }, 'invalid_argument'],  // no gateway configured
    [{ ...good, kind: undefined }, 'bad_request'],
    [{ ...good, endpoint: 42 }, 'bad_request'],
    [{ ...good, p256dh: ['x'] }, 'bad_request'],
  ];
  for (const [body, code] of bad) {
    const res = await api(server, 'POST', '/api/v1/push/subscriptions', { token: bob.token, body });
    assertError(res, 400, code, JSON.stringify(body).slice(0, 120));
  }
  assertError(await api(server, 'POST', '/api/v1/push/subscriptions', { body: good }), 401, 'unauthenticated');
  assert.deepEqual(await listSubscriptions(server, bob.token), []);

  // Limits: 2 per session, 3 per user; re-registering an address is not a new one.
  const first = await api(server, 'POST', '/api/v1/push/subscriptions', { token: bob.token, body: good });
  assertStatus(first, 201, 'first');
  assertStatus(await api(server, 'POST', '/api/v1/push/subscriptions', { token: bob.token, body: { ...good, endpoint: service.url('/y') } }), 201, 'second');
  assertError(await api(server, 'POST', '/api/v1/push/subscriptions', { token: bob.token, body: { ...good, endpoint: service.url('/z') } }),
    403, 'forbidden', 'third in the session');
  const again = await api(server, 'POST', '/api/v1/push/subscriptions', { token: bob.token, body: good });
  assertStatus(again, 201, 'again');
  assert.equal(again.body.subscription.id, first.body.subscription.id);
  const tablet = await login(server, 'bob', { device_name: 'tablet' });
  assertStatus(await api(server, 'POST', '/api/v1/push/subscriptions', { token: tablet.token, body: { ...good, endpoint: service.url('/t1') } }), 201, 'tablet');
  assertError(await api(server, 'POST', '/api/v1/push/subscriptions', { token: tablet.token, body: { ...good, endpoint: service.url('/t2') } }),
    403, 'forbidden', 'fourth for the user');

  // Another session's (or user's) subscription cannot be deleted.
  const eve = await register(server, 'eve');
  assertError(await api(server, 'DELETE', `/api/v1/push/subscriptions/${first.body.subscription.id}`, { token: eve.token }), 404, 'not_found');
  assertError(await api(server, 'DELETE', `/api/v1/push/subscriptions/${first.body.subscription.id}`, { token: tablet.token }), 404, 'not_found');
  assertError(await api(server, 'DELETE', '/api/v1/push/subscriptions/abc', { token: bob.token }), 404, 'not_found');
  assert.equal((await listSubscriptions(server, bob.token)).length, 2);
  assertStatus(await api(server, 'DELETE', `/api/v1/push/subscriptions/${first.body.subscription.id}`, { token: bob.token }), 200, 'delete');
  assert.equal((await listSubscriptions(server, bob.token)).length, 1);

  // The same over the WebSocket.
  const ws = await connect(t, server, bob.token);
  const list = await ws.call({ type: 'push_subscriptions' }, 'push_subscriptions');
  assert.equal(list.subscriptions.length, 1);
  assert.equal(list.subscriptions[0].p256dh, undefined, 'keys are not echoed');
  const refused = await ws.request({ type: 'push_subscribe', ...good, endpoint: 'ftp://x' });
  assert.equal(refused.type, 'error');
  assert.equal(refused.code, 'invalid_argument');
});

test('an endpoint on the server\'s own network is never contacted (no SSRF through registrations)', async (t) => {
  const { server, service } = await setup(t, { privateEndpoints: false });
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  await subscribe(server, bob.token, service, '/internal');  // registering is allowed: the host may be public later
  await httpSend(server, alice.token, ab.id, cid(), 'knock knock');
  // Refused before connecting, like a connection failure: retried, then given up.
  await waitMetric(server, 'parley_push_failed_total', 1);
  assert.equal(service.requests.length, 0, 'the loopback service never saw a request');
});

test('in a group: normal urgency, the group\'s name, and a recipient\'s block holds', async (t) => {
  const ctx = await trio(t);
  const created = await api(ctx.server, 'POST', '/api/v1/groups', {
    token: ctx.alice.token, body: { name: 'Climbing', member_usernames: ['bob', 'carol'] },
  });
  assertStatus(created, 201, 'group');
  const g = created.body.conversation;
  await httpSend(ctx.server, ctx.carol.token, g.id, cid(), 'saturday?');
  const req = await ctx.service.waitFor('/bob', (r) => decrypt(r, ctx.keys).conversation_id === g.id);
  const p = decrypt(req, ctx.keys);
  assert.equal(p.kind, 'group');
  assert.equal(p.conversation_name, 'Climbing');
  assert.equal(p.sender.username, 'carol');
  assert.equal(req.headers.urgency, 'normal');
  assert.equal(req.headers.topic, `c${g.id}`);

  assertStatus(await api(ctx.server, 'PUT', `/api/v1/blocks/${ctx.alice.user.id}`, { token: ctx.bob.token }), 200, 'block');
  const before = pushesAbout(ctx, g.id).length;
  await httpSend(ctx.server, ctx.alice.token, g.id, cid(), 'from the blocked one');
  await sentinel(ctx);
  assert.equal(pushesAbout(ctx, g.id).length, before, 'no push from a blocked sender in a group');
});

test('the VAPID key is created once, private to the server, and kept across restarts', async (t) => {
  const server = await startServer(t);
  const bob = await register(server, 'bob');
  const first = (await api(server, 'GET', '/api/v1/push/config', { token: bob.token })).body.vapid_public_key;
  const file = path.join(server.dataDir, 'vapid.pem');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'vapid.pem is readable by the server only');
  await server.restart();
  const again = await login(server, 'bob');
  const second = (await api(server, 'GET', '/api/v1/push/config', { token: again.token })).body.vapid_public_key;
  assert.equal(second, first, 'browsers subscribed with the old key keep working');
  assertError(await api(server, 'GET', '/api/v1/push/config'), 401, 'unauthenticated');
});
