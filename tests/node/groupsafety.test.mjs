// Group changes under hostile input: every change is all-or-nothing (a request naming one
// unknown user creates no group and adds nobody, while other writes committed in the same
// batch are unaffected), who may add whom to a group (blocks, the groups_add privacy
// setting), and the per-user limits on group creation and member additions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import {
  api, assertError, assertNoFrame, assertStatus, cid, connect, fullHistory, openConversation, register, T,
} from './lib/client.mjs';

const UNKNOWN = 987654321;

async function chatList(server, token) {
  const res = await api(server, 'GET', '/api/v1/conversations?limit=100', { token });
  assertStatus(res, 200, 'chat list');
  return res.body.conversations;
}

test('a half-valid group creation or member addition does nothing at all, and concurrent sends are unaffected', async (t) => {
  const server = await startServer(t);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => register(server, u)));
  const ab = await connect(t, server, alice.token);
  const bb = await connect(t, server, bob.token);
  const { conversation: direct } = await openConversation(server, alice.token, 'bob');

  // Sends over the WebSocket race the bad requests, so some share their commit batch.
  const sends = Array.from({ length: 20 }, (_, i) => ab.sendMessage(direct.id, cid(), `msg ${i}`));
  const creations = Array.from({ length: 5 }, (_, i) => api(server, 'POST', '/api/v1/groups', {
    token: alice.token, body: { name: `Half ${i}`, member_ids: [bob.user.id, UNKNOWN] },
  }));
  for (const res of await Promise.all(creations)) assertError(res, 404, 'not_found', 'create with an unknown id');
  const acks = await Promise.all(sends);
  assert.equal(acks.length, 20);

  assert.ok(!(await chatList(server, alice.token)).some((c) => c.kind === 'group'), 'alice has no group');
  assert.ok(!(await chatList(server, bob.token)).some((c) => c.kind === 'group'), 'bob has no group');
  await assertNoFrame(bb, (f) => f.type === 'conversation' && f.conversation.kind === 'group', T(300), 'a group appearing for bob');
  const directHistory = await fullHistory(server, bob.token, direct.id);
  assert.deepEqual(directHistory.map((m) => m.text).sort(), Array.from({ length: 20 }, (_, i) => `msg ${i}`).sort());

  // Adding a valid and an unknown user to an existing group adds neither.
  const created = await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'Real', member_ids: [carol.user.id] } });
  assertStatus(created, 201, 'create a valid group');
  const group = created.body.conversation;
  const before = await fullHistory(server, alice.token, group.id);
  const more = Array.from({ length: 10 }, (_, i) => ab.sendMessage(direct.id, cid(), `more ${i}`));
  const adds = await Promise.all(Array.from({ length: 3 }, () => api(server, 'POST', `/api/v1/conversations/${group.id}/members`, {
    token: alice.token, body: { user_ids: [bob.user.id, UNKNOWN] },
  })));
  for (const res of adds) assertError(res, 404, 'not_found', 'add with an unknown id');
  await Promise.all(more);

  const members = await api(server, 'GET', `/api/v1/conversations/${group.id}/members`, { token: alice.token });
  assertStatus(members, 200);
  assert.deepEqual(members.body.members.map((m) => m.user.username).sort(), ['alice', 'carol']);
  assertError(await api(server, 'GET', `/api/v1/conversations/${group.id}/messages`, { token: bob.token }), 404, 'not_found', 'bob reads the group');
  assert.ok(!(await chatList(server, bob.token)).some((c) => c.id === group.id), 'the group is not in bob\'s list');
  assert.deepEqual(await fullHistory(server, alice.token, group.id), before, 'group history unchanged');
  const view = await api(server, 'GET', `/api/v1/conversations/${group.id}`, { token: alice.token });
  assert.equal(view.body.conversation.member_count, 2);
  assert.equal((await fullHistory(server, bob.token, direct.id)).length, 30);
});
