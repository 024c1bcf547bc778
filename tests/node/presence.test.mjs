// Presence, last seen, typing, contacts and blocking over the wire.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import {
  api, assertError, assertNoFrame, assertStatus, cid, connect, fullHistory, openConversation,
  openSocket, register, sleep, T,
} from './lib/client.mjs';

const FAST = ['--presence-offline-grace-ms', '300', '--presence-last-seen-write-ms', '0'];

async function subscribe(client, ids) {
  return client.call({ type: 'presence_subscribe', user_ids: ids }, 'presence_subscribed');
}

test('online and offline transitions reach subscribers, with last seen after disconnect', async (t) => {
  const server = await startServer(t, { args: FAST });
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  await openConversation(server, alice.token, 'bob');
  const ac = await connect(t, server, alice.token);
  const first = await subscribe(ac, [bob.user.id]);
  assert.deepEqual(first.users, [{ user_id: bob.user.id, online: false, last_seen: null }], 'never seen yet');

  const bc = await connect(t, server, bob.token);
  const on = await ac.event('presence', (f) => f.user_id === bob.user.id);
  assert.equal(on.online, true);
  assert.equal(on.last_seen, null);

  // A second device and a quick reconnect of the first produce no events.
  const bc2 = await connect(t, server, bob.token);
  bc2.close();
  await assertNoFrame(ac, (f) => f.type === 'presence' && f.online === false, T(700), 'offline while another device is connected');

  // Another device of alice, connected now so that it can ask the moment bob goes offline.
  const ac2 = await connect(t, server, alice.token);
  const before = Date.now();
  bc.close();
  const off = await ac.event('presence', (f) => f.user_id === bob.user.id && f.online === false, T(5000));
  assert.ok(Number.isInteger(off.last_seen) && off.last_seen >= before - 1000 && off.last_seen <= Date.now(), `last_seen ${off.last_seen}`);

  // A fresh subscription reads the same last seen, also right after the announcement, while
  // the value may still be on its way to the store (it once answered null then).
  const again = await subscribe(ac2, [bob.user.id]);
  assert.equal(again.users[0].online, false);
  assert.equal(again.users[0].last_seen, off.last_seen);
  // And a new device, later, from the store.
  const ac3 = await connect(t, server, alice.token);
  const later = await subscribe(ac3, [bob.user.id]);
  assert.equal(later.users[0].online, false);
  assert.equal(later.users[0].last_seen, off.last_seen);
});

test('a connection that stops answering keep-alives goes offline', async (t) => {
  const server = await startServer(t, { args: [...FAST, '--ws-idle-timeout-ms', '1500'] });
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  await openConversation(server, alice.token, 'bob');
  const ac = await connect(t, server, alice.token);
  const bc = await connect(t, server, bob.token);
  await subscribe(ac, [bob.user.id]);
  // Keep alice's own connection alive with traffic while bob's goes silent.
  const keep = setInterval(() => ac.send({ type: 'ping' }), 300);
  t.after(() => clearInterval(keep));
  bc.ws._socket.pause();  // bob reads nothing, so he answers no pings
  const off = await ac.event('presence', (f) => f.user_id === bob.user.id && f.online === false, T(8000));
  assert.ok(Number.isInteger(off.last_seen));
  clearInterval(keep);
});

test('subscriptions are scoped: strangers learn nothing, hidden last seen works both ways', async (t) => {
  const server = await startServer(t, { args: FAST });
  const [alice, bob, carol, mallory] = await Promise.all(['alice', 'bob', 'carol', 'mallory'].map((u) => register(server, u)));
  await openConversation(server, alice.token, 'bob');
  assertStatus(await api(server, 'PUT', `/api/v1/contacts/${carol.user.id}`, { token: alice.token, body: { nickname: 'Caz' } }), 200, 'carol as contact');
  assertStatus(await api(server, 'PUT', `/api/v1/contacts/${alice.user.id}`, { token: carol.token, body: {} }), 200, 'alice as carol\'s contact');

  const bc = await connect(t, server, bob.token);
  const cc = await connect(t, server, carol.token);
  bc.close();
  cc.close();
  await sleep(T(800));

  const mc = await connect(t, server, mallory.token);
  const seen = await subscribe(mc, [alice.user.id, bob.user.id, carol.user.id]);
  assert.deepEqual(seen.users, [], 'a stranger is told nothing');
  const ac = await connect(t, server, alice.token);
  await assertNoFrame(mc, (f) => f.type === 'presence', T(500), 'presence to a stranger');

  const view = await subscribe(ac, [bob.user.id, carol.user.id, mallory.user.id]);
  assert.deepEqual(view.users.map((u) => u.user_id).sort(), [bob.user.id, carol.user.id].sort(), 'conversation partner and mutual contact');
  assert.ok(view.users.every((u) => Number.isInteger(u.last_seen)));

  // Bob hides his last seen: alice no longer sees it.
  assertStatus(await api(server, 'PATCH', '/api/v1/me/privacy', { token: bob.token, body: { hide_last_seen: true } }), 200);
  const hiddenBob = await subscribe(ac, [bob.user.id, carol.user.id]);
  assert.equal(hiddenBob.users.find((u) => u.user_id === bob.user.id).last_seen, null);
  assert.ok(Number.isInteger(hiddenBob.users.find((u) => u.user_id === carol.user.id).last_seen));
  // Alice hides hers: she sees nobody's.
  assertStatus(await api(server, 'PATCH', '/api/v1/me/privacy', { token: alice.token, body: { hide_last_seen: true } }), 200);
  const privacy = await api(server, 'GET', '/api/v1/me/privacy', { token: alice.token });
  assert.equal(privacy.body.hide_last_seen, true);
  const hiddenAll = await subscribe(ac, [bob.user.id, carol.user.id]);
  assert.ok(hiddenAll.users.every((u) => u.last_seen === null), JSON.stringify(hiddenAll.users));
  // And carol, subscribed to alice, sees no last seen of alice when she leaves.
  const cc2 = await connect(t, server, carol.token);
  await subscribe(cc2, [alice.user.id]);
  ac.close();
  const off = await cc2.event('presence', (f) => f.user_id === alice.user.id && f.online === false, T(5000));
  assert.equal(off.last_seen, null);
});

test('typing is forwarded to the other members, rate-limited, names the typist in groups, and expires', async (t) => {
  const server = await startServer(t, { args: FAST });
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => register(server, u)));
  const { conversation } = await openConversation(server, alice.token, 'bob');
  const ac = await connect(t, server, alice.token);
  const ac2 = await connect(t, server, alice.token);
  const bc = await connect(t, server, bob.token);

  await ac.call({ type: 'typing', conversation_id: conversation.id, state: 'start' }, 'ok');
  const typing = await bc.event('typing', (f) => f.conversation_id === conversation.id);
  assert.deepEqual({ ...typing }, { type: 'typing', conversation_id: conversation.id, user_id: alice.user.id, state: 'start', expires_ms: 6000 });
  await assertNoFrame(ac2, (f) => f.type === 'typing', T(200), 'typing echoed to the typist\'s own device');

  // A burst: 3 pass, the rest are dropped (still answered ok).
  // The bucket holds at most 3 and refills 1 per second, so a burst that took d seconds to
  // send can pass at most 3 + ceil(d), however slow the machine.
  const before = bc.received((f) => f.type === 'typing').length;
  const burstStart = Date.now();
  for (let i = 0; i < 10; i += 1) await ac.call({ type: 'typing', conversation_id: conversation.id, state: i % 2 ? 'stop' : 'start' }, 'ok');
  const burstSeconds = (Date.now() - burstStart) / 1000;
  await sleep(T(300));
  const forwarded = bc.received((f) => f.type === 'typing').length - before;
  assert.ok(forwarded >= 1 && forwarded <= 3 + Math.ceil(burstSeconds), `forwarded ${forwarded} of 10 in a burst of ${burstSeconds} s`);

  // Bad input and non-members.
  const bad = await ac.request({ type: 'typing', conversation_id: conversation.id, state: 'dancing' });
  assert.equal(bad.code, 'invalid_argument');
  const cc = await connect(t, server, carol.token);
  const stranger = await cc.request({ type: 'typing', conversation_id: conversation.id, state: 'start' });
  assert.equal(stranger.code, 'not_found');

  // In a group, the recipients see who is typing.
  const g = await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'G', member_usernames: ['bob', 'carol'] } });
  assertStatus(g, 201);
  await cc.call({ type: 'typing', conversation_id: g.body.conversation.id, state: 'start' }, 'ok');
  const inGroup = await bc.event('typing', (f) => f.conversation_id === g.body.conversation.id);
  assert.equal(inGroup.user_id, carol.user.id);
  await ac.event('typing', (f) => f.conversation_id === g.body.conversation.id && f.user_id === carol.user.id);
});

test('contacts: add, rename, list, remove; users are found by username prefix', async (t) => {
  const server = await startServer(t);
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  await register(server, 'bobby');
  await register(server, 'carol');
  const found = await api(server, 'GET', '/api/v1/users?prefix=BO&limit=5', { token: alice.token });
  assertStatus(found, 200);
  assert.deepEqual(found.body.users.map((u) => u.username), ['bob', 'bobby']);
  const one = await api(server, 'GET', '/api/v1/users?prefix=bo&limit=1', { token: alice.token });
  assert.deepEqual(one.body.users.map((u) => u.username), ['bob']);
  assertError(await api(server, 'GET', '/api/v1/users?prefix=bo&limit=500', { token: alice.token }), 400, 'invalid_argument', 'limit');
  assertError(await api(server, 'GET', '/api/v1/users', { token: alice.token }), 400, 'bad_request', 'no prefix');

  const added = await api(server, 'PUT', `/api/v1/contacts/${bob.user.id}`, { token: alice.token, body: { nickname: 'Bobster' } });
  assertStatus(added, 200);
  assert.equal(added.body.contact.nickname, 'Bobster');
  assertStatus(await api(server, 'PUT', `/api/v1/contacts/${bob.user.id}`, { token: alice.token, body: { nickname: 'Robert' } }), 200);
  const list = await api(server, 'GET', '/api/v1/contacts', { token: alice.token });
  assert.deepEqual(list.body.contacts.map((c) => [c.user.username, c.nickname]), [['bob', 'Robert']]);
  assertError(await api(server, 'PUT', `/api/v1/contacts/${alice.user.id}`, { token: alice.token, body: {} }), 400, 'invalid_argument', 'self');
  assertError(await api(server, 'PUT', '/api/v1/contacts/99999', { token: alice.token, body: {} }), 404, 'not_found', 'nobody');
  assertStatus(await api(server, 'DELETE', `/api/v1/contacts/${bob.user.id}`, { token: alice.token }), 200);
  assertError(await api(server, 'DELETE', `/api/v1/contacts/${bob.user.id}`, { token: alice.token }), 404, 'not_found', 'twice');
  assert.equal((await api(server, 'GET', '/api/v1/contacts', { token: alice.token })).body.contacts.length, 0);
});

test('blocking: no new chat, direct messages withheld, no presence or typing, groups keep working, and it is private', async (t) => {
  const server = await startServer(t, { args: FAST });
  const [alice, bob, mallory] = await Promise.all(['alice', 'bob', 'mallory'].map((u) => register(server, u)));
  const { conversation } = await openConversation(server, mallory.token, 'alice');
  const mc = await connect(t, server, mallory.token);
  await mc.sendMessage(conversation.id, cid(), 'hi alice');
  const group = (await api(server, 'POST', '/api/v1/groups', { token: bob.token, body: { name: 'Both', member_usernames: ['alice', 'mallory'] } })).body.conversation;

  await sleep(T(300));
  const framesBefore = mc.frames.length;
  assertStatus(await api(server, 'PUT', `/api/v1/blocks/${mallory.user.id}`, { token: alice.token }), 200, 'block');
  assertStatus(await api(server, 'PUT', `/api/v1/blocks/${mallory.user.id}`, { token: alice.token }), 200, 'block twice');
  const blocks = await api(server, 'GET', '/api/v1/blocks', { token: alice.token });
  assert.deepEqual(blocks.body.users.map((u) => u.username), ['mallory']);
  await sleep(T(300));
  assert.deepEqual(mc.frames.slice(framesBefore), [], 'nothing tells mallory she was blocked');

  // Direct messages look sent to mallory but are withheld from alice (blocking.test.mjs).
  const withheld = await mc.sendMessage(conversation.id, cid(), 'are you there?');
  assert.equal(withheld.duplicate, false);
  assert.deepEqual((await fullHistory(server, alice.token, conversation.id)).filter((m) => !m.hidden).map((m) => m.text), ['hi alice']);
  // A new direct conversation with alice cannot be started by someone she blocked... (the
  // existing one is returned to nobody new): test with a fresh blocked user.
  const eve = await register(server, 'eve');
  assertStatus(await api(server, 'PUT', `/api/v1/blocks/${eve.user.id}`, { token: alice.token }), 200);
  assertError(await api(server, 'POST', '/api/v1/conversations', { token: eve.token, body: { peer_username: 'alice' } }), 403, 'forbidden', 'blocked user opens a chat');
  assert.equal((await api(server, 'GET', '/api/v1/conversations', { token: eve.token })).body.conversations.length, 0, 'nothing stored');
  // Alice can still write to mallory (blocking is one-way for sending).
  const ac = await connect(t, server, alice.token);
  await ac.sendMessage(conversation.id, cid(), 'please stop');

  // No presence either way, no typing.
  const seenByMallory = await subscribe(mc, [alice.user.id]);
  assert.deepEqual(seenByMallory.users, []);
  const seenByAlice = await subscribe(ac, [mallory.user.id]);
  assert.deepEqual(seenByAlice.users, []);
  await mc.call({ type: 'typing', conversation_id: group.id, state: 'start' }, 'ok');
  const bc = await connect(t, server, bob.token);
  await mc.call({ type: 'typing', conversation_id: group.id, state: 'stop' }, 'ok');
  await bc.event('typing', (f) => f.user_id === mallory.user.id);
  await assertNoFrame(ac, (f) => f.type === 'typing' && f.user_id === mallory.user.id, T(300), 'typing across a block');

  // The group keeps working both ways.
  const inGroup = await mc.sendMessage(group.id, cid(), 'group hello');
  assert.equal(inGroup.type, 'ack');
  await ac.event('message', (f) => f.message.conversation_id === group.id && f.message.text === 'group hello');

  // Unblocking restores direct messages.
  assertStatus(await api(server, 'DELETE', `/api/v1/blocks/${mallory.user.id}`, { token: alice.token }), 200);
  const after = await mc.sendMessage(conversation.id, cid(), 'sorry');
  assert.equal(after.type, 'ack');
});

test('hiding last seen and blocking apply at once to subscriptions already open', async (t) => {
  const server = await startServer(t, { args: FAST });
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  await openConversation(server, alice.token, 'bob');
  const bc = await connect(t, server, bob.token);
  let ac = await connect(t, server, alice.token);
  await subscribe(bc, [alice.user.id]);
  await subscribe(ac, [bob.user.id]);

  // Alice hides her last seen after bob subscribed: her next offline event carries none.
  assertStatus(await api(server, 'PATCH', '/api/v1/me/privacy', { token: alice.token, body: { hide_last_seen: true } }), 200);
  ac.close();
  const hidden = await bc.event('presence', (f) => f.user_id === alice.user.id && f.online === false, T(5000));
  assert.equal(hidden.last_seen, null, 'no last seen once she hides it');

  // Turning it off again shows it again, without a new subscription.
  assertStatus(await api(server, 'PATCH', '/api/v1/me/privacy', { token: alice.token, body: { hide_last_seen: false } }), 200);
  ac = await connect(t, server, alice.token);
  await bc.event('presence', (f) => f.user_id === alice.user.id && f.online === true, T(5000));
  ac.close();
  const shown = await bc.event('presence', (f) => f.user_id === alice.user.id && f.online === false, T(5000));
  assert.ok(Number.isInteger(shown.last_seen), `last seen is back: ${JSON.stringify(shown)}`);

  // Bob hides his: he stops seeing alice's too (both ways), on the same subscription.
  assertStatus(await api(server, 'PATCH', '/api/v1/me/privacy', { token: bob.token, body: { hide_last_seen: true } }), 200);
  ac = await connect(t, server, alice.token);
  await bc.event('presence', (f) => f.user_id === alice.user.id && f.online === true, T(5000));
  ac.close();
  const bothWays = await bc.event('presence', (f) => f.user_id === alice.user.id && f.online === false, T(5000));
  assert.equal(bothWays.last_seen, null, 'who hides sees nobody\'s');

  // Alice blocks bob: his open subscription to her ends.
  ac = await connect(t, server, alice.token);
  await bc.event('presence', (f) => f.user_id === alice.user.id && f.online === true, T(5000));
  assertStatus(await api(server, 'PUT', `/api/v1/blocks/${bob.user.id}`, { token: alice.token }), 200, 'block');
  const seenByBob = bc.received((f) => f.type === 'presence' && f.user_id === alice.user.id).length;
  ac.close();
  await sleep(T(1200));
  assert.equal(bc.received((f) => f.type === 'presence' && f.user_id === alice.user.id).length, seenByBob, 'bob learns nothing of alice after the block');
});

test('adding someone as a contact on one side only shows presence to neither', async (t) => {
  const server = await startServer(t, { args: FAST });
  const [alice, mallory] = await Promise.all(['alice', 'mallory'].map((u) => register(server, u)));
  assertStatus(await api(server, 'PUT', `/api/v1/contacts/${alice.user.id}`, { token: mallory.token, body: {} }), 200, 'mallory adds alice');
  const mc = await connect(t, server, mallory.token);
  const seen = await subscribe(mc, [alice.user.id]);
  assert.deepEqual(seen.users, [], 'a one-sided contact is still a stranger');
  const ac = await connect(t, server, alice.token);
  await assertNoFrame(mc, (f) => f.type === 'presence', T(500), 'alice coming online');
  const back = await subscribe(ac, [mallory.user.id]);
  assert.deepEqual(back.users, [], 'nor the other way round');

  // Once alice adds mallory too, each sees the other.
  assertStatus(await api(server, 'PUT', `/api/v1/contacts/${mallory.user.id}`, { token: alice.token, body: {} }), 200, 'alice adds mallory');
  const mutual = await subscribe(mc, [alice.user.id]);
  assert.deepEqual(mutual.users.map((u) => u.user_id), [alice.user.id]);
  assert.equal(mutual.users[0].online, true);
});

test('many users leaving at once are each reported offline once; one with another device still connected is not', async (t) => {
  const server = await startServer(t, { args: FAST });
  const watcher = await register(server, 'watcher');
  const names = Array.from({ length: 40 }, (_, i) => `leaver${i}`);
  const users = [];
  for (const name of names) {
    const u = await register(server, name);
    await openConversation(server, watcher.token, name);
    users.push(u);
  }
  const wc = await connect(t, server, watcher.token);
  const conns = await Promise.all(users.map((u) => connect(t, server, u.token)));
  await subscribe(wc, users.map((u) => u.user.id));
  // The last one has a second device, which stays; then every first device leaves together.
  const back = users[users.length - 1];
  await connect(t, server, back.token);
  for (const c of conns) c.close();
  const gone = users.slice(0, -1).map((u) => u.user.id);
  for (const id of gone) await wc.event('presence', (f) => f.user_id === id && f.online === false, T(10000));
  await assertNoFrame(wc, (f) => f.type === 'presence' && f.user_id === back.user.id && f.online === false, T(1000),
    'offline for a user whose other device is still connected');
  const offline = wc.received((f) => f.type === 'presence' && f.online === false).map((f) => f.user_id);
  assert.deepEqual([...offline].sort((a, b) => a - b), [...gone].sort((a, b) => a - b), 'each leaver reported offline once');
});
