// The server's own voice: GET /api/v1/version and `parleyd --version`, request ids
// (X-Request-Id, docs/protocol.md "Operational endpoints"), the JSON log format, and what the
// log must never contain (src/common/logging.h): passwords, tokens, message text, search
// terms, signed-link signatures — checked on a trace-level log of a session that exercises
// each of them, over HTTP and the WebSocket, including failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { binaryPath, startServer } from './lib/server.mjs';
import {
  api, assertError, assertStatus, cid, connect, login, openConversation, rawHttp, register, T,
} from './lib/client.mjs';
import { makeImage, tempDir } from './lib/images.mjs';
import fs from 'node:fs';

test('GET /api/v1/version needs no token and agrees with parleyd --version', async (t) => {
  const server = await startServer(t);
  const res = await api(server, 'GET', '/api/v1/version');
  assertStatus(res, 200, 'version');
  assert.match(res.body.version, /^\d+\.\d+\.\d+$/);
  assert.match(res.body.commit, /^([0-9a-f]{7,40}(-modified)?|unknown)$/);
  const printed = execFileSync(binaryPath(), ['--version'], { encoding: 'utf8' });
  assert.equal(printed.trim(), `parleyd ${res.body.version} (commit ${res.body.commit})`);
  // Only GET.
  assertError(await api(server, 'POST', '/api/v1/version', { body: {} }), 405, 'method_not_allowed');
});

test('every answer carries X-Request-Id: the client\'s when acceptable, otherwise a fresh one', async (t) => {
  const server = await startServer(t);
  const kept = await api(server, 'GET', '/healthz', { headers: { 'x-request-id': 'lb-7f3a.1_B' } });
  assert.equal(kept.headers.get('x-request-id'), 'lb-7f3a.1_B');

  const fresh = /^[0-9a-f]{8}-[0-9a-f]+$/;
  const seen = new Set();
  // Latin-1 bytes in the last one: not ASCII, so not acceptable.
  for (const offered of [undefined, '', 'has space', 'x'.repeat(65), 'semi;colon', 'a/b', '\u00e9t\u00e9']) {
    const headers = offered === undefined ? {} : { 'x-request-id': offered };
    const res = await rawHttp(server, 'GET', '/api/v1/version', { headers });
    assertStatus(res, 200, `offered ${JSON.stringify(offered)}`);
    const id = res.headers['x-request-id'];
    assert.match(id, fresh, `offered ${JSON.stringify(offered)}`);
    assert.ok(!seen.has(id), 'ids are distinct');
    seen.add(id);
  }
  // Error answers too, whoever produces them: no route, no token, bad body.
  for (const res of [
    await api(server, 'GET', '/api/v1/nope'),
    await api(server, 'GET', '/api/v1/me'),
    await api(server, 'POST', '/api/v1/register', { raw: '{' }),
  ]) {
    assert.match(res.headers.get('x-request-id') ?? '', fresh, `${res.status} ${res.text}`);
  }
  // The access log names each request by its id, with its status and error code.
  const alice = await register(server, 'alice');
  const me = await api(server, 'GET', '/api/v1/me', { token: alice.token, headers: { 'x-request-id': 'probe-me-1' } });
  assertStatus(me, 200);
  const bad = await api(server, 'GET', '/api/v1/conversations/999999', { token: alice.token, headers: { 'x-request-id': 'probe-404' } });
  assertError(bad, 404, 'not_found');
  await server.stop();
  const log = server.log.join('');
  assert.match(log, /http req=probe-me-1 method=GET path=\/api\/v1\/me status=200 ms=[\d.]+ from=127\.0\.0\.1/);
  assert.match(log, /http req=probe-404 method=GET path=\/api\/v1\/conversations\/999999 status=404 error=not_found /);
});

test('--log-format json writes one JSON object per line, and nothing secret at trace level', async (t) => {
  const server = await startServer(t, { args: ['--log-level', 'trace', '--log-format', 'json'] });
  const canary = `CANARY${Date.now().toString(36)}`;
  const secrets = new Map();  // what must not appear -> what it is
  const alicePw = `${canary}-alice-password`;
  const bobPw = `${canary}-bob-password`;
  secrets.set(alicePw, 'a password').set(bobPw, 'a password');
  const alice = await register(server, 'alice', { password: alicePw });
  const bob = await register(server, 'bob', { password: bobPw });
  const bob2 = await login(server, 'bob', { password: bobPw, device_name: `${canary}-phone` });
  for (const s of [alice, bob, bob2]) secrets.set(s.token, 'a token');
  // A failed login names neither the password tried nor whether the user exists.
  const wrong = `${canary}-wrong-password`;
  secrets.set(wrong, 'a wrong password');
  assertError(await api(server, 'POST', '/api/v1/login', { body: { username: 'bob', password: wrong } }), 401, 'invalid_credentials');

  const { conversation } = await openConversation(server, alice.token, 'bob');
  const ac = await connect(t, server, alice.token);
  const bc = await connect(t, server, bob.token);
  const wsText = `${canary} ws message text`;
  const httpText = `${canary} http message text`;
  const editText = `${canary} edited text`;
  secrets.set(wsText, 'message text').set(httpText, 'message text').set(editText, 'message text');
  const ack = await ac.call({ type: 'send', conversation_id: conversation.id, client_id: cid(), text: wsText }, 'ack');
  await bc.next((f) => f.type === 'message' && f.message.seq === ack.message.seq, T(5000), 'the message');
  const sent = await api(server, 'POST', `/api/v1/conversations/${conversation.id}/messages`, {
    token: bob.token, body: { client_id: cid(), text: httpText },
  });
  assertStatus(sent, 200, 'HTTP send');
  await ac.call({ type: 'edit', conversation_id: conversation.id, seq: ack.message.seq, text: editText }, 'edited');
  // Bad input that echoes nothing back into the log either.
  const badFrame = `{"type":"send","conversation_id":${conversation.id},"client_id":"x","text":"${canary} broken`;
  secrets.set(`${canary} broken`, 'text of an unparseable frame');
  ac.send(badFrame);
  await ac.next((f) => f.type === 'error', T(5000), 'the error for a broken frame');
  const term = `${canary.toLowerCase()}`;
  secrets.set(term, 'a search term');
  assertStatus(await api(server, 'GET', `/api/v1/search?q=${term}`, { token: alice.token }), 200, 'search');
  await ac.call({ type: 'search', q: term }, 'search');

  // A photo and its signed link: the signature is in the query string.
  const dir = tempDir(t);
  const bytes = fs.readFileSync(makeImage(dir, 'p.png', 64, 48));
  const up = await api(server, 'POST', '/api/v1/media', {
    token: alice.token, raw: bytes, headers: { 'content-type': 'application/octet-stream' }, timeoutMs: T(60000),
  });
  assertStatus(up, 201, 'upload');
  const meta = await api(server, 'GET', `/api/v1/media/${up.body.media.media_id}`, { token: alice.token });
  assertStatus(meta, 200, 'media links');
  const link = new URL(meta.body.links.full, server.url);
  secrets.set(link.searchParams.get('s'), 'a link signature');
  const got = await fetch(link);
  assert.equal(got.status, 200);
  await got.arrayBuffer();

  assertStatus(await api(server, 'POST', '/api/v1/logout', { token: bob2.token }), 200, 'logout');
  await server.stop();

  const lines = server.log.join('').split('\n').filter((l) => l.length > 0);
  assert.ok(lines.length > 10, `a trace log of this session has lines (${lines.length})`);
  let requests = 0;
  for (const line of lines) {
    let entry;
    assert.doesNotThrow(() => { entry = JSON.parse(line); }, `not JSON: ${line}`);
    assert.deepEqual(Object.keys(entry), ['ts', 'level', 'msg'], line);
    assert.match(entry.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    if (entry.msg.startsWith('http req=')) requests += 1;
    for (const [secret, what] of secrets) {
      assert.ok(!line.includes(secret), `the log holds ${what}: ${line}`);
      assert.ok(!line.toLowerCase().includes(secret.toLowerCase()), `the log holds ${what} (any case): ${line}`);
    }
    assert.ok(!line.includes(canary) && !line.toLowerCase().includes(canary.toLowerCase()), `the log holds test content: ${line}`);
  }
  assert.ok(requests >= 10, `every HTTP request is logged (${requests} lines)`);
});
