// A client written from docs/protocol.md alone: every request below is built from the
// document's text (routes, fields, limits, error codes), and every answer is held to what the
// document says, literally. Each test collects all mismatches it finds and reports them
// together, so one run shows every place where the document and the server disagree.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { rawRequest } from './lib/raw.mjs';
import { api, connect, openSocket, rawHttp, sleep, T } from './lib/client.mjs';

// ---------------------------------------------------------------------------------------------
// A small checker: every expectation is recorded; the test fails at the end with all of them.

function checker() {
  const problems = [];
  const c = {
    problems,
    ok(cond, what) { if (!cond) problems.push(what); return cond; },
    /** An HTTP answer with the documented status and, for errors, {"error": {"code", "message"}}. */
    http(res, status, code, what) {
      const got = `${res.status} ${res.text.slice(0, 200)}`;
      if (res.status !== status) { problems.push(`${what}: expected ${status}${code ? ` ${code}` : ''}, got ${got}`); return false; }
      if (code) {
        const e = res.body?.error;
        if (!e || e.code !== code || typeof e.message !== 'string') { problems.push(`${what}: expected error ${code}, got ${got}`); return false; }
      }
      return true;
    },
    /** A WebSocket error frame with the documented code, the request's id, and a message. */
    ws(frame, code, id, what) {
      const got = JSON.stringify(frame).slice(0, 200);
      if (frame?.type !== 'error' || frame.code !== code || typeof frame.message !== 'string') {
        problems.push(`${what}: expected error ${code}, got ${got}`); return false;
      }
      if (!('id' in frame) || frame.id !== id) { problems.push(`${what}: error must carry id ${JSON.stringify(id)}, got ${got}`); return false; }
      return true;
    },
    wsType(frame, type, what) {
      if (frame?.type !== type) { problems.push(`${what}: expected ${type}, got ${JSON.stringify(frame).slice(0, 200)}`); return false; }
      return true;
    },
    done() { assert.deepEqual(problems, [], `mismatches with docs/protocol.md:\n${problems.join('\n')}`); },
  };
  return c;
}

const J = (body) => ({ body });
let n = 0;
const clientId = (p = 'd') => `${p}-${process.pid}-${(n += 1)}`;

async function reg(server, username, extra = {}) {
  const res = await api(server, 'POST', '/api/v1/register', J({ username, display_name: username, password: `pw-${username}-secret`, ...extra }));
  assert.equal(res.status, 201, `register ${username}: ${res.status} ${res.text}`);
  return res.body;
}

/** The direct conversation `a` starts with bob (registered by the caller). */
async function chatWithBob(server, a) {
  return (await api(server, 'POST', '/api/v1/conversations', { token: a.token, body: { peer_username: 'bob' } })).body.conversation;
}

/** A fresh server with alice and bob, their direct chat, and alice connected. */
async function aliceAndBob(t) {
  const server = await startServer(t);
  const a = await reg(server, 'alice');
  const b = await reg(server, 'bob');
  const conv = await chatWithBob(server, a);
  const ws = await connect(t, server, a.token);
  return { server, c: checker(), a, b, conv, ws };
}

/** A frame with a fresh id; resolves with the frame answering it. */
async function ask(ws, frame, timeoutMs = T(10000)) {
  return ws.request(frame, timeoutMs);
}

// ---------------------------------------------------------------------------------------------

test('accounts: register and login fields at their documented limits', async (t) => {
  const server = await startServer(t);
  const c = checker();
  const R = (body, opts = {}) => api(server, 'POST', '/api/v1/register', { body, ...opts });
  const base = (u) => ({ username: u, display_name: 'X', password: 'pw-long-enough-1' });

  // 201 body: user, token (43 characters), session_id, expires_at.
  const ok = await R({ ...base('Abc'), device_name: '' });
  if (c.http(ok, 201, null, 'register "Abc"')) {
    c.ok(ok.body.user?.username === 'abc', `username is stored lower-cased: ${ok.text}`);
    c.ok(typeof ok.body.token === 'string' && ok.body.token.length === 43, `token of 43 characters: ${ok.text}`);
    c.ok(Number.isInteger(ok.body.session_id) && ok.body.session_id > 0, `session_id: ${ok.text}`);
    c.ok(Number.isInteger(ok.body.expires_at) && ok.body.expires_at > Date.now(), `expires_at: ${ok.text}`);
  }
  // username: 3 to 32 of a-z 0-9 _ . starting with a letter.
  c.http(await R(base('ab')), 400, 'invalid_argument', 'username of 2');
  c.http(await R(base(`a${'b'.repeat(31)}`)), 201, null, 'username of 32');
  c.http(await R(base(`a${'b'.repeat(32)}`)), 400, 'invalid_argument', 'username of 33');
  c.http(await R(base('1abc')), 400, 'invalid_argument', 'username starting with a digit');
  c.http(await R(base('_abc')), 400, 'invalid_argument', 'username starting with _');
  c.http(await R(base('a.b_c9')), 201, null, 'username with . _ digits');
  c.http(await R(base('ab-c')), 400, 'invalid_argument', 'username with -');
  c.http(await R(base('abé')), 400, 'invalid_argument', 'username with é');
  c.http(await R(base('ABC')), 409, 'username_taken', 'username taken ignoring case');
  // password: 8 to 256 bytes.
  c.http(await R({ ...base('pw7'), password: 'x7$k2Lq' }), 400, 'invalid_argument', 'password of 7 bytes');
  c.http(await R({ ...base('pw8'), password: 'x7$k2Lqz' }), 201, null, 'password of 8 bytes');
  c.http(await R({ ...base('pw256'), password: `Zq9${'k'.repeat(253)}` }), 201, null, 'password of 256 bytes');
  c.http(await R({ ...base('pw257'), password: `Zq9${'k'.repeat(254)}` }), 400, 'invalid_argument', 'password of 257 bytes');
  c.http(await R({ ...base('pwws'), password: '          ' }), 400, 'weak_password', 'password of spaces');
  c.http(await R({ ...base('samepw'), password: 'SAMEPW' + '' }), 400, 'invalid_argument', 'password of 6 (too short first)');
  c.http(await R({ ...base('samepassword'), password: 'SamePassword' }), 400, 'weak_password', 'password = username');
  // display name: 1 to 64 characters (characters, not bytes).
  c.http(await R({ ...base('dn0'), display_name: '' }), 400, 'invalid_argument', 'display name empty');
  c.http(await R({ ...base('dn64'), display_name: 'é'.repeat(64) }), 201, null, 'display name of 64 characters (128 bytes)');
  c.http(await R({ ...base('dn65'), display_name: 'é'.repeat(65) }), 400, 'invalid_argument', 'display name of 65 characters');
  c.http(await R({ ...base('dnrlo'), display_name: 'Bob\u202Egnp.exe' }), 400, 'invalid_argument', 'display name with U+202E');
  c.http(await R({ ...base('dnsp'), display_name: '   ' }), 400, 'invalid_argument', 'display name of spaces only');
  c.http(await R({ ...base('dnnb'), display_name: '\u00A0\u3000' }), 400, 'invalid_argument', 'display name of no-break and ideographic spaces');
  c.http(await R({ ...base('dnsp2'), display_name: ' Al ' }), 201, null, 'spaces around a display name are kept');
  // characters are code points: 👨‍👩‍👧 is 5.
  c.http(await R({ ...base('dnfam'), display_name: '👨‍👩‍👧'.repeat(12) + 'xxxx' }), 201, null, 'display name of 64 code points');
  c.http(await R({ ...base('dnfam2'), display_name: '👨‍👩‍👧'.repeat(13) }), 400, 'invalid_argument', 'display name of 65 code points (13 emoji sequences)');
  c.http(await R({ ...base('dnnul'), display_name: 'a\u0000b' }), 400, 'invalid_utf8', 'display name with NUL');
  // device name: 0 to 64 characters.
  c.http(await R({ ...base('dev64'), device_name: 'd'.repeat(64) }), 201, null, 'device name of 64');
  c.http(await R({ ...base('dev65'), device_name: 'd'.repeat(65) }), 400, 'invalid_argument', 'device name of 65');
  // wrong types, missing fields, unknown fields.
  c.http(await R({ ...base('typ1'), username: 5 }), 400, 'bad_request', 'username a number');
  c.http(await R({ ...base('typ2'), password: ['x'] }), 400, 'bad_request', 'password an array');
  c.http(await R({ ...base('typ3'), display_name: null }), 400, 'bad_request', 'display_name null');
  c.http(await R({ ...base('typ4'), device_name: 7 }), 400, 'bad_request', 'device_name a number');
  c.http(await R({ username: 'miss1', password: 'pw-long-enough-1' }), 400, 'bad_request', 'display_name missing');
  c.http(await R({ username: 'miss2', display_name: 'X' }), 400, 'bad_request', 'password missing');
  c.http(await R({ ...base('unk1'), favourite_colour: 'blue', nested: { a: [1, 2] } }), 201, null, 'unknown fields are ignored');
  // bodies that are not a JSON object.
  for (const raw of ['', 'nope', '[]', '"x"', '42', 'null', '{"username": "a"', '{"username":"dup1","username":5}']) {
    const res = await api(server, 'POST', '/api/v1/register', { raw });
    c.ok(res.status === 400 && ['bad_request'].includes(res.body?.error?.code), `register body ${JSON.stringify(raw)}: expected 400 bad_request, got ${res.status} ${res.text}`);
  }
  // Content-Type: any case, parameters allowed; another type or none is 415.
  c.http(await api(server, 'POST', '/api/v1/register', { raw: JSON.stringify(base('ct1')), headers: { 'content-type': 'APPLICATION/JSON; charset=UTF-8' } }), 201, null, 'Content-Type in capitals with charset');
  c.http(await api(server, 'POST', '/api/v1/register', { raw: JSON.stringify(base('ct2')), headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_content_type', 'Content-Type text/plain');
  c.http(await rawHttp(server, 'POST', '/api/v1/register', { body: JSON.stringify(base('ct3')) }), 415, 'unsupported_content_type', 'no Content-Type');
  // the method first for register/login.
  c.http(await api(server, 'PUT', '/api/v1/register', J(base('m1'))), 405, 'method_not_allowed', 'PUT register');
  c.http(await api(server, 'GET', '/api/v1/login'), 405, 'method_not_allowed', 'GET login');

  // login
  const L = (body) => api(server, 'POST', '/api/v1/login', { body });
  const lg = await L({ username: 'ABC', password: 'pw-long-enough-1', device_name: 'Phone' });
  if (c.http(lg, 200, null, 'login with the username in capitals')) {
    c.ok(lg.body.user?.username === 'abc' && lg.body.token?.length === 43, `login body as register's: ${lg.text}`);
  }
  c.http(await L({ username: 'abc', password: 'wrong-password' }), 401, 'invalid_credentials', 'wrong password');
  c.http(await L({ username: 'nobody', password: 'wrong-password' }), 401, 'invalid_credentials', 'unknown user');
  c.http(await L({ username: 'abc', password: 'pw-long-enough-1', device_name: 'd'.repeat(65) }), 400, 'invalid_argument', 'login device name of 65');
  c.http(await L({ username: 'abc' }), 400, 'bad_request', 'login without password');
  c.http(await L({ username: 'abc', password: 12345678 }), 400, 'bad_request', 'login password a number');
  c.done();
});

test('authentication, routing and the operational endpoints', async (t) => {
  const server = await startServer(t);
  const c = checker();
  const a = await reg(server, 'alice');
  const tok = a.token;

  // tokens
  c.http(await api(server, 'GET', '/api/v1/me'), 401, 'unauthenticated', 'no token');
  c.http(await api(server, 'GET', '/api/v1/me', { headers: { authorization: `Bearer ${tok}x` } }), 401, 'unauthenticated', 'unknown token');
  c.http(await api(server, 'GET', '/api/v1/me', { headers: { authorization: tok } }), 401, 'unauthenticated', 'token without Bearer');
  const me = await api(server, 'GET', '/api/v1/me', { token: tok });
  c.ok(me.status === 200 && me.body?.user?.id === a.user.id, `GET /me: ${me.status} ${me.text}`);
  // 405 for a known path with another method; 404 for an unknown path (with a token).
  c.http(await api(server, 'PUT', '/api/v1/me', { token: tok, body: {} }), 405, 'method_not_allowed', 'PUT /me');
  c.http(await api(server, 'GET', '/api/v1/nope', { token: tok }), 404, 'not_found', 'unknown route');
  c.http(await api(server, 'POST', '/api/v1/sync', { token: tok, body: {} }), 405, 'method_not_allowed', 'POST /sync');
  // ids in paths that are not positive integers are not_found.
  for (const id of ['0', '-1', 'abc', '1.5', '9007199254740992', '99999999999999999999999', '1e3', '%20']) {
    c.http(await api(server, 'GET', `/api/v1/conversations/${id}`, { token: tok }), 404, 'not_found', `conversation id ${id}`);
    c.http(await api(server, 'DELETE', `/api/v1/sessions/${id}`, { token: tok }), 404, 'not_found', `session id ${id}`);
  }
  c.http(await api(server, 'GET', '/api/v1/users/nobody', { token: tok }), 404, 'not_found', 'unknown username');
  const u = await api(server, 'GET', '/api/v1/users/ALICE', { token: tok });
  c.ok(u.status === 200 && u.body?.user?.id === a.user.id, `GET /users/ALICE finds alice (usernames are lower-cased): ${u.status} ${u.text}`);

  // sessions
  const s = await api(server, 'GET', '/api/v1/sessions', { token: tok });
  c.ok(s.status === 200 && Array.isArray(s.body?.sessions) && s.body.sessions.length === 1 && s.body.sessions[0].current === true
    && s.body.sessions[0].id === a.session_id && typeof s.body.sessions[0].device_name === 'string'
    && Number.isInteger(s.body.sessions[0].created_at) && Number.isInteger(s.body.sessions[0].expires_at), `sessions: ${s.text}`);
  const other = await api(server, 'POST', '/api/v1/login', J({ username: 'alice', password: 'pw-alice-secret' }));
  const lo = await api(server, 'POST', '/api/v1/logout-others', { token: tok, body: {} });
  c.ok(lo.status === 200 && lo.body?.revoked === 1, `logout-others answers {"revoked": 1}: ${lo.text}`);
  c.http(await api(server, 'GET', '/api/v1/me', { token: other.body.token }), 401, 'unauthenticated', 'a revoked token');
  c.http(await api(server, 'DELETE', `/api/v1/sessions/${other.body.session_id}`, { token: tok }), 404, 'not_found', 'deleting a session no longer live');
  // logout without a body (it has none to give).
  const third = await api(server, 'POST', '/api/v1/login', J({ username: 'alice', password: 'pw-alice-secret' }));
  const out = await rawHttp(server, 'POST', '/api/v1/logout', { headers: { authorization: `Bearer ${third.body.token}` } });
  c.ok(out.status === 200 && out.text.trim() === '{}', `logout without a body: 200 {}: ${out.status} ${out.text}`);

  // operational endpoints
  const h = await api(server, 'GET', '/healthz');
  c.ok(h.status === 200 && h.body?.status === 'ok', `healthz: ${h.text}`);
  const r = await api(server, 'GET', '/readyz');
  c.ok(r.status === 200 && r.body?.status === 'ready', `readyz: ${r.text}`);
  const v = await api(server, 'GET', '/api/v1/version');
  c.ok(v.status === 200 && typeof v.body?.version === 'string' && typeof v.body?.commit === 'string', `version: ${v.text}`);
  c.http(await api(server, 'POST', '/healthz', { body: {} }), 405, 'method_not_allowed', 'POST /healthz');
  c.http(await api(server, 'DELETE', '/readyz'), 405, 'method_not_allowed', 'DELETE /readyz');
  c.http(await api(server, 'POST', '/api/v1/version', { body: {} }), 405, 'method_not_allowed', 'POST /api/v1/version');
  // GET only: HEAD is another method, and the answer to a HEAD is its header alone.
  const head = await rawRequest(server, 'HEAD /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  c.ok(head.status === 405 && head.body === '', `HEAD /healthz: 405, header alone: ${JSON.stringify(head.raw.slice(0, 300))}`);
  // X-Request-Id: echoed when 1..64 of A-Z a-z 0-9 . _ -, else made up.
  const id64 = 'a.b_c-'.repeat(10) + 'abcd';
  const x1 = await api(server, 'GET', '/healthz', { headers: { 'x-request-id': id64 } });
  c.ok(x1.headers.get('x-request-id') === id64, `X-Request-Id of 64 echoed: ${x1.headers.get('x-request-id')}`);
  const x2 = await api(server, 'GET', '/healthz', { headers: { 'x-request-id': `${id64}e` } });
  c.ok(x2.headers.get('x-request-id') && x2.headers.get('x-request-id') !== `${id64}e`, `X-Request-Id of 65 replaced: ${x2.headers.get('x-request-id')}`);
  const x3 = await api(server, 'GET', '/api/v1/me', { token: tok, headers: { 'x-request-id': 'has space' } });
  c.ok(x3.headers.get('x-request-id') && x3.headers.get('x-request-id') !== 'has space', 'X-Request-Id with a space replaced');
  const x4 = await api(server, 'GET', '/api/v1/nope');
  c.ok(!!x4.headers.get('x-request-id'), 'a 401 carries X-Request-Id');
  // security headers on an error
  for (const [k, val] of [['x-content-type-options', 'nosniff'], ['referrer-policy', 'no-referrer'], ['x-frame-options', 'DENY']]) {
    c.ok(x4.headers.get(k) === val, `${k} on a 401: ${x4.headers.get(k)}`);
  }
  c.ok(x4.headers.get('content-security-policy') === "default-src 'none'; frame-ancestors 'none'", `CSP of an API answer: ${x4.headers.get('content-security-policy')}`);
  c.done();
});

test('HTTP body size: exactly 64 KiB accepted, one byte more is 413', async (t) => {
  const server = await startServer(t);
  const c = checker();
  const a = await reg(server, 'alice');
  await reg(server, 'bob');
  const conv = await chatWithBob(server, a);
  const bodyOf = (size) => {
    const head = `{"client_id":"big-${size}","text":"hi","pad":"`;
    return `${head}${'p'.repeat(size - head.length - 2)}"}`;
  };
  const at = await rawHttp(server, 'POST', `/api/v1/conversations/${conv.id}/messages`, {
    headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' }, body: bodyOf(65536),
  });
  c.http(at, 200, null, 'a body of exactly 65536 bytes');
  const over = await rawHttp(server, 'POST', `/api/v1/conversations/${conv.id}/messages`, {
    headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' }, body: bodyOf(65537),
  });
  c.http(over, 413, 'payload_too_large', 'a body of 65537 bytes');
  c.done();
});

test('conversations, history and the chat list: pagination edges', async (t) => {
  const server = await startServer(t);
  const c = checker();
  const a = await reg(server, 'alice');
  const b = await reg(server, 'bob');
  await reg(server, 'carol');
  const G = (path) => api(server, 'GET', path, { token: a.token });
  const P = (path, body) => api(server, 'POST', path, { token: a.token, body });

  // POST /conversations
  c.http(await P('/api/v1/conversations', {}), 400, 'bad_request', 'open without peer');
  c.http(await P('/api/v1/conversations', { peer_username: 'alice' }), 400, 'invalid_argument', 'open with yourself');
  c.http(await P('/api/v1/conversations', { peer_id: a.user.id }), 400, 'invalid_argument', 'open with yourself by id');
  c.http(await P('/api/v1/conversations', { peer_username: 'zed' }), 404, 'not_found', 'open with nobody');
  c.http(await P('/api/v1/conversations', { peer_id: 999999 }), 404, 'not_found', 'open with an unknown id');
  c.http(await P('/api/v1/conversations', { peer_id: String(b.user.id) }), 400, 'bad_request', 'peer_id a string');
  c.http(await P('/api/v1/conversations', { peer_username: 7 }), 400, 'bad_request', 'peer_username a number');
  const first = await P('/api/v1/conversations', { peer_id: b.user.id });
  c.ok(first.status === 201 && first.body?.created === true && first.body.conversation?.kind === 'direct', `first open: 201 created: ${first.status} ${first.text}`);
  const again = await P('/api/v1/conversations', { peer_username: 'BOB' });
  c.ok(again.status === 200 && again.body?.created === false && again.body.conversation?.id === first.body.conversation.id, `second open: 200 not created: ${again.status} ${again.text}`);
  const conv = first.body.conversation;
  c.ok(conv.peer?.id === b.user.id && conv.last_seq === 0 && conv.last_message === null && conv.unread === 0
    && conv.name === '' && conv.description === '' && conv.muted_until === 0 && Number.isInteger(conv.version)
    && conv.last_activity === conv.created_at, `a new direct conversation as documented: ${JSON.stringify(conv)}`);
  const ac = (await P('/api/v1/conversations', { peer_username: 'carol' })).body.conversation;

  // 5 messages; seq 1..5.
  const ws = await connect(t, server, a.token);
  for (let i = 1; i <= 5; i += 1) {
    const ack = await ws.call({ type: 'send', conversation_id: conv.id, client_id: `h-${i}`, text: `m${i}` }, 'ack');
    c.ok(ack.message?.seq === i && ack.duplicate === false, `send ${i}: seq ${i}: ${JSON.stringify(ack)}`);
  }
  const H = (q) => G(`/api/v1/conversations/${conv.id}/messages${q}`);
  const seqs = (res) => (res.body?.messages ?? []).map((m) => m.seq).join(',');
  let res = await H('');
  c.ok(res.status === 200 && seqs(res) === '5,4,3,2,1' && res.body.has_more === false, `history: newest first: ${seqs(res)} ${res.body?.has_more}`);
  res = await H('?limit=1');
  c.ok(seqs(res) === '5' && res.body.has_more === true, `limit=1: ${seqs(res)} ${res.body?.has_more}`);
  res = await H('?limit=200');
  c.ok(res.status === 200 && seqs(res) === '5,4,3,2,1', `limit=200: ${res.status}`);
  for (const q of ['limit=0', 'limit=201', 'limit=-1', 'limit=abc', 'limit=1.5', 'limit=', 'limit=1e2', 'before=2&after=1', 'limit=99999999999999999999', 'before=-1', 'after=-1']) {
    c.http(await H(`?${q}`), 400, 'invalid_argument', `history ${q}`);
  }
  res = await H('?before=3');
  c.ok(seqs(res) === '2,1' && res.body.has_more === false, `before=3: ${seqs(res)} ${res.body?.has_more}`);
  res = await H('?before=3&limit=1');
  c.ok(seqs(res) === '2' && res.body.has_more === true, `before=3&limit=1: ${seqs(res)} ${res.body?.has_more}`);
  res = await H('?after=3');
  c.ok(seqs(res) === '4,5' && res.body.has_more === false, `after=3 oldest first: ${seqs(res)} ${res.body?.has_more}`);
  res = await H('?after=0&limit=2');
  c.ok(seqs(res) === '1,2' && res.body.has_more === true, `after=0&limit=2: ${seqs(res)} ${res.body?.has_more}`);
  res = await H('?after=5');
  c.ok(res.status === 200 && seqs(res) === '' && res.body.has_more === false, `after=last: empty: ${res.status} ${res.text}`);
  res = await H('?before=1');
  c.ok(res.status === 200 && seqs(res) === '' && res.body.has_more === false, `before=1: empty: ${res.status} ${res.text}`);
  // history over the WebSocket: same meaning.
  const wh = await ask(ws, { type: 'history', conversation_id: conv.id, after: 3, limit: 1 });
  c.ok(wh.type === 'history' && wh.messages?.map((m) => m.seq).join(',') === '4' && wh.has_more === true, `ws history after=3 limit=1: ${JSON.stringify(wh).slice(0, 200)}`);
  for (const [f, what] of [[{ limit: 0 }, 'limit 0'], [{ limit: 201 }, 'limit 201'], [{ before: 3, after: 1 }, 'before and after']]) {
    const e = await ask(ws, { type: 'history', conversation_id: conv.id, ...f, id: `hx-${what}` });
    c.ws(e, 'invalid_argument', `hx-${what}`, `ws history ${what}`);
  }
  const wt = await ask(ws, { type: 'history', conversation_id: conv.id, limit: '5', id: 'hl' });
  c.ws(wt, 'bad_request', 'hl', 'ws history limit a string');
  const wn = await ask(ws, { type: 'history', conversation_id: 999999, id: 'hn' });
  c.ws(wn, 'not_found', 'hn', 'ws history of an unknown conversation');

  // the chat list
  const L = (q) => G(`/api/v1/conversations${q}`);
  const ids = (r) => (r.body?.conversations ?? []).map((x) => x.id).join(',');
  res = await L('');
  c.ok(res.status === 200 && ids(res) === `${conv.id},${ac.id}` && res.body.has_more === false, `chat list, most recent first: ${ids(res)} ${res.text.slice(0, 100)}`);
  res = await L('?limit=1');
  c.ok(ids(res) === `${conv.id}` && res.body.has_more === true, `chat list limit=1: ${ids(res)} ${res.body?.has_more}`);
  const row = res.body.conversations[0];
  res = await L(`?limit=1&before=${row.last_activity}&before_id=${row.id}`);
  c.ok(ids(res) === `${ac.id}` && res.body.has_more === false, `chat list page 2: ${ids(res)} ${res.body?.has_more}`);
  c.http(await L('?limit=200'), 200, null, 'chat list limit=200');
  for (const q of ['limit=0', 'limit=201', 'before_id=3', 'before=-1', 'before=5&before_id=0', 'limit=x', 'before=']) {
    c.http(await L(`?${q}`), 400, 'invalid_argument', `chat list ${q}`);
  }
  const wl = await ask(ws, { type: 'conversations', limit: 1 });
  c.ok(wl.type === 'conversations' && wl.conversations?.length === 1 && wl.has_more === true, `ws conversations limit 1: ${JSON.stringify(wl).slice(0, 200)}`);
  const wb = await ask(ws, { type: 'conversations', before_id: 3, id: 'cb' });
  c.ws(wb, 'invalid_argument', 'cb', 'ws conversations before_id without before');

  // GET one conversation, unread and watermarks from bob's side.
  const bc = await api(server, 'GET', `/api/v1/conversations/${conv.id}`, { token: b.token });
  c.ok(bc.status === 200 && bc.body.conversation?.unread === 5 && bc.body.conversation.last_seq === 5
    && bc.body.conversation.last_message?.seq === 5, `bob's view: unread 5: ${bc.text.slice(0, 300)}`);
  const cc = await api(server, 'GET', `/api/v1/conversations/${conv.id}`, { token: (await reg(server, 'dave')).token });
  c.http(cc, 404, 'not_found', 'a conversation you are not a member of');

  // receipts over HTTP
  const RC = (body) => api(server, 'POST', `/api/v1/conversations/${conv.id}/receipts`, { token: b.token, body });
  c.http(await RC({ delivered_seq: 5 }), 200, null, 'delivered_seq = last_seq');
  c.http(await RC({ read_seq: 6 }), 400, 'invalid_argument', 'read_seq beyond the last message');
  c.http(await RC({ read_seq: 0 }), 400, 'invalid_argument', 'read_seq 0');
  c.http(await RC({ read_seq: '3' }), 400, 'bad_request', 'read_seq a string');
  c.http(await RC({}), 400, 'bad_request', 'receipts with neither field');
  const both = await RC({ delivered_seq: 5, read_seq: 3 });
  c.ok(both.status === 200 && both.text.trim() === '{}', `receipts both: 200 {}: ${both.status} ${both.text}`);
  c.http(await RC({ read_seq: 2 }), 200, null, 'read_seq below the watermark is accepted');
  const after = await api(server, 'GET', `/api/v1/conversations/${conv.id}`, { token: b.token });
  const mine = after.body.conversation.members?.find((m) => m.user.id === b.user.id);
  c.ok(after.body.conversation.unread === 2 && mine?.read_seq === 3 && mine?.delivered_seq === 5, `after receipts: unread 2, read 3, delivered 5: ${JSON.stringify(after.body.conversation.members)}`);
  c.done();
});

test('sending: fields at their limits, idempotent retries, half-valid and malformed frames', async (t) => {
  const { server, c, a, b, conv, ws } = await aliceAndBob(t);
  const bws = await connect(t, server, b.token);
  const S = (f) => ask(ws, { type: 'send', conversation_id: conv.id, ...f });

  // client_id: 1 to 64 of A-Z a-z 0-9 _ -
  c.wsType(await S({ client_id: 'x', text: 'one char id' }), 'ack', 'client_id of 1');
  c.wsType(await S({ client_id: 'A'.repeat(64), text: '64' }), 'ack', 'client_id of 64');
  c.ws(await S({ client_id: 'A'.repeat(65), text: '65', id: 'c65' }), 'invalid_argument', 'c65', 'client_id of 65');
  c.ws(await S({ client_id: '', text: 'empty', id: 'c0' }), 'invalid_argument', 'c0', 'empty client_id');
  c.ws(await S({ client_id: 'a.b', text: 'dot', id: 'cdot' }), 'invalid_argument', 'cdot', 'client_id with .');
  c.ws(await S({ client_id: 7, text: 'num', id: 'cnum' }), 'bad_request', 'cnum', 'client_id a number');
  c.ws(await S({ text: 'none', id: 'cnone' }), 'bad_request', 'cnone', 'client_id missing');
  // text: 1 to 16384 bytes
  c.wsType(await S({ client_id: clientId(), text: '€'.repeat(5461) + 'a' }), 'ack', 'text of 16384 bytes');
  c.ws(await S({ client_id: clientId(), text: '€'.repeat(5461) + 'ab', id: 't1' }), 'message_too_long', 't1', 'text of 16385 bytes');
  c.ws(await S({ client_id: clientId(), text: '', id: 't0' }), 'message_too_long', 't0', 'empty text');
  c.ws(await S({ client_id: clientId(), text: 5, id: 'tn' }), 'bad_request', 'tn', 'text a number');
  c.ws(await S({ client_id: clientId(), id: 'tm' }), 'bad_request', 'tm', 'text missing');
  c.ws(await S({ client_id: clientId(), text: 'a\u0000b', id: 'tz' }), 'invalid_utf8', 'tz', 'text with NUL');
  const rtl = await S({ client_id: clientId(), text: 'שלום 👨‍👩‍👧 \u202E' });
  c.ok(rtl.type === 'ack' && rtl.message?.text === 'שלום 👨‍👩‍👧 \u202E', `message text is not restricted: ${JSON.stringify(rtl).slice(0, 200)}`);
  // conversation_id
  c.ws(await ask(ws, { type: 'send', conversation_id: 999999, client_id: clientId(), text: 'x', id: 'cv1' }), 'not_found', 'cv1', 'unknown conversation');
  c.ws(await ask(ws, { type: 'send', conversation_id: String(conv.id), client_id: clientId(), text: 'x', id: 'cv2' }), 'bad_request', 'cv2', 'conversation_id a string');
  c.ws(await ask(ws, { type: 'send', client_id: clientId(), text: 'x', id: 'cv3' }), 'bad_request', 'cv3', 'conversation_id missing');
  for (const [v, what] of [[1.5, 'a fraction'], [-1, 'negative'], [0, 'zero'], [2 ** 53, '2^53'], [1e300, '1e300']]) {
    const e = await ask(ws, { type: 'send', conversation_id: v, client_id: clientId(), text: 'x', id: `cvn-${what}` });
    c.ok(e.type === 'error' && ['bad_request', 'invalid_argument', 'not_found'].includes(e.code) && e.id === `cvn-${what}`,
      `conversation_id ${what}: an error, got ${JSON.stringify(e)}`);
  }
  // huge number written out (beyond any integer type)
  ws.send(`{"type":"send","id":"huge","conversation_id":${'9'.repeat(400)},"client_id":"huge","text":"x"}`);
  const huge = await ws.next((f) => f.id === 'huge', T(5000), 'the answer to a 400-digit id');
  c.ok(huge.type === 'error' && ['bad_request', 'invalid_argument', 'not_found'].includes(huge.code), `400-digit conversation_id: ${JSON.stringify(huge)}`);
  // unknown fields are ignored
  c.wsType(await S({ client_id: clientId(), text: 'extra', colour: 'blue', nested: { x: [1] } }), 'ack', 'unknown fields in send');

  // idempotent retries: same answer, duplicate: true, text ignored; also over HTTP and from another device.
  const cidA = clientId('retry');
  const first = await S({ client_id: cidA, text: 'original' });
  const second = await S({ client_id: cidA, text: 'changed' });
  c.ok(second.type === 'ack' && second.duplicate === true && JSON.stringify(second.message) === JSON.stringify(first.message),
    `retry over the WebSocket: the original message: ${JSON.stringify(first.message)} vs ${JSON.stringify(second.message)}`);
  const viaHttp = await api(server, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: a.token, body: { client_id: cidA, text: 'http' } });
  c.ok(viaHttp.status === 200 && viaHttp.body?.duplicate === true && JSON.stringify(viaHttp.body.message) === JSON.stringify(first.message),
    `retry over HTTP: the original message: ${viaHttp.status} ${viaHttp.text.slice(0, 300)}`);
  const second2 = await api(server, 'POST', '/api/v1/login', J({ username: 'alice', password: 'pw-alice-secret' }));
  const ws2 = await connect(t, server, second2.body.token);
  const other = await ask(ws2, { type: 'send', conversation_id: conv.id, client_id: cidA, text: 'device 2' });
  c.ok(other.type === 'ack' && other.duplicate === true && other.message?.seq === first.message.seq, `retry from another device: ${JSON.stringify(other).slice(0, 200)}`);
  // the same client_id from another user is another message.
  const bobSame = await ask(bws, { type: 'send', conversation_id: conv.id, client_id: cidA, text: 'bob' });
  c.ok(bobSame.type === 'ack' && bobSame.duplicate === false, `the same client_id from another user is new: ${JSON.stringify(bobSame).slice(0, 200)}`);
  // a client_id names one message of its user across all conversations.
  await reg(server, 'carol');
  const ac = (await api(server, 'POST', '/api/v1/conversations', { token: a.token, body: { peer_username: 'carol' } })).body.conversation;
  const cross = await ask(ws, { type: 'send', conversation_id: ac.id, client_id: cidA, text: 'to carol' });
  c.ok(cross.type === 'ack' && cross.duplicate === true && cross.message?.conversation_id === conv.id && cross.message.id === first.message.id,
    `the same client_id in another conversation answers the original: ${JSON.stringify(cross).slice(0, 200)}`);
  const carolHist = await api(server, 'GET', `/api/v1/conversations/${ac.id}/messages`, { token: a.token });
  c.ok(carolHist.body?.messages?.length === 0, `nothing stored in the other conversation: ${carolHist.text.slice(0, 200)}`);
  // sends of one connection are committed in the order they were sent (pipelined).
  const pipe = [];
  for (let i = 0; i < 20; i += 1) {
    const id = `pipe-${i}`;
    pipe.push(ws.next((f) => f.id === id, T(10000), `ack ${id}`).catch(() => ({})));
    ws.send({ type: 'send', id, conversation_id: ac.id, client_id: clientId('pipe'), text: `p${i}` });
  }
  const pseqs = (await Promise.all(pipe)).map((f) => f.message?.seq);
  c.ok(pseqs.every((v, i) => v === i + 1), `pipelined sends take seqs in the order sent: ${pseqs.join(',')}`);
  // HTTP send errors
  const HS = (body) => api(server, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: a.token, body });
  c.http(await HS({ client_id: clientId(), text: '' }), 400, 'message_too_long', 'HTTP send empty text');
  c.http(await HS({ client_id: 'A'.repeat(65), text: 'x' }), 400, 'invalid_argument', 'HTTP client_id of 65');
  c.http(await HS({ text: 'x' }), 400, 'bad_request', 'HTTP send without client_id');
  c.http(await api(server, 'POST', '/api/v1/conversations/999999/messages', { token: a.token, body: { client_id: clientId(), text: 'x' } }), 404, 'not_found', 'HTTP send to an unknown conversation');

  // seq gap-free, events in seq order on bob's side
  const all = await api(server, 'GET', `/api/v1/conversations/${conv.id}/messages?after=0&limit=200`, { token: a.token });
  const s = all.body.messages.map((m) => m.seq);
  c.ok(s.every((v, i) => v === i + 1), `seqs gap-free 1..n: ${s.join(',')}`);
  const evs = bws.received((f) => f.type === 'message').map((f) => f.message.seq);
  c.ok(evs.every((v, i) => i === 0 || v > evs[i - 1]), `message events in seq order: ${evs.join(',')}`);
  c.ok(!ws.received((f) => f.type === 'message' && f.message.sender_id === a.user.id).length, 'the sending connection gets no message event for its own sends');

  // receipts frames (alice writes last, so bob's read moves his watermark)
  await S({ client_id: clientId(), text: 'read me' });
  const last = s[s.length - 1] + 1;
  c.ws(await ask(bws, { type: 'read', conversation_id: conv.id, seq: last + 1, id: 'rb' }), 'invalid_argument', 'rb', 'read beyond the last message');
  c.ws(await ask(bws, { type: 'read', conversation_id: conv.id, seq: 0, id: 'r0' }), 'invalid_argument', 'r0', 'read seq 0');
  c.ws(await ask(bws, { type: 'delivered', conversation_id: conv.id, id: 'rm' }), 'bad_request', 'rm', 'delivered without seq');
  const okr = await ask(bws, { type: 'read', conversation_id: conv.id, seq: last, id: 9 });
  c.ok(okr.type === 'ok' && okr.id === 9, `read answered {"type":"ok","id":9}: ${JSON.stringify(okr)}`);
  const rec = await ws.event('receipt').catch((e) => e);
  c.ok(rec.user_id === b.user.id && rec.read_seq === last && rec.delivered_seq === last && Number.isInteger(rec.version),
    `alice gets the receipt (read implies delivered): ${JSON.stringify(rec)}`);
  c.done();
});

test('WebSocket frames: ids, unknown types, malformed frames, auth, limits', async (t) => {
  const server = await startServer(t);
  const c = checker();
  const a = await reg(server, 'alice');
  const ws = await connect(t, server, a.token);
  c.ok(ws.ready.user?.id === a.user.id && ws.ready.session_id === a.session_id && ws.ready.heartbeat_ms === 20000 && Number.isInteger(ws.ready.version),
    `ready frame: ${JSON.stringify(ws.ready)}`);
  // ready answers the auth frame: "id": null for an auth without id; none with header auth.
  c.ok('id' in ws.ready && ws.ready.id === null, `ready answering an auth frame without id has "id": null: ${JSON.stringify(ws.ready)}`);
  const hdr = await connect(t, server, a.token, { header: true });
  c.ok(!('id' in hdr.ready), `ready after header authentication has no id: ${JSON.stringify(hdr.ready)}`);
  // integer ids are echoed exactly, up to 64 bits; strings up to 64 bytes.
  const rawFrames = [];
  hdr.ws.on('message', (d) => rawFrames.push(d.toString()));
  for (const id of ['18446744073709551615', '-9223372036854775808', '9007199254740993', `"${'é'.repeat(32)}"`]) {
    hdr.send(`{"type":"ping","id":${id}}`);
    const pong = await hdr.next(() => true, T(5000), `pong ${id}`).catch(() => ({}));
    c.ok(pong.type === 'pong' && rawFrames.at(-1) === `{"type":"pong","id":${id}}`, `ping with id ${id} echoed exactly: ${rawFrames.at(-1)}`);
  }
  for (const id of ['18446744073709551616', '-9223372036854775809', '1.0', '1e2', `"${'é'.repeat(33)}"`]) {
    hdr.send(`{"type":"ping","id":${id}}`);
    const e = await hdr.next(() => true, T(5000), `answer to id ${id}`).catch(() => ({}));
    c.ws(e, 'bad_request', null, `ping with the id ${id.slice(0, 20)}`);
  }

  // ids: a string of at most 64 characters, or an integer; the answer carries the same id.
  for (const id of ['p', 'x'.repeat(64), 0, 42, -7, 9007199254740991, 'ünï']) {
    const p = await ask(ws, { type: 'ping', id });
    c.ok(p.type === 'pong' && p.id === id, `ping with id ${JSON.stringify(id)}: ${JSON.stringify(p)}`);
  }
  // an id that breaks the rule: bad_request with "id": null, the connection stays open.
  for (const [raw, what] of [
    [`{"type":"ping","id":"${'x'.repeat(65)}"}`, 'an id of 65 characters'],
    ['{"type":"ping","id":1.5}', 'a fractional id'],
    ['{"type":"ping","id":true}', 'a boolean id'],
    ['{"type":"ping","id":{"a":1}}', 'an object id'],
    ['{"type":"ping","id":[1]}', 'an array id'],
  ]) {
    ws.send(raw);
    const ans = await ws.next(() => true, T(5000), `the answer to ${what}`).catch((e) => ({ failed: e.message }));
    c.ws(ans, 'bad_request', null, what);
  }
  // unknown type, no type, type of the wrong JSON type
  c.ws(await ask(ws, { type: 'no_such_type', id: 'u1' }), 'bad_request', 'u1', 'unknown type');
  c.ws(await ask(ws, { id: 'u2' }), 'bad_request', 'u2', 'no type');
  c.ws(await ask(ws, { type: 7, id: 'u3' }), 'bad_request', 'u3', 'type a number');
  c.ws(await ask(ws, { type: 'auth', token: a.token, id: 'u4' }), 'bad_request', 'u4', 'auth again after ready');
  // sync: since required? limit bounds.
  const sy = await ask(ws, { type: 'sync', since: 0, limit: 200 });
  c.ok(sy.type === 'sync' && Number.isInteger(sy.version) && sy.has_more === false && Array.isArray(sy.conversations), `sync limit 200: ${JSON.stringify(sy).slice(0, 200)}`);
  c.ws(await ask(ws, { type: 'sync', since: 0, limit: 201, id: 's201' }), 'invalid_argument', 's201', 'sync limit 201');
  c.ws(await ask(ws, { type: 'sync', since: 0, limit: 0, id: 's0' }), 'invalid_argument', 's0', 'sync limit 0');
  c.ws(await ask(ws, { type: 'sync', since: -1, id: 'sneg' }), 'invalid_argument', 'sneg', 'sync since -1');
  c.ws(await ask(ws, { type: 'sync', since: '0', id: 'sstr' }), 'bad_request', 'sstr', 'sync since a string');
  // presence_subscribe: at most 256 users.
  const ids256 = Array.from({ length: 256 }, (_, i) => i + 1);
  c.wsType(await ask(ws, { type: 'presence_subscribe', user_ids: ids256 }), 'presence_subscribed', 'presence of 256 users');
  c.ws(await ask(ws, { type: 'presence_subscribe', user_ids: [...ids256, 257], id: 'p257' }), 'invalid_argument', 'p257', 'presence of 257 users');
  c.ws(await ask(ws, { type: 'presence_subscribe', user_ids: 'x', id: 'pstr' }), 'bad_request', 'pstr', 'presence user_ids a string');
  c.ws(await ask(ws, { type: 'presence_subscribe', id: 'pnone' }), 'bad_request', 'pnone', 'presence without user_ids');
  const empty = await ask(ws, { type: 'presence_subscribe', user_ids: [] });
  c.ok(empty.type === 'presence_subscribed' && Array.isArray(empty.users) && empty.users.length === 0, `presence [] stops: ${JSON.stringify(empty)}`);
  // typing: state start/stop
  c.ws(await ask(ws, { type: 'typing', conversation_id: 999999, state: 'start', id: 'ty1' }), 'not_found', 'ty1', 'typing in an unknown conversation');
  // the connection stays open after all those errors
  c.ok(ws.isOpen, 'the connection stays open after failed requests');

  // WebSocket frame of exactly 64 KiB is read; one byte more closes with 1009.
  const frameOf = (size) => {
    const head = '{"type":"ping","id":"big","pad":"';
    return `${head}${'p'.repeat(size - head.length - 2)}"}`;
  };
  ws.send(frameOf(65536));
  const big = await ws.next((f) => f.id === 'big', T(5000), 'the pong to a 64 KiB frame').catch((e) => ({ failed: e.message }));
  c.ok(big.type === 'pong', `a frame of exactly 65536 bytes is answered: ${JSON.stringify(big).slice(0, 200)}`);
  ws.send(frameOf(65537));
  const closed = await ws.waitClose(T(5000)).catch((e) => ({ failed: e.message }));
  c.ok(closed.code === 1009, `a frame of 65537 bytes closes with 1009: ${JSON.stringify(closed)}`);

  // auth: a frame other than auth first closes with 4001 after an unauthenticated error.
  const s1 = await openSocket(server);
  t.after(() => s1.terminate());
  s1.send({ type: 'ping', id: 'early' });
  const e1 = await s1.next(() => true, T(5000), 'the answer before auth').catch((e) => ({ failed: e.message }));
  c.ok(e1.type === 'error' && e1.code === 'unauthenticated', `a frame before auth: unauthenticated: ${JSON.stringify(e1)}`);
  c.ok((await s1.waitClose(T(5000)).catch(() => ({}))).code === 4001, 'closed with 4001 after a frame before auth');
  const s2 = await openSocket(server);
  t.after(() => s2.terminate());
  s2.send({ type: 'auth', token: 'x'.repeat(43), id: 'a1' });
  const e2 = await s2.next(() => true, T(5000), 'the answer to a wrong token').catch((e) => ({ failed: e.message }));
  c.ok(e2.type === 'error' && e2.code === 'unauthenticated', `a wrong token: unauthenticated: ${JSON.stringify(e2)}`);
  c.ok((await s2.waitClose(T(5000)).catch(() => ({}))).code === 4001, 'closed with 4001 after a wrong token');
  // auth with an id: the ready frame... (the document shows ready without id)
  const s3 = await openSocket(server);
  t.after(() => s3.terminate());
  s3.send({ type: 'auth', token: a.token, id: 'auth-1' });
  const r3 = await s3.next(() => true, T(5000), 'ready').catch((e) => ({ failed: e.message }));
  c.ok(r3.type === 'ready' && r3.id === 'auth-1', `auth with an id: ready with that id: ${JSON.stringify(r3)}`);
  // a binary frame closes with 1003
  s3.send(Buffer.from('{"type":"ping"}'), { binary: true });
  c.ok((await s3.waitClose(T(5000)).catch(() => ({}))).code === 1003, 'a binary frame closes with 1003');
  // invalid UTF-8 closes with 1007
  const s4 = await connect(t, server, a.token);
  s4.ws._socket.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xff, 0xfe]));
  c.ok((await s4.waitClose(T(5000)).catch(() => ({}))).code === 1007, 'a frame that is not UTF-8 closes with 1007');
  c.done();
});

test('edits, deletions, reactions, pins, forwards, search: documented limits and errors', async (t) => {
  const { server, c, a, b, conv, ws } = await aliceAndBob(t);
  const sent = [];
  for (let i = 1; i <= 3; i += 1) sent.push((await ws.call({ type: 'send', conversation_id: conv.id, client_id: `e-${i}`, text: `pizza number ${i}` }, 'ack')).message);
  const bobMsg = (await api(server, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: b.token, body: { client_id: 'b-1', text: 'from bob' } })).body.message;
  const A = (method, path, body) => api(server, method, path, { token: a.token, body });
  const base = `/api/v1/conversations/${conv.id}/messages`;

  // edit
  let r = await A('PATCH', `${base}/1`, { text: 'pizza edited' });
  c.ok(r.status === 200 && r.body?.changed === true && r.body.message?.text === 'pizza edited' && Number.isInteger(r.body.message.edited_at) && Number.isInteger(r.body.message.version), `edit: ${r.text.slice(0, 300)}`);
  r = await A('PATCH', `${base}/1`, { text: 'pizza edited' });
  c.ok(r.status === 200 && r.body?.changed === false, `same text again: changed false: ${r.text.slice(0, 200)}`);
  c.http(await A('PATCH', `${base}/${bobMsg.seq}`, { text: 'mine now' }), 403, 'forbidden', 'edit another\'s message');
  c.http(await A('PATCH', `${base}/99`, { text: 'x' }), 404, 'not_found', 'edit a seq that does not exist');
  c.http(await A('PATCH', `${base}/1`, { text: '' }), 400, 'message_too_long', 'edit to empty');
  c.http(await A('PATCH', `${base}/1`, { text: 5 }), 400, 'bad_request', 'edit text a number');
  c.http(await A('PATCH', `${base}/1`, {}), 400, 'bad_request', 'edit without text');
  const we = await ask(ws, { type: 'edit', conversation_id: conv.id, seq: 1, text: 'pizza edited' });
  c.ok(we.type === 'edited' && we.changed === false && we.message?.seq === 1, `ws edit: edited: ${JSON.stringify(we).slice(0, 200)}`);
  // delete
  c.http(await A('DELETE', `${base}/2`), 400, 'bad_request', 'delete without for');
  c.http(await A('DELETE', `${base}/2?for=all`), 400, 'invalid_argument', 'delete for=all');
  c.http(await A('DELETE', `${base}/${bobMsg.seq}?for=everyone`), 403, 'forbidden', 'delete another\'s message for everyone');
  r = await A('DELETE', `${base}/2?for=everyone`);
  c.ok(r.status === 200 && r.text.trim() === '{}', `delete for everyone: 200 {}: ${r.status} ${r.text}`);
  r = await A('DELETE', `${base}/2?for=everyone`);
  c.ok(r.status === 200, `deleting again: 200: ${r.status} ${r.text}`);
  c.http(await A('PATCH', `${base}/2`, { text: 'back' }), 400, 'invalid_argument', 'edit a deleted message');
  r = await A('DELETE', `${base}/${bobMsg.seq}?for=me`);
  c.ok(r.status === 200, `delete bob's message for me: ${r.status} ${r.text}`);
  const h = await A('GET', `${base}?after=0`);
  const m2 = h.body.messages.find((m) => m.seq === 2);
  const mb = h.body.messages.find((m) => m.seq === bobMsg.seq);
  c.ok(m2?.deleted === true && m2.text === '' && Number.isInteger(m2.deleted_at), `a deleted message keeps its seq, text "": ${JSON.stringify(m2)}`);
  c.ok(mb?.hidden === true && mb.text === '', `a hidden message: hidden, text "": ${JSON.stringify(mb)}`);
  c.ws(await ask(ws, { type: 'delete', conversation_id: conv.id, seq: 1, for: 'nobody', id: 'd1' }), 'invalid_argument', 'd1', 'ws delete for nobody');
  c.ws(await ask(ws, { type: 'delete', conversation_id: conv.id, seq: 1, id: 'd2' }), 'bad_request', 'd2', 'ws delete without for');

  // changes: limit 1..200, since
  const CH = (q) => A('GET', `/api/v1/conversations/${conv.id}/changes${q}`);
  r = await CH('?since=0&limit=1');
  c.ok(r.status === 200 && r.body.messages?.length === 1 && r.body.has_more === true, `changes limit 1: ${r.text.slice(0, 200)}`);
  let since = 0; const seen = [];
  for (let guard = 0; guard < 20; guard += 1) {
    const p = await CH(`?since=${since}&limit=1`);
    if (p.status !== 200) { c.ok(false, `changes paging: ${p.status} ${p.text}`); break; }
    seen.push(...p.body.messages.map((m) => m.seq));
    if (!p.body.has_more) break;
    since = p.body.messages[p.body.messages.length - 1].version;
  }
  c.ok([...seen].sort().join(',') === '1,2,3,4' && new Set(seen).size === 4, `changes paging sees each message once: ${seen.join(',')}`);
  for (const q of ['?since=0&limit=0', '?since=0&limit=201', '?since=-1', '?since=x']) c.http(await CH(q), 400, 'invalid_argument', `changes ${q}`);
  r = await CH('');
  c.ok(r.status === 200 && r.body.messages?.length === 4, `changes without since: since 0: ${r.status} ${r.text.slice(0, 200)}`);
  c.http(await CH('?since=0&limit=200'), 200, null, 'changes limit 200');

  // reactions
  const RE = (seq, body, method = 'PUT') => A(method, `${base}/${seq}/reaction`, body);
  r = await RE(1, { emoji: '👍' });
  c.ok(r.status === 200 && r.body?.changed === true && Number.isInteger(r.body.version), `react: ${r.text}`);
  r = await RE(1, { emoji: '👍' });
  c.ok(r.status === 200 && r.body?.changed === false, `same reaction: changed false: ${r.text}`);
  for (const e of ['👨‍👩‍👧', '🇫🇷', '1️⃣', '❤', '❤️', '👍🏽', '🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}']) {
    c.http(await RE(3, { emoji: e }), 200, null, `one emoji ${JSON.stringify(e)}`);
  }
  for (const e of ['', 'a', '👍👍', '\u{1F3FB}', '\u200D', '🇫', '👨‍👩‍👧‍👦‍👦‍👦']) c.http(await RE(3, { emoji: e }), 400, 'invalid_argument', `not one emoji ${JSON.stringify(e)}`);
  c.http(await RE(3, {}), 400, 'bad_request', 'emoji missing');
  c.http(await RE(3, { emoji: 1 }), 400, 'bad_request', 'emoji a number');
  c.http(await RE(2, { emoji: '👍' }), 400, 'invalid_argument', 'react to a deleted message');
  c.http(await RE(bobMsg.seq, { emoji: '👍' }), 404, 'not_found', 'react to a hidden message');
  r = await RE(1, undefined, 'DELETE');
  c.ok(r.status === 200 && r.body?.changed === true, `unreact: ${r.text}`);
  r = await RE(1, undefined, 'DELETE');
  c.ok(r.status === 200 && r.body?.changed === false, `unreact again: changed false: ${r.text}`);
  const wr = await ask(ws, { type: 'unreact', conversation_id: conv.id, seq: 1 });
  c.ok(wr.type === 'reacted' && wr.changed === false, `ws unreact: reacted: ${JSON.stringify(wr)}`);

  // pins: 5 per user, a sixth is invalid_argument
  const peers = [];
  for (let i = 0; i < 6; i += 1) {
    await reg(server, `peer${i}`);
    peers.push((await A('POST', '/api/v1/conversations', { peer_username: `peer${i}` })).body.conversation);
  }
  for (let i = 0; i < 5; i += 1) {
    r = await A('PATCH', `/api/v1/conversations/${peers[i].id}/state`, { pinned: true });
    c.ok(r.status === 200 && r.body?.pinned === true && r.body.changed === true && Number.isInteger(r.body.pinned_at) && r.body.conversation_id === peers[i].id, `pin ${i + 1}: ${r.text}`);
  }
  c.http(await A('PATCH', `/api/v1/conversations/${peers[5].id}/state`, { pinned: true }), 400, 'invalid_argument', 'a sixth pin');
  c.http(await A('PATCH', `/api/v1/conversations/${peers[5].id}/state`, {}), 400, 'bad_request', 'state with neither field');
  c.http(await A('PATCH', `/api/v1/conversations/${peers[5].id}/state`, { archived: 'yes' }), 400, 'bad_request', 'archived a string');
  r = await A('PATCH', `/api/v1/conversations/${peers[5].id}/state`, { archived: true });
  c.ok(r.status === 200 && r.body?.archived === true && r.body.pinned === false && r.body.pinned_at === null, `archive: ${r.text}`);
  const wcs = await ask(ws, { type: 'chat_state', conversation_id: peers[0].id, pinned: true });
  c.ok(wcs.type === 'chat_state' && wcs.changed === false, `ws chat_state again: changed false: ${JSON.stringify(wcs)}`);

  // forward: 1..5 distinct targets, client_id 1..40
  const F = (body) => A('POST', `${base}/1/forward`, body);
  const five = peers.slice(0, 5).map((p) => p.id);
  c.http(await F({ to: [...five, peers[5].id], client_id: 'fw1' }), 400, 'invalid_argument', 'forward to six');
  c.http(await F({ to: [], client_id: 'fw1' }), 400, 'invalid_argument', 'forward to none');
  c.http(await F({ to: [five[0], five[0]], client_id: 'fw1' }), 400, 'invalid_argument', 'forward to one twice');
  c.http(await F({ to: [five[0]], client_id: 'f'.repeat(41) }), 400, 'invalid_argument', 'forward client_id of 41');
  c.http(await F({ to: [five[0]] }), 400, 'bad_request', 'forward without client_id');
  c.http(await F({ to: five[0], client_id: 'fw1' }), 400, 'bad_request', 'forward to not an array');
  const nf = await F({ to: [five[0], 999999], client_id: 'fw1' });
  c.http(nf, 404, 'not_found', 'forward to one unknown');
  c.ok(/999999/.test(nf.body?.error?.message ?? ''), `the refused target's id is in the message: ${nf.text}`);
  const untouched = await A('GET', `/api/v1/conversations/${five[0]}/messages`);
  c.ok(untouched.body?.messages?.length === 0, `a refused forward stores nothing: ${untouched.text.slice(0, 200)}`);
  r = await F({ to: five, client_id: 'f'.repeat(40) });
  c.ok(r.status === 200 && r.body?.results?.length === 5 && r.body.results.every((x, i) => x.duplicate === false && x.message?.conversation_id === five[i] && x.message.forwarded === true),
    `forward to five: ${r.status} ${r.text.slice(0, 300)}`);
  const again = await F({ to: five, client_id: 'f'.repeat(40) });
  c.ok(again.status === 200 && again.body?.results?.every((x, i) => x.duplicate === true && x.message?.id === r.body.results[i].message.id), `forward retried: the same copies: ${again.text.slice(0, 300)}`);
  c.ok(r.body?.results?.[0]?.message?.client_id === `${'f'.repeat(40)}-${five[0]}`, `a copy's client_id is {client_id}-{to[i]}: ${r.body?.results?.[0]?.message?.client_id}`);

  // search: q 1..256 bytes, limit 1..100, offset 0..1000
  const SE = (q) => A('GET', `/api/v1/search?${q}`);
  r = await SE('q=pizza&limit=1');
  c.ok(r.status === 200 && r.body.results?.length === 1 && r.body.has_more === true && r.body.next_offset === 1, `search limit 1: ${r.text.slice(0, 300)}`);
  r = await SE('q=piz');
  c.ok(r.status === 200 && r.body.results?.length >= 1, `prefix search by default: ${r.text.slice(0, 200)}`);
  r = await SE('q=piz&prefix=0');
  c.ok(r.status === 200 && r.body.results?.length === 0 && !('next_offset' in r.body), `prefix=0: whole words: ${r.text.slice(0, 200)}`);
  c.http(await SE(`q=${'a'.repeat(256)}`), 200, null, 'q of 256 bytes');
  c.http(await SE(`q=${'a'.repeat(257)}`), 400, 'invalid_argument', 'q of 257 bytes');
  c.http(await SE('q=pizza&limit=100'), 200, null, 'search limit 100');
  c.http(await SE('q=pizza&offset=1000'), 200, null, 'search offset 1000');
  for (const q of ['q=pizza&limit=0', 'q=pizza&limit=101', 'q=pizza&offset=1001', 'q=pizza&offset=-1', 'q=', 'q=%20%2C', 'q=pizza&prefix=2', 'q=pizza&prefix=true', 'q=pizza&conversation_id=0']) {
    c.http(await SE(q), 400, 'invalid_argument', `search ${q}`);
  }
  c.http(await SE('limit=5'), 400, 'bad_request', 'search without q');
  c.http(await SE('q=pizza&conversation_id=999999'), 404, 'not_found', 'search in an unknown conversation');
  const wse = await ask(ws, { type: 'search', q: 'pizza', limit: 1, prefix: false });
  c.ok(wse.type === 'search' && wse.results?.length === 1 && wse.has_more === true, `ws search: ${JSON.stringify(wse).slice(0, 200)}`);
  c.ws(await ask(ws, { type: 'search', q: 'pizza', prefix: 1, id: 'sp' }), 'bad_request', 'sp', 'ws search prefix a number');

  // mute
  const MU = (body) => A('PUT', `/api/v1/conversations/${conv.id}/mute`, body);
  r = await MU({ duration: 'always' });
  c.ok(r.status === 200 && r.body?.conversation_id === conv.id && r.body.muted_until === 9007199254740991, `mute always: ${r.text}`);
  r = await MU({ duration: 'off' });
  c.ok(r.status === 200 && r.body?.muted_until === 0, `mute off: ${r.text}`);
  c.http(await MU({ duration: '2h' }), 400, 'invalid_argument', 'mute 2h');
  c.http(await MU({}), 400, 'bad_request', 'mute without duration');
  // privacy and notifications
  r = await A('GET', '/api/v1/me/privacy');
  c.ok(r.status === 200 && r.body?.hide_last_seen === false && r.body.groups_add === 'everyone', `privacy defaults: ${r.text}`);
  c.http(await A('PATCH', '/api/v1/me/privacy', {}), 400, 'bad_request', 'privacy PATCH with neither field');
  c.http(await A('PATCH', '/api/v1/me/privacy', { groups_add: 'friends' }), 400, 'invalid_argument', 'groups_add friends');
  c.http(await A('PATCH', '/api/v1/me/privacy', { hide_last_seen: 'yes' }), 400, 'bad_request', 'hide_last_seen a string');
  r = await A('PATCH', '/api/v1/me/privacy', { groups_add: 'contacts' });
  c.ok(r.status === 200 && r.body?.groups_add === 'contacts' && r.body.hide_last_seen === false, `privacy PATCH answers all settings: ${r.text}`);
  r = await A('GET', '/api/v1/me/notifications');
  c.ok(r.status === 200 && r.body?.preview === 'full', `notifications default: ${r.text}`);
  c.http(await A('PATCH', '/api/v1/me/notifications', { preview: 'some' }), 400, 'invalid_argument', 'preview some');
  c.http(await A('PATCH', '/api/v1/me/notifications', {}), 400, 'bad_request', 'preview missing');
  c.done();
});

test('contacts, blocks, user search and groups: documented limits and errors', async (t) => {
  const server = await startServer(t);
  const c = checker();
  const a = await reg(server, 'alice');
  const b = await reg(server, 'bob');
  const cl = await reg(server, 'carol');
  const A = (method, path, body) => api(server, method, path, { token: a.token, body });
  let r;

  // user search: prefix 1..32, limit 1..50
  r = await A('GET', '/api/v1/users?prefix=A');
  c.ok(r.status === 200 && r.body.users?.map((u) => u.username).join(',') === 'alice', `users prefix=A (case-insensitive): ${r.text}`);
  r = await A('GET', '/api/v1/users?prefix=&limit=1');
  c.http(r, 400, 'invalid_argument', 'users prefix empty');
  c.http(await A('GET', `/api/v1/users?prefix=${'a'.repeat(32)}`), 200, null, 'users prefix of 32');
  c.http(await A('GET', `/api/v1/users?prefix=${'a'.repeat(33)}`), 400, 'invalid_argument', 'users prefix of 33');
  c.http(await A('GET', '/api/v1/users?prefix=a&limit=50'), 200, null, 'users limit 50');
  c.http(await A('GET', '/api/v1/users?prefix=a&limit=51'), 400, 'invalid_argument', 'users limit 51');
  c.http(await A('GET', '/api/v1/users?prefix=a&limit=0'), 400, 'invalid_argument', 'users limit 0');
  c.http(await A('GET', '/api/v1/users'), 400, 'bad_request', 'users without prefix (required)');

  // contacts
  r = await A('PUT', `/api/v1/contacts/${b.user.id}`, { nickname: 'n'.repeat(64) });
  c.ok(r.status === 200 && r.body?.contact?.user?.id === b.user.id && r.body.contact.nickname === 'n'.repeat(64), `contact with a nickname of 64: ${r.text}`);
  c.http(await A('PUT', `/api/v1/contacts/${b.user.id}`, { nickname: 'n'.repeat(65) }), 400, 'invalid_argument', 'nickname of 65');
  c.http(await A('PUT', `/api/v1/contacts/${a.user.id}`, {}), 400, 'invalid_argument', 'yourself as a contact');
  c.http(await A('PUT', '/api/v1/contacts/999999', {}), 404, 'not_found', 'an unknown user as a contact');
  r = await rawHttp(server, 'PUT', `/api/v1/contacts/${cl.user.id}`, { headers: { authorization: `Bearer ${a.token}` } });
  c.ok(r.status === 200 && r.body?.contact?.user?.id === cl.user.id, `PUT contact without a body (nickname optional): ${r.status} ${r.text}`);
  r = await A('GET', '/api/v1/contacts');
  c.ok(r.status === 200 && r.body.contacts?.length === 2 && r.body.contacts.every((x) => Number.isInteger(x.created_at)), `contacts: ${r.text.slice(0, 300)}`);
  r = await A('DELETE', `/api/v1/contacts/${cl.user.id}`);
  c.ok(r.status === 200 && r.text.trim() === '{}', `delete contact: ${r.status} ${r.text}`);
  c.http(await A('DELETE', `/api/v1/contacts/${cl.user.id}`), 404, 'not_found', 'delete a contact that is not one');
  // blocks
  r = await rawHttp(server, 'PUT', `/api/v1/blocks/${cl.user.id}`, { headers: { authorization: `Bearer ${a.token}` } });
  c.ok(r.status === 200 && r.text.trim() === '{}', `block without a body: ${r.status} ${r.text}`);
  r = await A('PUT', `/api/v1/blocks/${cl.user.id}`, {});
  c.ok(r.status === 200, `blocking twice changes nothing: ${r.status} ${r.text}`);
  r = await A('GET', '/api/v1/blocks');
  c.ok(r.status === 200 && r.body.users?.map((u) => u.id).join(',') === String(cl.user.id), `blocks: ${r.text}`);
  c.http(await api(server, 'POST', '/api/v1/conversations', { token: cl.token, body: { peer_username: 'alice' } }), 403, 'forbidden', 'a blocked user opening a conversation');
  r = await A('DELETE', `/api/v1/blocks/${cl.user.id}`);
  c.ok(r.status === 200 && r.text.trim() === '{}', `unblock: ${r.status} ${r.text}`);

  // the group routes answer a direct conversation with not_found; reading members works.
  const dc = (await A('POST', '/api/v1/conversations', { peer_username: 'bob' })).body.conversation;
  c.http(await A('POST', `/api/v1/conversations/${dc.id}/members`, { user_ids: [cl.user.id] }), 404, 'not_found', 'add members to a direct conversation');
  c.http(await A('DELETE', `/api/v1/conversations/${dc.id}/members/${b.user.id}`), 404, 'not_found', 'remove a member of a direct conversation');
  c.http(await A('PATCH', `/api/v1/conversations/${dc.id}/members/${b.user.id}`, { role: 'admin' }), 404, 'not_found', 'set a role in a direct conversation');
  c.http(await A('POST', `/api/v1/conversations/${dc.id}/leave`, {}), 404, 'not_found', 'leave a direct conversation');
  c.http(await A('PATCH', `/api/v1/conversations/${dc.id}`, { name: 'x' }), 404, 'not_found', 'rename a direct conversation');
  r = await A('GET', `/api/v1/conversations/${dc.id}/members`);
  c.ok(r.status === 200 && r.body.members?.length === 2 && r.body.members.every((m) => Number.isInteger(m.joined_at)), `members of a direct conversation: ${r.text.slice(0, 200)}`);

  // groups: name 1..100, description 0..512
  const GR = (body) => A('POST', '/api/v1/groups', body);
  r = await GR({ name: 'n'.repeat(100), description: 'd'.repeat(512), member_usernames: ['bob'] });
  c.ok(r.status === 201 && r.body?.conversation?.kind === 'group' && r.body.conversation.peer === null && r.body.conversation.member_count === 2
    && r.body.conversation.role === 'admin' && r.body.conversation.members?.length === 1, `group at its limits: ${r.status} ${r.text.slice(0, 300)}`);
  const g = r.body?.conversation;
  c.http(await GR({ name: 'n'.repeat(101) }), 400, 'invalid_argument', 'group name of 101');
  c.http(await GR({ name: '' }), 400, 'invalid_argument', 'group name empty');
  c.http(await GR({ name: 'x', description: 'd'.repeat(513) }), 400, 'invalid_argument', 'description of 513');
  c.http(await GR({ name: 'x', description: 'line\nline' }), 201, null, 'a description with \\n');
  c.http(await GR({ name: 'line\nline' }), 400, 'invalid_argument', 'a name with \\n');
  c.http(await GR({ name: '  ' }), 400, 'invalid_argument', 'a group name of spaces only');
  c.http(await GR({ description: 'x' }), 400, 'bad_request', 'group without name');
  const before = (await A('GET', '/api/v1/conversations')).body.conversations.length;
  c.http(await GR({ name: 'x', member_usernames: ['bob', 'nobody'] }), 404, 'not_found', 'group naming an unknown user');
  const afterList = (await A('GET', '/api/v1/conversations')).body.conversations.length;
  c.ok(afterList === before, `a group naming an unknown user creates nothing: ${before} -> ${afterList}`);
  c.http(await GR({ name: 'x', member_ids: 'bob' }), 400, 'bad_request', 'member_ids not an array');
  c.http(await GR({ name: 'only me' }), 201, null, 'a group without other members');
  if (g) {
    const gb = `/api/v1/conversations/${g.id}`;
    r = await A('GET', `${gb}/members`);
    c.ok(r.status === 200 && r.body.members?.[0]?.user?.id === a.user.id && r.body.members[0].role === 'admin' && Number.isInteger(r.body.members[0].joined_at), `members, longest-standing first: ${r.text.slice(0, 300)}`);
    r = await A('POST', `${gb}/members`, { user_ids: [cl.user.id], user_usernames: ['bob'] });
    c.ok(r.status === 200 && r.body?.conversation?.member_count === 3, `add members (bob already one): ${r.status} ${r.text.slice(0, 200)}`);
    c.http(await api(server, 'POST', `${gb}/members`, { token: b.token, body: { user_ids: [a.user.id] } }), 403, 'forbidden', 'a member who is not an admin adds');
    c.http(await A('PATCH', `${gb}/members/${a.user.id}`, { role: 'member' }), 400, 'invalid_argument', 'demote the last admin');
    c.http(await A('PATCH', `${gb}/members/${b.user.id}`, { role: 'owner' }), 400, 'invalid_argument', 'role owner');
    r = await A('PATCH', `${gb}/members/${b.user.id}`, { role: 'member' });
    c.ok(r.status === 200 && r.text.trim() === '{}', `setting the role a member has: ${r.status} ${r.text}`);
    r = await A('PATCH', gb, { name: 'Renamed' });
    c.ok(r.status === 200 && r.body?.conversation?.name === 'Renamed', `rename: ${r.text.slice(0, 200)}`);
    c.http(await A('PATCH', gb, {}), 400, 'bad_request', 'PATCH a group with neither name nor description');
    r = await A('DELETE', `${gb}/members/${cl.user.id}`);
    c.ok(r.status === 200 && r.text.trim() === '{}', `remove carol: ${r.status} ${r.text}`);
    c.http(await api(server, 'GET', `${gb}/members`, { token: cl.token }), 404, 'not_found', 'a removed member lists members');
    const gl = await api(server, 'GET', gb, { token: cl.token });
    c.ok(gl.status === 200 && gl.body?.conversation?.left === true, `a removed member keeps the group with left: true: ${gl.status} ${gl.text.slice(0, 200)}`);
    r = await api(server, 'POST', `${gb}/leave`, { token: b.token, body: {} });
    c.ok(r.status === 200 && r.text.trim() === '{}', `bob leaves: ${r.status} ${r.text}`);
    const hist = await A('GET', `${gb}/messages?after=0`);
    const events = hist.body?.messages?.map((m) => m.system?.event);
    c.ok(JSON.stringify(events) === JSON.stringify(['group_created', 'members_added', 'group_renamed', 'member_removed', 'member_left']), `system events in order: ${JSON.stringify(events)}`);
    r = await A('GET', `${gb}/messages/1/receipts`);
    c.ok(r.status === 200 && Array.isArray(r.body?.receipts), `message receipts: ${r.status} ${r.text.slice(0, 200)}`);
    c.http(await A('GET', `${gb}/messages/99/receipts`), 404, 'not_found', 'receipts of a seq that does not exist');
    c.http(await A('DELETE', `${gb}/messages/1?for=everyone`), 400, 'invalid_argument', 'delete a group event for everyone');
  }
  c.done();
});

test('events: who receives what, answers carry ids and events none, sync pages', async (t) => {
  const server = await startServer(t);
  const c = checker();
  const a = await reg(server, 'alice');
  const b = await reg(server, 'bob');
  const ws = await connect(t, server, a.token);
  const bws = await connect(t, server, b.token);
  const second = await api(server, 'POST', '/api/v1/login', J({ username: 'alice', password: 'pw-alice-secret' }));
  const a2 = await connect(t, server, second.body.token);
  const opened = await api(server, 'POST', '/api/v1/conversations', { token: a.token, body: { peer_username: 'bob' } });
  const conv = opened.body.conversation;
  const ev = (client, type, what) => client.event(type, () => true, T(5000)).catch((e) => { c.ok(false, `${what}: ${e.message.slice(0, 200)}`); return {}; });

  // a new direct conversation: every connected device of both users receives `conversation`.
  for (const [w, who] of [[ws, 'alice 1'], [a2, 'alice 2'], [bws, 'bob']]) {
    const e = await ev(w, 'conversation', `conversation event to ${who}`);
    c.ok(e.conversation?.id === conv.id, `conversation event to ${who}: ${JSON.stringify(e).slice(0, 100)}`);
  }
  // send: every device but the sending connection gets `message`.
  const ack = await ws.call({ type: 'send', conversation_id: conv.id, client_id: 'ev-1', text: 'one' }, 'ack');
  for (const [w, who] of [[a2, 'alice 2'], [bws, 'bob']]) {
    const e = await ev(w, 'message', `message event to ${who}`);
    c.ok(JSON.stringify(e.message) === JSON.stringify(ack.message), `message event to ${who} is the acked message: ${JSON.stringify(e)}`);
  }
  // read: the reader's own connection gets the receipt after its ok, as do all others.
  const ok = await bws.call({ type: 'read', conversation_id: conv.id, seq: 1 }, 'ok');
  for (const [w, who] of [[ws, 'alice 1'], [a2, 'alice 2'], [bws, 'bob (the reader)']]) {
    const e = await ev(w, 'receipt', `receipt event to ${who}`);
    c.ok(e.user_id === b.user.id && e.delivered_seq === 1 && e.read_seq === 1 && e.conversation_id === conv.id && Number.isInteger(e.version), `receipt to ${who}: ${JSON.stringify(e)}`);
  }
  // (the reader's own receipt event may come before or after its ok: events and answers
  // are not ordered with each other.)
  c.ok(ok.id !== undefined, 'the ok answers the read');
  // a reply moves its sender's watermarks: no receipt frame, the message event says it.
  await ws.call({ type: 'send', conversation_id: conv.id, client_id: 'ev-2', text: 'two' }, 'ack');
  await ev(bws, 'message', 'message 2 to bob');
  const reply = await bws.call({ type: 'send', conversation_id: conv.id, client_id: 'ev-3', text: 'three' }, 'ack');
  const got = await ev(ws, 'message', 'bob\'s reply to alice');
  c.ok(got.message?.seq === 3 && got.message.sender_id === b.user.id, `bob's reply: ${JSON.stringify(got)}`);
  const view = await api(server, 'GET', `/api/v1/conversations/${conv.id}`, { token: a.token });
  const bobMember = view.body.conversation.members.find((m) => m.user.id === b.user.id);
  c.ok(bobMember.read_seq === reply.message.seq && bobMember.delivered_seq === reply.message.seq, `a sender's watermarks move to the seq of their message: ${JSON.stringify(bobMember)}`);
  // edit: message_changed to every device, the editing connection included.
  const ed = await ws.call({ type: 'edit', conversation_id: conv.id, seq: 1, text: 'one!' }, 'edited');
  for (const [w, who] of [[ws, 'alice 1 (the editor)'], [a2, 'alice 2'], [bws, 'bob']]) {
    const e = await ev(w, 'message_changed', `message_changed to ${who}`);
    c.ok(e.message?.seq === 1 && e.message.text === 'one!' && e.message.edited_at === ed.message.edited_at, `message_changed to ${who}: ${JSON.stringify(e)}`);
  }
  // react: every device of every member, the reacting one too.
  const re = await ws.call({ type: 'react', conversation_id: conv.id, seq: 3, emoji: '🎉' }, 'reacted');
  for (const [w, who] of [[ws, 'alice 1 (the reactor)'], [a2, 'alice 2'], [bws, 'bob']]) {
    const e = await ev(w, 'reaction', `reaction to ${who}`);
    c.ok(e.seq === 3 && e.user_id === a.user.id && e.emoji === '🎉' && e.version === re.version, `reaction to ${who}: ${JSON.stringify(e)}`);
  }
  // hide, pin and mute: your other devices only; the other member never hears of them.
  await ws.call({ type: 'delete', conversation_id: conv.id, seq: 3, for: 'me' }, 'ok');
  const hid = await ev(a2, 'message_hidden', 'message_hidden to alice 2');
  c.ok(hid.conversation_id === conv.id && hid.seq === 3 && Number.isInteger(hid.version), `message_hidden: ${JSON.stringify(hid)}`);
  const cs = await ws.call({ type: 'chat_state', conversation_id: conv.id, archived: true }, 'chat_state');
  const csc = await ev(a2, 'chat_state_changed', 'chat_state_changed to alice 2');
  c.ok(csc.archived === true && csc.version === cs.version && !('changed' in csc), `chat_state_changed (without changed): ${JSON.stringify(csc)}`);
  const mu = await ws.call({ type: 'mute', conversation_id: conv.id, duration: '1w' }, 'muted');
  c.ok(mu.conversation_id === conv.id && Math.abs(mu.muted_until - Date.now() - 7 * 86400000) < 3600000, `mute 1w: ${JSON.stringify(mu)}`);
  const me = await ev(a2, 'muted', 'muted to alice 2');
  c.ok(me.muted_until === mu.muted_until, `muted event: ${JSON.stringify(me)}`);
  // typing: forwarded to the other member with expires_ms 6000.
  await ws.call({ type: 'typing', conversation_id: conv.id, state: 'start' }, 'ok');
  const ty = await ev(bws, 'typing', 'typing to bob');
  c.ok(ty.conversation_id === conv.id && ty.user_id === a.user.id && ty.state === 'start' && ty.expires_ms === 6000, `typing event: ${JSON.stringify(ty)}`);
  await sleep(300);
  c.ok(!bws.frames.some((f) => ['message_hidden', 'chat_state_changed', 'muted'].includes(f.type)), 'bob hears nothing of alice\'s own chat state');
  const events = ['message', 'receipt', 'receipts', 'conversation', 'presence', 'typing', 'message_changed', 'message_hidden',
    'muted', 'reaction', 'chat_state_changed', 'voice_played', 'session_revoked', 'resync'];
  for (const [w, who] of [[ws, 'alice 1'], [a2, 'alice 2'], [bws, 'bob']]) {
    const bad = w.frames.filter((f) => f.type !== 'ready' && !('id' in f) && !events.includes(f.type));
    c.ok(bad.length === 0, `${who}: a frame without "id" is one of the documented events: ${JSON.stringify(bad).slice(0, 300)}`);
  }

  // a hidden, unread newest message is left out of the conversation as you see it (3 and 4
  // are both hidden from alice, who last wrote 2).
  await bws.call({ type: 'send', conversation_id: conv.id, client_id: 'ev-4', text: 'four' }, 'ack');
  await ws.call({ type: 'delete', conversation_id: conv.id, seq: 4, for: 'me' }, 'ok');
  const hv = (await api(server, 'GET', `/api/v1/conversations/${conv.id}`, { token: a.token })).body.conversation;
  c.ok(hv.last_seq === 2 && hv.last_message?.seq === 2 && hv.unread === 0, `a hidden unread tail is left out: last_seq ${hv.last_seq}, unread ${hv.unread}`);
  await ws.call({ type: 'read', conversation_id: conv.id, seq: 4 }, 'ok');
  const bv = (await api(server, 'GET', `/api/v1/conversations/${conv.id}`, { token: b.token })).body.conversation;
  c.ok(bv.members.find((m) => m.user.id === a.user.id).read_seq === 2, `a read beyond it stops at last_seq: ${JSON.stringify(bv.members)}`);

  // a new group: the creator's devices get `conversation` too (as for a direct
  // conversation), each member's before the group's first message.
  const grp = await api(server, 'POST', '/api/v1/groups', { token: a.token, body: { name: 'Climbing', member_usernames: ['bob'] } });
  for (const [w, who] of [[ws, 'alice 1 (creator)'], [a2, 'alice 2 (creator)'], [bws, 'bob (added)']]) {
    const e = await ev(w, 'conversation', `conversation event for the new group to ${who}`);
    c.ok(e.conversation?.id === grp.body.conversation.id && e.conversation.kind === 'group', `group conversation event to ${who}: ${JSON.stringify(e).slice(0, 150)}`);
    const firstOfGroup = w.frames.find((f) => (f.type === 'conversation' && f.conversation.id === grp.body.conversation.id)
      || (f.type === 'message' && f.message.conversation_id === grp.body.conversation.id));
    c.ok(firstOfGroup?.type === 'conversation', `${who} learns of the group before its first message: ${JSON.stringify(firstOfGroup).slice(0, 100)}`);
  }

  // sync pages: limit 1, each conversation once, in version order.
  for (const u of ['carol', 'dave', 'erin']) {
    await reg(server, u);
    await api(server, 'POST', '/api/v1/conversations', { token: a.token, body: { peer_username: u } });
  }
  let since = 0; const seen = []; let pages = 0;
  for (;;) {
    const r = await api(server, 'GET', `/api/v1/sync?since=${since}&limit=1`, { token: a.token });
    pages += 1;
    if (!c.ok(r.status === 200 && r.body.conversations.length <= 1, `sync page: ${r.status} ${r.text.slice(0, 200)}`) || pages > 10) break;
    seen.push(...r.body.conversations.map((x) => x.id));
    c.ok(r.body.conversations.every((x) => x.version > since && x.version <= r.body.version), `sync page versions in (since, version]: ${r.text.slice(0, 200)}`);
    if (!r.body.has_more) break;
    since = r.body.version;
  }
  c.ok(seen.length === 5 && new Set(seen).size === 5, `sync pages list each conversation once: ${seen.join(',')}`);
  const top = await api(server, 'GET', `/api/v1/sync?since=${since}`, { token: a.token });
  const empty = await api(server, 'GET', `/api/v1/sync?since=${top.body.version}`, { token: a.token });
  c.ok(empty.status === 200 && empty.body.conversations.length === 0 && empty.body.has_more === false && empty.body.version >= top.body.version, `sync from the newest cursor is empty: ${empty.text.slice(0, 200)}`);
  const none = await api(server, 'GET', '/api/v1/sync', { token: a.token });
  c.ok(none.status === 200 && none.body.conversations.length === 5, `sync without since: since 0: ${none.status} ${none.text.slice(0, 100)}`);
  for (const q of ['since=-1', 'since=1e3', 'since=0&limit=0', 'since=0&limit=201', 'since=x']) {
    c.http(await api(server, 'GET', `/api/v1/sync?${q}`, { token: a.token }), 400, 'invalid_argument', `sync ${q}`);
  }
  c.done();
});
