// Deleting an account (docs/protocol.md, "Deleting an account"): what the user who deletes,
// their devices and the people they talked to see afterwards, and what a hostile client
// cannot do with the route.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  api, assertError, assertStatus, cid, connect, fullHistory, httpSend, openConversation, register, T,
} from './lib/client.mjs';
import { binaryPath, startServer } from './lib/server.mjs';

async function group(server, token, name, usernames) {
  const res = await api(server, 'POST', '/api/v1/groups', { token, body: { name, member_usernames: usernames } });
  assertStatus(res, 201, `create group ${name}`);
  return res.body.conversation;
}

function deleteAccount(server, token, password) {
  return api(server, 'POST', '/api/v1/me/delete', { token, body: password === undefined ? {} : { password } });
}

test('deleting an account ends its sessions, leaves its groups and leaves "Deleted account" behind', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const carol = await register(server, 'carol');
  const direct = (await openConversation(server, alice.token, 'bob')).conversation;
  assertStatus(await httpSend(server, alice.token, direct.id, cid(), 'hi bob, from alice'), 200, 'alice writes');
  const team = await group(server, alice.token, 'Team', ['bob', 'carol']);
  assertStatus(await httpSend(server, alice.token, team.id, cid(), 'hello team'), 200, 'alice writes the group');
  assertStatus(await api(server, 'PUT', `/api/v1/contacts/${bob.user.id}`, { token: alice.token, body: { nickname: 'B' } }), 200);
  assertStatus(await api(server, 'PUT', `/api/v1/contacts/${alice.user.id}`, { token: carol.token, body: { nickname: 'Al' } }), 200);

  const aliceWs = await connect(t, server, alice.token);
  const bobWs = await connect(t, server, bob.token);
  assertStatus(await deleteAccount(server, alice.token, alice.password), 200, 'delete');

  // Her connected device is told and closed; the token is dead.
  await aliceWs.next((f) => f.type === 'session_revoked', T(5000), 'session_revoked');
  assert.equal((await aliceWs.closed).code, 4001);
  assertError(await api(server, 'GET', '/api/v1/me', { token: alice.token }), 401, 'unauthenticated');
  // Bob sees her leave the group, as "Deleted account".
  const left = await bobWs.next((f) => f.type === 'message' && f.message.conversation_id === team.id
    && f.message.kind === 'system' && JSON.parse(f.message.text).event === 'member_left', T(5000), 'member_left');
  const event = JSON.parse(left.message.text);
  assert.equal(event.users[0].id, alice.user.id);
  assert.equal(event.users[0].display_name, 'Deleted account');
  assert.equal(event.users[0].deleted, true);
  // Bob's devices learn of the direct conversation's new look at once.
  const changed = await bobWs.next((f) => f.type === 'conversation' && f.conversation.id === direct.id, T(5000), 'conversation');
  assert.equal(changed.conversation.members.find((m) => m.user.id === alice.user.id).user.deleted, true);
  // Alice was the only admin: the longest-standing member is promoted.
  const members = await api(server, 'GET', `/api/v1/conversations/${team.id}/members`, { token: bob.token });
  assertStatus(members, 200);
  assert.deepEqual(members.body.members.map((m) => m.user.id).sort(), [bob.user.id, carol.user.id].sort());
  assert.ok(members.body.members.some((m) => m.role === 'admin'), 'someone is admin');

  // Her messages stay, for the others, and the direct conversation shows the deleted account.
  const groupTexts = (await fullHistory(server, bob.token, team.id)).map((m) => m.text);
  assert.ok(groupTexts.includes('hello team'));
  assert.deepEqual((await fullHistory(server, bob.token, direct.id)).map((m) => m.text), ['hi bob, from alice']);
  const seen = await api(server, 'GET', `/api/v1/conversations/${direct.id}`, { token: bob.token });
  assertStatus(seen, 200);
  const peer = seen.body.conversation.members.find((m) => m.user.id === alice.user.id);
  assert.deepEqual(peer.user, { id: alice.user.id, username: 'alice', display_name: 'Deleted account', deleted: true });
  const profile = await api(server, 'GET', '/api/v1/users/alice', { token: bob.token });
  assertStatus(profile, 200);
  assert.equal(profile.body.user.deleted, true);
  // Nobody may message her, open a conversation with her or add her anywhere.
  assertError(await httpSend(server, bob.token, direct.id, cid(), 'are you there?'), 410, 'account_deleted', 'send');
  bobWs.send({ type: 'send', id: 'x1', conversation_id: direct.id, client_id: cid(), text: 'ws too' });
  const wsAnswer = await bobWs.next((f) => f.id === 'x1', T(5000), 'send answer');
  assert.equal(wsAnswer.type, 'error');
  assert.equal(wsAnswer.code, 'account_deleted');
  assert.deepEqual((await fullHistory(server, bob.token, direct.id)).map((m) => m.text), ['hi bob, from alice'],
    'nothing was stored');
  assertError(await api(server, 'POST', '/api/v1/conversations', { token: carol.token, body: { peer_username: 'alice' } }),
    410, 'account_deleted', 'open');
  assertError(await api(server, 'PUT', `/api/v1/contacts/${alice.user.id}`, { token: bob.token, body: {} }),
    410, 'account_deleted', 'contact');
  const other = await group(server, bob.token, 'Other', ['carol']);
  const add = await api(server, 'POST', `/api/v1/conversations/${other.id}/members`, { token: bob.token, body: { user_ids: [alice.user.id] } });
  assertError(add, 403, 'forbidden', 'add to a group');
  assert.deepEqual(add.body.error.user_ids, [alice.user.id]);
  // Her contacts are gone, and she is gone from others' contacts and from search.
  assert.deepEqual((await api(server, 'GET', '/api/v1/contacts', { token: carol.token })).body.contacts, []);
  assert.deepEqual((await api(server, 'GET', '/api/v1/users?prefix=ali', { token: bob.token })).body.users, []);

  // She cannot log in; the username stays reserved.
  assertError(await api(server, 'POST', '/api/v1/login', { body: { username: 'alice', password: alice.password } }),
    401, 'invalid_credentials', 'login');
  assertError(await api(server, 'POST', '/api/v1/register',
    { body: { username: 'alice', display_name: 'Not Alice', password: 'a long enough secret phrase' } }),
  409, 'username_taken', 're-register');
  // Everyone else carries on.
  assertStatus(await httpSend(server, bob.token, team.id, cid(), 'still here'), 200);
});

test('deleting an account: wrong password, missing fields, other tokens and repeats change nothing', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const second = await api(server, 'POST', '/api/v1/login', { body: { username: 'alice', password: alice.password, device_name: 'tablet' } });
  assertStatus(second, 200);

  assertError(await deleteAccount(server, undefined, alice.password), 401, 'unauthenticated', 'no token');
  assertError(await deleteAccount(server, alice.token, 'not the password'), 401, 'invalid_credentials', 'wrong password');
  assertError(await deleteAccount(server, alice.token, ''), 401, 'invalid_credentials', 'empty password');
  assertError(await deleteAccount(server, alice.token, 'x'.repeat(10000)), 401, 'invalid_credentials', 'long password');
  assertError(await deleteAccount(server, alice.token, 'x'.repeat(100000)), 413, 'payload_too_large', 'huge body');
  assertError(await deleteAccount(server, alice.token), 400, 'bad_request', 'no password');
  assertError(await deleteAccount(server, alice.token, 12345), 400, 'bad_request', 'not a string');
  assertError(await api(server, 'POST', '/api/v1/me/delete', { token: alice.token, raw: '{' }), 400, 'bad_request', 'bad JSON');
  assertError(await api(server, 'GET', '/api/v1/me/delete', { token: alice.token }), 405, 'method_not_allowed');
  // Bob's token with Alice's password deletes nothing of Alice's (and not Bob: it is not his password).
  assertError(await deleteAccount(server, bob.token, alice.password), 401, 'invalid_credentials', 'another user');
  assertStatus(await api(server, 'GET', '/api/v1/me', { token: alice.token }), 200, 'alice still here');
  assertStatus(await api(server, 'GET', '/api/v1/me', { token: bob.token }), 200, 'bob still here');

  // Deleted over the WebSocket from her second device; the first device's token dies too.
  const ws = await connect(t, server, second.body.token);
  ws.send({ type: 'delete_account', id: 'd1', password: alice.password });
  await ws.next((f) => f.type === 'session_revoked', T(5000), 'session_revoked');
  assertError(await api(server, 'GET', '/api/v1/me', { token: alice.token }), 401, 'unauthenticated');
  // Repeating it is refused: no session is left to ask with.
  assertError(await deleteAccount(server, alice.token, alice.password), 401, 'unauthenticated', 'again');
  assertError(await deleteAccount(server, second.body.token, alice.password), 401, 'unauthenticated', 'again');
  assertStatus(await api(server, 'GET', '/api/v1/me', { token: bob.token }), 200, 'bob untouched');
});

test('deleting an account counts against the login limit of the address, so a stolen token cannot guess faster', async (t) => {
  const server = await startServer(t, { args: ['--rate-login-per-min', '3'] });
  const bob = await register(server, 'bob');
  let limited;
  for (let i = 0; i < 10 && !limited; i += 1) {
    const res = await deleteAccount(server, bob.token, `guess ${i}`);
    if (res.status === 429) limited = res;
    else assertError(res, 401, 'invalid_credentials', `guess ${i}`);
  }
  assert.ok(limited, 'rate limited within 10 guesses');
  assertError(limited, 429, 'rate_limited');
  assert.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After');
  // Even the right password waits its turn, and nothing was deleted.
  assertError(await deleteAccount(server, bob.token, bob.password), 429, 'rate_limited');
  assertStatus(await api(server, 'GET', '/api/v1/me', { token: bob.token }), 200, 'bob untouched');
});

test('parleyd admin delete-user deletes an account as its user would, once', async (t) => {
  const server = await startServer(t);
  const carol = await register(server, 'carol');
  const bob = await register(server, 'bob');
  const direct = (await openConversation(server, bob.token, 'carol')).conversation;
  const ws = await connect(t, server, carol.token);
  const run = (args) => spawnSync(binaryPath(), ['admin', '--listen', `127.0.0.1:${server.port}`, '--data-dir', server.dataDir, ...args],
    { encoding: 'utf8', timeout: T(30000) });
  const deleted = run(['delete-user', 'carol']);
  assert.equal(deleted.status, 0, deleted.stderr);
  assert.equal(JSON.parse(deleted.stdout).revoked_sessions, 1);
  await ws.next((f) => f.type === 'session_revoked', T(5000), 'session_revoked');
  assertError(await api(server, 'GET', '/api/v1/me', { token: carol.token }), 401, 'unauthenticated');
  assertError(await httpSend(server, bob.token, direct.id, cid(), 'hello?'), 410, 'account_deleted');
  assert.equal((await api(server, 'GET', '/api/v1/users/carol', { token: bob.token })).body.user.deleted, true);
  const again = run(['delete-user', 'carol']);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /not_found/);
  const nobody = run(['delete-user', 'nobody']);
  assert.equal(nobody.status, 1);
  assert.match(nobody.stderr, /not_found/);
  // Without the admin token, the route is closed.
  assertError(await api(server, 'DELETE', '/admin/v1/users/bob'), 401, 'unauthenticated');
  assertError(await api(server, 'DELETE', '/admin/v1/users/bob', { token: bob.token }), 401, 'unauthenticated');
  assertStatus(await api(server, 'GET', '/api/v1/me', { token: bob.token }), 200, 'bob untouched');
});
