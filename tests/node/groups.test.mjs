// Group chats over the wire: creation, membership changes recorded as system messages in
// every member's order, access rules for non-members and removed members, the member limit,
// late joiners' history boundary, offline members syncing, and receipts reaching the sender
// both as the coalesced `receipts` frame and as per-member message info.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import {
  api, assertError, assertNoFrame, assertStatus, cid, connect, fullHistory, register, T, assertGapFree,
} from './lib/client.mjs';

async function createGroup(server, token, name, usernames, extra = {}) {
  const res = await api(server, 'POST', '/api/v1/groups', { token, body: { name, member_usernames: usernames, ...extra } });
  assertStatus(res, 201, `create group ${name}`);
  return res.body.conversation;
}

const events = (messages) => messages.filter((m) => m.kind === 'system').map((m) => m.system.event);

test('a group is created, managed by admins, and every member sees the same system events in order', async (t) => {
  const server = await startServer(t);
  const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((u) => register(server, u)));
  const ab = await connect(t, server, alice.token);
  const bc = await connect(t, server, bob.token);
  const cc = await connect(t, server, carol.token);

  const group = await createGroup(server, alice.token, 'Climbing', ['bob', 'carol'], { description: 'Saturdays' });
  assert.equal(group.kind, 'group');
  assert.equal(group.name, 'Climbing');
  assert.equal(group.description, 'Saturdays');
  assert.equal(group.member_count, 3);
  assert.equal(group.role, 'admin');
  assert.equal(group.peer, null);
  assert.equal(group.members.length, 1, 'a group lists only the viewer in members');

  // Bob and Carol learn of the group and of its creation.
  const conv = await bc.event('conversation', (f) => f.conversation.id === group.id);
  assert.equal(conv.conversation.role, 'member');
  const created = await cc.event('message', (f) => f.message.conversation_id === group.id);
  assert.equal(created.message.kind, 'system');
  assert.equal(created.message.system.event, 'group_created');
  assert.deepEqual(created.message.system.users.map((u) => u.username).sort(), ['bob', 'carol']);

  // A member who is not an admin cannot manage the group.
  assertError(await api(server, 'POST', `/api/v1/conversations/${group.id}/members`, { token: bob.token, body: { user_usernames: ['dave'] } }), 403, 'forbidden', 'bob adds');
  assertError(await api(server, 'PATCH', `/api/v1/conversations/${group.id}`, { token: bob.token, body: { name: 'Mine' } }), 403, 'forbidden', 'bob renames');
  assertError(await api(server, 'DELETE', `/api/v1/conversations/${group.id}/members/${carol.user.id}`, { token: bob.token }), 403, 'forbidden', 'bob removes');

  // Admin actions.
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${group.id}/members`, { token: alice.token, body: { user_ids: [dave.user.id] } }), 200, 'add dave');
  assertStatus(await api(server, 'PATCH', `/api/v1/conversations/${group.id}`, { token: alice.token, body: { name: 'Crag crew', description: 'Sundays now' } }), 200, 'rename');
  assertStatus(await api(server, 'PATCH', `/api/v1/conversations/${group.id}/members/${bob.user.id}`, { token: alice.token, body: { role: 'admin' } }), 200, 'promote bob');
  assertStatus(await api(server, 'DELETE', `/api/v1/conversations/${group.id}/members/${carol.user.id}`, { token: bob.token }), 200, 'bob (now admin) removes carol');
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${group.id}/leave`, { token: dave.token }), 200, 'dave leaves');

  const expected = ['group_created', 'members_added', 'group_renamed', 'description_changed', 'admin_promoted', 'member_removed', 'member_left'];
  const aliceSees = await fullHistory(server, alice.token, group.id);
  assert.deepEqual(events(aliceSees), expected);
  assertGapFree(aliceSees);
  const bobSees = await fullHistory(server, bob.token, group.id);
  assert.deepEqual(bobSees.map((m) => m.seq), aliceSees.map((m) => m.seq), 'bob and alice see one order');

  // Live: alice's device received every system event in seq order.
  for (const seq of aliceSees.map((m) => m.seq)) {
    await ab.event('message', (f) => f.message.conversation_id === group.id && f.message.seq === seq);
  }
  const members = await api(server, 'GET', `/api/v1/conversations/${group.id}/members`, { token: alice.token });
  assertStatus(members, 200);
  // Both joined with the group's creation, possibly in the same millisecond: the documented
  // order is (joined_at, then user id), and ids follow registration, which ran concurrently.
  const list = members.body.members;
  assert.deepEqual(list.map((m) => [m.user.username, m.role]).sort(), [['alice', 'admin'], ['bob', 'admin']]);
  const sorted = [...list].sort((x, y) => x.joined_at - y.joined_at || x.user.id - y.user.id);
  assert.deepEqual(list.map((m) => m.user.id), sorted.map((m) => m.user.id), 'longest-standing first');
});

test('non-members and removed members are refused; a removed member keeps history up to removal', async (t) => {
  const server = await startServer(t);
  const [alice, bob, eve] = await Promise.all(['alice', 'bob', 'eve'].map((u) => register(server, u)));
  const group = await createGroup(server, alice.token, 'Plans', ['bob']);
  const ab = await connect(t, server, alice.token);
  const bb = await connect(t, server, bob.token);
  await ab.sendMessage(group.id, cid(), 'before');

  // A stranger learns nothing.
  assertError(await api(server, 'GET', `/api/v1/conversations/${group.id}`, { token: eve.token }), 404, 'not_found', 'stranger reads');
  assertError(await api(server, 'GET', `/api/v1/conversations/${group.id}/messages`, { token: eve.token }), 404, 'not_found', 'stranger history');
  assertError(await api(server, 'GET', `/api/v1/conversations/${group.id}/members`, { token: eve.token }), 404, 'not_found', 'stranger members');
  const eb = await connect(t, server, eve.token);
  const refused = await eb.request({ type: 'send', conversation_id: group.id, client_id: cid(), text: 'hi' });
  assert.equal(refused.type, 'error');
  assert.equal(refused.code, 'not_found');

  assertStatus(await api(server, 'DELETE', `/api/v1/conversations/${group.id}/members/${bob.user.id}`, { token: alice.token }), 200);
  const removal = await bb.event('message', (f) => f.message.kind === 'system' && f.message.system.event === 'member_removed');
  await ab.sendMessage(group.id, cid(), 'after bob left');

  const answer = await bb.request({ type: 'send', conversation_id: group.id, client_id: cid(), text: 'let me back' });
  assert.equal(answer.code, 'not_found');
  assertError(await api(server, 'GET', `/api/v1/conversations/${group.id}/members`, { token: bob.token }), 404, 'not_found', 'removed member lists members');
  const kept = await fullHistory(server, bob.token, group.id);
  assert.equal(kept[kept.length - 1].seq, removal.message.seq, 'history ends at the removal');
  assert.ok(!kept.some((m) => m.text === 'after bob left'));
  const view = await api(server, 'GET', `/api/v1/conversations/${group.id}`, { token: bob.token });
  assertStatus(view, 200);
  assert.equal(view.body.conversation.left, true);
  assert.equal(view.body.conversation.last_seq, removal.message.seq);
  await assertNoFrame(bb, (f) => f.type === 'message' && f.message.text === 'after bob left', T(300), 'event after removal');
});

test('the member limit is enforced with group_full and changes nothing', async (t) => {
  const server = await startServer(t, { args: ['--max-group-members', '3'] });
  const users = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((u) => register(server, u)));
  const [alice] = users;
  assertError(await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'Big', member_usernames: ['bob', 'carol', 'dave'] } }), 409, 'group_full', 'create 4 of 3');
  const group = await createGroup(server, alice.token, 'Small', ['bob', 'carol']);
  assertError(await api(server, 'POST', `/api/v1/conversations/${group.id}/members`, { token: alice.token, body: { user_usernames: ['dave'] } }), 409, 'group_full', 'add a 4th');
  const members = await api(server, 'GET', `/api/v1/conversations/${group.id}/members`, { token: alice.token });
  assert.equal(members.body.members.length, 3);
  assert.deepEqual(events(await fullHistory(server, alice.token, group.id)), ['group_created']);
});

test('a late joiner sees history from the join onward; an offline member catches up through sync', async (t) => {
  const server = await startServer(t);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => register(server, u)));
  const group = await createGroup(server, alice.token, 'Book club', ['bob']);
  const ab = await connect(t, server, alice.token);
  for (let i = 0; i < 5; i += 1) await ab.sendMessage(group.id, cid(), `early ${i}`);
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${group.id}/members`, { token: alice.token, body: { user_usernames: ['carol'] } }), 200);
  for (let i = 0; i < 30; i += 1) await ab.sendMessage(group.id, cid(), `late ${i}`);

  const carolSees = await fullHistory(server, carol.token, group.id, 7);
  assert.equal(carolSees[0].system?.event, 'members_added', 'first visible message is the one adding carol');
  assert.equal(carolSees.filter((m) => m.text.startsWith('early')).length, 0);
  assert.equal(carolSees.filter((m) => m.text.startsWith('late')).length, 30);
  const before = await api(server, 'GET', `/api/v1/conversations/${group.id}/messages?before=${carolSees[0].seq}`, { token: carol.token });
  assertStatus(before, 200);
  assert.equal(before.body.messages.length, 0, 'nothing before the join');

  // Bob was never connected: sync reports the group, history brings every message once.
  const sync = await api(server, 'GET', '/api/v1/sync?since=0', { token: bob.token });
  assertStatus(sync, 200);
  const entry = sync.body.conversations.find((c) => c.id === group.id);
  assert.ok(entry, 'sync lists the group');
  assert.equal(entry.unread, entry.last_seq, 'bob has read nothing');
  const bobSees = await fullHistory(server, bob.token, group.id, 10);
  assertGapFree(bobSees);
  assert.equal(bobSees.length, entry.last_seq);
  const again = await api(server, 'GET', `/api/v1/sync?since=${sync.body.version}`, { token: bob.token });
  assert.equal(again.body.conversations.length, 0, 'nothing changed since');
});

test('receipts: the sender sees delivered-to-all and read-by-all, coalesced, and per-member message info', async (t) => {
  const server = await startServer(t);
  const names = ['alice', 'bob', 'carol', 'dave'];
  const [alice, ...others] = await Promise.all(names.map((u) => register(server, u)));
  const group = await createGroup(server, alice.token, 'Team', ['bob', 'carol', 'dave']);
  const ab = await connect(t, server, alice.token);
  const sockets = await Promise.all(others.map((o) => connect(t, server, o.token)));
  const acks = [];
  for (let i = 0; i < 5; i += 1) acks.push(await ab.sendMessage(group.id, cid(), `m${i}`));
  const last = acks[acks.length - 1].message.seq;

  // Everyone marks delivered then read at once: alice gets coalesced `receipts` frames.
  await Promise.all(sockets.map((s) => s.call({ type: 'delivered', conversation_id: group.id, seq: last }, 'ok')));
  await Promise.all(sockets.map((s) => s.call({ type: 'read', conversation_id: group.id, seq: last }, 'ok')));
  const seen = new Map();
  while ([...others].some((o) => (seen.get(o.user.id) ?? 0) < last)) {
    const f = await ab.event('receipts', (x) => x.conversation_id === group.id, T(3000));
    for (const r of f.receipts) seen.set(r.user_id, Math.max(seen.get(r.user_id) ?? 0, r.read_seq));
  }
  const frames = ab.received((f) => f.type === 'receipts' && f.conversation_id === group.id).length;
  assert.ok(frames < 6, `6 watermark moves should arrive in fewer frames thanks to coalescing, got ${frames}`);
  await assertNoFrame(ab, (f) => f.type === 'receipt' && f.conversation_id === group.id, 0, 'per-member receipt frame in a group');

  const view = await api(server, 'GET', `/api/v1/conversations/${group.id}`, { token: alice.token });
  assert.equal(view.body.conversation.min_delivered_seq, last, 'delivered to all');
  assert.equal(view.body.conversation.min_read_seq, last, 'read by all');

  const info = await api(server, 'GET', `/api/v1/conversations/${group.id}/messages/${acks[0].message.seq}/receipts`, { token: alice.token });
  assertStatus(info, 200);
  assert.deepEqual(info.body.receipts.map((r) => r.user.username).sort(), ['bob', 'carol', 'dave']);
  for (const r of info.body.receipts) {
    assert.ok(Number.isInteger(r.delivered_at) && Number.isInteger(r.read_at), JSON.stringify(r));
    assert.ok(r.read_at >= r.delivered_at);
  }
});
