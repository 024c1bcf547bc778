// 1:1 calls (docs/protocol.md, "Calls"): signalling over the WebSocket, as both people and an
// attacker see it. Every callee device rings, the first answer wins, each call leaves exactly
// one history message, and blocking, busy, timeouts and limits behave as documented.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { binaryPath, startServer } from './lib/server.mjs';
import {
  api, assertError, assertNoFrame, assertStatus, assertWsError, connect, fullHistory, login,
  openConversation, register, sleep, T,
} from './lib/client.mjs';

const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n';
const ANSWER = 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n';
const CANDIDATE = { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host', sdpMid: '0', sdpMLineIndex: 0 };

// alice and bob in a direct conversation; alice on one device, bob on two (two sessions).
async function pair(t, args = []) {
  const server = await startServer(t, { args });
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const bob2 = await login(server, 'bob', { device_name: 'tablet' });
  const { conversation } = await openConversation(server, alice.token, 'bob');
  const ac = await connect(t, server, alice.token);
  const bc1 = await connect(t, server, bob.token);
  const bc2 = await connect(t, server, bob2.token);
  return { server, alice, bob, bob2, conversation, ac, bc1, bc2 };
}

async function startCall(client, conversationId, media = 'audio') {
  const ans = await client.call({ type: 'call_start', conversation_id: conversationId, media, sdp: OFFER }, 'call');
  return ans.call;
}

function assertCall(call, expected = {}) {
  assert.match(call.call_id, /^[0-9a-f]{32}$/, `call_id: ${JSON.stringify(call)}`);
  for (const k of ['conversation_id', 'caller_id', 'callee_id', 'started_at']) assert.ok(Number.isInteger(call[k]), `${k}: ${JSON.stringify(call)}`);
  for (const k of ['answered_at', 'ended_at', 'end_reason']) assert.ok(k in call, `${k} present: ${JSON.stringify(call)}`);
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(call[k], v, `call.${k} in ${JSON.stringify(call)}`);
}

// The call history messages of a conversation as `token` sees it.
async function callMessages(server, token, conversationId) {
  const all = await fullHistory(server, token, conversationId);
  return all.filter((m) => m.kind === 'system' && m.system?.event === 'call');
}

test('every callee device rings; of two concurrent accepts exactly one wins; media signalling flows; one history message', async (t) => {
  const { server, alice, bob, conversation, ac, bc1, bc2 } = await pair(t);
  const call = await startCall(ac, conversation.id, 'video');
  assertCall(call, { state: 'ringing', media: 'video', caller_id: alice.user.id, callee_id: bob.user.id, conversation_id: conversation.id, answered_at: null, ended_at: null, end_reason: null });

  const [in1, in2] = await Promise.all([bc1, bc2].map((c) => c.event('call_incoming', (f) => f.call.call_id === call.call_id)));
  for (const f of [in1, in2]) {
    assert.equal(f.sdp, OFFER);
    assertCall(f.call, { state: 'ringing', media: 'video' });
  }
  // While it rings, the caller's candidates reach every callee device.
  await ac.call({ type: 'call_ice', call_id: call.call_id, candidate: CANDIDATE }, 'ok');
  for (const c of [bc1, bc2]) assert.deepEqual((await c.event('call_ice')).candidate, CANDIDATE);

  const answers = await Promise.all([bc1, bc2].map((c) => c.request({ type: 'call_accept', call_id: call.call_id, sdp: ANSWER })));
  const winners = answers.filter((a) => a.type === 'call');
  const losers = answers.filter((a) => a.type === 'error');
  assert.equal(winners.length, 1, `exactly one accept wins: ${JSON.stringify(answers)}`);
  assert.equal(losers.length, 1);
  assertWsError(losers[0], 'conflict', 'the late accept');
  assertCall(losers[0].call, { state: 'active' });
  assertCall(winners[0].call, { state: 'active', end_reason: null });
  assert.ok(winners[0].call.answered_at >= call.started_at);
  const [winner, loser] = answers[0].type === 'call' ? [bc1, bc2] : [bc2, bc1];

  const accepted = await ac.event('call_accepted');
  assert.equal(accepted.sdp, ANSWER);
  assertCall(accepted.call, { state: 'active', call_id: call.call_id });
  const elsewhere = await loser.event('call_ended');
  assertCall(elsewhere.call, { end_reason: 'answered_elsewhere' });

  // After the accept, candidates go between the two devices in the call only.
  await ac.call({ type: 'call_ice', call_id: call.call_id, candidate: { ...CANDIDATE, sdpMLineIndex: 1 } }, 'ok');
  await winner.event('call_ice', (f) => f.candidate.sdpMLineIndex === 1);
  await winner.call({ type: 'call_ice', call_id: call.call_id, candidate: { candidate: 'candidate:2 1 udp 1 198.51.100.7 9 typ srflx', sdpMid: null, sdpMLineIndex: null } }, 'ok');
  const back = await ac.event('call_ice');
  assert.deepEqual(back.candidate, { candidate: 'candidate:2 1 udp 1 198.51.100.7 9 typ srflx', sdpMid: null, sdpMLineIndex: null });
  assertWsError(await loser.request({ type: 'call_ice', call_id: call.call_id, candidate: CANDIDATE }), 'conflict', 'the other device is not in the call');
  await assertNoFrame(loser, (f) => f.type === 'call_ice' && f.candidate.sdpMLineIndex === 1, T(200), 'ICE after the accept on the other device');

  // Either device in the call may look at it over HTTP; nobody else can.
  const got = await api(server, 'GET', `/api/v1/calls/${call.call_id}`, { token: alice.token });
  assertStatus(got, 200, 'GET call');
  assertCall(got.body.call, { state: 'active' });

  const hung = await winner.call({ type: 'call_hangup', call_id: call.call_id }, 'call');
  assertCall(hung.call, { state: 'ended', end_reason: 'completed' });
  const ended = await ac.event('call_ended');
  assertCall(ended.call, { state: 'ended', end_reason: 'completed' });
  assert.ok(ended.call.ended_at >= ended.call.answered_at);

  // One history message, the same on both sides, sent by the caller.
  const live = await ac.event('message', (f) => f.message.kind === 'system');
  assert.equal(live.message.system.call.outcome, 'completed');
  for (const token of [alice.token, bob.token]) {
    const msgs = await callMessages(server, token, conversation.id);
    assert.equal(msgs.length, 1, `one call message: ${JSON.stringify(msgs)}`);
    assert.equal(msgs[0].sender_id, alice.user.id);
    assert.deepEqual(msgs[0].system, {
      event: 'call', actor_id: alice.user.id,
      call: { call_id: call.call_id, media: 'video', outcome: 'completed', duration_ms: ended.call.ended_at - ended.call.answered_at },
    });
  }
  // A hangup repeated: conflict with the ended call.
  const again = await winner.request({ type: 'call_hangup', call_id: call.call_id });
  assertWsError(again, 'conflict', 'hangup after the end');
  assertCall(again.call, { state: 'ended' });
});

test('a call nobody answers ends no_answer after the ring timeout: a missed call on both sides, unread for the callee', async (t) => {
  const { server, alice, bob, conversation, ac, bc1, bc2 } = await pair(t, ['--call-ring-timeout-s', '2']);
  const call = await startCall(ac, conversation.id);
  await bc1.event('call_incoming');
  for (const c of [ac, bc1, bc2]) {
    const ended = await c.event('call_ended', () => true, T(10000));
    assertCall(ended.call, { call_id: call.call_id, state: 'ended', end_reason: 'no_answer', answered_at: null });
  }
  for (const token of [alice.token, bob.token]) {
    const msgs = await callMessages(server, token, conversation.id);
    assert.equal(msgs.length, 1);
    assert.deepEqual(msgs[0].system.call, { call_id: call.call_id, media: 'audio', outcome: 'missed', duration_ms: 0 });
  }
  const res = await api(server, 'GET', `/api/v1/conversations/${conversation.id}`, { token: bob.token });
  const me = res.body.conversation.members.find((m) => m.user.id === bob.user.id);
  assert.ok(res.body.conversation.last_seq > me.read_seq, 'the missed call is unread for bob');
  // Too late to answer.
  const late = await bc1.request({ type: 'call_accept', call_id: call.call_id, sdp: ANSWER });
  assertWsError(late, 'conflict', 'accepting an ended call');
  assertCall(late.call, { end_reason: 'no_answer' });
});

test('declining on one device ends the call for the caller and stops the other devices (declined_elsewhere)', async (t) => {
  const { server, alice, conversation, ac, bc1, bc2 } = await pair(t);
  const call = await startCall(ac, conversation.id);
  await Promise.all([bc1, bc2].map((c) => c.event('call_incoming')));
  const declined = await bc1.call({ type: 'call_decline', call_id: call.call_id }, 'call');
  assertCall(declined.call, { state: 'ended', end_reason: 'declined' });
  assertCall((await ac.event('call_ended')).call, { end_reason: 'declined' });
  assertCall((await bc2.event('call_ended')).call, { end_reason: 'declined_elsewhere' });
  const msgs = await callMessages(server, alice.token, conversation.id);
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0].system.call.outcome, 'declined');
  // The caller hanging up while it rings cancels it; the callee sees the cancelled call.
  const second = await startCall(ac, conversation.id);
  await bc2.event('call_incoming', (f) => f.call.call_id === second.call_id);
  assertWsError(await bc1.request({ type: 'call_accept', call_id: call.call_id, sdp: ANSWER }), 'conflict', 'accept after decline');
  const cancelled = await ac.call({ type: 'call_hangup', call_id: second.call_id }, 'call');
  assertCall(cancelled.call, { end_reason: 'cancelled' });
  for (const c of [bc1, bc2]) assertCall((await c.event('call_ended', (f) => f.call.call_id === second.call_id)).call, { end_reason: 'cancelled' });
  const after = await callMessages(server, alice.token, conversation.id);
  assert.deepEqual(after.map((m) => m.system.call.outcome), ['declined', 'cancelled']);
});

test('busy: a call to (or from) someone in a call ends at once with busy and rings nowhere', async (t) => {
  const { server, bob, conversation, ac, bc1 } = await pair(t);
  const carol = await register(server, 'carol');
  const cc = await connect(t, server, carol.token);
  const { conversation: cb } = await openConversation(server, carol.token, 'bob');
  const { conversation: ca } = await openConversation(server, carol.token, 'alice');
  const first = await startCall(ac, conversation.id);
  await bc1.event('call_incoming');
  const busy = await startCall(cc, cb.id);
  assertCall(busy, { state: 'ended', end_reason: 'busy' });
  const busyCaller = await startCall(cc, ca.id);  // alice is calling: busy too
  assertCall(busyCaller, { state: 'ended', end_reason: 'busy' });
  await assertNoFrame(bc1, (f) => f.type === 'call_incoming' && f.call.call_id === busy.call_id, T(300), 'a ring for the busy call');
  const msgs = await callMessages(server, carol.token, cb.id);
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0].system.call.outcome, 'busy');
  assert.equal((await callMessages(server, bob.token, cb.id)).length, 1, 'bob sees the busy call too');
  // Once the first call ends, bob can be called again.
  await ac.call({ type: 'call_hangup', call_id: first.call_id }, 'call');
  assertCall(await startCall(cc, cb.id), { state: 'ringing' });
});

test('blocking: the blocker cannot call (forbidden); a blocked caller cannot tell, nothing rings, the missed call is withheld', async (t) => {
  const { server, alice, bob, conversation, ac, bc1 } = await pair(t, ['--call-ring-timeout-s', '2']);
  assertStatus(await api(server, 'PUT', `/api/v1/blocks/${bob.user.id}`, { token: alice.token }), 200, 'block');
  assertWsError(await ac.request({ type: 'call_start', conversation_id: conversation.id, media: 'audio', sdp: OFFER }), 'forbidden', 'calling whom you blocked');
  const call = await startCall(bc1, conversation.id);
  assertCall(call, { state: 'ringing' });
  await bc1.call({ type: 'call_ice', call_id: call.call_id, candidate: CANDIDATE }, 'ok');
  const ended = await bc1.event('call_ended', () => true, T(10000));
  assertCall(ended.call, { end_reason: 'no_answer' });
  assert.equal(ac.received((f) => f.type.startsWith('call_')).length, 0, 'nothing reached alice');
  assert.equal(ac.received((f) => f.type === 'message').length, 0, 'no history message reached alice');
  assert.equal((await callMessages(server, bob.token, conversation.id)).length, 1, 'bob has his missed call');
  assert.equal((await callMessages(server, alice.token, conversation.id)).length, 0, 'withheld from alice');
  assertError(await api(server, 'GET', `/api/v1/calls/${call.call_id}`, { token: alice.token }), 404, 'not_found', 'the blocker cannot see it');
  assertWsError(await ac.request({ type: 'call_accept', call_id: call.call_id, sdp: ANSWER }), 'not_found', 'accepting a withheld call');
});

test('who may call: not a member (not_found), a group (invalid_argument), a deleted account (account_deleted)', async (t) => {
  const { server, alice, bob, conversation, ac } = await pair(t);
  const carol = await register(server, 'carol');
  const cc = await connect(t, server, carol.token);
  assertWsError(await cc.request({ type: 'call_start', conversation_id: conversation.id, media: 'audio', sdp: OFFER }), 'not_found', 'a stranger');
  assertWsError(await cc.request({ type: 'call_start', conversation_id: 999999, media: 'audio', sdp: OFFER }), 'not_found', 'no such conversation');
  const group = await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'g', member_ids: [bob.user.id] } });
  assertStatus(group, 201, 'group');
  assertWsError(await ac.request({ type: 'call_start', conversation_id: group.body.conversation.id, media: 'audio', sdp: OFFER }), 'invalid_argument', 'a group');
  const del = await api(server, 'POST', '/api/v1/me/delete', { token: bob.token, body: { password: bob.password } });
  assert.ok(del.status === 200 || del.status === 204, `delete account: ${del.status} ${del.text}`);
  assertWsError(await ac.request({ type: 'call_start', conversation_id: conversation.id, media: 'audio', sdp: OFFER }), 'account_deleted', 'a deleted account');
});

test('call_start is rate-limited per user (--rate-call-per-min)', async (t) => {
  const { conversation, ac } = await pair(t, ['--rate-call-per-min', '3']);
  for (let i = 0; i < 3; i += 1) {
    const call = await startCall(ac, conversation.id);
    await ac.call({ type: 'call_hangup', call_id: call.call_id }, 'call');
  }
  const limited = await ac.request({ type: 'call_start', conversation_id: conversation.id, media: 'audio', sdp: OFFER });
  assertWsError(limited, 'rate_limited', 'the fourth call in a minute');
  assert.ok(limited.retry_after_ms > 0);
});

test('hostile: sizes, ICE floods, wrong parties and devices, unknown ids and malformed frames', async (t) => {
  const { server, conversation, ac, bc1, alice } = await pair(t);
  const carol = await register(server, 'carol');
  const cc = await connect(t, server, carol.token);
  const start = (extra) => ac.request({ type: 'call_start', conversation_id: conversation.id, media: 'audio', sdp: OFFER, ...extra });
  assertWsError(await start({ sdp: 'x'.repeat(32 * 1024 + 1) }), 'invalid_argument', 'an oversized offer');
  assertWsError(await start({ sdp: '' }), 'invalid_argument', 'an empty offer');
  assertWsError(await start({ media: 'screen' }), 'invalid_argument', 'unknown media');
  assertWsError(await start({ sdp: 5 }), 'bad_request', 'sdp not a string');
  assertWsError(await ac.request({ type: 'call_start', media: 'audio', sdp: OFFER }), 'bad_request', 'no conversation');

  const call = await startCall(ac, conversation.id);
  await bc1.event('call_incoming');
  const ice = (client, candidate, callId = call.call_id) => client.request({ type: 'call_ice', call_id: callId, candidate });
  assertWsError(await ice(ac, { ...CANDIDATE, candidate: 'c'.repeat(1025) }), 'invalid_argument', 'an oversized candidate');
  assertWsError(await ice(ac, 'candidate:1'), 'bad_request', 'a candidate that is not an object');
  assertWsError(await ice(ac, { sdpMid: '0' }), 'bad_request', 'a candidate without its string');
  assertWsError(await ice(ac, { ...CANDIDATE, sdpMLineIndex: 'x' }), 'bad_request', 'a bad sdpMLineIndex');
  assertWsError(await ac.request({ type: 'call_ice', call_id: call.call_id }), 'bad_request', 'no candidate');
  assertWsError(await ac.request({ type: 'call_accept', call_id: 12, sdp: ANSWER }), 'bad_request', 'call_id not a string');

  // Strangers and unknown ids: not_found, whatever they try.
  for (const frame of [
    { type: 'call_accept', call_id: call.call_id, sdp: ANSWER },
    { type: 'call_decline', call_id: call.call_id },
    { type: 'call_hangup', call_id: call.call_id },
    { type: 'call_ice', call_id: call.call_id, candidate: CANDIDATE },
  ]) assertWsError(await cc.request(frame), 'not_found', `a stranger's ${frame.type}`);
  for (const id of ['0'.repeat(32), 'nope', `${call.call_id}x`, '../../etc'])
    assertWsError(await bc1.request({ type: 'call_hangup', call_id: id }), 'not_found', `unknown id ${id}`);
  assertError(await api(server, 'GET', `/api/v1/calls/${call.call_id}`, { token: carol.token }), 404, 'not_found', 'a stranger GETs the call');
  assertError(await api(server, 'GET', '/api/v1/calls/zzz', { token: alice.token }), 404, 'not_found', 'GET an unknown call');

  // Wrong role or device: conflict, with the call.
  const own = await ac.request({ type: 'call_accept', call_id: call.call_id, sdp: ANSWER });
  assertWsError(own, 'conflict', 'the caller accepting');
  assertCall(own.call, { state: 'ringing' });
  const alice2 = await login(server, 'alice', { device_name: 'laptop' });
  const ac2 = await connect(t, server, alice2.token);
  assertWsError(await ac2.request({ type: 'call_hangup', call_id: call.call_id }), 'conflict', "the caller's other device");
  assertWsError(await ac2.request({ type: 'call_ice', call_id: call.call_id, candidate: CANDIDATE }), 'conflict', "ICE from the caller's other device");
  assertWsError(await bc1.request({ type: 'call_ice', call_id: call.call_id, candidate: CANDIDATE }), 'conflict', 'callee ICE before accepting');
  assertWsError(await bc1.request({ type: 'call_accept', call_id: call.call_id, sdp: 'y'.repeat(32 * 1024 + 1) }), 'invalid_argument', 'an oversized answer');

  // ICE flood: 100 per device and call, then rate_limited.
  const answers = [];
  for (let i = 0; i < 100; i += 1) answers.push(ice(ac, { ...CANDIDATE, sdpMLineIndex: i % 4 }));
  for (const a of await Promise.all(answers)) assert.equal(a.type, 'ok', JSON.stringify(a));
  assertWsError(await ice(ac, CANDIDATE), 'rate_limited', 'the 101st candidate');
  await bc1.call({ type: 'call_decline', call_id: call.call_id }, 'call');
});

test('a callee device that connects while a call rings gets call_incoming right after ready', async (t) => {
  const { server, conversation, ac } = await pair(t);
  const call = await startCall(ac, conversation.id);
  const late = await login(server, 'bob', { device_name: 'late phone' });
  const lc = await connect(t, server, late.token);
  const f = await lc.event('call_incoming', (x) => x.call.call_id === call.call_id);
  assert.equal(f.sdp, OFFER);
  assert.ok(lc.frames.indexOf(lc.frames.find((x) => x.type === 'ready')) < lc.frames.indexOf(f), 'after ready');
  // A device of the caller connecting gets nothing.
  const alice2 = await login(server, 'alice', { device_name: 'laptop' });
  const ac2 = await connect(t, server, alice2.token);
  await assertNoFrame(ac2, (x) => x.type === 'call_incoming', T(300), 'a ring on the caller');
});

test("the caller's socket closing ends the call (disconnected): the callee stops ringing; a missed call", async (t) => {
  const { server, bob, conversation, ac, bc1, bc2 } = await pair(t);
  const call = await startCall(ac, conversation.id);
  await bc1.event('call_incoming');
  ac.close();
  for (const c of [bc1, bc2]) assertCall((await c.event('call_ended', () => true, T(10000))).call, { call_id: call.call_id, end_reason: 'disconnected' });
  const msgs = await callMessages(server, bob.token, conversation.id);
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0].system.call.outcome, 'missed');
});

test("an answered call ends when a party's socket closes: completed with its duration", async (t) => {
  const { server, alice, conversation, ac, bc1 } = await pair(t);
  const call = await startCall(ac, conversation.id);
  await bc1.event('call_incoming');
  await bc1.call({ type: 'call_accept', call_id: call.call_id, sdp: ANSWER }, 'call');
  await ac.event('call_accepted');
  bc1.terminate();
  const ended = await ac.event('call_ended', () => true, T(10000));
  assertCall(ended.call, { end_reason: 'disconnected' });
  const msgs = await callMessages(server, alice.token, conversation.id);
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0].system.call.outcome, 'completed');
  assert.equal(msgs[0].system.call.duration_ms, ended.call.ended_at - ended.call.answered_at);
});

test('ice_servers: STUN as configured, TURN with coturn use-auth-secret credentials that expire after --turn-ttl-s', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-turn-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const secretFile = path.join(dir, 'turn.secret');
  const secret = 'shared-with-coturn-3f9a';
  fs.writeFileSync(secretFile, `${secret}\n`);
  const server = await startServer(t, {
    args: ['--stun-urls', 'stun:stun.example.com:3478', '--turn-urls', 'turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349',
      '--turn-secret-file', secretFile, '--turn-ttl-s', '600'],
  });
  const alice = await register(server, 'alice');
  const ac = await connect(t, server, alice.token);
  const before = Math.floor(Date.now() / 1000);
  const frame = await ac.call({ type: 'ice_servers' }, 'ice_servers');
  const http = await api(server, 'GET', '/api/v1/calls/ice-servers', { token: alice.token });
  const after = Math.floor(Date.now() / 1000);
  assertStatus(http, 200, 'GET ice-servers');
  for (const body of [frame, http.body]) {
    assert.equal(body.ttl_s, 600);
    assert.equal(body.ice_servers.length, 2);
    assert.deepEqual(body.ice_servers[0], { urls: ['stun:stun.example.com:3478'] });
    const turn = body.ice_servers[1];
    assert.deepEqual(turn.urls, ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349']);
    const [expiry, user] = turn.username.split(':');
    assert.equal(Number(user), alice.user.id);
    assert.ok(Number(expiry) >= before + 600 && Number(expiry) <= after + 600, `expiry ${expiry}`);
    const expected = crypto.createHmac('sha1', secret).update(turn.username).digest('base64');
    assert.equal(turn.credential, expected, 'base64(HMAC-SHA1(secret, username))');
  }
  assertError(await api(server, 'GET', '/api/v1/calls/ice-servers'), 401, 'unauthenticated', 'without a token');
});

test('ice_servers without STUN or TURN configured is an empty list; TURN without a secret refuses to start', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const res = await api(server, 'GET', '/api/v1/calls/ice-servers', { token: alice.token });
  assertStatus(res, 200, 'GET ice-servers');
  assert.deepEqual(res.body, { ice_servers: [], ttl_s: 3600 });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-turn-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const args of [['--turn-urls', 'turn:turn.example.com'], ['--stun-urls', 'https://stun.example.com'],
    ['--turn-urls', 'turn:turn.example.com', '--turn-secret-file', path.join(dir, 'missing')]]) {
    const run = spawnSync(binaryPath(), ['--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data'), ...args],
      { encoding: 'utf8', timeout: T(20000) });
    assert.equal(run.status, 2, `${args.join(' ')} must refuse to start: ${run.status} ${run.stderr}`);
  }
});

test('an answered call ends completed at --call-max-duration-s', async (t) => {
  const { server, alice, conversation, ac, bc1 } = await pair(t, ['--call-max-duration-s', '2']);
  const call = await startCall(ac, conversation.id);
  await bc1.event('call_incoming');
  await bc1.call({ type: 'call_accept', call_id: call.call_id, sdp: ANSWER }, 'call');
  for (const c of [ac, bc1]) {
    const ended = await c.event('call_ended', () => true, T(15000));
    assertCall(ended.call, { end_reason: 'completed', state: 'ended' });
  }
  const msgs = await callMessages(server, alice.token, conversation.id);
  assert.equal(msgs.length, 1);
  assert.equal(msgs[0].system.call.outcome, 'completed');
});

test('a restart sweeps the calls the previous run left: ringing past the timeout ends no_answer; active ends on the embedded store', async (t) => {
  const { server, alice, bob, conversation, ac, bc1 } = await pair(t, ['--call-ring-timeout-s', '2']);
  const ringing = await startCall(ac, conversation.id);
  const carol = await register(server, 'carol');
  const dave = await register(server, 'dave');
  const { conversation: cd } = await openConversation(server, carol.token, 'dave');
  const cc = await connect(t, server, carol.token);
  const dc = await connect(t, server, dave.token);
  const active = await startCall(cc, cd.id);
  await dc.event('call_incoming');
  await dc.call({ type: 'call_accept', call_id: active.call_id, sdp: ANSWER }, 'call');
  await server.kill('SIGKILL');
  for (const c of [ac, bc1, cc, dc]) c.terminate();
  await sleep(T(2500));  // past the ring timeout while nothing runs
  await server.restart();
  const get = async (token, id) => (await api(server, 'GET', `/api/v1/calls/${id}`, { token })).body.call;
  let swept;
  for (let i = 0; i < 50; i += 1) {
    swept = await get(alice.token, ringing.call_id);
    if (swept.state === 'ended') break;
    await sleep(T(100));
  }
  assertCall(swept, { state: 'ended', end_reason: 'no_answer' });
  assert.equal((await callMessages(server, bob.token, conversation.id)).length, 1, 'one missed call');
  const after = await get(carol.token, active.call_id);
  if (process.env.PARLEY_TEST_STORE) {
    // PostgreSQL: another process may hold it; it runs on to the longest call.
    assertCall(after, { state: 'active' });
  } else {
    assertCall(after, { state: 'ended', end_reason: 'disconnected' });
    const msgs = await callMessages(server, carol.token, cd.id);
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0].system.call.outcome, 'completed');
  }
  // Nobody is left busy: alice can call bob again.
  const ac2 = await connect(t, server, alice.token);
  assertCall(await startCall(ac2, conversation.id), { state: 'ringing' });
});
