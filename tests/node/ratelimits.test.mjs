// The per-user limit on requests other than sends: edits, deletions, receipts, typing,
// presence, sync, history and every authenticated HTTP request share one token bucket per
// user (all devices together), so one account cannot flood the server with cheap frames.
// Sends keep their own limit and are not counted here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { api, assertError, assertStatus, assertWsError, cid, connect, openConversation, register } from './lib/client.mjs';

// A bucket of 6 that refills once every 1,000 s: nothing refills during the test.
const LIMITED = ['--rate-other-per-sec', '0.001', '--rate-other-burst', '6'];

test('edits, deletions, receipts, typing and other frames are limited per user; sends are not counted', async (t) => {
  const server = await startServer(t, { args: LIMITED });
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const conv = (await openConversation(server, alice.token, 'bob')).conversation;  // 1 (HTTP)
  const phone = await connect(t, server, alice.token);
  const laptop = await connect(t, server, alice.token);
  const sent = (await phone.sendMessage(conv.id, cid(), 'hello')).message;

  // Five more requests fit, from either device and over either transport.
  assert.equal((await phone.request({ type: 'edit', conversation_id: conv.id, seq: sent.seq, text: 'hello!' })).type, 'edited');  // 2
  assert.equal((await laptop.request({ type: 'read', conversation_id: conv.id, seq: sent.seq })).type, 'ok');  // 3
  assert.equal((await phone.request({ type: 'typing', conversation_id: conv.id, state: 'start' })).type, 'ok');  // 4
  assert.equal((await laptop.request({ type: 'ping' })).type, 'pong');  // 5
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${conv.id}/receipts`, { token: alice.token, body: { delivered_seq: sent.seq } }), 200);  // 6

  // The bucket is empty: every kind of request is refused with retry_after.
  for (const frame of [
    { type: 'edit', conversation_id: conv.id, seq: sent.seq, text: 'again' },
    { type: 'delete', conversation_id: conv.id, seq: sent.seq, for: 'me' },
    { type: 'read', conversation_id: conv.id, seq: sent.seq },
    { type: 'typing', conversation_id: conv.id, state: 'start' },
    { type: 'presence_subscribe', user_ids: [bob.user.id] },
    { type: 'sync', since: 0 },
    { type: 'history', conversation_id: conv.id },
    { type: 'ping' },
  ]) {
    const answer = await laptop.request(frame);
    assertWsError(answer, 'rate_limited', frame.type);
    assert.ok(answer.retry_after_ms > 0, `retry_after_ms for ${frame.type}`);
  }
  for (const [method, path, body] of [
    ['PATCH', `/api/v1/conversations/${conv.id}/messages/${sent.seq}`, { text: 'http edit' }],
    ['DELETE', `/api/v1/conversations/${conv.id}/messages/${sent.seq}?for=me`, undefined],
    ['POST', `/api/v1/conversations/${conv.id}/receipts`, { read_seq: sent.seq }],
    ['GET', '/api/v1/contacts', undefined],
  ]) {
    const res = await api(server, method, path, { token: alice.token, body });
    assertError(res, 429, 'rate_limited', `${method} ${path}`);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
  }

  // Sends are not counted, over either transport; and bob has his own bucket.
  await phone.sendMessage(conv.id, cid(), 'still talking');
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: alice.token, body: { client_id: cid(), text: 'over http' } }), 200);
  const bc = await connect(t, server, bob.token);
  assert.equal((await bc.request({ type: 'read', conversation_id: conv.id, seq: sent.seq })).type, 'ok');
  // The refused edit changed nothing.
  const history = await bc.call({ type: 'history', conversation_id: conv.id }, 'history');
  assert.equal(history.messages.find((m) => m.seq === sent.seq).text, 'hello!');
});
