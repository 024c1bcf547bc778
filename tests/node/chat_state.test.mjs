// Pinned and archived chats (docs/protocol.md, "Pinned and archived chats"): per user, on
// every device of that user (live and through sync), never shown to other members; the pin
// limit and bad input.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import {
  api, assertError, assertStatus, assertWsError, cid, connect, openConversation, register, sleep, T,
} from './lib/client.mjs';

async function syncVersion(server, token) {
  const res = await api(server, 'GET', '/api/v1/sync?since=0&limit=200', { token });
  assertStatus(res, 200, 'sync');
  return res.body.version;
}

test('pin and archive reach every device of the user and nobody else', async (t) => {
  const server = await startServer(t);
  const [alice, bob] = await Promise.all([register(server, 'alice'), register(server, 'bob')]);
  const conv = (await openConversation(server, alice.token, 'bob')).conversation;
  const phone = await connect(t, server, alice.token);
  const laptop = await connect(t, server, alice.token);
  const b = await connect(t, server, bob.token);
  const offline = await syncVersion(server, alice.token);
  const bobCursor = await syncVersion(server, bob.token);

  const ans = await phone.call({ type: 'chat_state', conversation_id: conv.id, pinned: true }, 'chat_state');
  assert.equal(ans.pinned, true);
  assert.equal(ans.changed, true);
  assert.equal(typeof ans.pinned_at, 'number');
  assert.equal(ans.archived, false);
  const ev = await laptop.event('chat_state_changed', (f) => f.conversation_id === conv.id);
  assert.deepEqual(ev, { type: 'chat_state_changed', conversation_id: conv.id, pinned: true, pinned_at: ans.pinned_at, archived: false, version: ans.version });
  await phone.event('chat_state_changed');

  const archived = await api(server, 'PATCH', `/api/v1/conversations/${conv.id}/state`, { token: alice.token, body: { archived: true } });
  assertStatus(archived, 200, 'archive over http');
  assert.equal(archived.body.pinned, true, 'pinning stays');
  assert.equal(archived.body.archived, true);

  const sync = await api(server, 'GET', `/api/v1/sync?since=${offline}`, { token: alice.token });
  assert.deepEqual(sync.body.conversations.map((c) => [c.id, c.pinned, c.archived]), [[conv.id, true, true]]);
  const list = await api(server, 'GET', '/api/v1/conversations', { token: alice.token });
  assert.equal(list.body.conversations[0].pinned_at, ans.pinned_at);

  // Bob sees none of it.
  const bobSync = await api(server, 'GET', `/api/v1/sync?since=${bobCursor}`, { token: bob.token });
  assert.deepEqual(bobSync.body.conversations, [], 'nothing changed for bob');
  const bobView = await api(server, 'GET', `/api/v1/conversations/${conv.id}`, { token: bob.token });
  assert.equal(bobView.body.conversation.pinned, false);
  assert.equal(bobView.body.conversation.archived, false);
  await sleep(T(200));
  assert.equal(b.received((f) => f.type === 'chat_state_changed').length, 0);

  // A new message does not unarchive it.
  await b.sendMessage(conv.id, cid(), 'ping');
  const after = await api(server, 'GET', `/api/v1/conversations/${conv.id}`, { token: alice.token });
  assert.equal(after.body.conversation.archived, true);

  // The same again changes nothing.
  const same = await phone.call({ type: 'chat_state', conversation_id: conv.id, pinned: true, archived: true }, 'chat_state');
  assert.equal(same.changed, false);
  const undo = await phone.call({ type: 'chat_state', conversation_id: conv.id, pinned: false, archived: false }, 'chat_state');
  assert.equal(undo.changed, true);
  assert.equal(undo.pinned_at, null);
});

test('at most five pinned chats; bad input and strangers change nothing', async (t) => {
  const server = await startServer(t);
  const names = ['alice', 'user1', 'user2', 'user3', 'user4', 'user5', 'user6', 'eve'];
  const users = await Promise.all(names.map((n) => register(server, n)));
  const [alice] = users;
  const eve = users.at(-1);
  const convs = [];
  for (const n of names.slice(1, 7)) convs.push((await openConversation(server, alice.token, n)).conversation);
  const a = await connect(t, server, alice.token);
  for (const c of convs.slice(0, 5)) await a.call({ type: 'chat_state', conversation_id: c.id, pinned: true }, 'chat_state');
  const sixth = await a.request({ type: 'chat_state', conversation_id: convs[5].id, pinned: true });
  assertWsError(sixth, 'invalid_argument', 'a sixth pin');
  // Archiving is not limited, and unpinning makes room.
  await a.call({ type: 'chat_state', conversation_id: convs[5].id, archived: true }, 'chat_state');
  await a.call({ type: 'chat_state', conversation_id: convs[0].id, pinned: false }, 'chat_state');
  assert.equal((await a.call({ type: 'chat_state', conversation_id: convs[5].id, pinned: true }, 'chat_state')).pinned, true);

  const e = await connect(t, server, eve.token);
  assertWsError(await e.request({ type: 'chat_state', conversation_id: convs[1].id, pinned: true }), 'not_found', 'a stranger');
  assertWsError(await a.request({ type: 'chat_state', conversation_id: convs[1].id }), 'bad_request', 'no field');
  assertWsError(await a.request({ type: 'chat_state', conversation_id: convs[1].id, pinned: 'yes' }), 'bad_request', 'a string');
  assertWsError(await a.request({ type: 'chat_state', conversation_id: 0, pinned: true }), 'invalid_argument', 'id 0');
  assertError(await api(server, 'PATCH', `/api/v1/conversations/${convs[1].id}/state`, { token: eve.token, body: { archived: true } }), 404, 'not_found', 'http stranger');
  const view = await api(server, 'GET', `/api/v1/conversations/${convs[1].id}`, { token: users[2].token });
  assert.equal(view.body.conversation.pinned, false, 'the other member is unaffected');
});
