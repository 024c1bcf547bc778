// Two devices of one user converge: live events reach the other device, receipts reach both,
// a device that was offline syncs to the same state, and logging out closes the right sockets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sleep } from './lib/server.mjs';
import {
  api, assertError, assertNoFrame, assertStatus, assertWsError, cid, connect, fullHistory, history, httpSend, login,
  openConversation, openSocket, register, T,
} from './lib/client.mjs';

async function syncAll(server, token, since) {
  const rows = new Map();
  let version = since;
  for (;;) {
    const res = await api(server, 'GET', `/api/v1/sync?since=${version}`, { token });
    assertStatus(res, 200, 'sync');
    for (const c of res.body.conversations) rows.set(c.id, c);
    version = res.body.version;
    if (!res.body.has_more) return { version, rows };
  }
}

test('two devices of one user see the same conversation', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice', { device_name: 'Laptop' });
  const phone = await login(server, 'alice', { device_name: 'Phone' });
  const bob = await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;

  const d1 = await connect(t, server, alice.token);
  const d2 = await connect(t, server, phone.token);
  const wb = await connect(t, server, bob.token);
  assert.notEqual(d1.ready.session_id, d2.ready.session_id);

  // Sent from device 1: device 1 gets the ack, device 2 and bob get the message event.
  const ack = await d1.sendMessage(ab.id, cid('d1'), 'sent from the laptop');
  assert.deepEqual((await d2.event('message')).message, ack.message);
  assert.deepEqual((await wb.event('message')).message, ack.message);
  await assertNoFrame(d1, (f) => f.type === 'message', 200, 'message event on the sending connection');

  // Bob's receipts reach both of alice's devices.
  assert.equal((await wb.request({ type: 'read', conversation_id: ab.id, seq: 1 })).type, 'ok');
  for (const d of [d1, d2]) {
    const r = await d.event('receipt', (f) => f.user_id === bob.user.id);
    assert.equal(r.conversation_id, ab.id);
    assert.equal(r.read_seq, 1);
    assert.equal(r.delivered_seq, 1);
  }

  // Bob answers; both devices get it. Alice reads on the phone: the laptop hears about it.
  const b2 = await wb.sendMessage(ab.id, cid('b'), 'hi both of you');
  assert.deepEqual((await d1.event('message')).message, b2.message);
  assert.deepEqual((await d2.event('message')).message, b2.message);
  assert.equal((await d2.request({ type: 'read', conversation_id: ab.id, seq: 2 })).type, 'ok');
  const own = await d1.event('receipt', (f) => f.user_id === alice.user.id);
  assert.equal(own.read_seq, 2);
  assert.equal(own.delivered_seq, 2);
  const seenByBob = await wb.event('receipt', (f) => f.user_id === alice.user.id);
  assert.equal(seenByBob.read_seq, 2);

  // The phone remembers its cursor and goes offline.
  const cursor = await syncAll(server, phone.token, 0);
  d2.close();
  await d2.waitClose();

  // Meanwhile: the laptop sends three, bob sends two (which marks everything up to 7 read for him;
  // his read of 4 afterwards changes nothing), alice reads bob's first on the laptop.
  const fromLaptop = [];
  for (let i = 1; i <= 3; i++) fromLaptop.push((await d1.sendMessage(ab.id, cid('d1'), `laptop ${i}`)).message);
  const fromBob = [];
  for (let i = 1; i <= 2; i++) fromBob.push((await wb.sendMessage(ab.id, cid('b'), `bob ${i}`)).message);
  assert.equal((await wb.request({ type: 'read', conversation_id: ab.id, seq: 4 })).type, 'ok');
  assert.equal((await d1.request({ type: 'read', conversation_id: ab.id, seq: 6 })).type, 'ok');

  // The phone comes back and syncs from its cursor.
  const d2b = await connect(t, server, phone.token);
  const delta = await syncAll(server, phone.token, cursor.version);
  assert.deepEqual([...delta.rows.keys()], [ab.id]);
  const laptopView = await syncAll(server, alice.token, 0);
  assert.deepEqual(delta.rows.get(ab.id), laptopView.rows.get(ab.id), 'the phone sees exactly what the laptop sees');
  const row = delta.rows.get(ab.id);
  assert.equal(row.last_seq, 7);
  assert.equal(row.unread, 1);
  assert.equal(row.members.find((m) => m.user.id === bob.user.id).read_seq, 7);
  assert.equal(row.members.find((m) => m.user.id === alice.user.id).read_seq, 6);

  // History after the phone's highest seq (2) fills in exactly what it missed.
  const missed = await history(server, phone.token, ab.id, { after: 2 });
  assert.deepEqual(missed.messages, [...fromLaptop, ...fromBob]);
  assert.equal(missed.has_more, false);
  const all = await fullHistory(server, alice.token, ab.id);
  assert.deepEqual(all.map((m) => m.seq), [1, 2, 3, 4, 5, 6, 7]);

  // Live again: the phone receives the next message.
  const next = await wb.sendMessage(ab.id, cid('b'), 'welcome back');
  assert.deepEqual((await d2b.event('message')).message, next.message);

  // A new conversation started by someone else appears on every device of both users.
  const carol = await register(server, 'carol');
  const wc = await connect(t, server, carol.token);
  const created = await openConversation(server, carol.token, 'alice');
  assert.equal(created.created, true);
  for (const [who, d, peer] of [['laptop', d1, carol.user], ['phone', d2b, carol.user], ['carol', wc, alice.user]]) {
    const ev = await d.event('conversation', (f) => f.conversation.id === created.conversation.id);
    assert.deepEqual(ev.conversation.peer, peer, `${who} sees the right peer`);
  }
  // A message sent over HTTP reaches every device of both users, the sender's included.
  const viaHttp = await api(server, 'POST', `/api/v1/conversations/${created.conversation.id}/messages`, { token: phone.token, body: { client_id: cid('p'), text: 'hi carol' } });
  assertStatus(viaHttp, 200);
  for (const d of [d1, d2b, wc]) assert.deepEqual((await d.event('message', (f) => f.message.conversation_id === created.conversation.id)).message, viaHttp.body.message);
});

test('logout closes that session\'s sockets with 4001; logout-others and session deletion revoke the rest', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice', { device_name: 'Laptop' });
  const phone = await login(server, 'alice', { device_name: 'Phone' });
  const bob = await register(server, 'bob');

  const d1 = await connect(t, server, alice.token);
  const d2 = await connect(t, server, phone.token);
  const d2second = await connect(t, server, phone.token);

  // Logout of the phone: each of its sockets gets session_revoked, then close 4001.
  const out = await api(server, 'POST', '/api/v1/logout', { token: phone.token });
  assertStatus(out, 200, 'logout');
  assert.deepEqual(out.body, {});
  for (const w of [d2, d2second]) {
    const revoked = await w.event('session_revoked', () => true, T(5000));
    assert.deepEqual(revoked, { type: 'session_revoked' });
    const closed = await w.waitClose();
    assert.equal(closed.code, 4001);
  }
  // The laptop is unaffected.
  assert.equal((await d1.request({ type: 'ping' })).type, 'pong');
  assert.equal(d1.received((f) => f.type === 'session_revoked').length, 0);

  // The revoked token is refused over HTTP and on a new WebSocket.
  assertError(await api(server, 'GET', '/api/v1/me', { token: phone.token }), 401, 'unauthenticated', 'GET /me with a revoked token');
  assertError(await api(server, 'POST', '/api/v1/logout', { token: phone.token }), 401, 'unauthenticated', 'logout twice');
  const ws = await openSocket(server);
  ws.send({ type: 'auth', token: phone.token });
  const err = await ws.next((f) => f.type === 'error', T(5000), 'auth error');
  assert.equal(err.code, 'unauthenticated');
  assert.equal((await ws.waitClose()).code, 4001);

  // logout-others from the laptop revokes the two other live sessions.
  const tablet = await login(server, 'alice', { device_name: 'Tablet' });
  const watch = await login(server, 'alice', { device_name: 'Watch' });
  const d3 = await connect(t, server, tablet.token);
  let sessions = await api(server, 'GET', '/api/v1/sessions', { token: alice.token });
  assert.deepEqual(sessions.body.sessions.map((s) => s.device_name).sort(), ['Laptop', 'Tablet', 'Watch']);
  const others = await api(server, 'POST', '/api/v1/logout-others', { token: alice.token });
  assertStatus(others, 200, 'logout-others');
  assert.deepEqual(others.body, { revoked: 2 });
  assert.deepEqual(await d3.event('session_revoked'), { type: 'session_revoked' });
  assert.equal((await d3.waitClose()).code, 4001);
  assertError(await api(server, 'GET', '/api/v1/me', { token: tablet.token }), 401, 'unauthenticated', 'tablet after logout-others');
  assertError(await api(server, 'GET', '/api/v1/me', { token: watch.token }), 401, 'unauthenticated', 'watch after logout-others');
  assertStatus(await api(server, 'GET', '/api/v1/me', { token: alice.token }), 200, 'laptop after logout-others');
  assert.equal((await d1.request({ type: 'ping' })).type, 'pong');
  sessions = await api(server, 'GET', '/api/v1/sessions', { token: alice.token });
  assert.equal(sessions.body.sessions.length, 1);
  assert.equal(sessions.body.sessions[0].id, alice.session_id);
  assert.equal(sessions.body.sessions[0].current, true);

  // DELETE /sessions/{id}: revokes one session of the user's own; others' or dead ones are not_found.
  const car = await login(server, 'alice', { device_name: 'Car' });
  const d4 = await connect(t, server, car.token);
  const del = await api(server, 'DELETE', `/api/v1/sessions/${car.session_id}`, { token: alice.token });
  assertStatus(del, 200, 'DELETE session');
  assert.deepEqual(del.body, {});
  assert.deepEqual(await d4.event('session_revoked'), { type: 'session_revoked' });
  assert.equal((await d4.waitClose()).code, 4001);
  assertError(await api(server, 'GET', '/api/v1/me', { token: car.token }), 401, 'unauthenticated', 'deleted session');
  assertError(await api(server, 'DELETE', `/api/v1/sessions/${car.session_id}`, { token: alice.token }), 404, 'not_found', 'DELETE a revoked session');
  assertError(await api(server, 'DELETE', `/api/v1/sessions/${bob.session_id}`, { token: alice.token }), 404, 'not_found', "DELETE someone else's session");
  assertStatus(await api(server, 'GET', '/api/v1/me', { token: bob.token }), 200, 'bob is untouched');

  // Logging out the last session: its own socket is closed too.
  assertStatus(await api(server, 'POST', '/api/v1/logout', { token: alice.token }), 200, 'logout laptop');
  assert.deepEqual(await d1.event('session_revoked'), { type: 'session_revoked' });
  assert.equal((await d1.waitClose()).code, 4001);
  // The account still exists: logging in again works.
  const again = await login(server, 'alice');
  assertStatus(await api(server, 'GET', '/api/v1/me', { token: again.token }), 200);
});

test('a revoked session cannot keep using an already authenticated socket', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const phone = await login(server, 'alice', { device_name: 'Phone' });
  await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const d2 = await connect(t, server, phone.token);
  assertStatus(await api(server, 'POST', '/api/v1/logout', { token: phone.token }), 200);
  assert.equal((await d2.waitClose()).code, 4001);
  // A send over HTTP with the revoked token is refused and stores nothing.
  const res = await api(server, 'POST', `/api/v1/conversations/${ab.id}/messages`, { token: phone.token, body: { client_id: 'late-1', text: 'too late' } });
  assertError(res, 401, 'unauthenticated', 'send with a revoked token');
  assert.deepEqual((await history(server, alice.token, ab.id)).messages, []);
  const ws = await openSocket(server);
  ws.send({ type: 'auth', token: 'x'.repeat(43) });
  assertWsError(await ws.next((f) => f.type === 'error'), 'unauthenticated', 'made-up token');
  assert.equal((await ws.waitClose()).code, 4001);
});

test('concurrent writers: every device sees one conversation in seq order, watermarks never go back', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const phone = await login(server, 'alice', { device_name: 'Phone' });
  const bob = await register(server, 'bob');
  const bobPhone = await login(server, 'bob', { device_name: 'Phone' });
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const d1 = await connect(t, server, alice.token);
  const d2 = await connect(t, server, phone.token);
  const b1 = await connect(t, server, bob.token);
  const b2 = await connect(t, server, bobPhone.token);

  // Alice writes from two devices and over HTTP at once.
  const N = 60;
  const jobs = [];
  for (let i = 0; i < N; i++) {
    jobs.push(d1.sendMessage(ab.id, cid('d1'), `laptop ${i}`).then((a) => a.message));
    jobs.push(d2.sendMessage(ab.id, cid('d2'), `phone ${i}`).then((a) => a.message));
    if (i % 3 === 0) jobs.push(httpSend(server, alice.token, ab.id, cid('h'), `http ${i}`).then((r) => r.body.message));
  }
  const sent = await Promise.all(jobs);
  const total = sent.length;
  assert.deepEqual(sent.map((m) => m.seq).sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i + 1), 'seqs 1..N, each once');

  // Bob's devices (not writing) get every message once, in seq order.
  for (const [name, d] of [['bob laptop', b1], ['bob phone', b2]]) {
    const got = [];
    for (let i = 0; i < total; i++) got.push((await d.event('message')).message.seq);
    assert.deepEqual(got, Array.from({ length: total }, (_, i) => i + 1), `${name}: message events in seq order`);
  }
  // Each of alice's devices gets the others' messages in increasing seq order, and never its own sends.
  for (const [name, d, prefix] of [['laptop', d1, 'd1-'], ['phone', d2, 'd2-']]) {
    const events = d.received((f) => f.type === 'message').map((f) => f.message);
    assert.ok(events.every((m) => !m.client_id.startsWith(prefix)), `${name} got an event for its own send`);
    const seqs = events.map((m) => m.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), `${name}: events in seq order`);
  }

  // Bob's two devices race to raise his watermarks; every observer sees them only grow.
  const reads = [];
  for (let s = 1; s <= total; s += 7) {
    reads.push(b1.request({ type: 'read', conversation_id: ab.id, seq: Math.min(total, s + 3) }));
    reads.push(b2.request({ type: 'delivered', conversation_id: ab.id, seq: Math.min(total, s + 6) }));
    reads.push(b2.request({ type: 'read', conversation_id: ab.id, seq: s }));
  }
  for (const r of await Promise.all(reads)) assert.equal(r.type, 'ok', JSON.stringify(r));
  const final = (await api(server, 'GET', `/api/v1/conversations/${ab.id}`, { token: alice.token })).body.conversation;
  const bobMember = final.members.find((m) => m.user.id === bob.user.id);
  assert.equal(bobMember.delivered_seq, total);
  assert.equal(bobMember.read_seq, Math.min(total, 1 + 7 * Math.floor((total - 1) / 7) + 3));
  for (const d of [d1, d2]) {
    await d.event('receipt', (f) => f.user_id === bob.user.id && f.delivered_seq === bobMember.delivered_seq && f.read_seq === bobMember.read_seq);
  }
  await sleep(100);
  for (const [name, d] of [['alice laptop', d1], ['alice phone', d2], ['bob laptop', b1], ['bob phone', b2]]) {
    const evs = d.received((f) => f.type === 'receipt' && f.user_id === bob.user.id);
    for (const e of evs) assert.ok(e.read_seq <= e.delivered_seq, `${name}: read_seq <= delivered_seq in ${JSON.stringify(e)}`);
    for (let i = 1; i < evs.length; i++) {
      assert.ok(evs[i].delivered_seq >= evs[i - 1].delivered_seq && evs[i].read_seq >= evs[i - 1].read_seq && evs[i].version > evs[i - 1].version,
        `${name}: receipt events went back: ${JSON.stringify(evs[i - 1])} then ${JSON.stringify(evs[i])}`);
    }
    if (name.startsWith('alice')) {
      const lastEv = evs[evs.length - 1];
      assert.equal(lastEv.delivered_seq, bobMember.delivered_seq, `${name} ends with bob's final watermarks`);
      assert.equal(lastEv.read_seq, bobMember.read_seq, `${name} ends with bob's final watermarks`);
    }
  }
});

test('many open sockets of one user each get every event, in order', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const phone = await login(server, 'bob', { device_name: 'Phone' });
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  // Twenty sockets: ten on each of bob's sessions (a browser with several tabs, say).
  const sockets = [];
  for (let i = 0; i < 20; i++) sockets.push(await connect(t, server, i % 2 ? phone.token : bob.token, { header: i % 4 === 0 }));
  const wa = await connect(t, server, alice.token);
  const sent = [];
  for (let i = 0; i < 15; i++) sent.push((await wa.sendMessage(ab.id, cid('a'), `to all tabs ${i}`)).message);
  for (const [i, s] of sockets.entries()) {
    const got = [];
    for (let k = 0; k < sent.length; k++) got.push((await s.event('message')).message);
    assert.deepEqual(got, sent, `socket ${i} got every message once, in order`);
  }
  // A read on one of them reaches all the others and alice.
  assert.equal((await sockets[3].request({ type: 'read', conversation_id: ab.id, seq: 15 })).type, 'ok');
  for (const s of [...sockets, wa]) {
    const r = await s.event('receipt', (f) => f.user_id === bob.user.id);
    assert.equal(r.read_seq, 15);
  }
  // Logging out the phone closes exactly its ten sockets.
  assertStatus(await api(server, 'POST', '/api/v1/logout', { token: phone.token }), 200);
  for (const [i, s] of sockets.entries()) {
    if (i % 2) assert.equal((await s.waitClose()).code, 4001, `phone socket ${i}`);
  }
  await sleep(100);
  for (const [i, s] of sockets.entries()) if (!(i % 2)) assert.ok(s.isOpen, `laptop socket ${i} stays open`);
});

test('an expired session ends its open sockets at their next frame or event', async (t) => {
  const ttlMs = T(4000);
  const server = await startServer(t, { args: ['--session-ttl-days', String(ttlMs / 86400000)] });
  const alice = await register(server, 'alice');
  await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const talking = await connect(t, server, alice.token);
  const idle = await connect(t, server, alice.token);
  assert.equal((await talking.call({ type: 'ping' }, 'pong')).type, 'pong', 'works before expiry');

  await sleep(ttlMs + 300);
  assertError(await api(server, 'GET', '/api/v1/me', { token: alice.token }), 401, 'unauthenticated', 'HTTP after expiry');
  // A frame on an expired session is refused and the socket closed.
  assertWsError(await talking.request({ type: 'ping' }), 'unauthenticated', 'a frame after expiry');
  assert.equal((await talking.waitClose()).code, 4001);
  // An idle socket is closed by the first event for it, which it does not get.
  const bob = await login(server, 'bob');
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${ab.id}/messages`, { token: bob.token, body: { client_id: cid(), text: 'are you there?' } }), 200, 'bob sends');
  assert.equal((await idle.waitClose()).code, 4001);
  assert.equal(idle.received((f) => f.type === 'message').length, 0, 'no event after expiry');
});
