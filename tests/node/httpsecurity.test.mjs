// What a hostile web page can make a visitor's browser do against parleyd (docs/protocol.md,
// "Browsers and origins"): cross-site form posts (text/plain bodies, foreign Origin) are refused
// and change nothing; the WebSocket upgrade checks the Origin's scheme, host and port and the
// Host header (DNS rebinding); /metrics answers only its allow-list; and every answer carries
// the security headers (nosniff, no referrer, no framing, a Content-Security-Policy).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import {
  api, assertError, assertStatus, connect, openSocket, rawHttp, register, T,
} from './lib/client.mjs';
import { makeImage, tempDir } from './lib/images.mjs';

const EVIL = 'http://evil.example';

function registerBody(username) {
  return JSON.stringify({ username, display_name: username, password: `pw-${username}-secret` });
}

/** A request through node:http, so that Origin, Host and Content-Type are exactly what the test says. */
function send(server, method, p, { body = '', headers = {} } = {}) {
  return rawHttp(server, method, p, { body, headers: { 'content-length': Buffer.byteLength(body), ...headers } });
}

async function accountExists(server, username) {
  const res = await api(server, 'POST', '/api/v1/login', {
    body: { username, password: `pw-${username}-secret` },
  });
  return res.status === 200;
}

test('a state-changing request must carry a JSON body: text/plain and missing types get 415', async (t) => {
  const server = await startServer(t);
  // text/plain is what a cross-site form can send without a CORS preflight.
  for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x', 'application/jsonx', undefined]) {
    const headers = type === undefined ? {} : { 'content-type': type };
    const res = await send(server, 'POST', '/api/v1/register', { body: registerBody('mallory'), headers });
    assertError(res, 415, 'unsupported_content_type', `register with Content-Type ${type}`);
  }
  assert.equal(await accountExists(server, 'mallory'), false, 'a refused register created no account');

  // JSON works, with or without a charset parameter, in any letter case.
  for (const [name, type] of [['alice', 'application/json'], ['bob', 'Application/JSON; charset=utf-8']]) {
    const res = await send(server, 'POST', '/api/v1/register', { body: registerBody(name), headers: { 'content-type': type } });
    assertStatus(res, 201, `register with ${type}`);
  }
  // Login is held to the same rule.
  const login = await send(server, 'POST', '/api/v1/login', {
    body: JSON.stringify({ username: 'alice', password: 'pw-alice-secret' }), headers: { 'content-type': 'text/plain' },
  });
  assertError(login, 415, 'unsupported_content_type', 'login with text/plain');
  // A bodiless POST needs no Content-Type.
  const alice = await api(server, 'POST', '/api/v1/login', { body: { username: 'alice', password: 'pw-alice-secret' } });
  assertStatus(alice, 200);
  const logout = await send(server, 'POST', '/api/v1/logout', { headers: { authorization: `Bearer ${alice.body.token}` } });
  assertStatus(logout, 200, 'bodiless logout');
});

test('a foreign Origin is refused with 403 forbidden and changes nothing; own and configured origins work', async (t) => {
  const server = await startServer(t, { args: ['--allowed-origins', 'https://app.example.com'] });
  const json = { 'content-type': 'application/json' };
  const own = `http://127.0.0.1:${server.port}`;

  for (const origin of [EVIL, 'null', `https://127.0.0.1:${server.port}`, `http://127.0.0.1:${server.port + 1}`,
    `http://localhost:${server.port}.evil.example`, 'https://app.example.com.evil.example']) {
    const res = await send(server, 'POST', '/api/v1/register', { body: registerBody('mallory'), headers: { ...json, origin } });
    assertError(res, 403, 'forbidden', `register from Origin ${origin}`);
  }
  // A text/plain body from a foreign Origin (the real cross-site form) is refused too.
  const form = await send(server, 'POST', '/api/v1/register', {
    body: registerBody('mallory'), headers: { 'content-type': 'text/plain', origin: EVIL },
  });
  assertError(form, 403, 'forbidden', `text/plain register from ${EVIL}`);
  assert.equal(await accountExists(server, 'mallory'), false, 'no refused register created an account');

  const alice = await register(server, 'alice');
  await register(server, 'bob');
  const auth = { ...json, authorization: `Bearer ${alice.token}` };
  // Authenticated writes: opening a conversation, revoking a session, uploading a photo.
  const open = await send(server, 'POST', '/api/v1/conversations', {
    body: JSON.stringify({ peer_username: 'bob' }), headers: { ...auth, origin: EVIL },
  });
  assertError(open, 403, 'forbidden', 'POST /conversations from a foreign Origin');
  const list = await api(server, 'GET', '/api/v1/conversations', { token: alice.token });
  assertStatus(list, 200);
  assert.equal(list.body.conversations.length, 0, 'the refused request opened no conversation');

  const revoke = await send(server, 'DELETE', `/api/v1/sessions/${alice.session_id}`, {
    headers: { authorization: `Bearer ${alice.token}`, origin: EVIL },
  });
  assertError(revoke, 403, 'forbidden', 'DELETE /sessions/{id} from a foreign Origin');
  assertStatus(await api(server, 'GET', '/api/v1/me', { token: alice.token }), 200, 'the session still works');

  const dir = tempDir(t);
  const photo = fs.readFileSync(makeImage(dir, 'p.jpg', 64, 48));
  const uploadHeaders = { authorization: `Bearer ${alice.token}`, 'content-type': 'image/jpeg', 'content-length': photo.length };
  const upload = await rawHttp(server, 'POST', '/api/v1/media', { body: photo, headers: { ...uploadHeaders, origin: EVIL } });
  assertError(upload, 403, 'forbidden', 'upload from a foreign Origin');

  // The server's own origin and the configured ones work; so do requests with no Origin.
  for (const origin of [own, 'https://app.example.com', 'HTTPS://APP.EXAMPLE.COM:443']) {
    const res = await send(server, 'POST', '/api/v1/conversations', {
      body: JSON.stringify({ peer_username: 'bob' }), headers: { ...auth, origin },
    });
    assert.ok(res.status === 200 || res.status === 201, `Origin ${origin}: ${res.status} ${res.text}`);
  }
  const ok = await rawHttp(server, 'POST', '/api/v1/media', { body: photo, headers: { ...uploadHeaders, origin: own } });
  assertStatus(ok, 201, 'upload from the own origin');
  // Reads are not refused for their Origin (a foreign page can send them but not read the answer).
  const read = await rawHttp(server, 'GET', '/api/v1/me', { headers: { authorization: `Bearer ${alice.token}`, origin: EVIL } });
  assertStatus(read, 200, 'GET from a foreign Origin');
});

test('with --public-origin only the listed origins (and their Host names) are accepted', async (t) => {
  const server = await startServer(t, { args: ['--public-origin', 'https://chat.example.com'] });
  const alice = await register(server, 'alice');
  // A TLS-terminating proxy forwards Host: chat.example.com to plain-HTTP parleyd.
  const ws = await connect(t, server, alice.token, { origin: 'https://chat.example.com', headers: { host: 'chat.example.com' } });
  assert.equal(ws.ready.user.id, alice.user.id);
  for (const [origin, host] of [
    [`http://127.0.0.1:${server.port}`, `127.0.0.1:${server.port}`],  // loopback is not listed now
    ['http://chat.example.com', 'chat.example.com'],                   // scheme differs
    ['https://chat.example.com:8443', 'chat.example.com:8443'],        // port differs
    ['https://chat.example.com', 'evil.example'],                      // Host not listed
  ]) {
    await assert.rejects(openSocket(server, { origin, headers: { host } }), (err) => {
      assert.equal(err.statusCode, 403, `Origin ${origin} Host ${host}: ${err.message}`);
      return true;
    });
  }
  const res = await send(server, 'POST', '/api/v1/login', {
    body: JSON.stringify({ username: 'alice', password: alice.password }),
    headers: { 'content-type': 'application/json', origin: 'https://chat.example.com', host: 'evil.example' },
  });
  assertError(res, 403, 'forbidden', 'login with a listed Origin but a foreign Host');
  const good = await send(server, 'POST', '/api/v1/login', {
    body: JSON.stringify({ username: 'alice', password: alice.password }),
    headers: { 'content-type': 'application/json', origin: 'https://chat.example.com', host: 'chat.example.com' },
  });
  assertStatus(good, 200, 'login from the public origin');
});

test('WebSocket upgrade: the Origin scheme and port must be the server\'s own; Host=Origin=evil is refused', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const port = server.port;
  for (const [origin, host] of [
    [`https://127.0.0.1:${port}`, `127.0.0.1:${port}`],  // wrong scheme: the server speaks http
    [`http://127.0.0.1:${port + 1}`, `127.0.0.1:${port}`],
    [EVIL, 'evil.example'],                               // DNS rebinding: Host follows the page
    [`${EVIL}:${port}`, `evil.example:${port}`],
    [`http://localhost:${port}`, `evil.example:${port}`],  // a loopback Origin with a foreign Host
  ]) {
    await assert.rejects(openSocket(server, { origin, headers: { host } }), (err) => {
      assert.equal(err.statusCode, 403, `Origin ${origin} Host ${host}: ${err.message}`);
      assert.equal(err.json?.error?.code, 'forbidden');
      return true;
    });
  }
  // The web client served by this server, reached by any loopback name, and native clients.
  for (const [origin, host] of [
    [`http://127.0.0.1:${port}`, `127.0.0.1:${port}`],
    [`http://localhost:${port}`, `localhost:${port}`],
    [`http://[::1]:${port}`, `[::1]:${port}`],
    [undefined, `127.0.0.1:${port}`],
    [undefined, 'anything.example'],
  ]) {
    const ws = await connect(t, server, alice.token, { origin, headers: { host } });
    assert.equal(ws.ready.user.id, alice.user.id, `Origin ${origin} Host ${host}`);
    ws.terminate();
  }
});

test('/metrics answers only addresses on its allow-list', async (t) => {
  const open = await startServer(t);
  assertStatus(await api(open, 'GET', '/metrics'), 200, 'loopback is allowed by default');
  const closed = await startServer(t, { args: ['--metrics-allow', '10.0.0.0/8,192.168.0.0/16'] });
  assertError(await api(closed, 'GET', '/metrics'), 403, 'forbidden', '/metrics from 127.0.0.1 outside the list');
  assertStatus(await api(closed, 'GET', '/healthz'), 200, 'healthz is not affected');
  const listed = await startServer(t, { args: ['--metrics-allow', '10.0.0.0/8, 127.0.0.1/32'] });
  assertStatus(await api(listed, 'GET', '/metrics'), 200, '127.0.0.1/32 in the list');
});

function assertSecurityHeaders(res, what) {
  const h = (name) => (typeof res.headers.get === 'function' ? res.headers.get(name) : res.headers[name]);
  assert.equal(h('x-content-type-options'), 'nosniff', `${what}: nosniff`);
  assert.equal(h('referrer-policy'), 'no-referrer', `${what}: Referrer-Policy`);
  assert.equal(h('x-frame-options'), 'DENY', `${what}: X-Frame-Options`);
  const csp = h('content-security-policy') ?? '';
  assert.match(csp, /frame-ancestors 'none'/, `${what}: CSP frame-ancestors (${csp})`);
  return csp;
}

test('every answer carries the security headers; the web client\'s page a strict CSP', async (t) => {
  const webRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-web-'));
  t.after(() => fs.rmSync(webRoot, { recursive: true, force: true }));
  fs.mkdirSync(path.join(webRoot, 'assets'));
  fs.writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>Parley</title>');
  fs.writeFileSync(path.join(webRoot, 'assets', 'app.js'), 'console.log(1);');
  const server = await startServer(t, { args: ['--web-root', webRoot] });
  const alice = await register(server, 'alice');

  const page = await api(server, 'GET', '/');
  assertStatus(page, 200);
  const csp = assertSecurityHeaders(page, 'index.html');
  for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
    "form-action 'self'"]) assert.ok(csp.includes(directive), `index.html CSP has ${directive}: ${csp}`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, 'no unsafe sources');
  const head = await rawHttp(server, 'HEAD', '/c/7');
  assertStatus(head, 200);
  assertSecurityHeaders(head, 'HEAD of a client route');

  assertSecurityHeaders(await api(server, 'GET', '/assets/app.js'), 'a static asset');
  assertSecurityHeaders(await api(server, 'GET', '/assets/missing.js'), 'a missing static file (404)');
  assertSecurityHeaders(await api(server, 'GET', '/healthz'), 'healthz');
  assertSecurityHeaders(await api(server, 'GET', '/metrics'), 'metrics');
  assertSecurityHeaders(await api(server, 'GET', '/api/v1/me', { token: alice.token }), 'API JSON');
  assertSecurityHeaders(await api(server, 'GET', '/api/v1/me'), 'API error (401)');
  assertSecurityHeaders(await rawHttp(server, 'PUT', '/index.html'), 'static 405');
  const big = await send(server, 'POST', '/api/v1/login', {
    body: 'x'.repeat(70 << 10), headers: { 'content-type': 'application/json' },
  });
  assertStatus(big, 413);
  assertSecurityHeaders(big, 'a 413');
  const refused = await openSocket(server, { origin: EVIL }).then(() => assert.fail('upgrade accepted'), (err) => err);
  assert.equal(refused.statusCode, 403);
  assertSecurityHeaders(refused, 'a refused upgrade');

  const dir = tempDir(t);
  const photo = fs.readFileSync(makeImage(dir, 'p.jpg', 64, 48));
  const up = await api(server, 'POST', '/api/v1/media', {
    token: alice.token, raw: photo, headers: { 'content-type': 'image/jpeg' }, timeoutMs: T(60000),
  });
  assertStatus(up, 201, 'upload');
  assertSecurityHeaders(up, 'upload answer');
  const meta = await api(server, 'GET', `/api/v1/media/${up.body.media.media_id}`, { token: alice.token });
  assertStatus(meta, 200);
  const img = await fetch(server.url + meta.body.links.full);
  assert.equal(img.status, 200);
  await img.arrayBuffer();
  assertSecurityHeaders(img, 'a photo download');
});
