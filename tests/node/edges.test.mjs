// The edges a client written from docs/protocol.md must know, each pinned: the id of an
// error answering an unparseable frame, authentication before routing, a bad token on the
// upgrade, argument errors on both transports, one's own receipt event, search paging's end,
// and conversation_id=0.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import {
  api, assertError, assertStatus, assertWsError, cid, connect, openConversation, openSocket, register, T,
} from './lib/client.mjs';

test('an error answering a frame that is not a JSON object carries "id": null', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const ws = await connect(t, server, alice.token);
  for (const raw of ['not json', '[1,2]', '{"type":"ping","id":"p1"', '"ping"']) {
    ws.send(raw);
    const err = await ws.next((f) => f.type === 'error', T(5000), `the error for ${raw}`);
    assertWsError(err, 'bad_request', raw);
    assert.ok('id' in err && err.id === null, `"id": null expected: ${JSON.stringify(err)}`);
  }
  // An answer to a request without an id carries "id": null too.
  ws.send({ type: 'ping' });
  const pong = await ws.next((f) => f.type === 'pong', T(5000), 'pong');
  assert.ok('id' in pong && pong.id === null, JSON.stringify(pong));
  assert.ok(ws.isOpen, 'the connection stays open');
});

test('under /api/ a request without a valid token is 401 before routing: unknown routes too', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  for (const [method, path] of [['GET', '/api/v1/nope'], ['POST', '/api/v1/nope'], ['GET', '/api/v2/me'], ['DELETE', '/api/v1/me']]) {
    assertError(await api(server, method, path), 401, 'unauthenticated', `${method} ${path} without a token`);
  }
  assertError(await api(server, 'GET', '/api/v1/nope', { token: alice.token }), 404, 'not_found', 'unknown route with a token');
  assertError(await api(server, 'DELETE', '/api/v1/me', { token: alice.token }), 405, 'method_not_allowed', 'wrong method with a token');
  // register and login need no token: a wrong method is 405 without one.
  assertError(await api(server, 'GET', '/api/v1/register'), 405, 'method_not_allowed', 'GET register');
});

test('a bad bearer token on the upgrade is accepted, then answered with an error frame and close 4001', async (t) => {
  const server = await startServer(t);
  const ws = await openSocket(server, { headers: { authorization: 'Bearer not-a-token' } });
  const first = await ws.next(() => true, T(5000), 'the first frame');
  assertWsError(first, 'unauthenticated', 'bad bearer token');
  assert.equal(first.id, null);
  assert.equal((await ws.waitClose()).code, 4001);
});

test('before with after, a non-integer limit and an empty q are invalid_argument on both transports', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const ws = await connect(t, server, alice.token);
  await ws.sendMessage(ab.id, cid('m'), 'hello world');

  const http = async (path) => assertError(await api(server, 'GET', path, { token: alice.token }), 400, 'invalid_argument', path);
  await http(`/api/v1/conversations/${ab.id}/messages?before=5&after=1`);
  for (const limit of ['abc', '1.5', '', '-1']) {
    await http(`/api/v1/conversations/${ab.id}/messages?limit=${limit}`);
    await http(`/api/v1/sync?limit=${limit}`);
    await http(`/api/v1/search?q=hello&limit=${limit}`);
  }
  await http('/api/v1/search?q=');
  await http('/api/v1/search?q=%20%20');
  await http('/api/v1/search?q=hello&conversation_id=0');

  const wsError = async (frame, code) => assertWsError(await ws.request(frame), code, JSON.stringify(frame));
  await wsError({ type: 'history', conversation_id: ab.id, before: 5, after: 1 }, 'invalid_argument');
  await wsError({ type: 'history', conversation_id: ab.id, limit: 0 }, 'invalid_argument');
  await wsError({ type: 'search', q: '' }, 'invalid_argument');
  await wsError({ type: 'search', q: 'hello', conversation_id: 0 }, 'invalid_argument');
  // Over the WebSocket a limit of the wrong JSON type is a bad_request, as any field of the wrong type.
  await wsError({ type: 'history', conversation_id: ab.id, limit: '5' }, 'bad_request');
  // Not a member (or no such conversation): not_found on both.
  assertError(await api(server, 'GET', '/api/v1/search?q=hello&conversation_id=999', { token: alice.token }), 404, 'not_found', 'search in 999');
  await wsError({ type: 'search', q: 'hello', conversation_id: 999 }, 'not_found');
});

test('the connection that reads also receives the receipt event of its own read', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const wa = await connect(t, server, alice.token);
  const wb = await connect(t, server, bob.token);
  await wa.sendMessage(ab.id, cid('m'), 'hi');
  await wb.call({ type: 'read', conversation_id: ab.id, seq: 1 }, 'ok');
  const own = await wb.event('receipt', (f) => f.user_id === bob.user.id && f.read_seq === 1);
  assert.equal(own.conversation_id, ab.id);
  await wa.event('receipt', (f) => f.user_id === bob.user.id && f.read_seq === 1);
});

test('search answers next_offset only while has_more is true', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const ws = await connect(t, server, alice.token);
  for (let i = 0; i < 3; i += 1) await ws.sendMessage(ab.id, cid('s'), `pizza number ${i}`);
  const first = await api(server, 'GET', '/api/v1/search?q=pizza&limit=2', { token: alice.token });
  assertStatus(first, 200, 'first page');
  assert.equal(first.body.has_more, true);
  assert.equal(first.body.next_offset, 2);
  const last = await api(server, 'GET', '/api/v1/search?q=pizza&limit=2&offset=2', { token: alice.token });
  assert.equal(last.body.has_more, false);
  assert.equal(last.body.results.length, 1);
  assert.ok(!('next_offset' in last.body), `no next_offset on the last page: ${last.text}`);
  const overWs = await ws.call({ type: 'search', q: 'pizza', limit: 2, offset: 2 }, 'search');
  assert.equal(overWs.has_more, false);
  assert.ok(!('next_offset' in overWs), JSON.stringify(overWs));
});
