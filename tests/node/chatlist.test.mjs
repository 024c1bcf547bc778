// The recent-chats list: order by last activity, the last message as preview, and unread
// counts that follow reads and the user's own sends.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sleep } from './lib/server.mjs';
import {
  api, assertError, assertStatus, cid, connect, openConversation, register, httpSend,
} from './lib/client.mjs';

async function chatList(server, token, query = '') {
  const res = await api(server, 'GET', `/api/v1/conversations${query}`, { token });
  assertStatus(res, 200, `GET /conversations${query}`);
  assert.equal(typeof res.body.has_more, 'boolean');
  return res.body;
}

/** A compact view of a list row: who it is with, unread, last message text. */
function summary(row) {
  return { peer: row.peer.username, unread: row.unread, last: row.last_message ? row.last_message.text : null, last_seq: row.last_seq };
}

function assertSortedByActivity(rows) {
  for (let i = 1; i < rows.length; i++) {
    assert.ok(rows[i - 1].last_activity >= rows[i].last_activity, `list not sorted by last_activity desc: ${rows.map((r) => r.last_activity)}`);
  }
}

test('recent chats are ordered by last activity with previews and unread counts', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const carol = await register(server, 'carol');
  const dave = await register(server, 'dave');

  // Conversations with no message are ordered by creation time.
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  await sleep(15);
  const ac = (await openConversation(server, alice.token, 'carol')).conversation;
  await sleep(15);
  const ad = (await openConversation(server, dave.token, 'alice')).conversation;
  let list = await chatList(server, alice.token);
  assert.deepEqual(list.conversations.map((c) => c.id), [ad.id, ac.id, ab.id]);
  assert.equal(list.has_more, false);
  for (const row of list.conversations) {
    assert.equal(row.last_message, null);
    assert.equal(row.last_seq, 0);
    assert.equal(row.unread, 0);
    assert.equal(row.last_activity, row.created_at);
  }

  const wa = await connect(t, server, alice.token);
  const wb = await connect(t, server, bob.token);
  const wc = await connect(t, server, carol.token);
  const wd = await connect(t, server, dave.token);

  // bob writes twice, then alice writes to carol, then dave writes three times.
  await wb.sendMessage(ab.id, cid('b'), 'b1');
  await sleep(5);
  await wb.sendMessage(ab.id, cid('b'), 'b2');
  await sleep(15);
  const toCarol = await wa.sendMessage(ac.id, cid('a'), 'hello carol');
  await sleep(15);
  for (const text of ['d1', 'd2', 'd3']) {
    await wd.sendMessage(ad.id, cid('d'), text);
    await sleep(5);
  }

  list = await chatList(server, alice.token);
  assertSortedByActivity(list.conversations);
  assert.deepEqual(list.conversations.map(summary), [
    { peer: 'dave', unread: 3, last: 'd3', last_seq: 3 },
    { peer: 'carol', unread: 0, last: 'hello carol', last_seq: 1 },
    { peer: 'bob', unread: 2, last: 'b2', last_seq: 2 },
  ]);
  for (const row of list.conversations) {
    assert.equal(row.last_activity, row.last_message.ts, 'last_activity is the time of the newest message');
  }
  assert.deepEqual(list.conversations[1].last_message, toCarol.message);

  // The other side's view of the same conversations.
  assert.deepEqual((await chatList(server, carol.token)).conversations.map(summary), [
    { peer: 'alice', unread: 1, last: 'hello carol', last_seq: 1 },
  ]);
  assert.deepEqual((await chatList(server, bob.token)).conversations.map(summary), [
    { peer: 'alice', unread: 0, last: 'b2', last_seq: 2 },
  ]);

  // Alice answers bob: the chat moves to the top and sending marks bob's two messages read for her.
  await sleep(15);
  const reply = await wa.sendMessage(ab.id, cid('a'), 'hi bob');
  assert.equal(reply.message.seq, 3);
  list = await chatList(server, alice.token);
  assert.deepEqual(list.conversations.map(summary), [
    { peer: 'bob', unread: 0, last: 'hi bob', last_seq: 3 },
    { peer: 'dave', unread: 3, last: 'd3', last_seq: 3 },
    { peer: 'carol', unread: 0, last: 'hello carol', last_seq: 1 },
  ]);
  const abRow = list.conversations[0];
  const aliceInAb = abRow.members.find((m) => m.user.id === alice.user.id);
  assert.equal(aliceInAb.read_seq, 3);
  assert.equal(aliceInAb.delivered_seq, 3);
  // Bob has one unread now.
  assert.deepEqual((await chatList(server, bob.token)).conversations.map(summary), [
    { peer: 'alice', unread: 1, last: 'hi bob', last_seq: 3 },
  ]);

  // Reading moves unread down, then to 0; the order does not change (reads are not activity).
  assert.equal((await wa.request({ type: 'read', conversation_id: ad.id, seq: 2 })).type, 'ok');
  list = await chatList(server, alice.token);
  assert.deepEqual(list.conversations.map((r) => [r.peer.username, r.unread]), [['bob', 0], ['dave', 1], ['carol', 0]]);
  assert.equal((await wa.request({ type: 'read', conversation_id: ad.id, seq: 3 })).type, 'ok');
  list = await chatList(server, alice.token);
  assert.deepEqual(list.conversations.map((r) => [r.peer.username, r.unread]), [['bob', 0], ['dave', 0], ['carol', 0]]);
  // Marking delivered does not count as read.
  assert.equal((await wc.request({ type: 'delivered', conversation_id: ac.id, seq: 1 })).type, 'ok');
  assert.equal((await chatList(server, carol.token)).conversations[0].unread, 1);
  assert.equal((await wc.request({ type: 'read', conversation_id: ac.id, seq: 1 })).type, 'ok');
  assert.equal((await chatList(server, carol.token)).conversations[0].unread, 0);

  // The single-conversation route agrees with the list row.
  const one = await api(server, 'GET', `/api/v1/conversations/${ad.id}`, { token: alice.token });
  assertStatus(one, 200);
  assert.equal(one.body.conversation.unread, 0);
  assert.equal(one.body.conversation.last_seq, 3);
  assert.deepEqual(one.body.conversation.peer, dave.user);

  // A message over HTTP moves the conversation too.
  await sleep(15);
  const res = await httpSend(server, carol.token, ac.id, cid('c'), 'back to you');
  assertStatus(res, 200);
  list = await chatList(server, alice.token);
  assert.deepEqual(list.conversations.map(summary), [
    { peer: 'carol', unread: 1, last: 'back to you', last_seq: 2 },
    { peer: 'bob', unread: 0, last: 'hi bob', last_seq: 3 },
    { peer: 'dave', unread: 0, last: 'd3', last_seq: 3 },
  ]);
  assert.equal(list.conversations[0].version >= list.conversations[1].version, true, 'the newest change has the highest version');
});

test('the recent-chats list pages with limit and before', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const peers = ['bob', 'carol', 'dave', 'erin', 'frank'];
  const convs = {};
  for (const p of peers) {
    const u = await register(server, p);
    convs[p] = (await openConversation(server, u.token, 'alice')).conversation;
  }
  const wa = await connect(t, server, alice.token);
  // Activity order: frank oldest ... bob newest.
  for (const p of [...peers].reverse()) {
    await sleep(10);
    await wa.sendMessage(convs[p].id, cid('a'), `to ${p}`);
  }
  const all = await chatList(server, alice.token);
  assert.deepEqual(all.conversations.map((c) => c.peer.username), peers);
  assert.equal(all.has_more, false);

  const p1 = await chatList(server, alice.token, '?limit=2');
  assert.deepEqual(p1.conversations.map((c) => c.peer.username), ['bob', 'carol']);
  assert.equal(p1.has_more, true);
  const p2 = await chatList(server, alice.token, `?limit=2&before=${p1.conversations[1].last_activity}`);
  assert.deepEqual(p2.conversations.map((c) => c.peer.username), ['dave', 'erin']);
  assert.equal(p2.has_more, true);
  const p3 = await chatList(server, alice.token, `?limit=2&before=${p2.conversations[1].last_activity}`);
  assert.deepEqual(p3.conversations.map((c) => c.peer.username), ['frank']);
  assert.equal(p3.has_more, false);

  for (const q of ['?limit=0', '?limit=201']) {
    const res = await api(server, 'GET', `/api/v1/conversations${q}`, { token: alice.token });
    assertError(res, 400, 'invalid_argument', `GET /conversations${q}`);
  }
  const max = await chatList(server, alice.token, '?limit=200');
  assert.equal(max.conversations.length, 5);
});

/** Pages through the whole list with `limit`, passing the last row's (last_activity, id) on. */
async function pageAll(fetchPage, limit) {
  const rows = [];
  let cursor = null;
  for (let pages = 0; pages < 100; pages += 1) {
    const page = await fetchPage(limit, cursor);
    rows.push(...page.conversations);
    if (!page.has_more) return rows;
    assert.equal(page.conversations.length, limit, 'a page with has_more is full');
    const last = page.conversations[page.conversations.length - 1];
    cursor = { before: last.last_activity, before_id: last.id };
  }
  throw new Error('paging did not end');
}

test('paging with before and before_id returns every conversation once, also when many share a last_activity', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const convs = [];
  for (let i = 0; i < 20; i += 1) {
    const peer = await register(server, `peer${i}`);
    convs.push((await openConversation(server, peer.token, 'alice')).conversation);
  }
  // Twenty sends in flight at once: the committer stores them in few batches, and a batch's
  // messages share a millisecond, so many conversations tie on last_activity.
  const wa = await connect(t, server, alice.token);
  await Promise.all(convs.map((c, i) => wa.sendMessage(c.id, cid(`b${i}`), `batch ${i}`)));

  const full = await chatList(server, alice.token, '?limit=200');
  assert.equal(full.conversations.length, 20);
  // Equal last_activity: the higher id first.
  for (let i = 1; i < full.conversations.length; i += 1) {
    const [a, b] = [full.conversations[i - 1], full.conversations[i]];
    assert.ok(a.last_activity > b.last_activity || (a.last_activity === b.last_activity && a.id > b.id),
      `order at ${i}: ${JSON.stringify([a.last_activity, a.id])} then ${JSON.stringify([b.last_activity, b.id])}`);
  }
  const ties = full.conversations.length - new Set(full.conversations.map((c) => c.last_activity)).size;
  t.diagnostic(`${ties} of 20 conversations share a last_activity with another`);
  const expected = full.conversations.map((c) => c.id);

  const overHttp = await pageAll((limit, cursor) => {
    const q = cursor ? `?limit=${limit}&before=${cursor.before}&before_id=${cursor.before_id}` : `?limit=${limit}`;
    return chatList(server, alice.token, q);
  }, 3);
  assert.deepEqual(overHttp.map((c) => c.id), expected, 'HTTP pages of 3');

  const overWs = await pageAll(async (limit, cursor) => {
    const answer = await wa.call({ type: 'conversations', limit, ...(cursor ?? {}) }, 'conversations');
    assert.equal(typeof answer.has_more, 'boolean');
    return answer;
  }, 3);
  assert.deepEqual(overWs.map((c) => c.id), expected, 'WebSocket pages of 3');

  // before alone keeps its meaning: strictly earlier than T (ties at T are left out).
  const t0 = full.conversations[0].last_activity;
  const older = await chatList(server, alice.token, `?limit=200&before=${t0}`);
  assert.deepEqual(older.conversations.map((c) => c.id), full.conversations.filter((c) => c.last_activity < t0).map((c) => c.id));

  // before_id needs before; values must be integers in range.
  for (const q of ['?before_id=5', '?before=1&before_id=0', '?before=abc', '?limit=3.5', '?limit=x']) {
    assertError(await api(server, 'GET', `/api/v1/conversations${q}`, { token: alice.token }), 400, 'invalid_argument', `GET /conversations${q}`);
  }
  const noBefore = await wa.request({ type: 'conversations', before_id: 5 });
  assert.equal(noBefore.code, 'invalid_argument', JSON.stringify(noBefore));
  const wrongType = await wa.request({ type: 'conversations', limit: '3' });
  assert.equal(wrongType.code, 'bad_request', `a limit of the wrong JSON type: ${JSON.stringify(wrongType)}`);
});
