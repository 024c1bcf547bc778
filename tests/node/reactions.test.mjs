// Reactions (docs/protocol.md, "Reactions"): one emoji per user and message, set, replaced
// and removed; live to every device of every member, in sync, changes and history; the emoji
// grammar; membership, hidden and deleted messages; blocked users.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import {
  api, assertError, assertStatus, assertWsError, cid, connect, fullHistory, openConversation, register, sleep, T,
} from './lib/client.mjs';

async function createGroup(server, token, name, usernames) {
  const res = await api(server, 'POST', '/api/v1/groups', { token, body: { name, member_usernames: usernames } });
  assertStatus(res, 201, `create group ${name}`);
  return res.body.conversation;
}

async function syncVersion(server, token) {
  const res = await api(server, 'GET', '/api/v1/sync?since=0&limit=200', { token });
  assertStatus(res, 200, 'sync');
  return res.body.version;
}

const react = (conversation_id, seq, emoji) => ({ type: 'react', conversation_id, seq, emoji });
const unreact = (conversation_id, seq) => ({ type: 'unreact', conversation_id, seq });

test('a reaction reaches every device live and offline devices through sync and changes', async (t) => {
  const server = await startServer(t);
  const [alice, bob] = await Promise.all([register(server, 'alice'), register(server, 'bob')]);
  const conv = (await openConversation(server, alice.token, 'bob')).conversation;
  const alicePhone = await connect(t, server, alice.token);
  const aliceLaptop = await connect(t, server, alice.token);
  const bobPhone = await connect(t, server, bob.token);
  const m = (await alicePhone.sendMessage(conv.id, cid(), 'party at mine')).message;
  await bobPhone.event('message', (f) => f.message.seq === m.seq);
  const offline = await syncVersion(server, alice.token);

  const set = await bobPhone.call(react(conv.id, m.seq, '🎉'), 'reacted');
  assert.equal(set.changed, true);
  assert.ok(set.version > m.version);
  for (const [who, c] of [['alice phone', alicePhone], ['alice laptop', aliceLaptop], ['bob himself', bobPhone]]) {
    const ev = await c.event('reaction', (f) => f.seq === m.seq && f.emoji === '🎉');
    assert.deepEqual(ev, { type: 'reaction', conversation_id: conv.id, seq: m.seq, user_id: bob.user.id, emoji: '🎉', version: set.version }, who);
  }

  // The same again: nothing changes, nobody is told.
  const again = await bobPhone.call(react(conv.id, m.seq, '🎉'), 'reacted');
  assert.equal(again.changed, false);
  assert.equal(again.version, set.version);

  // Alice reacts too (over HTTP), then Bob replaces his.
  assertStatus(await api(server, 'PUT', `/api/v1/conversations/${conv.id}/messages/${m.seq}/reaction`, {
    token: alice.token, body: { emoji: '🎉' },
  }), 200, 'alice reacts over http');
  const replaced = await bobPhone.call(react(conv.id, m.seq, '❤️'), 'reacted');
  assert.equal(replaced.changed, true);
  await aliceLaptop.event('reaction', (f) => f.emoji === '❤️' && f.user_id === bob.user.id);

  const sync = await api(server, 'GET', `/api/v1/sync?since=${offline}`, { token: alice.token });
  assert.deepEqual(sync.body.conversations.map((c) => c.id), [conv.id]);
  assert.deepEqual(sync.body.conversations[0].last_message.reactions,
    [{ emoji: '🎉', user_ids: [alice.user.id] }, { emoji: '❤️', user_ids: [bob.user.id] }]);
  const changes = await api(server, 'GET', `/api/v1/conversations/${conv.id}/changes?since=${offline}`, { token: alice.token });
  assert.equal(changes.body.messages.length, 1);
  assert.equal(changes.body.messages[0].version, replaced.version);
  assert.equal(changes.body.messages[0].reactions.length, 2);

  // Removing: the event carries null; history no longer shows it.
  const removed = await bobPhone.call(unreact(conv.id, m.seq), 'reacted');
  assert.equal(removed.changed, true);
  const gone = await alicePhone.event('reaction', (f) => f.emoji === null);
  assert.equal(gone.user_id, bob.user.id);
  assert.equal((await bobPhone.call(unreact(conv.id, m.seq), 'reacted')).changed, false);
  const del = await api(server, 'DELETE', `/api/v1/conversations/${conv.id}/messages/${m.seq}/reaction`, { token: alice.token });
  assertStatus(del, 200, 'alice removes over http');
  const [held] = await fullHistory(server, alice.token, conv.id);
  assert.equal(held.reactions, undefined, 'no reactions left');
  await aliceLaptop.event('reaction', (f) => f.emoji === null && f.user_id === alice.user.id);
  await sleep(T(200));
  assert.equal(aliceLaptop.received((f) => f.type === 'reaction').length, 5, 'one event per change (five), none for repeats');
});

test('several users with the same emoji are grouped, in the order they reacted', async (t) => {
  const server = await startServer(t);
  const users = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => register(server, n)));
  const [alice, bob, carol, dave] = users;
  const g = await createGroup(server, alice.token, 'Crew', ['bob', 'carol', 'dave']);
  const a = await connect(t, server, alice.token);
  const m = (await a.sendMessage(g.id, cid(), 'who is in?')).message;
  for (const [u, e] of [[carol, '👍'], [bob, '😂'], [dave, '👍'], [alice, '👍']]) {
    assertStatus(await api(server, 'PUT', `/api/v1/conversations/${g.id}/messages/${m.seq}/reaction`, { token: u.token, body: { emoji: e } }), 200, 'react');
  }
  const msgs = await fullHistory(server, bob.token, g.id);
  assert.deepEqual(msgs.at(-1).reactions, [
    { emoji: '👍', user_ids: [carol.user.id, dave.user.id, alice.user.id] },
    { emoji: '😂', user_ids: [bob.user.id] },
  ]);
});

test('only one emoji is accepted, and bad input changes nothing', async (t) => {
  const server = await startServer(t);
  const [alice, bob] = await Promise.all([register(server, 'alice'), register(server, 'bob')]);
  const conv = (await openConversation(server, alice.token, 'bob')).conversation;
  const a = await connect(t, server, alice.token);
  const b = await connect(t, server, bob.token);
  const m = (await a.sendMessage(conv.id, cid(), 'hi')).message;
  for (const good of ['👍🏽', '👨‍👩‍👧‍👦', '🇯🇵', '1️⃣', '🏳️‍🌈']) {
    assert.equal((await b.call(react(conv.id, m.seq, good), 'reacted')).changed, true, good);
  }
  const bad = ['', 'ok', '👍👍', ' 👍', '🇯', '\u200D', '🏽', '<script>', '👍'.repeat(40), 'a'.repeat(5000)];
  for (const e of bad) assertWsError(await b.request(react(conv.id, m.seq, e)), 'invalid_argument', JSON.stringify(e).slice(0, 40));
  for (const [e, what] of [[7, 'a number'], [null, 'null'], [['👍'], 'an array']]) {
    assertWsError(await b.request(react(conv.id, m.seq, e)), 'bad_request', what);
  }
  assertWsError(await b.request({ type: 'react', conversation_id: conv.id, seq: m.seq }), 'bad_request', 'no emoji');
  assertWsError(await b.request(react(conv.id, 0, '👍')), 'invalid_argument', 'seq 0');
  assertWsError(await b.request(react(conv.id, 99, '👍')), 'not_found', 'no such seq');
  assertWsError(await b.request(react(conv.id + 1000, 1, '👍')), 'not_found', 'no such conversation');
  const http = await api(server, 'PUT', `/api/v1/conversations/${conv.id}/messages/${m.seq}/reaction`, { token: bob.token, body: { emoji: 'lol' } });
  assertError(http, 400, 'invalid_argument', 'http text');
  const [held] = await fullHistory(server, alice.token, conv.id);
  assert.deepEqual(held.reactions, [{ emoji: '🏳️‍🌈', user_ids: [bob.user.id] }], 'only the last good one stands');
});

test('membership, hidden, deleted and group events are enforced', async (t) => {
  const server = await startServer(t);
  const [alice, bob, carol, eve] = await Promise.all(['alice', 'bob', 'carol', 'eve'].map((n) => register(server, n)));
  const g = await createGroup(server, alice.token, 'Trip', ['bob', 'carol']);
  const a = await connect(t, server, alice.token);
  const c = await connect(t, server, carol.token);
  const e = await connect(t, server, eve.token);
  const m1 = (await a.sendMessage(g.id, cid(), 'first')).message;
  const m2 = (await a.sendMessage(g.id, cid(), 'second')).message;
  assertWsError(await e.request(react(g.id, m1.seq, '👍')), 'not_found', 'a stranger');
  assertWsError(await c.request(react(g.id, 1, '👍')), 'invalid_argument', 'a group event');

  await c.call({ type: 'delete', conversation_id: g.id, seq: m1.seq, for: 'me' }, 'ok');
  assertWsError(await c.request(react(g.id, m1.seq, '👍')), 'not_found', 'a message carol hid');

  await c.call(react(g.id, m2.seq, '👍'), 'reacted');
  await a.call({ type: 'delete', conversation_id: g.id, seq: m2.seq, for: 'everyone' }, 'ok');
  assertWsError(await c.request(react(g.id, m2.seq, '😮')), 'invalid_argument', 'a deleted message');
  const afterDelete = (await fullHistory(server, bob.token, g.id)).find((m) => m.seq === m2.seq);
  assert.equal(afterDelete.reactions, undefined, 'a deleted message shows no reactions');

  // Carol leaves: she can no longer react, not even to what she still sees.
  const m3 = (await a.sendMessage(g.id, cid(), 'third')).message;
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${g.id}/leave`, { token: carol.token }), 200, 'leave');
  assertWsError(await c.request(react(g.id, m3.seq, '👍')), 'not_found', 'after leaving');
  // ...and gets no reaction events from the group any more.
  await a.call(react(g.id, m3.seq, '🙂'), 'reacted');
  await sleep(T(300));
  assert.equal(c.received((f) => f.type === 'reaction' && f.seq === m3.seq).length, 0);
});

test('a blocked user\'s reaction in a direct chat reaches only his own devices', async (t) => {
  const server = await startServer(t);
  const [alice, bob] = await Promise.all([register(server, 'alice'), register(server, 'bob')]);
  const conv = (await openConversation(server, alice.token, 'bob')).conversation;
  const a = await connect(t, server, alice.token);
  const bobPhone = await connect(t, server, bob.token);
  const bobLaptop = await connect(t, server, bob.token);
  const m = (await a.sendMessage(conv.id, cid(), 'bye')).message;
  assertStatus(await api(server, 'PUT', `/api/v1/blocks/${bob.user.id}`, { token: alice.token }), 200, 'block');

  const ans = await bobPhone.call(react(conv.id, m.seq, '😢'), 'reacted');
  assert.equal(ans.changed, true, 'an ordinary answer');
  await bobLaptop.event('reaction', (f) => f.emoji === '😢');
  await sleep(T(300));
  assert.equal(a.received((f) => f.type === 'reaction').length, 0, 'the blocker is not told');
  const [forAlice] = await fullHistory(server, alice.token, conv.id);
  assert.equal(forAlice.reactions, undefined, 'the blocker does not see it');
  const [forBob] = await fullHistory(server, bob.token, conv.id);
  assert.deepEqual(forBob.reactions, [{ emoji: '😢', user_ids: [bob.user.id] }], 'he sees his own');
});
