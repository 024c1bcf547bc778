// Text that is not UTF-8 gets the documented `invalid_utf8` on every route that reads a JSON
// body and in every WebSocket frame, whether it is raw bytes (FF FE) or a \u escape of an
// unpaired UTF-16 surrogate (\ud800); nothing is stored.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import {
  api, assertError, assertStatus, assertWsError, connect, fullHistory, openConversation, openSocket, register, T,
} from './lib/client.mjs';

// A JSON body whose string value `field` is `bad` (raw bytes or escape text), the rest valid.
function bodyWith(fields, badField, bad) {
  const head = JSON.stringify(fields).slice(0, -1);
  const sep = Object.keys(fields).length > 0 ? ',' : '';
  return Buffer.concat([Buffer.from(`${head}${sep}"${badField}":"`), bad, Buffer.from('"}')]);
}

const RAW_FF_FE = Buffer.from([0x41, 0xff, 0xfe, 0x42]);
const LONE_HIGH = Buffer.from('A\\ud800B');
const LONE_LOW = Buffer.from('\\udc00');
const HIGH_THEN_ASCII = Buffer.from('\\ud800\\u0041');

test('every route that reads a JSON body answers 400 invalid_utf8 to text that is not UTF-8', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const sent = await api(server, 'POST', `/api/v1/conversations/${ab.id}/messages`, { token: alice.token, body: { client_id: 'm1', text: 'hello' } });
  assertStatus(sent, 200, 'first message');
  const group = await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'G', member_usernames: ['bob'] } });
  assertStatus(group, 201, 'group');
  const g = group.body.conversation.id;

  // [method, path, the valid fields, the string field that carries the bad text, token]
  const routes = [
    ['POST', '/api/v1/register', { username: 'carol', password: 'long enough pw' }, 'display_name', null],
    ['POST', '/api/v1/login', { username: 'alice' }, 'password', null],
    ['POST', '/api/v1/conversations', {}, 'peer_username', alice.token],
    ['POST', `/api/v1/conversations/${ab.id}/messages`, { client_id: 'm2' }, 'text', alice.token],
    ['POST', `/api/v1/conversations/${ab.id}/receipts`, { read_seq: 1 }, 'x', bob.token],
    ['POST', '/api/v1/groups', { member_usernames: ['bob'] }, 'name', alice.token],
    ['POST', `/api/v1/conversations/${g}/members`, { user_ids: [] }, 'x', alice.token],
    ['PATCH', `/api/v1/conversations/${g}`, {}, 'name', alice.token],
    ['PATCH', `/api/v1/conversations/${g}/members/${bob.user.id}`, {}, 'role', alice.token],
    ['PATCH', `/api/v1/conversations/${ab.id}/messages/1`, {}, 'text', alice.token],
    ['PUT', `/api/v1/contacts/${bob.user.id}`, {}, 'nickname', alice.token],
    ['PATCH', '/api/v1/me/privacy', {}, 'groups_add', alice.token],
  ];
  for (const [method, path, fields, field, token] of routes) {
    for (const [what, bad] of [['raw FF FE', RAW_FF_FE], ['a lone \\ud800', LONE_HIGH], ['a lone \\udc00', LONE_LOW], ['\\ud800 then \\u0041', HIGH_THEN_ASCII]]) {
      const res = await api(server, method, path, { token: token ?? undefined, raw: bodyWith(fields, field, bad) });
      assertError(res, 400, 'invalid_utf8', `${method} ${path} with ${what} in '${field}'`);
    }
  }

  // Nothing was stored: no carol, no second message, no rename, no contact.
  assertError(await api(server, 'GET', '/api/v1/users/carol', { token: alice.token }), 404, 'not_found', 'carol');
  assert.deepEqual((await fullHistory(server, alice.token, ab.id)).map((m) => [m.seq, m.text]), [[1, 'hello']]);
  assert.equal((await api(server, 'GET', `/api/v1/conversations/${g}`, { token: alice.token })).body.conversation.name, 'G');
  assert.deepEqual((await api(server, 'GET', '/api/v1/contacts', { token: alice.token })).body.contacts, []);
  // A surrogate pair is a character like any other.
  const emoji = await api(server, 'POST', `/api/v1/conversations/${ab.id}/messages`, {
    token: alice.token, raw: Buffer.from('{"client_id":"m3","text":"\\ud83d\\ude00"}'),
  });
  assertStatus(emoji, 200, 'a message escaping a surrogate pair');
  assert.equal(emoji.body.message.text, '\u{1F600}');
});

test('a WebSocket frame with an unpaired surrogate escape gets invalid_utf8 with a null id and stays open', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const ws = await connect(t, server, alice.token);
  for (const frame of [
    `{"type":"send","id":"s1","conversation_id":${ab.id},"client_id":"w1","text":"\\ud800"}`,
    `{"type":"edit","id":"e1","conversation_id":${ab.id},"seq":1,"text":"x\\udc00"}`,
    '{"type":"search","id":"q1","q":"\\ud800\\u0041"}',
  ]) {
    ws.send(frame);
    // The frame could not be parsed, so its id is unknown: the error carries "id": null.
    const err = await ws.next((f) => f.type === 'error', T(5000), `the error for ${frame}`);
    assertWsError(err, 'invalid_utf8', frame);
    assert.equal(err.id, null, `the error must carry "id": null: ${JSON.stringify(err)}`);
  }
  assert.equal((await ws.sendMessage(ab.id, 'w2', 'still open')).message.seq, 1);
  assert.deepEqual((await fullHistory(server, alice.token, ab.id)).map((m) => m.client_id), ['w2']);

  // Before authentication an unparseable first frame closes with 4001, whatever the cause.
  const pre = await openSocket(server);
  pre.send('{"type":"auth","token":"\\ud800"}');
  const first = await pre.next(() => true, T(5000), 'the answer to a bad first frame');
  assertWsError(first, 'unauthenticated', 'first frame with \\ud800');
  assert.equal((await pre.waitClose()).code, 4001);
});
