// Replies (docs/protocol.md, "Replies"): a message may quote an earlier one of its
// conversation by seq. The reply reaches every device live, offline devices through sync and
// changes, and history; only a message the sender can see may be quoted, and a refused
// reply stores nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import {
  api, assertError, assertStatus, assertWsError, cid, connect, fullHistory, history, openConversation,
  register,
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

function reply(conversation_id, reply_to, text, client_id = cid()) {
  return { type: 'send', conversation_id, client_id, text, reply_to };
}

test('a reply reaches every device of every member live, through sync and changes, and in history', async (t) => {
  const server = await startServer(t);
  const [alice, bob] = await Promise.all([register(server, 'alice'), register(server, 'bob')]);
  const conv = (await openConversation(server, alice.token, 'bob')).conversation;
  const alicePhone = await connect(t, server, alice.token);
  const aliceLaptop = await connect(t, server, alice.token);
  const bobOnline = await connect(t, server, bob.token);
  const original = (await alicePhone.sendMessage(conv.id, cid(), 'dinner at 7?')).message;
  await bobOnline.event('message', (f) => f.message.seq === original.seq);
  const offlineCursor = await syncVersion(server, alice.token);

  const ack = await bobOnline.call(reply(conv.id, original.seq, 'yes!'), 'ack');
  assert.equal(ack.message.reply_to, original.seq);
  assert.equal(ack.message.text, 'yes!');
  for (const [who, c] of [['alice phone', alicePhone], ['alice laptop', aliceLaptop]]) {
    const ev = await c.event('message', (f) => f.message.seq === ack.message.seq);
    assert.equal(ev.message.reply_to, original.seq, `${who} gets reply_to live`);
  }

  // A device that was offline: sync names the conversation, its last message is the reply,
  // and changes carries it.
  const sync = await api(server, 'GET', `/api/v1/sync?since=${offlineCursor}`, { token: alice.token });
  assertStatus(sync, 200, 'sync');
  assert.deepEqual(sync.body.conversations.map((c) => c.id), [conv.id]);
  assert.equal(sync.body.conversations[0].last_message.reply_to, original.seq);
  const changes = await api(server, 'GET', `/api/v1/conversations/${conv.id}/changes?since=${offlineCursor}`, { token: alice.token });
  assertStatus(changes, 200, 'changes');
  assert.deepEqual(changes.body.messages.map((m) => [m.seq, m.reply_to]), [[ack.message.seq, original.seq]]);

  const all = await fullHistory(server, alice.token, conv.id);
  assert.deepEqual(all.map((m) => m.reply_to), [undefined, original.seq], 'only the reply carries reply_to');

  // Over HTTP too, and the quoted message is fetched the documented way.
  const http = await api(server, 'POST', `/api/v1/conversations/${conv.id}/messages`, {
    token: alice.token, body: { client_id: cid(), text: 'great', reply_to: ack.message.seq },
  });
  assertStatus(http, 200, 'http reply');
  assert.equal(http.body.message.reply_to, ack.message.seq);
  const quoted = await history(server, alice.token, conv.id, { before: http.body.message.reply_to + 1, limit: 1 });
  assert.equal(quoted.messages[0].seq, ack.message.seq);
  assert.equal(quoted.messages[0].text, 'yes!');
});

test('a reply survives the edit and the deletion of what it quotes', async (t) => {
  const server = await startServer(t);
  const [alice, bob] = await Promise.all([register(server, 'alice'), register(server, 'bob')]);
  const conv = (await openConversation(server, alice.token, 'bob')).conversation;
  const a = await connect(t, server, alice.token);
  const b = await connect(t, server, bob.token);
  const original = (await a.sendMessage(conv.id, cid(), 'meet at 5')).message;
  const answer = (await b.call(reply(conv.id, original.seq, 'ok'), 'ack')).message;

  await a.call({ type: 'edit', conversation_id: conv.id, seq: original.seq, text: 'meet at 6' }, 'edited');
  const changed = await b.event('message_changed', (f) => f.message.seq === original.seq);
  assert.equal(changed.message.text, 'meet at 6', 'the quote follows the edit through the ordinary event');

  await a.call({ type: 'delete', conversation_id: conv.id, seq: original.seq, for: 'everyone' }, 'ok');
  const msgs = await fullHistory(server, bob.token, conv.id);
  assert.equal(msgs[0].deleted, true);
  assert.equal(msgs[1].reply_to, original.seq, 'the reply still points at the deleted original');
  assert.equal(msgs[1].seq, answer.seq);

  // A deleted message can no longer be quoted.
  assertWsError(await b.request(reply(conv.id, original.seq, 'again')), 'invalid_argument', 'reply to deleted');
});

test('only a message the sender can see may be quoted; a refused reply stores nothing', async (t) => {
  const server = await startServer(t);
  const [alice, bob, carol, eve] = await Promise.all(
    ['alice', 'bob', 'carol', 'eve'].map((n) => register(server, n)));
  const group = await createGroup(server, alice.token, 'Trip', ['bob']);
  const a = await connect(t, server, alice.token);
  const before = (await a.sendMessage(group.id, cid(), 'before carol joined')).message;
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${group.id}/members`, {
    token: alice.token, body: { user_usernames: ['carol'] },
  }), 200, 'add carol');
  const c = await connect(t, server, carol.token);
  const after = (await a.sendMessage(group.id, cid(), 'after carol joined')).message;
  const e = await connect(t, server, eve.token);
  const b = await connect(t, server, bob.token);
  const startSeq = (await fullHistory(server, alice.token, group.id)).at(-1).seq;
  assert.equal((await fullHistory(server, carol.token, group.id)).find((m) => m.seq === after.seq - 1).kind, 'system');

  const cases = [
    [c, before.seq, 'not_found', 'a message from before joining'],
    [c, after.seq + 100, 'not_found', 'a seq beyond the end'],
    [c, after.seq - 1, 'invalid_argument', 'a group event (the one adding her)'],
    [e, after.seq, 'not_found', 'a stranger'],
    [c, 0, 'invalid_argument', 'zero'],
    [c, -3, 'invalid_argument', 'negative'],
    [c, 'two', 'bad_request', 'a string'],
    [c, 1.5, 'bad_request', 'a fraction'],
  ];
  for (const [client, replyTo, code, what] of cases) {
    const ans = await client.request(reply(group.id, replyTo, 'hm'));
    assertWsError(ans, code, what);
  }

  // Hidden from the sender ("delete for me"): not_found.
  await b.call({ type: 'delete', conversation_id: group.id, seq: after.seq, for: 'me' }, 'ok');
  assertWsError(await b.request(reply(group.id, after.seq, 'hm')), 'not_found', 'a message the sender hid');

  // Over HTTP: the same errors.
  const httpRes = await api(server, 'POST', `/api/v1/conversations/${group.id}/messages`, {
    token: carol.token, body: { client_id: cid(), text: 'x', reply_to: before.seq },
  });
  assertError(httpRes, 404, 'not_found', 'http reply before joining');

  // Nothing of it was stored.
  const all = await fullHistory(server, alice.token, group.id);
  assert.equal(all.at(-1).seq, startSeq, 'no refused reply was stored');
  // Carol may quote what she sees.
  const ok = await c.call(reply(group.id, after.seq, 'fine'), 'ack');
  assert.equal(ok.message.reply_to, after.seq);
});

test('a message withheld from the sender cannot be quoted, and a retry is answered unchecked', async (t) => {
  const server = await startServer(t);
  const [alice, bob] = await Promise.all([register(server, 'alice'), register(server, 'bob')]);
  const conv = (await openConversation(server, alice.token, 'bob')).conversation;
  const a = await connect(t, server, alice.token);
  const b = await connect(t, server, bob.token);
  const first = (await a.sendMessage(conv.id, cid(), 'hi bob')).message;
  const retryId = cid();
  const answered = await b.call(reply(conv.id, first.seq, 'hi', retryId), 'ack');

  assertStatus(await api(server, 'PUT', `/api/v1/blocks/${bob.user.id}`, { token: alice.token }), 200, 'block');
  const withheld = (await b.sendMessage(conv.id, cid(), 'are you there?')).message;
  assertWsError(await a.request(reply(conv.id, withheld.seq, 'no')), 'not_found', 'quoting a withheld message');
  // Bob's reply to his own withheld message is itself withheld, and looks ordinary to him.
  const blockedReply = await b.call(reply(conv.id, withheld.seq, 'hello?'), 'ack');
  assert.equal(blockedReply.message.reply_to, withheld.seq);

  // A retry of the earlier reply gets the original back.
  const retry = await b.call(reply(conv.id, first.seq, 'different text', retryId), 'ack');
  assert.equal(retry.duplicate, true);
  assert.equal(retry.message.seq, answered.message.seq);
  assert.equal(retry.message.reply_to, first.seq);
  const aliceView = await fullHistory(server, alice.token, conv.id);
  const hidden = aliceView.find((m) => m.seq === blockedReply.message.seq);
  assert.equal(hidden.hidden, true);
  assert.equal(hidden.reply_to, undefined, 'a hidden message does not reveal what it quoted');
});
