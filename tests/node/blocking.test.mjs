// Blocking as the blocked sender experiences it: he learns nothing. His messages to the user
// who blocked him are acknowledged like any other (one tick), are never delivered to her,
// never count for her (unread, last message, chat order), and her watermarks never pass
// them; what came before the block is untouched.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import {
  api, assertStatus, cid, connect, fullHistory, openConversation, register, sleep, T,
} from './lib/client.mjs';

async function conversationOf(server, token, id) {
  const res = await api(server, 'GET', `/api/v1/conversations/${id}`, { token });
  assertStatus(res, 200, 'conversation');
  return res.body.conversation;
}

async function syncAll(server, token, since = 0) {
  const res = await api(server, 'GET', `/api/v1/sync?since=${since}`, { token });
  assertStatus(res, 200, 'sync');
  return res.body;
}

function member(conversation, userId) {
  return conversation.members.find((m) => m.user.id === userId);
}

test('a blocked sender gets an ordinary ack; the message never reaches, counts for or is read by the blocker', async (t) => {
  const server = await startServer(t);
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const { conversation } = await openConversation(server, bob.token, 'alice');
  const ac = await connect(t, server, alice.token);
  const bc = await connect(t, server, bob.token);
  const bc2 = await connect(t, server, bob.token);  // another of bob's devices

  const before = await bc.sendMessage(conversation.id, cid(), 'hello alice');
  await ac.event('message', (f) => f.message.seq === before.message.seq);
  await ac.call({ type: 'read', conversation_id: conversation.id, seq: before.message.seq }, 'ok');
  const { version: aliceCursor } = await syncAll(server, alice.token);
  const aliceBefore = await conversationOf(server, alice.token, conversation.id);

  assertStatus(await api(server, 'PUT', `/api/v1/blocks/${bob.user.id}`, { token: alice.token }), 200, 'block');
  const aliceFrames = ac.frames.length;
  const bobFrames = bc.frames.length;

  const clientId = cid();
  const ack = await bc.sendMessage(conversation.id, clientId, 'are you there?');
  assert.equal(ack.duplicate, false);
  assert.equal(ack.message.seq, before.message.seq + 1, 'the next seq, as any message');
  assert.equal(ack.message.text, 'are you there?');
  // His other device gets it as for any message he sends; a retry gets the same answer.
  await bc2.event('message', (f) => f.message.client_id === clientId);
  const retry = await bc.sendMessage(conversation.id, clientId, 'are you there?');
  assert.equal(retry.duplicate, true);
  assert.equal(retry.message.seq, ack.message.seq);
  const second = await bc.sendMessage(conversation.id, cid(), 'hello??');

  // Alice: no event, and nothing counts: same last message, last_seq, activity, unread 0.
  await sleep(T(500));
  assert.deepEqual(ac.frames.slice(aliceFrames).filter((f) => f.type === 'message' || f.type === 'receipt'), [], 'no event about the withheld messages');
  const aliceAfter = await conversationOf(server, alice.token, conversation.id);
  assert.equal(aliceAfter.last_seq, aliceBefore.last_seq);
  assert.equal(aliceAfter.unread, 0);
  assert.equal(aliceAfter.last_activity, aliceBefore.last_activity);
  assert.equal(aliceAfter.last_message.seq, before.message.seq);
  assert.equal(aliceAfter.last_message.text, 'hello alice');
  assert.ok(member(aliceAfter, bob.user.id).read_seq <= aliceAfter.last_seq, 'no watermark beyond what she sees');
  const listed = (await api(server, 'GET', '/api/v1/conversations', { token: alice.token })).body.conversations;
  assert.equal(listed[0].last_seq, aliceBefore.last_seq);
  assert.equal(listed[0].unread, 0);
  const synced = (await syncAll(server, alice.token, aliceCursor)).conversations;
  for (const c of synced) {
    assert.equal(c.last_seq, aliceBefore.last_seq, 'sync shows nothing new');
    assert.equal(c.unread, 0);
  }
  // Her history and changes show the seqs as hidden, without text, as "delete for me" does.
  const seen = await fullHistory(server, alice.token, conversation.id);
  for (const m of seen.filter((m) => m.seq > before.message.seq)) {
    assert.equal(m.hidden, true);
    assert.ok(!m.text, 'no text reaches her');
  }
  const search = await api(server, 'GET', '/api/v1/search?q=there', { token: alice.token });
  assert.deepEqual(search.body.results, []);

  // Her receipts cannot pass them, even when her client asks: bob keeps one tick.
  const mark = await ac.request({ type: 'read', conversation_id: conversation.id, seq: second.message.seq });
  assert.equal(mark.type, 'ok', JSON.stringify(mark));
  const bobView = await conversationOf(server, bob.token, conversation.id);
  assert.equal(bobView.last_seq, second.message.seq, 'bob sees his messages');
  assert.equal(member(bobView, alice.user.id).delivered_seq, before.message.seq, 'never delivered');
  assert.equal(member(bobView, alice.user.id).read_seq, before.message.seq, 'never read');
  assert.equal((await fullHistory(server, bob.token, conversation.id)).filter((m) => !m.hidden).length, 3);
  await sleep(T(300));
  assert.deepEqual(bc.frames.slice(bobFrames).filter((f) => f.type === 'receipt' && f.user_id === alice.user.id), [], 'no receipt for the withheld messages');

  // Unblocking delivers what comes next, not what was withheld.
  assertStatus(await api(server, 'DELETE', `/api/v1/blocks/${bob.user.id}`, { token: alice.token }), 200, 'unblock');
  const after = await bc.sendMessage(conversation.id, cid(), 'back again');
  const got = await ac.event('message', (f) => f.message.seq === after.message.seq);
  assert.equal(got.message.text, 'back again');
  const unblocked = await conversationOf(server, alice.token, conversation.id);
  assert.equal(unblocked.last_seq, after.message.seq);
  assert.equal(unblocked.unread, after.message.seq - before.message.seq, 'counted by seq, the withheld ones included once passed');
  const texts = (await fullHistory(server, alice.token, conversation.id)).filter((m) => !m.hidden).map((m) => m.text);
  assert.deepEqual(texts.sort(), ['back again', 'hello alice']);
});

test('a block in the other direction changes nothing for the blocker\'s own messages', async (t) => {
  const server = await startServer(t);
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const { conversation } = await openConversation(server, alice.token, 'bob');
  const bc = await connect(t, server, bob.token);
  assertStatus(await api(server, 'PUT', `/api/v1/blocks/${bob.user.id}`, { token: alice.token }), 200, 'block');
  // Alice may still write to bob (blocking is one-way for sending): he gets it as usual.
  const ac = await connect(t, server, alice.token);
  const sent = await ac.sendMessage(conversation.id, cid(), 'please stop');
  const got = await bc.event('message', (f) => f.message.seq === sent.message.seq);
  assert.equal(got.message.text, 'please stop');
  await bc.call({ type: 'read', conversation_id: conversation.id, seq: sent.message.seq }, 'ok');
  await sleep(T(100));
  const aliceView = await conversationOf(server, alice.token, conversation.id);
  assert.equal(member(aliceView, bob.user.id).read_seq, sent.message.seq, 'his receipts reach her');
});
