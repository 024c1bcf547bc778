// Every class of bad input gets its documented error (HTTP status + code, WebSocket error frame
// or close code) and changes nothing; the server keeps answering afterwards.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, sleep } from './lib/server.mjs';
import {
  api, assertError, assertStatus, assertWsError, cid, connect, fullHistory, openConversation, openSocket,
  rawHttp, register, T,
} from './lib/client.mjs';

const KiB = 1024;

async function syncVersion(server, token) {
  const res = await api(server, 'GET', '/api/v1/sync?since=0&limit=200', { token });
  assertStatus(res, 200, 'sync');
  return res.body.version;
}

async function assertNoChangeSince(server, token, version, what) {
  const res = await api(server, 'GET', `/api/v1/sync?since=${version}`, { token });
  assertStatus(res, 200, 'sync');
  assert.deepEqual(res.body.conversations, [], `${what}: no conversation may have changed`);
}

test('accounts: malformed, incomplete and invalid registrations and logins are refused', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const post = (path, raw, headers) => api(server, 'POST', path, { raw, headers });
  const reg = (body) => api(server, 'POST', '/api/v1/register', { body });

  // Not JSON / not an object.
  for (const raw of ['{"username":', 'not json', '[1,2,3]', '"alice"', 'null', '42', '']) {
    assertError(await post('/api/v1/register', raw), 400, 'bad_request', `register with body ${JSON.stringify(raw)}`);
    assertError(await post('/api/v1/login', raw), 400, 'bad_request', `login with body ${JSON.stringify(raw)}`);
  }
  // Missing required fields.
  assertError(await reg({ display_name: 'X', password: 'long enough pw' }), 400, 'bad_request', 'register without username');
  assertError(await reg({ username: 'xavier', display_name: 'X' }), 400, 'bad_request', 'register without password');
  assertError(await api(server, 'POST', '/api/v1/login', { body: { username: 'alice' } }), 400, 'bad_request', 'login without password');
  // Known fields with the wrong JSON type.
  assertError(await reg({ username: 123, display_name: 'X', password: 'long enough pw' }), 400, 'bad_request', 'username as number');
  assertError(await reg({ username: 'xavier', display_name: 'X', password: true }), 400, 'bad_request', 'password as bool');
  assertError(await reg({ username: 'xavier', display_name: ['X'], password: 'long enough pw' }), 400, 'bad_request', 'display_name as array');
  assertError(await reg({ username: 'xavier', display_name: 'X', password: 'long enough pw', device_name: 7 }), 400, 'bad_request', 'device_name as number');
  assertError(await api(server, 'POST', '/api/v1/login', { body: { username: 'alice', password: 12345678 } }), 400, 'bad_request', 'login password as number');

  // Invalid values.
  const invalidUsernames = ['ab', 'a'.repeat(33), '1abc', '_abc', '.abc', 'al ice', 'al-ice', 'al@ice', 'élan', 'ali\u00dfe', ''];
  for (const username of invalidUsernames) {
    assertError(await reg({ username, display_name: 'X', password: 'long enough pw' }), 400, 'invalid_argument', `username ${JSON.stringify(username)}`);
  }
  assertError(await reg({ username: 'xavier', display_name: 'X', password: '1234567' }), 400, 'invalid_argument', 'password of 7 bytes');
  assertError(await reg({ username: 'xavier', display_name: 'X', password: 'p'.repeat(257) }), 400, 'invalid_argument', 'password of 257 bytes');
  assertError(await reg({ username: 'xavier', display_name: '', password: 'long enough pw' }), 400, 'invalid_argument', 'empty display name');
  assertError(await reg({ username: 'xavier', display_name: 'd'.repeat(65), password: 'long enough pw' }), 400, 'invalid_argument', 'display name of 65 characters');
  assertError(await reg({ username: 'xavier', display_name: 'bell\u0007', password: 'long enough pw' }), 400, 'invalid_argument', 'display name with a control character');
  assertError(await reg({ username: 'xavier', display_name: 'line\nbreak', password: 'long enough pw' }), 400, 'invalid_argument', 'display name with a newline');
  const nul = await reg({ username: 'xavier', display_name: 'nul\u0000byte', password: 'long enough pw' });
  assert.equal(nul.status, 400, `display name with NUL -> ${nul.status} ${nul.text}`);
  assert.ok(['invalid_utf8', 'invalid_argument'].includes(nul.body?.error?.code), `display name with NUL -> ${nul.text}`);
  assertError(await reg({ username: 'xavier', display_name: 'X', password: 'long enough pw', device_name: 'd'.repeat(65) }), 400, 'invalid_argument', 'device name of 65 characters');
  // Invalid UTF-8 in a text field (every route: utf8.test.mjs).
  const badUtf8 = Buffer.concat([Buffer.from('{"username":"xavier","password":"long enough pw","display_name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
  assertError(await post('/api/v1/register', badUtf8), 400, 'invalid_utf8', 'display name with invalid UTF-8');

  // Boundaries that are allowed (characters, not bytes, for display names).
  const ok = await reg({ username: 'A'.repeat(1) + 'b.c_9'.padEnd(31, 'x'), display_name: 'é'.repeat(64), password: 'p'.repeat(8), device_name: '' });
  assertStatus(ok, 201, 'username of 32 characters, 64-character display name, 8-byte password, empty device name');
  assert.equal(ok.body.user.username, `a${'b.c_9'.padEnd(31, 'x')}`);
  assertStatus(await reg({ username: 'abc', display_name: 'Abc', password: 'p'.repeat(256) }), 201, 'username of 3 characters, 256-byte password');

  // Taken, also in another case (usernames are stored lower-cased).
  assertError(await reg({ username: 'alice', display_name: 'Other', password: 'long enough pw' }), 409, 'username_taken', 'alice again');
  assertError(await reg({ username: 'ALICE', display_name: 'Other', password: 'long enough pw' }), 409, 'username_taken', 'ALICE');

  // Wrong password and unknown user look the same.
  const wrong = await api(server, 'POST', '/api/v1/login', { body: { username: 'alice', password: 'not her password' } });
  assertError(wrong, 401, 'invalid_credentials', 'wrong password');
  const unknown = await api(server, 'POST', '/api/v1/login', { body: { username: 'nobody', password: 'not her password' } });
  assertError(unknown, 401, 'invalid_credentials', 'unknown user');

  // Nothing was created by the refused requests; alice's password still works.
  assertError(await api(server, 'GET', '/api/v1/users/xavier', { token: alice.token }), 404, 'not_found', 'xavier must not exist');
  const sessions = await api(server, 'GET', '/api/v1/sessions', { token: alice.token });
  assert.equal(sessions.body.sessions.length, 1, 'failed logins create no session');
  const good = await api(server, 'POST', '/api/v1/login', { body: { username: 'alice', password: alice.password } });
  assertStatus(good, 200, 'alice can still log in');
});

test('HTTP: authentication, unknown routes, wrong methods and oversized bodies', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const before = await syncVersion(server, alice.token);

  // No token, unknown token, malformed header.
  const routes = [
    ['GET', '/api/v1/me'], ['GET', '/api/v1/conversations'], ['GET', `/api/v1/conversations/${ab.id}`],
    ['GET', `/api/v1/conversations/${ab.id}/messages`], ['GET', '/api/v1/sync?since=0'], ['GET', '/api/v1/sessions'],
    ['POST', '/api/v1/logout'], ['POST', '/api/v1/logout-others'], ['GET', '/api/v1/users/bob'],
  ];
  for (const [method, path] of routes) {
    assertError(await api(server, method, path), 401, 'unauthenticated', `${method} ${path} without a token`);
    assertError(await api(server, method, path, { token: 'A'.repeat(43) }), 401, 'unauthenticated', `${method} ${path} with an unknown token`);
  }
  assertError(await api(server, 'GET', '/api/v1/me', { headers: { authorization: alice.token } }), 401, 'unauthenticated', 'token without Bearer');
  assertError(await api(server, 'GET', '/api/v1/me', { headers: { authorization: `Basic ${alice.token}` } }), 401, 'unauthenticated', 'Basic scheme');
  assertError(await api(server, 'POST', `/api/v1/conversations/${ab.id}/messages`, { body: { client_id: 'u1', text: 'hi' } }), 401, 'unauthenticated', 'send without a token');
  assertError(await api(server, 'POST', `/api/v1/conversations/${ab.id}/receipts`, { body: { read_seq: 0 } }), 401, 'unauthenticated', 'receipt without a token');
  assertError(await api(server, 'POST', '/api/v1/conversations', { body: { peer_username: 'bob' } }), 401, 'unauthenticated', 'create conversation without a token');

  // Unknown routes and wrong methods.
  assertError(await api(server, 'GET', '/api/v1/nope', { token: alice.token }), 404, 'not_found', 'GET /api/v1/nope');
  assertError(await api(server, 'GET', '/api/v2/me', { token: alice.token }), 404, 'not_found', 'GET /api/v2/me');
  assertError(await api(server, 'GET', '/api/v1/register'), 405, 'method_not_allowed', 'GET /api/v1/register');
  assertError(await api(server, 'GET', '/api/v1/login'), 405, 'method_not_allowed', 'GET /api/v1/login');
  assertError(await api(server, 'DELETE', '/api/v1/me', { token: alice.token }), 405, 'method_not_allowed', 'DELETE /api/v1/me');
  assertError(await api(server, 'PUT', `/api/v1/conversations/${ab.id}/messages`, { token: alice.token, body: {} }), 405, 'method_not_allowed', 'PUT messages');

  // Bodies above 64 KiB: 413 payload_too_large, on public and authenticated routes.
  const big = JSON.stringify({ username: 'bigbody', display_name: 'Big', password: 'long enough pw', pad: 'x'.repeat(70 * KiB) });
  const r413 = await rawHttp(server, 'POST', '/api/v1/register', { headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(big) }, body: big });
  assert.equal(r413.status, 413, `register with a 70 KiB body -> ${r413.status} ${r413.text}`);
  assert.equal(r413.body?.error?.code, 'payload_too_large', r413.text);
  const bigSend = JSON.stringify({ client_id: 'big-1', text: 'x'.repeat(65 * KiB) });
  const s413 = await rawHttp(server, 'POST', `/api/v1/conversations/${ab.id}/messages`, {
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(bigSend), authorization: `Bearer ${alice.token}` },
    body: bigSend,
  });
  assert.equal(s413.status, 413, `send with a 65 KiB body -> ${s413.status} ${s413.text}`);
  assert.equal(s413.body?.error?.code, 'payload_too_large', s413.text);
  // Just under the limit is read (and unknown fields are ignored).
  const under = JSON.stringify({ client_id: 'under-1', text: 'fits', pad: 'y'.repeat(60 * KiB) });
  const r200 = await rawHttp(server, 'POST', `/api/v1/conversations/${ab.id}/messages`, {
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(under), authorization: `Bearer ${alice.token}` },
    body: under,
  });
  assert.equal(r200.status, 200, `send with a 60 KiB body -> ${r200.status} ${r200.text}`);
  assert.equal(r200.body.message.seq, 1);

  assertError(await api(server, 'GET', '/api/v1/users/bigbody', { token: alice.token }), 404, 'not_found', 'the oversized register created nothing');
  const hist = await fullHistory(server, bob.token, ab.id);
  assert.deepEqual(hist.map((m) => m.client_id), ['under-1']);
  const res = await api(server, 'GET', `/api/v1/sync?since=${before}`, { token: alice.token });
  assert.deepEqual(res.body.conversations.map((c) => c.last_seq), [1], 'only the accepted message changed anything');
  assertStatus(await api(server, 'GET', '/healthz'), 200, 'still healthy');
});

test('conversations and messages: bad values over HTTP and WebSocket get their codes and store nothing', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const carol = await register(server, 'carol');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const bc = (await openConversation(server, bob.token, 'carol')).conversation;
  const wa = await connect(t, server, alice.token);
  const wb = await connect(t, server, bob.token);
  const good = await wa.sendMessage(ab.id, cid('good'), 'the only message');
  await wb.event('message');
  const before = await syncVersion(server, alice.token);
  const beforeBob = await syncVersion(server, bob.token);

  // Creating conversations.
  const conv = (body) => api(server, 'POST', '/api/v1/conversations', { token: alice.token, body });
  assertError(await conv({}), 400, 'bad_request', 'no peer');
  assertError(await conv({ peer_id: String(bob.user.id) }), 400, 'bad_request', 'peer_id as string');
  assertError(await conv({ peer_username: 42 }), 400, 'bad_request', 'peer_username as number');
  assertError(await conv({ peer_username: 'nobody' }), 404, 'not_found', 'unknown peer');
  assertError(await conv({ peer_id: 987654 }), 404, 'not_found', 'unknown peer id');
  assertError(await conv({ peer_username: 'alice' }), 400, 'invalid_argument', 'talking to yourself');
  assertError(await conv({ peer_id: alice.user.id }), 400, 'invalid_argument', 'talking to yourself by id');
  assertError(await api(server, 'POST', '/api/v1/conversations', { token: alice.token, raw: '{"peer_username":"bob"' }), 400, 'bad_request', 'malformed JSON');

  // Reading conversations that are not yours or do not exist.
  for (const id of [bc.id, 987654]) {
    assertError(await api(server, 'GET', `/api/v1/conversations/${id}`, { token: alice.token }), 404, 'not_found', `GET conversation ${id}`);
    assertError(await api(server, 'GET', `/api/v1/conversations/${id}/messages`, { token: alice.token }), 404, 'not_found', `history of ${id}`);
    assertError(await api(server, 'POST', `/api/v1/conversations/${id}/messages`, { token: alice.token, body: { client_id: cid('nm'), text: 'let me in' } }), 404, 'not_found', `send to ${id}`);
    assertError(await api(server, 'POST', `/api/v1/conversations/${id}/receipts`, { token: alice.token, body: { read_seq: 1 } }), 404, 'not_found', `receipt in ${id}`);
    const frames = await Promise.all([
      wa.request({ type: 'send', conversation_id: id, client_id: cid('nm'), text: 'let me in' }),
      wa.request({ type: 'read', conversation_id: id, seq: 1 }),
      wa.request({ type: 'delivered', conversation_id: id, seq: 1 }),
      wa.request({ type: 'history', conversation_id: id }),
    ]);
    for (const f of frames) assertWsError(f, 'not_found', `ws request on conversation ${id}`);
  }

  // Sending: HTTP and WebSocket, the same codes.
  const path = `/api/v1/conversations/${ab.id}/messages`;
  const httpCases = [
    ['malformed JSON', { raw: '{"client_id":"x1","text":' }, 'bad_request'],
    ['array body', { raw: '[]' }, 'bad_request'],
    ['missing text', { body: { client_id: cid('m') } }, 'bad_request'],
    ['missing client_id', { body: { text: 'hi' } }, 'bad_request'],
    ['text as number', { body: { client_id: cid('m'), text: 5 } }, 'bad_request'],
    ['client_id as number', { body: { client_id: 5, text: 'hi' } }, 'bad_request'],
    ['text null', { body: { client_id: cid('m'), text: null } }, 'bad_request'],
  ];
  for (const [what, opts, code] of httpCases) {
    assertError(await api(server, 'POST', path, { token: alice.token, ...opts }), 400, code, `HTTP send: ${what}`);
  }
  const valueCases = [
    ['empty text', { client_id: cid('m'), text: '' }, 'message_too_long'],
    ['16,385 bytes', { client_id: cid('m'), text: 'x'.repeat(16385) }, 'message_too_long'],
    ['16,385 bytes of 2-byte characters', { client_id: cid('m'), text: `${'é'.repeat(8192)}x` }, 'message_too_long'],
    ['text with NUL', { client_id: cid('m'), text: 'a\u0000b' }, 'invalid_utf8'],
    ['empty client_id', { client_id: '', text: 'hi' }, 'invalid_argument'],
    ['65-character client_id', { client_id: 'c'.repeat(65), text: 'hi' }, 'invalid_argument'],
    ['client_id with a space', { client_id: 'has space', text: 'hi' }, 'invalid_argument'],
    ['client_id with a dot', { client_id: 'a.b', text: 'hi' }, 'invalid_argument'],
    ['client_id with a non-ASCII letter', { client_id: 'caf\u00e9', text: 'hi' }, 'invalid_argument'],
  ];
  for (const [what, body, code] of valueCases) {
    assertError(await api(server, 'POST', path, { token: alice.token, body }), 400, code, `HTTP send: ${what}`);
    assertWsError(await wa.request({ type: 'send', conversation_id: ab.id, ...body }), code, `WS send: ${what}`);
  }
  const rawBad = Buffer.concat([Buffer.from('{"client_id":"utf8-bad","text":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
  const rawBadRes = await api(server, 'POST', path, { token: alice.token, raw: rawBad });
  assert.equal(rawBadRes.status, 400, `HTTP send with invalid UTF-8 bytes -> ${rawBadRes.text}`);
  assert.ok(['invalid_utf8', 'bad_request'].includes(rawBadRes.body?.error?.code), `invalid UTF-8 bytes -> ${rawBadRes.text}`);
  const surrogate = await api(server, 'POST', path, { token: alice.token, raw: '{"client_id":"surrogate-1","text":"\\ud800"}' });
  assert.equal(surrogate.status, 400, `lone surrogate -> ${surrogate.text}`);
  assert.ok(['invalid_utf8', 'bad_request'].includes(surrogate.body?.error?.code), `lone surrogate -> ${surrogate.text}`);

  // WebSocket frame-level errors: answered with an error frame, the connection stays open.
  const wsTypeCases = [
    ['unknown type', { type: 'dance' }],
    ['missing type', { conversation_id: ab.id }],
    ['type as number', { type: 7 }],
    ['send without text', { type: 'send', conversation_id: ab.id, client_id: cid('m') }],
    ['send without client_id', { type: 'send', conversation_id: ab.id, text: 'hi' }],
    ['send without conversation_id', { type: 'send', client_id: cid('m'), text: 'hi' }],
    ['conversation_id as string', { type: 'send', conversation_id: String(ab.id), client_id: cid('m'), text: 'hi' }],
    ['text as object', { type: 'send', conversation_id: ab.id, client_id: cid('m'), text: { a: 1 } }],
    ['read without seq', { type: 'read', conversation_id: ab.id }],
    ['seq as string', { type: 'read', conversation_id: ab.id, seq: '1' }],
    ['sync since as string', { type: 'sync', since: '0' }],
    ['history limit as string', { type: 'history', conversation_id: ab.id, limit: '5' }],
  ];
  for (const [what, frame] of wsTypeCases) {
    assertWsError(await wa.request(frame), 'bad_request', `WS ${what}`);
  }
  // Frames that are not JSON objects cannot carry an id: the error comes without one.
  for (const raw of ['this is not json', '[1,2]', '"text"', '{"type":"send",']) {
    wa.send(raw);
    // No id to echo: the error carries none (absent or null).
    const err = await wa.next((f) => f.type === 'error' && (f.id === undefined || f.id === null), T(5000), `error for ${raw}`);
    assert.equal(err.code, 'bad_request', `WS frame ${raw}: ${JSON.stringify(err)}`);
  }
  assert.ok(wa.isOpen, 'bad frames leave the connection open');

  // Receipts beyond last_seq or below 1.
  for (const [type, seq] of [['read', 2], ['delivered', 2], ['read', 0], ['delivered', -1], ['read', 1000]]) {
    assertWsError(await wb.request({ type, conversation_id: ab.id, seq }), 'invalid_argument', `${type} seq=${seq}`);
  }
  for (const body of [{ read_seq: 2 }, { delivered_seq: 2 }, { read_seq: 0 }]) {
    assertError(await api(server, 'POST', `/api/v1/conversations/${ab.id}/receipts`, { token: bob.token, body }), 400, 'invalid_argument', `receipt ${JSON.stringify(body)}`);
  }
  assertError(await api(server, 'POST', `/api/v1/conversations/${ab.id}/receipts`, { token: bob.token, body: { read_seq: '1' } }), 400, 'bad_request', 'read_seq as string');

  // Bad history parameters.
  for (const q of ['limit=0', 'limit=201', 'limit=abc', 'after=1&before=1']) {
    const res = await api(server, 'GET', `/api/v1/conversations/${ab.id}/messages?${q}`, { token: bob.token });
    assert.equal(res.status, 400, `history ?${q} -> ${res.status} ${res.text}`);
  }

  // A receipt with one good and one bad watermark is refused as a whole.
  assertError(await api(server, 'POST', `/api/v1/conversations/${ab.id}/receipts`, { token: bob.token, body: { delivered_seq: 1, read_seq: 5 } }), 400, 'invalid_argument', 'receipt with read_seq beyond last_seq');

  // Nothing changed: one message, no receipt moved, nobody got an event, and the server still works.
  assert.deepEqual(await fullHistory(server, bob.token, ab.id), [good.message]);
  assert.deepEqual(await fullHistory(server, bob.token, bc.id), []);
  await assertNoChangeSince(server, alice.token, before, 'alice after bad input');
  await assertNoChangeSince(server, bob.token, beforeBob, 'bob after bad input');
  assert.equal(wb.received((f) => f.type === 'message').length, 1, 'bob got only the good message');
  assert.equal(wb.received((f) => f.type === 'receipt').length, 0, 'no receipt moved');
  const list = await api(server, 'GET', '/api/v1/conversations', { token: carol.token });
  assert.deepEqual(list.body.conversations.map((c) => c.last_seq), [0]);
  const after = await wa.sendMessage(ab.id, cid('good'), 'still working');
  assert.equal(after.message.seq, 2, 'no seq was used by refused messages');
  // A client_id used by a refused send is still free: the failure stored nothing.
  for (const [what, frame] of [
    ['too long', { conversation_id: ab.id, client_id: 'refused-1', text: 'x'.repeat(16385) }],
    ['not a member', { conversation_id: bc.id, client_id: 'refused-2', text: 'let me in' }],
    ['no such conversation', { conversation_id: 987654, client_id: 'refused-3', text: 'anyone?' }],
  ]) {
    assert.equal((await wa.request({ type: 'send', ...frame })).type, 'error', what);
    const ok = await wa.sendMessage(ab.id, frame.client_id, `now valid (${what})`);
    assert.equal(ok.duplicate, false, `client_id of a refused send (${what}) must not count as used`);
    assert.equal(ok.message.text, `now valid (${what})`);
  }
  assert.equal((await wa.request({ type: 'ping' })).type, 'pong');
  // Exactly 16,384 bytes is allowed, and a 64-character client_id.
  const max = await wa.sendMessage(ab.id, 'k'.repeat(64), 'é'.repeat(8192));
  assert.equal(max.message.seq, 6);
  assert.equal(Buffer.byteLength(max.message.text), 16384);
});

test('WebSocket: authentication rules, Origin check and frame-level close codes', async (t) => {
  const server = await startServer(t, { args: ['--allowed-origins', 'https://chat.example.com'] });
  const alice = await register(server, 'alice');
  await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;

  // Opened now, never authenticated: must be closed with 4002 about 10 s after the upgrade.
  // The other checks run meanwhile (as subtests, so that one failure does not hide the rest).
  const silentStart = Date.now();
  const silent = await openSocket(server);
  t.after(() => silent.terminate());

  await t.test('a first frame other than auth gets unauthenticated and close 4001', async () => {
    for (const frame of [
      { type: 'send', id: 's1', conversation_id: ab.id, client_id: 'pre-auth', text: 'sneaky' },
      { type: 'ping', id: 'p' },
      { type: 'sync', id: 'y', since: 0 },
    ]) {
      const ws = await openSocket(server);
      ws.send(frame);
      const err = await ws.next((f) => f.type === 'error', T(5000), 'error');
      assert.equal(err.code, 'unauthenticated', `first frame ${JSON.stringify(frame)}: ${JSON.stringify(err)}`);
      assert.equal((await ws.waitClose()).code, 4001);
      assert.equal(ws.received((f) => f.type === 'ready' || f.type === 'ack').length, 0);
    }
  });

  await t.test('a first frame that is not JSON closes with 4001', async () => {
    const raws = ['not json at all', '[1,2]', '{"type":"auth"'];
    const results = await Promise.all(raws.map(async (raw) => {
      const ws = await openSocket(server);
      ws.send(raw);
      const closed = await ws.waitClose(T(3000)).catch((err) => ({ code: `still open (${err.message}); frames: ${JSON.stringify(ws.frames)}` }));
      ws.terminate();
      return closed.code;
    }));
    assert.deepEqual(results, raws.map(() => 4001), `close codes for first frames ${JSON.stringify(raws)} before auth`);
  });

  await t.test('a wrong token gets an unauthenticated error and close 4001', async () => {
    for (const token of ['wrong', 'Z'.repeat(43), '', 12345]) {
      const ws = await openSocket(server);
      ws.send({ type: 'auth', token });
      const first = await ws.next(() => true, T(5000), 'answer to a bad auth');
      assert.equal(first.type, 'error', `auth with ${JSON.stringify(token)}: ${JSON.stringify(first)}`);
      assert.equal(first.code, 'unauthenticated', `auth with ${JSON.stringify(token)}: ${JSON.stringify(first)}`);
      assert.equal((await ws.waitClose()).code, 4001);
      assert.equal(ws.received((f) => f.type === 'ready').length, 0);
    }
  });

  await t.test('a foreign Origin is refused with 403 forbidden; own, configured and absent origins work', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${server.port + 1}`, 'https://chat.example.com.evil.example', 'null']) {
      await assert.rejects(openSocket(server, { origin }), (err) => {
        assert.equal(err.statusCode, 403, `Origin ${origin}: ${err.message}`);
        assert.equal(err.json?.error?.code, 'forbidden', `Origin ${origin}: body ${err.body}`);
        return true;
      });
    }
    for (const origin of [`http://127.0.0.1:${server.port}`, 'https://chat.example.com', undefined]) {
      const ws = await connect(t, server, alice.token, { origin });
      assert.equal(ws.ready.user.id, alice.user.id, `Origin ${origin}`);
      ws.close();
    }
  });

  await t.test('a frame of exactly 64 KiB is read; one byte more closes with 1009', async () => {
    const ws = await connect(t, server, alice.token);
    // The unknown field is ignored.
    const base = JSON.stringify({ type: 'ping', id: 'big', pad: '' });
    const frame = JSON.stringify({ type: 'ping', id: 'big', pad: 'p'.repeat(64 * KiB - base.length) });
    assert.equal(Buffer.byteLength(frame), 64 * KiB);
    ws.send(frame);
    const pong = await ws.next((f) => f.id === 'big', T(5000), 'answer to a 64 KiB frame');
    assert.equal(pong.type, 'pong');
    const tooBig = JSON.stringify({ type: 'ping', id: 'bi2', pad: 'p'.repeat(64 * KiB - base.length + 1) });
    assert.equal(Buffer.byteLength(tooBig), 64 * KiB + 1);
    ws.send(tooBig);
    assert.equal((await ws.waitClose()).code, 1009);
    // Before authentication too.
    const pre = await openSocket(server);
    pre.send(JSON.stringify({ type: 'auth', token: 'x'.repeat(65 * KiB) }));
    assert.equal((await pre.waitClose()).code, 1009);
  });

  await t.test('frames of 200 KB, 1 MB and 10 MB are read to their end and close with 1009', async () => {
    // Closing while the client still sends would reset the TCP connection and lose the close
    // frame (the client would see 1006): the server reads the frame and discards it first.
    for (const size of [200 * 1000, 1000 * 1000, 10 * 1000 * 1000]) {
      const ws = await connect(t, server, alice.token);
      ws.send(JSON.stringify({ type: 'ping', id: 'huge', pad: 'h'.repeat(size) }));
      const closed = await ws.waitClose(T(30000));
      assert.equal(closed.code, 1009, `a frame of ${size} bytes closed with ${closed.code}`);
      assert.equal(ws.received((f) => f.id === 'huge').length, 0, 'the oversized frame is not answered');
    }
  });

  await t.test('a binary frame closes with 1003', async () => {
    const ws = await connect(t, server, alice.token);
    ws.send(Buffer.from(JSON.stringify({ type: 'ping', id: 'bin' })), { binary: true });
    assert.equal((await ws.waitClose()).code, 1003);
  });

  await t.test('a text frame that is not UTF-8 closes with 1007', async () => {
    const ws = await connect(t, server, alice.token);
    const invalid = Buffer.concat([Buffer.from(`{"type":"send","id":"u","conversation_id":${ab.id},"client_id":"u8","text":"`), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
    ws.send(invalid, { binary: false });
    assert.equal((await ws.waitClose()).code, 1007);
  });

  await t.test('no auth frame within 10 s closes with 4002', async () => {
    const closed = await silent.waitClose(T(15000));
    const elapsed = Date.now() - silentStart;
    assert.equal(closed.code, 4002, `silent connection closed with ${closed.code}`);
    assert.ok(elapsed >= 9500 && elapsed <= T(13000), `closed after ${elapsed} ms; the limit is 10 s`);
  });

  // Nothing was stored by any of this, and the server still serves.
  assert.deepEqual(await fullHistory(server, alice.token, ab.id), []);
  const ws = await connect(t, server, alice.token);
  assert.equal((await ws.sendMessage(ab.id, cid('ok'), 'fine')).message.seq, 1);
});

test('registration and login are rate-limited per address with 429 and Retry-After', async (t) => {
  const server = await startServer(t, { args: ['--rate-register-per-min', '3', '--rate-login-per-min', '3'] });
  const users = [];
  for (const name of ['alice', 'bob', 'carol']) users.push(await register(server, name));
  const fourth = await api(server, 'POST', '/api/v1/register', { body: { username: 'dave', display_name: 'Dave', password: 'long enough pw' } });
  assertError(fourth, 429, 'rate_limited', '4th register within a minute');
  const retry = fourth.headers.get('retry-after');
  assert.ok(retry !== null, 'a 429 carries Retry-After');
  assert.match(retry, /^\d+$/, `Retry-After is in seconds: ${retry}`);
  assert.ok(Number(retry) >= 1 && Number(retry) <= 60, `Retry-After ${retry}`);
  assertError(await api(server, 'GET', '/api/v1/users/dave', { token: users[0].token }), 404, 'not_found', 'the limited registration created nothing');

  for (let i = 0; i < 3; i++) {
    assertStatus(await api(server, 'POST', '/api/v1/login', { body: { username: 'alice', password: users[0].password } }), 200, `login ${i + 1}`);
  }
  const limited = await api(server, 'POST', '/api/v1/login', { body: { username: 'alice', password: users[0].password } });
  assertError(limited, 429, 'rate_limited', '4th login within a minute');
  assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/);
  const sessions = await api(server, 'GET', '/api/v1/sessions', { token: users[0].token });
  assert.equal(sessions.body.sessions.length, 4, 'the limited login created no session');
  // Other routes are not affected.
  assertStatus(await api(server, 'GET', '/api/v1/me', { token: users[1].token }), 200);
});

test('sends are rate-limited per user across devices with retry_after_ms', async (t) => {
  const server = await startServer(t, { args: ['--rate-send-per-sec', '1', '--rate-send-burst', '2'] });
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const d1 = await connect(t, server, alice.token);
  const phone = await api(server, 'POST', '/api/v1/login', { body: { username: 'alice', password: alice.password } });
  const d2 = await connect(t, server, phone.body.token);

  assert.equal((await d1.sendMessage(ab.id, cid('a'), 'one')).message.seq, 1);
  assert.equal((await d2.sendMessage(ab.id, cid('a'), 'two')).message.seq, 2);
  const X = cid('a');
  const err = await d1.request({ type: 'send', conversation_id: ab.id, client_id: X, text: 'three' });
  assertWsError(err, 'rate_limited', 'third send in a burst of 2');
  assert.ok(Number.isInteger(err.retry_after_ms) && err.retry_after_ms > 0 && err.retry_after_ms <= 1000, `retry_after_ms ${err.retry_after_ms}`);
  // The other device shares the bucket; so does HTTP.
  assertWsError(await d2.request({ type: 'send', conversation_id: ab.id, client_id: cid('a'), text: 'three b' }), 'rate_limited', 'other device');
  const viaHttp = await api(server, 'POST', `/api/v1/conversations/${ab.id}/messages`, { token: alice.token, body: { client_id: cid('a'), text: 'three c' } });
  assertError(viaHttp, 429, 'rate_limited', 'HTTP send over the limit');
  assert.match(viaHttp.headers.get('retry-after') ?? '', /^\d+$/, 'HTTP 429 carries Retry-After');
  // Bob has his own bucket.
  const wb = await connect(t, server, bob.token);
  assert.equal((await wb.sendMessage(ab.id, cid('b'), 'bob is fine')).message.seq, 3);
  assert.ok(d1.isOpen, 'rate limiting keeps the connection open');

  // After waiting as told, the same client_id goes through (the refused attempt stored nothing).
  await sleep(err.retry_after_ms + 50);
  const retried = await d1.sendMessage(ab.id, X, 'three');
  assert.equal(retried.duplicate, false);
  assert.equal(retried.message.seq, 4);
  const hist = await fullHistory(server, bob.token, ab.id);
  assert.deepEqual(hist.map((m) => m.text), ['one', 'two', 'bob is fine', 'three']);
});

test('a burst of 1,000 requests on one connection: each is answered, served or rate_limited with retry_after_ms', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const wa = await connect(t, server, alice.token);
  for (let i = 0; i < 5; i++) await wa.sendMessage(ab.id, cid('a'), `m${i}`);

  // 1,000 requests written at once. Whether more than 256 are ever unanswered at the same time
  // depends on the server's speed, so any refusal must be rate_limited (the in-flight limit), and
  // the first 256 can never be refused.
  const N = 1000;
  const answers = Array.from({ length: N }, (_, i) =>
    (i % 2 === 0
      ? wa.request({ type: 'history', id: `h${i}`, conversation_id: ab.id, limit: 200 }, T(20000))
      : wa.request({ type: 'sync', id: `h${i}`, since: 0 }, T(20000))));
  const got = await Promise.all(answers);
  const limited = got.filter((a) => a.type === 'error');
  for (const e of limited) {
    assertWsError(e, 'rate_limited', `answer ${e.id}`);
    assert.ok(Number.isInteger(e.retry_after_ms) && e.retry_after_ms >= 0, `retry_after_ms in ${JSON.stringify(e)}`);
  }
  const served = got.filter((a) => a.type !== 'error');
  for (const a of served) assert.ok(a.type === 'history' || a.type === 'sync', JSON.stringify(a).slice(0, 200));
  assert.ok(served.length >= 256, `at least 256 of them were served (${served.length})`);
  for (const e of limited) assert.ok(Number(e.id.slice(1)) >= 256, `request ${e.id} refused while fewer than 256 were in flight`);
  t.diagnostic(`${served.length} served, ${limited.length} rate_limited`);
  assert.ok(wa.isOpen, 'the connection stays open');
  assert.equal((await wa.sendMessage(ab.id, cid('a'), 'after')).message.seq, 6);
});

test('the web client is served outside /api/: files, index.html for client routes, nothing outside the web root', async (t) => {
  const webRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-web-'));
  t.after(() => fs.rmSync(webRoot, { recursive: true, force: true }));
  fs.mkdirSync(path.join(webRoot, 'assets'));
  fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>Parley</title><p>INDEX-MARKER</p>');
  fs.writeFileSync(path.join(webRoot, 'assets', 'app.js'), 'console.log("APP-MARKER");');
  // A secret next to the web root that must never be served.
  const secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-secret-'));
  t.after(() => fs.rmSync(secretDir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(secretDir, 'secret.txt'), 'SECRET-MARKER');
  const rel = path.relative(webRoot, path.join(secretDir, 'secret.txt'));

  const server = await startServer(t, { args: ['--web-root', webRoot] });
  const alice = await register(server, 'alice');
  const get = (p) => rawHttp(server, 'GET', p);

  let r = await get('/');
  assert.equal(r.status, 200);
  assert.ok(r.text.includes('INDEX-MARKER'));
  r = await get('/assets/app.js');
  assert.equal(r.status, 200);
  assert.ok(r.text.includes('APP-MARKER'));
  // Client-side routes get index.html.
  for (const route of ['/chats/42', '/settings', '/c/7/info']) {
    r = await get(route);
    assert.equal(r.status, 200, `${route} -> ${r.status}`);
    assert.ok(r.text.includes('INDEX-MARKER'), `${route} serves index.html`);
  }
  // Escapes from the web root, raw and encoded.
  for (const p of [`/${rel}`, `/assets/${rel}`, `/${rel.split('/').map(encodeURIComponent).join('/')}`,
    `/${rel.replaceAll('..', '%2e%2e')}`, `/assets/${rel.replaceAll('/', '%2f')}`, `/${rel.replaceAll('/', '%5c')}`]) {
    r = await get(p);
    assert.ok(!r.text.includes('SECRET-MARKER'), `GET ${p} served a file outside the web root`);
  }
  // /api/ stays the API: unknown routes are JSON not_found, not the web client.
  const unknown = await api(server, 'GET', '/api/v1/does-not-exist', { token: alice.token });
  assertError(unknown, 404, 'not_found', 'unknown API route');
});
