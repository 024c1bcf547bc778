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

test('a user who blocked you, or whose privacy says so, cannot be put in a group by you; nothing is done', async (t) => {
  const server = await startServer(t);
  const [mallory, bob, carol, dave, alice] = await Promise.all(['mallory', 'bob', 'carol', 'dave', 'alice'].map((u) => register(server, u)));
  const bb = await connect(t, server, bob.token);
  assertStatus(await api(server, 'PUT', `/api/v1/blocks/${mallory.user.id}`, { token: bob.token }), 200, 'bob blocks mallory');

  const refused = await api(server, 'POST', '/api/v1/groups', { token: mallory.token, body: { name: 'Trap', member_ids: [bob.user.id, dave.user.id] } });
  assertError(refused, 403, 'forbidden', 'mallory puts bob in a group');
  assert.deepEqual(refused.body.error.user_ids, [bob.user.id]);
  assert.ok(!(await chatList(server, mallory.token)).some((c) => c.kind === 'group'), 'no group was created');
  assert.ok(!(await chatList(server, dave.token)).some((c) => c.kind === 'group'), 'dave was not put anywhere');

  const own = await api(server, 'POST', '/api/v1/groups', { token: mallory.token, body: { name: 'Own', member_ids: [dave.user.id] } });
  assertStatus(own, 201, 'mallory creates a group without bob');
  const gid = own.body.conversation.id;
  const add = await api(server, 'POST', `/api/v1/conversations/${gid}/members`, { token: mallory.token, body: { user_ids: [bob.user.id] } });
  assertError(add, 403, 'forbidden', 'mallory adds bob');
  assert.deepEqual(add.body.error.user_ids, [bob.user.id]);
  await assertNoFrame(bb, (f) => f.type === 'conversation' || f.type === 'message', T(300), 'anything reaching bob');

  // The privacy setting: everyone (default), contacts, nobody.
  const initial = await api(server, 'GET', '/api/v1/me/privacy', { token: carol.token });
  assertStatus(initial, 200);
  assert.equal(initial.body.groups_add, 'everyone');
  assert.equal(initial.body.hide_last_seen, false);
  assertError(await api(server, 'PATCH', '/api/v1/me/privacy', { token: carol.token, body: { groups_add: 'friends' } }), 400, 'invalid_argument', 'unknown value');
  const nobody = await api(server, 'PATCH', '/api/v1/me/privacy', { token: carol.token, body: { groups_add: 'nobody' } });
  assertStatus(nobody, 200, 'carol: nobody');
  assert.deepEqual(nobody.body, { hide_last_seen: false, groups_add: 'nobody' });

  const mixed = await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'Mixed', member_ids: [dave.user.id, carol.user.id] } });
  assertError(mixed, 403, 'forbidden', 'alice adds carol (nobody)');
  assert.deepEqual(mixed.body.error.user_ids, [carol.user.id]);
  assert.ok(!(await chatList(server, alice.token)).some((c) => c.kind === 'group'));

  assertStatus(await api(server, 'PATCH', '/api/v1/me/privacy', { token: carol.token, body: { groups_add: 'contacts' } }), 200, 'carol: contacts');
  assertError(await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'Stranger', member_ids: [carol.user.id] } }), 403, 'forbidden', 'alice is not carol\'s contact');
  // Alice having carol as a contact is not enough: carol must have alice.
  assertStatus(await api(server, 'PUT', `/api/v1/contacts/${carol.user.id}`, { token: alice.token, body: {} }), 200);
  assertError(await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'One-sided', member_ids: [carol.user.id] } }), 403, 'forbidden', 'one-sided contact');
  assertStatus(await api(server, 'PUT', `/api/v1/contacts/${alice.user.id}`, { token: carol.token, body: {} }), 200);
  assertStatus(await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'Friends', member_ids: [carol.user.id] } }), 201, 'carol has alice as a contact');
  // Setting one field leaves the other alone.
  const both = await api(server, 'PATCH', '/api/v1/me/privacy', { token: carol.token, body: { hide_last_seen: true } });
  assert.deepEqual(both.body, { hide_last_seen: true, groups_add: 'contacts' });
});

test('group creations and member additions are rate-limited per user with 429 and Retry-After', async (t) => {
  const server = await startServer(t, { args: ['--rate-group-create-per-min', '1', '--rate-group-create-burst', '2', '--rate-group-add-per-min', '1', '--rate-group-add-burst', '3'] });
  const [alice, bob, carol, dave, erin] = await Promise.all(['alice', 'bob', 'carol', 'dave', 'erin'].map((u) => register(server, u)));
  const g1 = await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'One', member_ids: [bob.user.id] } });
  assertStatus(g1, 201);
  assertStatus(await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'Two' } }), 201);
  const third = await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'Three' } });
  assertError(third, 429, 'rate_limited', 'third creation');
  assert.ok(Number(third.headers.get('retry-after')) >= 1, 'Retry-After is given');
  assert.equal((await chatList(server, alice.token)).filter((c) => c.kind === 'group').length, 2);
  // Another user has their own allowance.
  assertStatus(await api(server, 'POST', '/api/v1/groups', { token: bob.token, body: { name: 'Bob\'s' } }), 201);

  // Additions: bob took 1 of alice's 3; adding 3 more exceeds what is left, and adds nobody.
  const gid = g1.body.conversation.id;
  const many = await api(server, 'POST', `/api/v1/conversations/${gid}/members`, { token: alice.token, body: { user_ids: [carol.user.id, dave.user.id, erin.user.id] } });
  assertError(many, 429, 'rate_limited', 'three additions');
  const members = await api(server, 'GET', `/api/v1/conversations/${gid}/members`, { token: alice.token });
  assert.equal(members.body.members.length, 2);
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${gid}/members`, { token: alice.token, body: { user_ids: [carol.user.id, dave.user.id] } }), 200, 'two additions fit');
});

test('a removed member sees no receipts made after their removal', async (t) => {
  const server = await startServer(t);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => register(server, u)));
  const created = await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'Receipts', member_ids: [bob.user.id, carol.user.id] } });
  assertStatus(created, 201);
  const gid = created.body.conversation.id;
  const ac = await connect(t, server, alice.token);
  const bb = await connect(t, server, bob.token);
  const cc = await connect(t, server, carol.token);
  const sent = await ac.sendMessage(gid, cid(), 'read me');
  const seq = sent.message?.seq ?? sent.seq;
  assertStatus(await api(server, 'DELETE', `/api/v1/conversations/${gid}/members/${bob.user.id}`, { token: alice.token }), 200, 'remove bob');
  await bb.event('message', (f) => f.message.kind === 'system' && f.message.system.event === 'member_removed');

  // Carol reads after bob's removal; alice sees it, bob must not.
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${gid}/receipts`, { token: carol.token, body: { read_seq: seq + 1 } }), 200, 'carol reads (the removal event too)');
  await ac.next((f) => (f.type === 'receipt' || f.type === 'receipts') && f.conversation_id === gid, T(5000), 'alice gets carol\'s receipt');
  const forAlice = await api(server, 'GET', `/api/v1/conversations/${gid}/messages/${seq}/receipts`, { token: alice.token });
  assertStatus(forAlice, 200);
  assert.ok(Number.isInteger(forAlice.body.receipts.find((r) => r.user.id === carol.user.id).read_at));

  assertError(await api(server, 'GET', `/api/v1/conversations/${gid}/messages/${seq}/receipts`, { token: bob.token }), 404, 'not_found', 'bob asks for receipts');
  const view = await api(server, 'GET', `/api/v1/conversations/${gid}`, { token: bob.token });
  assertStatus(view, 200);
  assert.equal(view.body.conversation.left, true);
  assert.ok(view.body.conversation.min_read_seq < seq, `bob's view shows no read after his removal: ${view.body.conversation.min_read_seq}`);
  const list = (await chatList(server, bob.token)).find((c) => c.id === gid);
  assert.ok(list.min_read_seq < seq, 'nor does his chat list');
  await assertNoFrame(bb, (f) => f.type === 'receipt' || f.type === 'receipts', T(300), 'a receipt frame to bob');
  void cc;
});
