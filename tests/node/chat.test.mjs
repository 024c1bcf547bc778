// Two people chatting: accounts, the direct conversation, sending with acks, live delivery,
// delivered/read receipts and the history pages, over the WebSocket and over HTTP.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sleep } from './lib/server.mjs';
import {
  api, assertError, assertStatus, assertMessage, assertUser, assertNoFrame, assertWsError,
  cid, connect, history, httpSend, isId, openConversation, register, T,
} from './lib/client.mjs';

const DAY = 24 * 3600 * 1000;

test('register, login, me and user lookup answer with the documented shapes', async (t) => {
  const server = await startServer(t);
  const before = Date.now();
  const alice = await register(server, 'alice', { display_name: 'Alice Liddell', device_name: 'Laptop' });
  assertUser(alice.user, { username: 'alice', display_name: 'Alice Liddell' });
  assert.equal(typeof alice.token, 'string');
  assert.equal(alice.token.length, 43, `token must be 43 characters: ${alice.token}`);
  assert.ok(isId(alice.session_id));
  // 30 days from login, on the server's clock.
  assert.ok(Math.abs(alice.expires_at - (before + 30 * DAY)) < 60000, `expires_at ${alice.expires_at}`);

  // Usernames are stored lower-cased; login accepts the stored name.
  const bob = await register(server, 'Bob_2', { display_name: 'Bob' });
  assert.equal(bob.user.username, 'bob_2');

  const login = await api(server, 'POST', '/api/v1/login', { body: { username: 'alice', password: alice.password, device_name: 'Phone' } });
  assertStatus(login, 200, 'login');
  assert.deepEqual(login.body.user, alice.user);
  assert.equal(login.body.token.length, 43);
  assert.notEqual(login.body.token, alice.token);
  assert.notEqual(login.body.session_id, alice.session_id);

  const me = await api(server, 'GET', '/api/v1/me', { token: login.body.token });
  assertStatus(me, 200, 'me');
  assert.deepEqual(me.body.user, alice.user);

  const found = await api(server, 'GET', '/api/v1/users/bob_2', { token: alice.token });
  assertStatus(found, 200, 'user lookup');
  assert.deepEqual(found.body.user, bob.user);

  const missing = await api(server, 'GET', '/api/v1/users/nobody', { token: alice.token });
  assertError(missing, 404, 'not_found', 'GET /users/nobody');

  const sessions = await api(server, 'GET', '/api/v1/sessions', { token: alice.token });
  assertStatus(sessions, 200, 'sessions');
  assert.equal(sessions.body.sessions.length, 2);
  const current = sessions.body.sessions.filter((s) => s.current);
  assert.equal(current.length, 1);
  assert.equal(current[0].id, alice.session_id);
  assert.equal(current[0].device_name, 'Laptop');
  const other = sessions.body.sessions.find((s) => !s.current);
  assert.equal(other.id, login.body.session_id);
  assert.equal(other.device_name, 'Phone');
  assert.equal(other.current, false);
  for (const sess of sessions.body.sessions) {
    assert.ok(Number.isInteger(sess.created_at) && Number.isInteger(sess.expires_at), JSON.stringify(sess));
    assert.ok(Math.abs(sess.expires_at - sess.created_at - 30 * DAY) < 60000, `session lifetime: ${JSON.stringify(sess)}`);
  }

  const health = await api(server, 'GET', '/healthz');
  assertStatus(health, 200);
  assert.deepEqual(health.body, { status: 'ok' });
  const ready = await api(server, 'GET', '/readyz');
  assertStatus(ready, 200);
  assert.deepEqual(ready.body, { status: 'ready' });
});

test('the direct conversation exists once per pair, even when both create it at the same moment', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const carol = await register(server, 'carol');
  const dave = await register(server, 'dave');

  // Both connected: both receive the conversation event when it is created.
  const wa = await connect(t, server, alice.token);
  const wb = await connect(t, server, bob.token);

  const created = await api(server, 'POST', '/api/v1/conversations', { token: alice.token, body: { peer_username: 'bob' } });
  assertStatus(created, 201, 'create alice-bob');
  assert.equal(created.body.created, true);
  const conv = created.body.conversation;
  assert.ok(isId(conv.id));
  assert.equal(conv.kind, 'direct');
  assert.deepEqual(conv.peer, bob.user);
  assert.equal(conv.last_seq, 0);
  assert.equal(conv.last_message, null);
  assert.equal(conv.unread, 0);
  assert.equal(conv.last_activity, conv.created_at, 'last_activity is created_at when there is no message');
  assert.ok(Number.isInteger(conv.version) && conv.version > 0);
  assert.equal(conv.members.length, 2);
  const memberIds = conv.members.map((m) => m.user.id).sort((a, b) => a - b);
  assert.deepEqual(memberIds, [alice.user.id, bob.user.id].sort((a, b) => a - b));
  for (const m of conv.members) {
    assert.equal(m.delivered_seq, 0);
    assert.equal(m.read_seq, 0);
  }

  const evA = await wa.event('conversation');
  const evB = await wb.event('conversation');
  assert.equal(evA.conversation.id, conv.id);
  assert.equal(evB.conversation.id, conv.id);
  // Each side sees the other as peer.
  assert.deepEqual(evA.conversation.peer, bob.user);
  assert.deepEqual(evB.conversation.peer, alice.user);

  // Creating again, from either side and by id or name: the same conversation, created:false.
  const again = await api(server, 'POST', '/api/v1/conversations', { token: alice.token, body: { peer_username: 'bob' } });
  assertStatus(again, 200, 'create again');
  assert.equal(again.body.created, false);
  assert.equal(again.body.conversation.id, conv.id);
  const fromBob = await api(server, 'POST', '/api/v1/conversations', { token: bob.token, body: { peer_id: alice.user.id } });
  assertStatus(fromBob, 200, 'create from bob by peer_id');
  assert.equal(fromBob.body.created, false);
  assert.equal(fromBob.body.conversation.id, conv.id);
  assert.deepEqual(fromBob.body.conversation.peer, alice.user);
  await assertNoFrame(wa, (f) => f.type === 'conversation' && f !== evA, 200, 'second conversation event');

  // Simultaneous creation from both sides, several rounds with fresh pairs.
  for (const [x, y] of [[carol, dave], [alice, carol], [bob, dave]]) {
    const [r1, r2] = await Promise.all([
      api(server, 'POST', '/api/v1/conversations', { token: x.token, body: { peer_username: y.user.username } }),
      api(server, 'POST', '/api/v1/conversations', { token: y.token, body: { peer_username: x.user.username } }),
    ]);
    assert.ok([200, 201].includes(r1.status) && [200, 201].includes(r2.status), `${r1.status} ${r1.text} / ${r2.status} ${r2.text}`);
    assert.equal(r1.body.conversation.id, r2.body.conversation.id, 'both creators get the same conversation');
    assert.deepEqual([r1.body.created, r2.body.created].sort(), [false, true], 'exactly one of them created it');
    assert.equal(r1.status, r1.body.created ? 201 : 200);
    assert.equal(r2.status, r2.body.created ? 201 : 200);
  }
  const list = await api(server, 'GET', '/api/v1/conversations', { token: dave.token });
  assertStatus(list, 200);
  assert.equal(list.body.conversations.length, 2, 'dave has exactly two conversations');

  // Harder: eight pairs at once, each created four times concurrently (both sides, by name and id).
  const people = [];
  for (let i = 0; i < 8; i++) people.push(await register(server, `racer${i}`));
  const attempts = [];
  for (let i = 0; i < people.length; i++) {
    const x = people[i];
    const y = people[(i + 1) % people.length];
    attempts.push(...[
      [x, { peer_username: y.user.username }], [y, { peer_id: x.user.id }],
      [x, { peer_id: y.user.id }], [y, { peer_username: x.user.username }],
    ].map(([who, body]) => api(server, 'POST', '/api/v1/conversations', { token: who.token, body }).then((r) => ({ pair: i, r }))));
  }
  const results = await Promise.all(attempts);
  for (let i = 0; i < people.length; i++) {
    const mine = results.filter((x) => x.pair === i).map((x) => x.r);
    for (const r of mine) assert.ok([200, 201].includes(r.status), `${r.status} ${r.text}`);
    assert.equal(new Set(mine.map((r) => r.body.conversation.id)).size, 1, `pair ${i}: one conversation`);
    assert.equal(mine.filter((r) => r.body.created === true).length, 1, `pair ${i}: created exactly once`);
  }
  for (const p of people) {
    const rows = (await api(server, 'GET', '/api/v1/conversations', { token: p.token })).body.conversations;
    assert.equal(rows.length, 2, `${p.user.username} has exactly two conversations`);
  }

  // A conversation is readable by id for members.
  const byId = await api(server, 'GET', `/api/v1/conversations/${conv.id}`, { token: bob.token });
  assertStatus(byId, 200);
  assert.equal(byId.body.conversation.id, conv.id);
});

test('alice and bob chat with acks, live messages and receipts', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const { conversation: conv } = await openConversation(server, alice.token, 'bob');

  const wa = await connect(t, server, alice.token);
  const wb = await connect(t, server, bob.token);
  assertUser(wa.ready.user, { id: alice.user.id, username: 'alice' });
  assert.equal(wa.ready.session_id, alice.session_id);
  assert.equal(wa.ready.heartbeat_ms, 20000);
  assert.ok(Number.isInteger(wa.ready.version) && wa.ready.version >= 0);

  // Send over the WebSocket: the ack carries seq 1 and the server time.
  const clientId = cid('a');
  const before = Date.now();
  const ack = await wa.call({ type: 'send', id: 'r7', conversation_id: conv.id, client_id: clientId, text: 'hi bob' }, 'ack');
  const after = Date.now();
  assert.equal(ack.id, 'r7');
  assert.equal(ack.duplicate, false);
  assertMessage(ack.message, { conversation_id: conv.id, seq: 1, sender_id: alice.user.id, client_id: clientId, text: 'hi bob', kind: 'text' });
  assert.ok(ack.message.ts >= before - 2000 && ack.message.ts <= after + 2000, `ts ${ack.message.ts} not within [${before}, ${after}]`);

  // Bob gets it live; alice's own connection does not get an event for it.
  const ev = await wb.event('message');
  assert.deepEqual(ev.message, ack.message);
  await assertNoFrame(wa, (f) => f.type === 'message', 200, 'message event on the sending connection');

  // Message info (who got and read it, and when): nothing yet.
  const infoPath = `/api/v1/conversations/${conv.id}/messages/1/receipts`;
  let info = await api(server, 'GET', infoPath, { token: alice.token });
  assertStatus(info, 200, 'message info');
  assert.deepEqual(info.body.receipts, [{ user: bob.user, delivered_at: null, read_at: null, played_at: null }]);
  let row = (await api(server, 'GET', `/api/v1/conversations/${conv.id}`, { token: alice.token })).body.conversation;
  assert.equal(row.min_delivered_seq, 0, 'not delivered to bob yet');
  assert.equal(row.min_read_seq, 0);

  // Integer request ids are echoed too.
  const delivered = await wb.request({ type: 'delivered', id: 8, conversation_id: conv.id, seq: 1 });
  assert.deepEqual(delivered, { type: 'ok', id: 8 });
  const r1 = await wa.event('receipt');
  assert.equal(r1.conversation_id, conv.id);
  assert.equal(r1.user_id, bob.user.id);
  assert.equal(r1.delivered_seq, 1);
  assert.equal(r1.read_seq, 0);
  assert.ok(Number.isInteger(r1.version));

  const read = await wb.request({ type: 'read', id: 9, conversation_id: conv.id, seq: 1 });
  assert.deepEqual(read, { type: 'ok', id: 9 });
  const r2 = await wa.event('receipt');
  assert.equal(r2.user_id, bob.user.id);
  assert.equal(r2.delivered_seq, 1);
  assert.equal(r2.read_seq, 1);
  assert.ok(r2.version > r1.version, 'versions grow with every change');
  // "Every connected device of every member" includes the reader's own connection.
  const own = await wb.event('receipt', (f) => f.read_seq === 1);
  assert.deepEqual(own, r2);

  // Repeating a watermark is accepted and changes nothing: no receipt event.
  const again = await wb.request({ type: 'read', conversation_id: conv.id, seq: 1 });
  assert.equal(again.type, 'ok');
  const lower = await wb.request({ type: 'delivered', conversation_id: conv.id, seq: 1 });
  assert.equal(lower.type, 'ok');
  await assertNoFrame(wa, (f) => f.type === 'receipt' && f !== r1 && f !== r2, 300, 'receipt for an unchanged watermark');

  const got = await api(server, 'GET', `/api/v1/conversations/${conv.id}`, { token: alice.token });
  assertStatus(got, 200);
  const bobMember = got.body.conversation.members.find((m) => m.user.id === bob.user.id);
  const aliceMember = got.body.conversation.members.find((m) => m.user.id === alice.user.id);
  assert.equal(bobMember.delivered_seq, 1);
  assert.equal(bobMember.read_seq, 1);
  // A sender's own messages count as delivered to and read by the sender.
  assert.equal(aliceMember.delivered_seq, 1);
  assert.equal(aliceMember.read_seq, 1);
  assert.equal(got.body.conversation.last_seq, 1);
  assert.deepEqual(got.body.conversation.last_message, ack.message);
  assert.equal(got.body.conversation.version, r2.version, "the conversation's version is that of its newest change");
  // Fields every conversation carries; for a direct one: no name, two members, plain roles.
  row = got.body.conversation;
  assert.equal(row.name, '');
  assert.equal(row.description, '');
  assert.equal(row.member_count, 2);
  assert.equal(row.role, 'member');
  assert.equal(row.left, false);
  for (const m of row.members) assert.equal(m.role, 'member');
  assert.equal(row.min_delivered_seq, 1, 'delivered: every other member has it');
  assert.equal(row.min_read_seq, 1, 'read: every other member read it');
  info = await api(server, 'GET', infoPath, { token: alice.token });
  assertStatus(info, 200, 'message info');
  assert.equal(info.body.receipts.length, 1);
  const bobInfo = info.body.receipts[0];
  assert.deepEqual(bobInfo.user, bob.user);
  assert.ok(Number.isInteger(bobInfo.delivered_at) && bobInfo.delivered_at >= ack.message.ts && bobInfo.delivered_at <= Date.now() + 2000, `delivered_at ${bobInfo.delivered_at}`);
  assert.ok(Number.isInteger(bobInfo.read_at) && bobInfo.read_at >= bobInfo.delivered_at && bobInfo.read_at <= Date.now() + 2000, `read_at ${bobInfo.read_at}`);
  // Bob, a member who can see the message, may ask too.
  assertStatus(await api(server, 'GET', infoPath, { token: bob.token }), 200, 'message info asked by the recipient');
  // Not a member: not_found.
  const carol = await register(server, 'carol');
  assertError(await api(server, 'GET', infoPath, { token: carol.token }), 404, 'not_found', 'message info of a stranger');

  // Bob answers; alice gets it in order, and seqs go on without gaps.
  const b1 = await wb.sendMessage(conv.id, cid('b'), 'hello alice');
  assert.equal(b1.message.seq, 2);
  assert.equal(b1.message.sender_id, bob.user.id);
  const evA = await wa.event('message');
  assert.deepEqual(evA.message, b1.message);

  // Application-level ping.
  const pong = await wa.request({ type: 'ping', id: 'p1' });
  assert.equal(pong.type, 'pong');
  assert.equal(pong.id, 'p1');

  // Header authentication: ready is the first frame.
  const wh = await connect(t, server, bob.token, { header: true });
  assert.equal(wh.frames[0].type, 'ready');
  assert.equal(wh.ready.user.id, bob.user.id);
});

test('messages sent over HTTP behave like WebSocket sends, and history pages come in the documented orders', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const { conversation: conv } = await openConversation(server, alice.token, 'bob');
  const wa = await connect(t, server, alice.token);
  const wb = await connect(t, server, bob.token);

  const sent = [];
  for (let i = 1; i <= 5; i++) {
    const ack = await wa.sendMessage(conv.id, cid('a'), `a${i}`);
    assert.equal(ack.message.seq, i);
    sent.push(ack.message);
  }
  // Over HTTP, from bob: 200 {message, duplicate:false}; both of the WebSocket devices get events
  // (the HTTP request is not a connection that could be excluded).
  for (let i = 6; i <= 7; i++) {
    const clientId = cid('b');
    const res = await httpSend(server, bob.token, conv.id, clientId, `b${i}`);
    assertStatus(res, 200, 'HTTP send');
    assert.equal(res.body.duplicate, false);
    assertMessage(res.body.message, { seq: i, sender_id: bob.user.id, client_id: clientId, text: `b${i}`, conversation_id: conv.id });
    sent.push(res.body.message);
  }
  // Bob receives alice's five in seq order, then his own two HTTP messages; alice receives bob's two.
  const bobSeen = [];
  for (let i = 0; i < 7; i++) bobSeen.push((await wb.event('message')).message);
  assert.deepEqual(bobSeen, sent, 'bob sees every message once, in seq order');
  const aliceSeen = [(await wa.event('message')).message, (await wa.event('message')).message];
  assert.deepEqual(aliceSeen, sent.slice(5));

  const seqs = (page) => page.messages.map((m) => m.seq);

  // No parameter: newest first.
  let page = await history(server, alice.token, conv.id);
  assert.deepEqual(seqs(page), [7, 6, 5, 4, 3, 2, 1]);
  assert.equal(page.has_more, false);
  assert.deepEqual(page.messages[0], sent[6], 'history returns the stored message as acknowledged');

  page = await history(server, alice.token, conv.id, { limit: 3 });
  assert.deepEqual(seqs(page), [7, 6, 5]);
  assert.equal(page.has_more, true);

  // before: newest first, seq < S.
  page = await history(server, bob.token, conv.id, { before: 5, limit: 2 });
  assert.deepEqual(seqs(page), [4, 3]);
  assert.equal(page.has_more, true);
  page = await history(server, bob.token, conv.id, { before: 3, limit: 5 });
  assert.deepEqual(seqs(page), [2, 1]);
  assert.equal(page.has_more, false);
  page = await history(server, bob.token, conv.id, { before: 1 });
  assert.deepEqual(seqs(page), []);
  assert.equal(page.has_more, false);

  // after: oldest first, seq > S.
  page = await history(server, bob.token, conv.id, { after: 0, limit: 3 });
  assert.deepEqual(seqs(page), [1, 2, 3]);
  assert.equal(page.has_more, true);
  page = await history(server, bob.token, conv.id, { after: 3, limit: 4 });
  assert.deepEqual(seqs(page), [4, 5, 6, 7]);
  assert.equal(page.has_more, false);
  page = await history(server, bob.token, conv.id, { after: 7 });
  assert.deepEqual(seqs(page), []);
  assert.equal(page.has_more, false);

  // limit bounds: 1 and 200 are fine, 0 and 201 are invalid_argument.
  page = await history(server, bob.token, conv.id, { limit: 1 });
  assert.deepEqual(seqs(page), [7]);
  assert.equal(page.has_more, true);
  page = await history(server, bob.token, conv.id, { limit: 200 });
  assert.equal(page.messages.length, 7);
  for (const limit of [0, 201, -1]) {
    const res = await api(server, 'GET', `/api/v1/conversations/${conv.id}/messages?limit=${limit}`, { token: bob.token });
    assertError(res, 400, 'invalid_argument', `history limit=${limit}`);
  }
  // before and after together are not allowed.
  const both = await api(server, 'GET', `/api/v1/conversations/${conv.id}/messages?before=5&after=1`, { token: bob.token });
  assert.equal(both.status, 400, `before+after -> ${both.status} ${both.text}`);
  assert.ok(['invalid_argument', 'bad_request'].includes(both.body?.error?.code), both.text);

  // The same over the WebSocket.
  const wsPage = await wb.call({ type: 'history', conversation_id: conv.id, after: 2, limit: 2 }, 'history');
  assert.deepEqual(wsPage.messages, sent.slice(2, 4));
  assert.equal(wsPage.has_more, true);
  const wsNewest = await wb.call({ type: 'history', conversation_id: conv.id, limit: 2 }, 'history');
  assert.deepEqual(wsNewest.messages.map((m) => m.seq), [7, 6]);
  assert.equal(wsNewest.has_more, true);
  const wsBefore = await wb.call({ type: 'history', conversation_id: conv.id, before: 3 }, 'history');
  assert.deepEqual(wsBefore.messages.map((m) => m.seq), [2, 1]);
  assert.equal(wsBefore.has_more, false);
  const wsBad = await wb.request({ type: 'history', conversation_id: conv.id, limit: 201 });
  assertWsError(wsBad, 'invalid_argument', 'ws history limit=201');

  // Receipts over HTTP: same rules, same events. Alice has read up to her own last send (5);
  // reading 6 also counts as delivering it.
  const rec = await api(server, 'POST', `/api/v1/conversations/${conv.id}/receipts`, { token: alice.token, body: { read_seq: 6 } });
  assertStatus(rec, 200, 'HTTP receipt');
  assert.deepEqual(rec.body, {});
  const ev = await wb.event('receipt');
  assert.equal(ev.conversation_id, conv.id);
  assert.equal(ev.user_id, alice.user.id);
  assert.equal(ev.read_seq, 6);
  assert.equal(ev.delivered_seq, 6);
  const both2 = await api(server, 'POST', `/api/v1/conversations/${conv.id}/receipts`, { token: alice.token, body: { delivered_seq: 7, read_seq: 7 } });
  assertStatus(both2, 200, 'HTTP receipt with both watermarks');
  const ev2 = await wb.event('receipt');
  assert.equal(ev2.user_id, alice.user.id);
  assert.equal(ev2.delivered_seq, 7);
  assert.equal(ev2.read_seq, 7);
  const beyond = await api(server, 'POST', `/api/v1/conversations/${conv.id}/receipts`, { token: alice.token, body: { read_seq: 8 } });
  assertError(beyond, 400, 'invalid_argument', 'read_seq beyond last_seq');
});

test('keep-alive: a silent connection is pinged, pongs keep it open, total silence closes it', async (t) => {
  // The 20 s / 40 s defaults, scaled down through the documented option (ping at half the timeout).
  const server = await startServer(t, { args: ['--ws-idle-timeout-ms', '2000'] });
  const alice = await register(server, 'alice');
  const answersPings = await connect(t, server, alice.token); // ws answers pings by itself
  const deaf = await connect(t, server, alice.token, { wsOptions: { autoPong: false } });
  const chatty = await connect(t, server, alice.token, { wsOptions: { autoPong: false } });
  const start = Date.now();
  const chatter = setInterval(() => { if (chatty.isOpen) chatty.send({ type: 'ping' }); }, 300);
  t.after(() => clearInterval(chatter));

  const closed = await deaf.waitClose(T(8000));
  const elapsed = Date.now() - start;
  assert.ok(deaf.pings >= 1, 'the server pinged the silent connection before closing it');
  assert.ok(elapsed >= 1500, `closed after ${elapsed} ms, before the idle timeout`);
  t.diagnostic(`silent connection closed after ${elapsed} ms with ${JSON.stringify(closed)}`);

  await sleep(Math.max(0, 4500 - (Date.now() - start)));
  assert.ok(answersPings.isOpen, 'a connection that answers pings stays open');
  assert.ok(answersPings.pings >= 1, 'the silent-but-answering connection was pinged');
  assert.ok(chatty.isOpen, 'a connection that sends frames stays open');
  assert.equal((await answersPings.request({ type: 'ping', id: 'x'.repeat(64) })).id, 'x'.repeat(64), 'a 64-character request id is echoed');
});

test('text arrives exactly as written: Unicode, escapes and the largest allowed message', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice', { display_name: 'Ålice 👩‍💻 «Ли»' });
  const bob = await register(server, 'bob');
  assert.equal(alice.user.display_name, 'Ålice 👩‍💻 «Ли»');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  assert.equal(ab.members.find((m) => m.user.id === alice.user.id).user.display_name, 'Ålice 👩‍💻 «Ли»');
  const wa = await connect(t, server, alice.token);
  const wb = await connect(t, server, bob.token);

  const texts = [
    'hello 👋🏽 — 你好 — مرحبا — שלום',
    'quotes " and \\ backslash, slash /, tab \t, newline \n and CRLF \r\n',
    'line separators \u2028 \u2029, BOM \ufeff, combining e\u0301, zero-width \u200d joiner',
    '{"type":"send","looks":"like json"}',
    '<script>alert(1)</script> & &amp;',
    '\u0001\u001f control characters other than NUL are text too',
    '𝕏 astral plane 🏳️‍🌈 flags 🇫🇷',
    'é'.repeat(8192),
    `${'a'.repeat(16381)}€`,
  ];
  const acks = [];
  for (const text of texts) {
    const ack = await wa.sendMessage(ab.id, cid('u'), text);
    assert.equal(ack.message.text, text, 'the ack carries the text unchanged');
    acks.push(ack.message);
  }
  assert.equal(Buffer.byteLength(texts[8]), 16384);
  for (const m of acks) assert.deepEqual((await wb.event('message')).message, m, 'the recipient gets the text unchanged');
  const hist = await history(server, bob.token, ab.id, { after: 0 });
  assert.deepEqual(hist.messages.map((m) => m.text), texts, 'history returns the texts unchanged');
  const viaHttp = await httpSend(server, bob.token, ab.id, cid('u'), texts[0]);
  assertStatus(viaHttp, 200);
  assert.equal(viaHttp.body.message.text, texts[0]);
});
