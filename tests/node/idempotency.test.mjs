// Resending with the same client_id never makes a second message: on the same connection, on
// another device, over HTTP, concurrently, and after the server restarted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import {
  api, assertMessage, assertStatus, cid, connect, fullHistory, httpSend, login, openConversation, register,
} from './lib/client.mjs';

function countClientId(messages, senderId, clientId) {
  return messages.filter((m) => m.sender_id === senderId && m.client_id === clientId).length;
}

test('a resent client_id answers with the original message, whichever way it comes back', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  await register(server, 'carol');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const ac = (await openConversation(server, alice.token, 'carol')).conversation;

  const wa = await connect(t, server, alice.token);
  const wb = await connect(t, server, bob.token);

  const X = cid('x');
  const first = await wa.sendMessage(ab.id, X, 'original text');
  assert.equal(first.duplicate, false);
  assertMessage(first.message, { seq: 1, client_id: X, text: 'original text', sender_id: alice.user.id });
  const original = first.message;

  // Same connection, different text: the original, duplicate:true.
  const again = await wa.sendMessage(ab.id, X, 'changed text');
  assert.equal(again.duplicate, true);
  assert.deepEqual(again.message, original);

  // Second device of the same user.
  const phone = await login(server, 'alice', { device_name: 'Phone' });
  const wa2 = await connect(t, server, phone.token);
  const fromPhone = await wa2.sendMessage(ab.id, X, 'from the phone');
  assert.equal(fromPhone.duplicate, true);
  assert.deepEqual(fromPhone.message, original);

  // Over HTTP.
  const viaHttp = await httpSend(server, alice.token, ab.id, X, 'over http');
  assertStatus(viaHttp, 200, 'HTTP resend');
  assert.equal(viaHttp.body.duplicate, true);
  assert.deepEqual(viaHttp.body.message, original);

  // The same client_id aimed at another conversation of the same user still answers with the original.
  const elsewhere = await wa.sendMessage(ac.id, X, 'to carol');
  assert.equal(elsewhere.duplicate, true);
  assert.deepEqual(elsewhere.message, original);

  // Idempotency is per user: bob may use the same client_id for his own message.
  const bobs = await wb.sendMessage(ab.id, X, 'bob with the same id');
  assert.equal(bobs.duplicate, false);
  assert.equal(bobs.message.seq, 2);
  assert.equal(bobs.message.sender_id, bob.user.id);

  // No seq was consumed by the duplicates.
  const next = await wa.sendMessage(ab.id, cid('x'), 'next');
  assert.equal(next.message.seq, 3);

  const hist = await fullHistory(server, bob.token, ab.id);
  assert.deepEqual(hist.map((m) => m.seq), [1, 2, 3]);
  assert.equal(countClientId(hist, alice.user.id, X), 1);
  assert.deepEqual(hist[0], original);
  assert.equal((await fullHistory(server, alice.token, ac.id)).length, 0, 'nothing was stored in the other conversation');

  // Bob's device saw alice's message once per seq (events may repeat, but never as a new seq).
  const bobSeqs = wb.received((f) => f.type === 'message' && f.message.sender_id === alice.user.id).map((f) => f.message.seq);
  assert.ok(bobSeqs.includes(1));
  for (const f of wb.received((f) => f.type === 'message' && f.message.client_id === X && f.message.sender_id === alice.user.id)) {
    assert.deepEqual(f.message, original);
  }
});

test('the same client_id sent at the same moment from two devices is stored once', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const phone = await login(server, 'alice', { device_name: 'Phone' });
  const d1 = await connect(t, server, alice.token);
  const d2 = await connect(t, server, phone.token);

  const ids = [];
  for (let round = 0; round < 20; round++) {
    const X = cid('race');
    ids.push(X);
    const [a1, a2, a3] = await Promise.all([
      d1.sendMessage(ab.id, X, `one ${round}`),
      d2.sendMessage(ab.id, X, `two ${round}`),
      httpSend(server, alice.token, ab.id, X, `three ${round}`),
    ]);
    assertStatus(a3, 200);
    const answers = [a1, a2, a3.body];
    assert.deepEqual(a1.message, a2.message, 'both devices get the same message');
    assert.deepEqual(a1.message, a3.body.message, 'HTTP gets the same message');
    assert.equal(answers.filter((a) => a.duplicate === false).length, 1, `exactly one original: ${JSON.stringify(answers)}`);
  }
  const hist = await fullHistory(server, alice.token, ab.id);
  assert.deepEqual(hist.map((m) => m.seq), Array.from({ length: 20 }, (_, i) => i + 1));
  for (const X of ids) assert.equal(countClientId(hist, alice.user.id, X), 1);
});

test('a client_id resent after a restart (SIGTERM, then SIGKILL) returns the original', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;

  let wa = await connect(t, server, alice.token);
  const X = cid('x');
  const Y = cid('y');
  const original = (await wa.sendMessage(ab.id, X, 'before the restart')).message;
  const viaHttp = await httpSend(server, alice.token, ab.id, Y, 'second, over http');
  assertStatus(viaHttp, 200);
  const second = viaHttp.body.message;

  // Everything a user sees, before the restart.
  const wbLive = await connect(t, server, bob.token);
  assert.equal((await wbLive.request({ type: 'read', conversation_id: ab.id, seq: 1 })).type, 'ok');
  const views = async () => {
    const out = {};
    for (const [name, tok] of [['alice', alice.token], ['bob', bob.token]]) {
      out[name] = {
        list: (await api(server, 'GET', '/api/v1/conversations', { token: tok })).body,
        sync: (await api(server, 'GET', '/api/v1/sync?since=0', { token: tok })).body,
        sessions: (await api(server, 'GET', '/api/v1/sessions', { token: tok })).body,
        history: await fullHistory(server, tok, ab.id),
      };
    }
    return out;
  };
  const beforeRestart = await views();

  // Graceful stop: open WebSockets are closed with 1001.
  const stopped = await server.stop();
  assert.equal(stopped.code, 0, `parleyd exit after SIGTERM: ${JSON.stringify(stopped)}`);
  const closeInfo = await wa.waitClose();
  assert.equal(closeInfo.code, 1001, 'server shutdown closes WebSockets with 1001');
  await server.restart();

  // The restarted server shows the same chats, receipts, sessions and history; tokens still work.
  assert.deepEqual(await views(), beforeRestart, 'state after a restart');
  wa = await connect(t, server, alice.token);
  const again = await wa.sendMessage(ab.id, X, 'after the restart');
  assert.equal(again.duplicate, true);
  assert.deepEqual(again.message, original);
  const againHttp = await httpSend(server, alice.token, ab.id, Y, 'again');
  assertStatus(againHttp, 200);
  assert.equal(againHttp.body.duplicate, true);
  assert.deepEqual(againHttp.body.message, second);
  const third = await wa.sendMessage(ab.id, cid('z'), 'third');
  assert.equal(third.message.seq, 3);

  // Hard kill: the acknowledged message was durable before its ack.
  await server.kill('SIGKILL');
  await wa.waitClose();
  await server.restart();
  const wb = await connect(t, server, bob.token);
  const after = await wb.call({ type: 'history', conversation_id: ab.id, after: 0, limit: 50 }, 'history');
  assert.deepEqual(after.messages, [original, second, third.message]);
  wa = await connect(t, server, alice.token);
  const afterKill = await wa.sendMessage(ab.id, X, 'after the kill');
  assert.equal(afterKill.duplicate, true);
  assert.deepEqual(afterKill.message, original);
  const fromThirdDevice = await login(server, 'alice');
  const again3 = await httpSend(server, fromThirdDevice.token, ab.id, third.message.client_id, 'third again');
  assertStatus(again3, 200);
  assert.equal(again3.body.duplicate, true);
  assert.deepEqual(again3.body.message, third.message);

  const hist = await fullHistory(server, bob.token, ab.id);
  assert.deepEqual(hist, [original, second, third.message], 'each message exactly once');
});
