// docs/openapi.yaml against the live server: the document is valid OpenAPI 3.1; it names
// exactly the routes the server serves (the routes of docs/protocol.md's index of operations
// and raw-routes table, which api_ops_test holds to the server's tables); and a scripted
// session calls every documented route, success and error paths, checking each answer's
// status, required headers and JSON body against the document (lib/openapi.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startServer } from './lib/server.mjs';
import { cid, connect, passwordFor, sleep, T } from './lib/client.mjs';
import { makeImage, tempDir } from './lib/images.mjs';
import { ftypBox, makeVideo } from './lib/videos.mjs';
import { oggOpus, waveform } from './lib/voice.mjs';
import {
  METHODS, loadContract, loadDocument, normalizeRoute, protocolTable, request, upgrade,
} from './lib/openapi.mjs';

const contract = loadContract();

test('docs/openapi.yaml is a valid OpenAPI 3.1 document', async () => {
  const doc = loadDocument();
  assert.match(doc.openapi, /^3\.1\./);
  const result = await new Validator().validate(doc);
  assert.ok(result.valid, `not valid OpenAPI 3.1: ${JSON.stringify(result.errors, null, 1)}`);
  // Every schema compiles (a typo in a keyword or a dangling $ref fails here, not mid-session).
  for (const route of contract.routes()) {
    const [method, template] = route.split(' ');
    for (const status of Object.keys(contract.operation(route).responses)) {
      const response = contract.resolve(doc.paths[template][method.toLowerCase()].responses[status]);
      if (response.content?.['application/json']) {
        contract.validator(`${contract.responseRef(route, status)}/content/application~1json/schema`);
      }
    }
  }
  const ids = contract.routes().map((r) => contract.operation(r).operationId);
  assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
});

test('the document names exactly the routes the server serves', () => {
  // Served: the index of operations (route column) and the raw routes, as api_ops_test checks
  // them against the server's own tables.
  const served = new Map();  // normalized route -> operation name ('' for raw routes)
  for (const row of protocolTable('operations')) if (row[3]) served.set(normalizeRoute(row[3]), row[0]);
  for (const row of protocolTable('raw-routes')) served.set(normalizeRoute(row[0]), '');
  const documented = new Map(contract.routes().map((r) => [normalizeRoute(r), r]));
  const missing = [...served.keys()].filter((r) => !documented.has(r));
  const extra = [...documented.keys()].filter((r) => !served.has(r));
  const report = [];
  if (missing.length) report.push(`served (docs/protocol.md's index) but missing from docs/openapi.yaml:\n  ${missing.join('\n  ')}`);
  if (extra.length) report.push(`in docs/openapi.yaml but not served (not in docs/protocol.md's index):\n  ${extra.join('\n  ')}`);
  assert.ok(report.length === 0, report.join('\n'));
  // An operation of the table keeps its name as the operationId.
  for (const [route, name] of served) {
    if (!name) continue;
    const op = contract.operation(documented.get(route));
    assert.equal(op.operationId, name, `${documented.get(route)}: operationId should be the index's name`);
  }
});

test('the checker fails a body, a header or an error code that breaks the document', () => {
  const ok = { status: 200, headers: { 'content-type': 'application/json', 'x-request-id': 'r1' },
    body: { user: { id: 1, username: 'alice', display_name: 'Alice' } }, text: '{}' };
  contract.check('GET /api/v1/me', ok);
  const wrong = { ...ok, body: { user: { id: '1', username: 'alice', display_name: 'Alice' } } };
  assert.throws(() => contract.check('GET /api/v1/me', wrong), /GET \/api\/v1\/me answered 200: .*user\/id must be integer/s);
  const extra = { ...ok, body: { user: { ...ok.body.user, password: 'x' } } };
  assert.throws(() => contract.check('GET /api/v1/me', extra), /must NOT have additional properties/);
  assert.throws(() => contract.check('GET /api/v1/me', { ...ok, status: 418 }), /a status docs\/openapi.yaml does not declare/);
  assert.throws(() => contract.check('GET /api/v1/me', { ...ok, headers: { 'content-type': 'application/json' } }),
    /without the required header X-Request-Id/);
  const notFound = { status: 404, headers: ok.headers, body: { error: { code: 'forbidden', message: 'x' } }, text: '{}' };
  assert.throws(() => contract.check('GET /api/v1/users/{username}', notFound), /error code forbidden/);
  const limited = { status: 429, headers: ok.headers, body: { error: { code: 'rate_limited', message: 'x' } }, text: '{}' };
  assert.throws(() => contract.check('GET /api/v1/me', limited), /required header Retry-After/);
});

// ---------------------------------------------------------------------------------------------
// The scripted session. `call` checks every answer against the document; `expect` the status.

const call = (server, route, opts = {}) => contract.call(server, route, opts);

function webRoot(t) {
  const root = tempDir(t);
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Parley</title>');
  fs.mkdirSync(path.join(root, 'assets'));
  fs.writeFileSync(path.join(root, 'assets', 'app-1a2b3c.js'), 'console.log("parley");');
  return root;
}

async function registerUser(server, username) {
  const res = await call(server, 'POST /api/v1/register', {
    body: { username, display_name: username[0].toUpperCase() + username.slice(1), password: passwordFor(username) },
    expect: 201,
  });
  return res.body;
}

function webPushKeys() {
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.generateKeys();
  return { p256dh: ecdh.getPublicKey().toString('base64url'), auth: crypto.randomBytes(16).toString('base64url') };
}

test('accounts, sessions, users and the operational routes answer as documented', async (t) => {
  const server = await startServer(t, { args: ['--web-root', webRoot(t)] });
  await call(server, 'GET /healthz', { expect: 200 });
  await call(server, 'GET /readyz', { expect: 200 });
  await call(server, 'GET /metrics', { expect: 200 });
  await call(server, 'GET /api/v1/version', { expect: 200 });

  const alice = await registerUser(server, 'alice');
  await registerUser(server, 'bob');
  const reg = 'POST /api/v1/register';
  await call(server, reg, { body: { username: 'alice', display_name: 'A', password: 'another-pass-1' }, expect: 409 });
  await call(server, reg, { body: { username: '1x', display_name: 'A', password: 'another-pass-1' }, expect: 400 });
  await call(server, reg, { body: { username: 'carl', display_name: 'C', password: 'password' }, expect: 400 });
  await call(server, reg, { body: { username: 'carl' }, expect: 400 });
  await call(server, reg, { raw: '{}', contentType: 'text/plain', expect: 415 });
  await call(server, reg, { raw: `{"x":"${'a'.repeat(70 * 1024)}"}`, contentType: 'application/json', expect: 413 });
  await call(server, reg, { body: { username: 'carl', display_name: 'C', password: 'another-pass-1' },
    headers: { origin: 'https://evil.example' }, expect: 403 });

  const login = 'POST /api/v1/login';
  const second = (await call(server, login, { body: { username: 'alice', password: passwordFor('alice'), device_name: 'Phone' }, expect: 200 })).body;
  await call(server, login, { body: { username: 'alice', password: 'wrong-password' }, expect: 401 });
  await call(server, login, { body: { username: 'alice' }, expect: 400 });
  await call(server, login, { body: { username: 'alice', password: passwordFor('alice'), device_name: 'x'.repeat(65) }, expect: 400 });
  await call(server, login, { raw: '{"username":"\\ud800","password":"x"}', contentType: 'application/json', expect: 400 });

  await call(server, 'GET /api/v1/me', { token: alice.token, expect: 200 });
  // A server without STUN or TURN hands out an empty list.
  const noIce = await call(server, 'GET /api/v1/calls/ice-servers', { token: alice.token, expect: 200 });
  assert.deepEqual(noIce.body, { ice_servers: [], ttl_s: 3600 });
  await call(server, 'GET /api/v1/me', { expect: 401 });
  await call(server, 'GET /api/v1/me', { token: 'x'.repeat(43), expect: 401 });
  const sessions = await call(server, 'GET /api/v1/sessions', { token: alice.token, expect: 200 });
  assert.equal(sessions.body.sessions.length, 2);
  await call(server, 'DELETE /api/v1/sessions/{session_id}', { token: alice.token, params: { session_id: second.session_id }, expect: 200 });
  await call(server, 'DELETE /api/v1/sessions/{session_id}', { token: alice.token, params: { session_id: second.session_id }, expect: 404 });
  await call(server, 'DELETE /api/v1/sessions/{session_id}', { token: alice.token, params: { session_id: 'abc' }, expect: 404 });

  await call(server, 'GET /api/v1/users', { token: alice.token, query: { prefix: 'b' }, expect: 200 });
  await call(server, 'GET /api/v1/users', { token: alice.token, expect: 400 });
  await call(server, 'GET /api/v1/users', { token: alice.token, query: { prefix: 'b', limit: 'abc' }, expect: 400 });
  await call(server, 'GET /api/v1/users/{username}', { token: alice.token, params: { username: 'bob' }, expect: 200 });
  await call(server, 'GET /api/v1/users/{username}', { token: alice.token, params: { username: 'nobody' }, expect: 404 });

  // The WebSocket upgrade, and a plain GET to its path.
  await contract.check('GET /api/v1/ws', await upgrade(server));
  const refused = await upgrade(server, { headers: { origin: 'https://evil.example' } });
  contract.check('GET /api/v1/ws', refused);
  assert.equal(refused.status, 403);
  await call(server, 'GET /api/v1/ws', { expect: 401 });
  await call(server, 'GET /api/v1/ws', { token: alice.token, expect: 404 });

  // The web client.
  const index = await call(server, 'GET /', { expect: 200 });
  await call(server, 'GET /', { headers: { 'if-none-match': index.headers.etag }, expect: 304 });
  const asset = await call(server, 'GET /{path}', { params: { path: 'assets/app-1a2b3c.js' }, expect: 200 });
  assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
  await call(server, 'GET /{path}', { params: { path: 'chats' }, expect: 200 });
  await call(server, 'GET /{path}', { params: { path: 'missing.js' }, expect: 404 });
  await call(server, 'GET /{path}', { params: { path: '.env' }, expect: 404 });

  // Logging out.
  const other = (await call(server, login, { body: { username: 'alice', password: passwordFor('alice') }, expect: 200 })).body;
  await call(server, 'POST /api/v1/logout-others', { expect: 401 });
  const revoked = await call(server, 'POST /api/v1/logout-others', { token: other.token, expect: 200 });
  assert.equal(revoked.body.revoked, 1);
  await call(server, 'POST /api/v1/logout', { token: other.token, expect: 200 });
  await call(server, 'POST /api/v1/logout', { token: other.token, expect: 401 });
});

test('conversations, messages, groups and the social routes answer as documented', async (t) => {
  const server = await startServer(t);
  const alice = await registerUser(server, 'alice');
  const bob = await registerUser(server, 'bob');
  const carol = await registerUser(server, 'carol');
  const dave = await registerUser(server, 'dave');
  const A = alice.token;
  const B = bob.token;

  // Direct conversations.
  const open = 'POST /api/v1/conversations';
  const direct = (await call(server, open, { token: A, body: { peer_username: 'bob' }, expect: 201 })).body.conversation;
  await call(server, open, { token: A, body: { peer_id: bob.user.id }, expect: 200 });
  await call(server, open, { token: A, body: { peer_username: 'alice' }, expect: 400 });
  await call(server, open, { token: A, body: { peer_username: 'nobody' }, expect: 404 });
  await call(server, open, { token: A, body: { peer_id: 'two' }, expect: 400 });
  await call(server, open, { token: A, raw: '{"peer_id":2}', contentType: 'text/plain', expect: 415 });
  await call(server, open, { token: A, body: { peer_id: 2 }, headers: { origin: 'https://evil.example' }, expect: 403 });
  await call(server, 'GET /api/v1/conversations', { token: A, expect: 200 });
  await call(server, 'GET /api/v1/conversations', { token: A, query: { before_id: 3 }, expect: 400 });
  const conv = 'GET /api/v1/conversations/{conversation_id}';
  await call(server, conv, { token: A, params: { conversation_id: direct.id }, expect: 200 });
  await call(server, conv, { token: A, params: { conversation_id: 999999 }, expect: 404 });
  await call(server, conv, { token: A, params: { conversation_id: 'abc' }, expect: 404 });
  await call(server, conv, { token: carol.token, params: { conversation_id: direct.id }, expect: 404 });

  // Sending, history, receipts, sync.
  const send = 'POST /api/v1/conversations/{conversation_id}/messages';
  const inDirect = { conversation_id: direct.id };
  const first = (await call(server, send, { token: A, params: inDirect, body: { client_id: cid(), text: 'hello pizza tonight' }, expect: 200 })).body.message;
  await call(server, send, { token: A, params: inDirect, body: { client_id: cid(), text: 'x'.repeat(16385) }, expect: 400 });
  await call(server, send, { token: A, params: inDirect, body: { client_id: cid() }, expect: 400 });
  await call(server, send, { token: A, params: inDirect, body: { client_id: 'not valid!', text: 'x' }, expect: 400 });
  await call(server, send, { token: carol.token, params: inDirect, body: { client_id: cid(), text: 'x' }, expect: 404 });
  const reply = (await call(server, send, { token: B, params: inDirect, body: { client_id: cid(), text: 'yes', reply_to: first.seq }, expect: 200 })).body.message;
  assert.equal(reply.reply_to, first.seq);
  const hist = 'GET /api/v1/conversations/{conversation_id}/messages';
  await call(server, hist, { token: A, params: inDirect, expect: 200 });
  await call(server, hist, { token: A, params: inDirect, query: { after: 0, limit: 1 }, expect: 200 });
  await call(server, hist, { token: A, params: inDirect, query: { before: 2, after: 0 }, expect: 400 });
  const receipts = 'POST /api/v1/conversations/{conversation_id}/receipts';
  await call(server, receipts, { token: B, params: inDirect, body: { delivered_seq: 1, read_seq: 1 }, expect: 200 });
  await call(server, receipts, { token: B, params: inDirect, body: {}, expect: 400 });
  await call(server, receipts, { token: B, params: inDirect, body: { read_seq: 99 }, expect: 400 });
  await call(server, 'GET /api/v1/sync', { token: A, expect: 200 });
  await call(server, 'GET /api/v1/sync', { token: A, query: { limit: 0 }, expect: 400 });

  // Editing, reactions, changes, search, chat state, mute.
  const atFirst = { conversation_id: direct.id, seq: first.seq };
  const edit = 'PATCH /api/v1/conversations/{conversation_id}/messages/{seq}';
  await call(server, edit, { token: A, params: atFirst, body: { text: 'hello pizza at six' }, expect: 200 });
  await call(server, edit, { token: B, params: atFirst, body: { text: 'mine now' }, expect: 403 });
  await call(server, edit, { token: A, params: { ...atFirst, seq: 99 }, body: { text: 'x' }, expect: 404 });
  await call(server, edit, { token: A, params: atFirst, body: { text: 7 }, expect: 400 });
  const react = 'PUT /api/v1/conversations/{conversation_id}/messages/{seq}/reaction';
  await call(server, react, { token: B, params: atFirst, body: { emoji: '👍' }, expect: 200 });
  await call(server, react, { token: B, params: atFirst, body: { emoji: 'ok' }, expect: 400 });
  const changes = await call(server, 'GET /api/v1/conversations/{conversation_id}/changes', { token: A, params: inDirect, expect: 200 });
  assert.ok(changes.body.messages.some((m) => m.reactions), 'a message with its reactions');
  await call(server, 'GET /api/v1/conversations/{conversation_id}/changes', { token: A, params: inDirect, query: { since: -1 }, expect: 400 });
  await call(server, 'DELETE /api/v1/conversations/{conversation_id}/messages/{seq}/reaction', { token: B, params: atFirst, expect: 200 });
  await call(server, 'DELETE /api/v1/conversations/{conversation_id}/messages/{seq}/reaction', { token: B, params: { ...atFirst, seq: 99 }, expect: 404 });
  const found = await call(server, 'GET /api/v1/search', { token: A, query: { q: 'pizz' }, expect: 200 });
  assert.equal(found.body.results.length, 1);
  await call(server, 'GET /api/v1/search', { token: A, expect: 400 });
  await call(server, 'GET /api/v1/search', { token: A, query: { q: 'pizza', conversation_id: 999999 }, expect: 404 });
  const state = 'PATCH /api/v1/conversations/{conversation_id}/state';
  await call(server, state, { token: A, params: inDirect, body: { pinned: true }, expect: 200 });
  await call(server, state, { token: A, params: inDirect, body: {}, expect: 400 });
  await call(server, 'PUT /api/v1/conversations/{conversation_id}/mute', { token: A, params: inDirect, body: { duration: '8h' }, expect: 200 });
  await call(server, 'PUT /api/v1/conversations/{conversation_id}/mute', { token: A, params: inDirect, body: { duration: '3d' }, expect: 400 });

  // Groups.
  const groups = 'POST /api/v1/groups';
  const group = (await call(server, groups, { token: A, body: { name: 'Climbing', description: 'Saturdays', member_usernames: ['bob', 'carol'] }, expect: 201 })).body.conversation;
  await call(server, groups, { token: A, body: { name: 'Nope', member_usernames: ['nobody'] }, expect: 404 });
  await call(server, groups, { token: A, body: { name: '' }, expect: 400 });
  const inGroup = { conversation_id: group.id };
  await call(server, 'GET /api/v1/conversations/{conversation_id}/members', { token: B, params: inGroup, expect: 200 });
  await call(server, 'GET /api/v1/conversations/{conversation_id}/members', { token: dave.token, params: inGroup, expect: 404 });
  const add = 'POST /api/v1/conversations/{conversation_id}/members';
  await call(server, add, { token: A, params: inGroup, body: { user_usernames: ['dave'] }, expect: 200 });
  await call(server, add, { token: B, params: inGroup, body: { user_ids: [dave.user.id] }, expect: 403 });
  const member = 'PATCH /api/v1/conversations/{conversation_id}/members/{user_id}';
  await call(server, member, { token: A, params: { ...inGroup, user_id: carol.user.id }, body: { role: 'admin' }, expect: 200 });
  await call(server, member, { token: A, params: { ...inGroup, user_id: carol.user.id }, body: { role: 'owner' }, expect: 400 });
  await call(server, member, { token: A, params: { ...inDirect, user_id: bob.user.id }, body: { role: 'admin' }, expect: 404 });
  await call(server, 'DELETE /api/v1/conversations/{conversation_id}/members/{user_id}', { token: A, params: { ...inGroup, user_id: dave.user.id }, expect: 200 });
  await call(server, 'DELETE /api/v1/conversations/{conversation_id}/members/{user_id}', { token: B, params: { ...inGroup, user_id: carol.user.id }, expect: 403 });
  const update = 'PATCH /api/v1/conversations/{conversation_id}';
  await call(server, update, { token: A, params: inGroup, body: { name: 'Bouldering' }, expect: 200 });
  await call(server, update, { token: B, params: inGroup, body: { name: 'Mine' }, expect: 403 });
  const inGroupMsg = (await call(server, send, { token: A, params: inGroup, body: { client_id: cid(), text: 'to the group' }, expect: 200 })).body.message;
  await call(server, 'POST /api/v1/conversations/{conversation_id}/leave', { token: carol.token, params: inGroup, expect: 200 });
  await call(server, 'POST /api/v1/conversations/{conversation_id}/leave', { token: carol.token, params: inGroup, expect: 404 });
  await call(server, 'POST /api/v1/conversations/{conversation_id}/leave', { token: A, params: inDirect, expect: 404 });
  // Carol, the other admin, left: demoting the last one is refused.
  await call(server, member, { token: A, params: { ...inGroup, user_id: alice.user.id }, body: { role: 'member' }, expect: 400 });
  const info = 'GET /api/v1/conversations/{conversation_id}/messages/{seq}/receipts';
  await call(server, info, { token: A, params: { ...inGroup, seq: inGroupMsg.seq }, expect: 200 });
  await call(server, info, { token: dave.token, params: { ...inGroup, seq: inGroupMsg.seq }, expect: 404 });
  // The group's history holds system messages of every kind made above.
  await call(server, hist, { token: A, params: inGroup, expect: 200 });

  // Forwarding.
  const forward = 'POST /api/v1/conversations/{conversation_id}/messages/{seq}/forward';
  const fw = await call(server, forward, { token: A, params: atFirst, body: { to: [group.id], client_id: cid('fw') }, expect: 200 });
  assert.equal(fw.body.results[0].message.forwarded, true);
  await call(server, forward, { token: A, params: atFirst, body: { to: [], client_id: cid('fw') }, expect: 400 });
  await call(server, forward, { token: A, params: atFirst, body: { to: [999999], client_id: cid('fw') }, expect: 404 });

  // Deleting messages.
  const del = 'DELETE /api/v1/conversations/{conversation_id}/messages/{seq}';
  await call(server, del, { token: B, params: atFirst, query: { for: 'me' }, expect: 200 });
  await call(server, del, { token: B, params: atFirst, query: { for: 'everyone' }, expect: 403 });
  await call(server, del, { token: A, params: atFirst, expect: 400 });
  await call(server, del, { token: A, params: atFirst, query: { for: 'all' }, expect: 400 });
  await call(server, del, { token: A, params: atFirst, query: { for: 'everyone' }, expect: 200 });
  const afterDelete = await call(server, hist, { token: B, params: inDirect, expect: 200 });
  assert.ok(afterDelete.body.messages.some((m) => m.hidden), 'hidden for bob');
  await call(server, 'GET /api/v1/conversations/{conversation_id}/changes', { token: A, params: inDirect, expect: 200 });

  // Contacts, blocks, privacy.
  const contact = 'PUT /api/v1/contacts/{user_id}';
  await call(server, contact, { token: A, params: { user_id: bob.user.id }, body: { nickname: 'Bobby' }, expect: 200 });
  await call(server, contact, { token: A, params: { user_id: carol.user.id }, expect: 200 });
  await call(server, contact, { token: A, params: { user_id: alice.user.id }, expect: 400 });
  await call(server, contact, { token: A, params: { user_id: 999999 }, expect: 404 });
  await call(server, 'GET /api/v1/contacts', { token: A, expect: 200 });
  await call(server, 'GET /api/v1/contacts', { expect: 401 });
  await call(server, 'DELETE /api/v1/contacts/{user_id}', { token: A, params: { user_id: carol.user.id }, expect: 200 });
  await call(server, 'DELETE /api/v1/contacts/{user_id}', { token: A, params: { user_id: carol.user.id }, expect: 404 });
  await call(server, 'PUT /api/v1/blocks/{user_id}', { token: A, params: { user_id: carol.user.id }, expect: 200 });
  await call(server, 'PUT /api/v1/blocks/{user_id}', { token: A, params: { user_id: 999999 }, expect: 404 });
  await call(server, 'PUT /api/v1/blocks/{user_id}', { token: A, params: { user_id: alice.user.id }, expect: 400 });
  await call(server, 'DELETE /api/v1/blocks/{user_id}', { token: A, params: { user_id: alice.user.id }, expect: 400 });
  await call(server, 'GET /api/v1/blocks', { token: A, expect: 200 });
  await call(server, 'GET /api/v1/blocks', { expect: 401 });
  await call(server, 'DELETE /api/v1/blocks/{user_id}', { token: A, params: { user_id: carol.user.id }, expect: 200 });
  await call(server, 'DELETE /api/v1/blocks/{user_id}', { token: A, params: { user_id: 999999 }, expect: 404 });
  await call(server, 'GET /api/v1/me/privacy', { token: A, expect: 200 });
  await call(server, 'GET /api/v1/me/privacy', { expect: 401 });
  await call(server, 'PATCH /api/v1/me/privacy', { token: A, body: { hide_last_seen: true, groups_add: 'contacts' }, expect: 200 });
  await call(server, 'PATCH /api/v1/me/privacy', { token: A, body: {}, expect: 400 });
  await call(server, 'PATCH /api/v1/me/privacy', { token: A, body: { groups_add: 'friends' }, expect: 400 });
  // Bob is in Alice's contacts, carol no more: a group with carol is refused, naming her.
  const allowed = await call(server, groups, { token: B, body: { name: 'Party', member_ids: [alice.user.id, carol.user.id] }, expect: 201 });
  assert.equal(allowed.body.conversation.member_count, 3);
  const carolOnly = await call(server, groups, { token: carol.token, body: { name: 'Party', member_ids: [alice.user.id] }, expect: 403 });
  assert.deepEqual(carolOnly.body.error.user_ids, [alice.user.id]);

  // Push registrations and notification settings (a user who gets no messages: nothing is pushed).
  const pusher = await registerUser(server, 'pusher');
  const P = pusher.token;
  await call(server, 'GET /api/v1/push/config', { token: P, expect: 200 });
  const subscribe = 'POST /api/v1/push/subscriptions';
  const sub = await call(server, subscribe, { token: P, body: { kind: 'webpush', endpoint: 'https://push.example.com/send/abc', ...webPushKeys() }, expect: 201 });
  await call(server, subscribe, { token: P, body: { kind: 'webpush', endpoint: 'http://push.example.com/x', ...webPushKeys() }, expect: 400 });
  await call(server, subscribe, { token: P, body: { endpoint: 'https://push.example.com/x' }, expect: 400 });
  await call(server, 'GET /api/v1/push/subscriptions', { token: P, expect: 200 });
  const unsubscribe = 'DELETE /api/v1/push/subscriptions/{subscription_id}';
  await call(server, unsubscribe, { token: P, params: { subscription_id: sub.body.subscription.id }, expect: 200 });
  await call(server, unsubscribe, { token: P, params: { subscription_id: sub.body.subscription.id }, expect: 404 });
  await call(server, 'GET /api/v1/me/notifications', { token: P, expect: 200 });
  await call(server, 'PATCH /api/v1/me/notifications', { token: P, body: { preview: 'hidden' }, expect: 200 });
  await call(server, 'PATCH /api/v1/me/notifications', { token: P, body: { preview: 'some' }, expect: 400 });

  // A deleted account: 410 for whoever tries to reach it, its name reserved.
  await call(server, 'POST /api/v1/me/delete', { token: dave.token, body: { password: 'wrong-password' }, expect: 401 });
  await call(server, 'POST /api/v1/me/delete', { token: dave.token, body: {}, expect: 400 });
  await call(server, 'POST /api/v1/me/delete', { token: dave.token, body: { password: passwordFor('dave') }, expect: 200 });
  await call(server, 'POST /api/v1/me/delete', { token: dave.token, body: { password: passwordFor('dave') }, expect: 401 });
  await call(server, open, { token: A, body: { peer_id: dave.user.id }, expect: 410 });
  await call(server, contact, { token: A, params: { user_id: dave.user.id }, expect: 410 });
  const gone = await call(server, 'GET /api/v1/users/{username}', { token: A, params: { username: 'dave' }, expect: 200 });
  assert.equal(gone.body.user.deleted, true);
  await call(server, 'POST /api/v1/register', { body: { username: 'dave', display_name: 'D', password: 'another-pass-1' }, expect: 409 });
});

test('uploads, downloads, signed links, the media view and the export answer as documented', async (t) => {
  const server = await startServer(t, {
    args: ['--media-max-file-bytes', '4096', '--max-upload-bytes', '262144', '--video-max-bytes', '65536',
      '--video-max-long-side', '100', '--video-max-short-side', '80'],
  });
  const dir = tempDir(t);
  const alice = await registerUser(server, 'alice');
  const bob = await registerUser(server, 'bob');
  const A = alice.token;
  const direct = (await call(server, 'POST /api/v1/conversations', { token: A, body: { peer_username: 'bob' }, expect: 201 })).body.conversation;
  const inDirect = { conversation_id: direct.id };
  const send = 'POST /api/v1/conversations/{conversation_id}/messages';

  const upload = 'POST /api/v1/media';
  const png = fs.readFileSync(makeImage(dir, 'photo.png', 64, 48));
  const photo = (await call(server, upload, { token: A, raw: png, contentType: 'image/png', expect: 201 })).body.media;
  const doc = (await call(server, upload, { token: A, query: { kind: 'file', name: 'notes 1.txt' }, raw: 'some notes', contentType: 'text/plain', expect: 201 })).body.media;
  assert.equal(doc.kind, 'file');
  const voice = (await call(server, upload, { token: A, query: { kind: 'voice' }, raw: oggOpus(1000), expect: 201 })).body.media;
  // A tiny real video (H.264 and AAC in MP4, 64x48, half a second), remuxed with a poster.
  const clip = fs.readFileSync(makeVideo(dir, 'clip.mp4'));
  const video = (await call(server, upload, { token: A, query: { kind: 'video' }, raw: clip, contentType: 'video/mp4', expect: 201 })).body.media;
  assert.equal(video.kind, 'video');
  assert.equal(video.mime, 'video/mp4');
  assert.deepEqual([video.width, video.height], [64, 48]);
  assert.ok(video.duration_ms >= 300 && video.duration_ms <= 800, `duration_ms ${video.duration_ms}`);
  assert.equal(video.poster.mime, 'image/jpeg');
  await call(server, upload, { token: A, raw: Buffer.from('not an image at all'), expect: 415 });
  await call(server, upload, { token: A, raw: Buffer.concat([png.subarray(0, 40), Buffer.alloc(200)]), expect: 422 });
  const notVideo = await call(server, upload, { token: A, query: { kind: 'video' }, raw: png, expect: 415 });
  assert.equal(notVideo.body.error.code, 'unsupported_media');
  const truncated = await call(server, upload, { token: A, query: { kind: 'video' }, raw: Buffer.concat([ftypBox(), Buffer.alloc(300, 7)]), expect: 422 });
  assert.equal(truncated.body.error.code, 'corrupt_media');
  const wide = fs.readFileSync(makeVideo(dir, 'wide.mp4', { size: '128x64', audio: false }));
  const tooLarge = await call(server, upload, { token: A, query: { kind: 'video' }, raw: wide, expect: 422 });
  assert.equal(tooLarge.body.error.code, 'video_too_large');
  await call(server, upload, { token: A, query: { kind: 'video' }, raw: Buffer.concat([ftypBox(), Buffer.alloc(70000)]), expect: 413 });
  await call(server, upload, { token: A, query: { kind: 'video', name: 'x.mp4' }, raw: clip, expect: 400 });
  await call(server, upload, { token: A, query: { kind: 'movie' }, raw: clip, expect: 400 });
  await call(server, upload, { token: A, query: { name: 'x.png' }, raw: png, expect: 400 });
  await call(server, upload, { token: A, raw: Buffer.alloc(0), expect: 400 });
  await call(server, upload, { token: A, query: { kind: 'file', name: 'big.bin' }, raw: Buffer.alloc(5000, 1), expect: 413 });
  await call(server, upload, { raw: png, expect: 401 });
  await call(server, upload, { token: A, raw: png, headers: { origin: 'https://evil.example' }, expect: 403 });

  // Messages carrying each kind.
  await call(server, send, { token: A, params: inDirect, body: { client_id: cid(), media_id: photo.media_id, text: 'look' }, expect: 200 });
  await call(server, send, { token: A, params: inDirect, body: { client_id: cid(), media_id: doc.media_id }, expect: 200 });
  const videoMsg = (await call(server, send, { token: A, params: inDirect, body: { client_id: cid(), media_id: video.media_id, text: 'the view' }, expect: 200 })).body.message;
  assert.equal(videoMsg.kind, 'video');
  const { kind: _videoKind, ...videoObject } = video;
  assert.deepEqual(videoMsg.video, videoObject, 'the message carries the upload\'s video object');
  const voiceMsg = (await call(server, send, { token: A, params: inDirect, body: { client_id: cid(), media_id: voice.media_id, duration_ms: 1000, waveform: waveform() }, expect: 200 })).body.message;
  await call(server, send, { token: A, params: inDirect, body: { client_id: cid(), media_id: '0'.repeat(32), text: 'x' }, expect: 404 });
  const played = 'POST /api/v1/conversations/{conversation_id}/messages/{seq}/played';
  await call(server, played, { token: bob.token, params: { ...inDirect, seq: voiceMsg.seq }, expect: 200 });
  await call(server, played, { token: A, params: { ...inDirect, seq: voiceMsg.seq }, expect: 400 });
  await call(server, played, { token: bob.token, params: { ...inDirect, seq: 99 }, expect: 404 });
  await call(server, 'GET /api/v1/conversations/{conversation_id}/messages/{seq}/receipts', { token: A, params: { ...inDirect, seq: voiceMsg.seq }, expect: 200 });
  const page = await call(server, 'GET /api/v1/conversations/{conversation_id}/messages', { token: bob.token, params: inDirect, expect: 200 });
  assert.deepEqual(page.body.messages.map((m) => m.kind).sort(), ['file', 'image', 'video', 'voice']);

  // The chat's media, links and docs.
  await call(server, send, { token: bob.token, params: inDirect, body: { client_id: cid(), text: 'see HTTPS://example.com/x' }, expect: 200 });
  const view = 'GET /api/v1/conversations/{conversation_id}/media';
  const media = await call(server, view, { token: bob.token, params: inDirect, expect: 200 });
  assert.deepEqual(media.body.messages.map((m) => m.kind), ['video', 'image'], 'photos and videos, newest first');
  assert.equal(media.body.has_more, false);
  const older = await call(server, view, { token: bob.token, params: inDirect, query: { category: 'media', limit: 1 }, expect: 200 });
  assert.deepEqual([older.body.messages.map((m) => m.kind), older.body.has_more], [['video'], true]);
  const oldest = await call(server, view, { token: bob.token, params: inDirect, query: { before: older.body.messages[0].seq }, expect: 200 });
  assert.deepEqual(oldest.body.messages.map((m) => m.kind), ['image']);
  const docs = await call(server, view, { token: A, params: inDirect, query: { category: 'docs' }, expect: 200 });
  assert.deepEqual(docs.body.messages.map((m) => m.kind), ['file']);
  const voices = await call(server, view, { token: A, params: inDirect, query: { category: 'voice' }, expect: 200 });
  assert.deepEqual(voices.body.messages.map((m) => m.seq), [voiceMsg.seq]);
  const links = await call(server, view, { token: A, params: inDirect, query: { category: 'links' }, expect: 200 });
  assert.deepEqual(links.body.messages.map((m) => m.text), ['see HTTPS://example.com/x']);
  await call(server, view, { token: A, params: inDirect, query: { category: 'photos' }, expect: 400 });
  await call(server, view, { token: A, params: inDirect, query: { before: 0 }, expect: 400 });
  await call(server, view, { token: A, params: inDirect, query: { limit: 201 }, expect: 400 });
  await call(server, view, { token: A, params: inDirect, query: { limit: 'ten' }, expect: 400 });
  await call(server, view, { token: A, params: { conversation_id: 999999 }, expect: 404 });
  await call(server, view, { token: A, params: { conversation_id: 'abc' }, expect: 404 });
  await call(server, view, { params: inDirect, expect: 401 });
  const stranger = await registerUser(server, 'carol');
  await call(server, view, { token: stranger.token, params: inDirect, expect: 404 });

  // Metadata and bytes by token.
  const meta = 'GET /api/v1/media/{media_id}';
  const photoMeta = (await call(server, meta, { token: bob.token, params: { media_id: photo.media_id }, expect: 200 })).body;
  const docMeta = (await call(server, meta, { token: bob.token, params: { media_id: doc.media_id }, expect: 200 })).body;
  assert.equal(docMeta.links.thumbnail, undefined);
  await call(server, meta, { token: bob.token, params: { media_id: 'f'.repeat(32) }, expect: 404 });
  await call(server, meta, { token: bob.token, params: { media_id: 'nothex' }, expect: 404 });
  const full = 'GET /api/v1/media/{media_id}/full';
  const whole = await call(server, full, { token: bob.token, params: { media_id: photo.media_id }, expect: 200 });
  await call(server, full, { token: bob.token, params: { media_id: photo.media_id }, headers: { range: 'bytes=0-9' }, expect: 206 });
  await call(server, full, { token: bob.token, params: { media_id: photo.media_id }, headers: { range: 'bytes=999999-' }, expect: 416 });
  await call(server, full, { token: bob.token, params: { media_id: photo.media_id }, headers: { 'if-none-match': whole.headers.etag }, expect: 304 });
  const saved = await call(server, full, { token: bob.token, params: { media_id: doc.media_id }, expect: 200 });
  assert.equal(saved.headers['content-disposition'], "attachment; filename*=UTF-8''notes%201.txt");
  assert.equal(saved.text, 'some notes');
  const thumb = 'GET /api/v1/media/{media_id}/thumbnail';
  await call(server, thumb, { token: bob.token, params: { media_id: photo.media_id }, expect: 200 });
  await call(server, thumb, { token: bob.token, params: { media_id: doc.media_id }, expect: 404 });
  await call(server, thumb, { token: bob.token, params: { media_id: video.media_id }, expect: 404 });
  await call(server, full, { params: { media_id: photo.media_id }, expect: 401 });

  // A video: its metadata with a poster link, the remuxed bytes and the poster.
  const videoMeta = (await call(server, meta, { token: bob.token, params: { media_id: video.media_id }, expect: 200 })).body;
  assert.equal(videoMeta.media.kind, 'video');
  assert.equal(videoMeta.links.thumbnail, undefined);
  assert.ok(videoMeta.links.poster, 'a poster link');
  assert.equal(photoMeta.links.poster, undefined);
  const videoBytes = await call(server, full, { token: bob.token, params: { media_id: video.media_id }, expect: 200 });
  assert.equal(videoBytes.headers['content-type'], 'video/mp4');
  assert.equal(videoBytes.headers['content-disposition'], "attachment; filename*=UTF-8''video.mp4");
  assert.equal(videoBytes.bytes.length, video.size);
  const seek = await call(server, full, { token: bob.token, params: { media_id: video.media_id }, headers: { range: 'bytes=100-' }, expect: 206 });
  assert.equal(seek.headers['content-range'], `bytes 100-${video.size - 1}/${video.size}`);
  const poster = 'GET /api/v1/media/{media_id}/poster';
  const frame = await call(server, poster, { token: bob.token, params: { media_id: video.media_id }, expect: 200 });
  assert.equal(frame.headers['content-type'], 'image/jpeg');
  assert.equal(frame.headers['content-disposition'], undefined);
  assert.equal(frame.bytes.length, video.poster.size);
  assert.deepEqual([...frame.bytes.subarray(0, 2)], [0xff, 0xd8]);
  await call(server, poster, { token: bob.token, params: { media_id: video.media_id }, headers: { range: 'bytes=0-9' }, expect: 206 });
  await call(server, poster, { token: bob.token, params: { media_id: video.media_id }, headers: { range: 'bytes=999999-' }, expect: 416 });
  await call(server, poster, { token: bob.token, params: { media_id: video.media_id }, headers: { 'if-none-match': frame.headers.etag }, expect: 304 });
  await call(server, poster, { token: bob.token, params: { media_id: photo.media_id }, expect: 404 });
  await call(server, poster, { token: stranger.token, params: { media_id: video.media_id }, expect: 404 });
  await call(server, poster, { token: bob.token, params: { media_id: 'nothex' }, expect: 404 });
  await call(server, poster, { params: { media_id: video.media_id }, expect: 401 });

  // Bytes by signed link.
  const signed = 'GET /media/{media_id}/{variant}';
  const link = new URL(photoMeta.links.thumbnail, server.url);
  const [, , mediaId, variant] = link.pathname.split('/');
  const q = Object.fromEntries(link.searchParams);
  await call(server, signed, { params: { media_id: mediaId, variant }, query: q, expect: 200 });
  await call(server, signed, { params: { media_id: mediaId, variant }, query: q, headers: { range: 'bytes=-5' }, expect: 206 });
  await call(server, signed, { params: { media_id: mediaId, variant }, query: q, headers: { range: 'bytes=999999-' }, expect: 416 });
  const etag = (await call(server, signed, { params: { media_id: mediaId, variant }, query: q, expect: 200 })).headers.etag;
  await call(server, signed, { params: { media_id: mediaId, variant }, query: q, headers: { 'if-none-match': etag }, expect: 304 });
  await call(server, signed, { params: { media_id: mediaId, variant }, query: { ...q, s: '0'.repeat(64) }, expect: 403 });
  await call(server, signed, { params: { media_id: mediaId, variant: 'original' }, query: q, expect: 404 });
  // A video's signed poster and full links; a photo has no poster, a video no thumbnail.
  const posterLink = new URL(videoMeta.links.poster, server.url);
  const [, , videoId, posterVariant] = posterLink.pathname.split('/');
  assert.deepEqual([videoId, posterVariant], [video.media_id, 'poster']);
  const pq = Object.fromEntries(posterLink.searchParams);
  const signedPoster = await call(server, signed, { params: { media_id: videoId, variant: 'poster' }, query: pq, expect: 200 });
  assert.ok(signedPoster.bytes.equals(frame.bytes), 'the same poster as by token');
  await call(server, signed, { params: { media_id: videoId, variant: 'poster' }, query: pq, headers: { range: 'bytes=-5' }, expect: 206 });
  await call(server, signed, { params: { media_id: videoId, variant: 'poster' }, query: { ...pq, s: '0'.repeat(64) }, expect: 403 });
  // The signature covers the variant: the poster's link does not open the thumbnail.
  await call(server, signed, { params: { media_id: videoId, variant: 'thumbnail' }, query: pq, expect: 403 });
  const fullLink = new URL(videoMeta.links.full, server.url);
  const signedFull = await call(server, signed, { params: { media_id: videoId, variant: 'full' }, query: Object.fromEntries(fullLink.searchParams), expect: 200 });
  assert.ok(signedFull.bytes.equals(videoBytes.bytes), 'the same video as by token');

  // The export.
  const exported = await call(server, 'GET /api/v1/me/export', { token: A, expect: 200 });
  assert.equal(exported.bytes.subarray(0, 4).toString('latin1'), 'PK\x03\x04');
  await call(server, 'GET /api/v1/me/export', { expect: 401 });
});

test('the admin API answers as documented', async (t) => {
  const server = await startServer(t);
  const admin = fs.readFileSync(path.join(server.dataDir, 'admin.token'), 'utf8').trim();
  const user = await registerUser(server, 'alice');
  await call(server, 'GET /admin/v1/stats', { token: admin, expect: 200 });
  await call(server, 'GET /admin/v1/stats', { token: user.token, expect: 401 });
  await call(server, 'GET /admin/v1/users', { token: admin, query: { prefix: 'a' }, expect: 200 });
  await call(server, 'GET /admin/v1/users', { token: admin, query: { limit: 51 }, expect: 400 });
  const create = 'POST /admin/v1/users';
  await call(server, create, { token: admin, body: { username: 'bob', display_name: 'Bob', password: passwordFor('bob') }, expect: 201 });
  await call(server, create, { token: admin, body: { username: 'bob', display_name: 'Bob', password: passwordFor('bob') }, expect: 409 });
  await call(server, create, { token: admin, body: { username: 'carol', display_name: 'Carol', password: 'password' }, expect: 400 });
  await call(server, create, { token: admin, body: { username: 'carol' }, expect: 400 });
  await call(server, create, { token: admin, raw: '{}', contentType: 'text/plain', expect: 415 });
  const one = 'GET /admin/v1/users/{username}';
  await call(server, one, { token: admin, params: { username: 'alice' }, expect: 200 });
  await call(server, one, { token: admin, params: { username: 'nobody' }, expect: 404 });
  const pw = 'PUT /admin/v1/users/{username}/password';
  const reset = await call(server, pw, { token: admin, params: { username: 'alice' }, body: { password: 'a-new-password-9' }, expect: 200 });
  assert.equal(reset.body.revoked_sessions, 1);
  await call(server, pw, { token: admin, params: { username: 'alice' }, body: { password: 'short' }, expect: 400 });
  await call(server, 'POST /admin/v1/users/{username}/disable', { token: admin, params: { username: 'bob' }, expect: 200 });
  await call(server, 'POST /admin/v1/users/{username}/enable', { token: admin, params: { username: 'bob' }, expect: 200 });
  await call(server, 'POST /admin/v1/users/{username}/enable', { token: admin, params: { username: 'nobody' }, expect: 404 });
  await call(server, 'DELETE /admin/v1/users/{username}/sessions', { token: admin, params: { username: 'bob' }, expect: 200 });
  await call(server, 'DELETE /admin/v1/users/{username}/sessions', { token: admin, params: { username: 'nobody' }, expect: 404 });
  await call(server, 'DELETE /admin/v1/users/{username}', { token: admin, params: { username: 'bob' }, expect: 200 });
  await call(server, 'DELETE /admin/v1/users/{username}', { token: admin, params: { username: 'bob' }, expect: 404 });
  await call(server, 'POST /admin/v1/users/{username}/disable', { token: admin, params: { username: 'alice' }, headers: { origin: 'https://evil.example' }, expect: 403 });
});

const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n';
const ANSWER = 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n';

test('calls: the call record, its history message and the ICE servers answer as documented', async (t) => {
  const dir = tempDir(t);
  const secretFile = path.join(dir, 'turn.secret');
  fs.writeFileSync(secretFile, 'shared-with-the-turn-server\n');
  const server = await startServer(t, {
    args: ['--stun-urls', 'stun:stun.example.com:3478', '--turn-urls', 'turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349',
      '--turn-secret-file', secretFile, '--turn-ttl-s', '600'],
  });
  const alice = await registerUser(server, 'alice');
  const bob = await registerUser(server, 'bob');
  const carol = await registerUser(server, 'carol');
  const ice = 'GET /api/v1/calls/ice-servers';
  const servers = (await call(server, ice, { token: alice.token, expect: 200 })).body;
  assert.equal(servers.ttl_s, 600);
  assert.deepEqual(servers.ice_servers[0], { urls: ['stun:stun.example.com:3478'] });
  assert.deepEqual(servers.ice_servers[1].urls, ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349']);
  assert.equal(servers.ice_servers[1].username.split(':')[1], String(alice.user.id));
  await call(server, ice, { expect: 401 });
  await call(server, ice, { token: 'x'.repeat(43), expect: 401 });

  // A video call, rung, answered and hung up over the WebSocket; its record over HTTP.
  const direct = (await call(server, 'POST /api/v1/conversations', { token: alice.token, body: { peer_username: 'bob' }, expect: 201 })).body.conversation;
  const ac = await connect(t, server, alice.token);
  const bc = await connect(t, server, bob.token);
  const started = (await ac.call({ type: 'call_start', conversation_id: direct.id, media: 'video', sdp: OFFER }, 'call')).call;
  const one = 'GET /api/v1/calls/{call_id}';
  const ringing = await call(server, one, { token: bob.token, params: { call_id: started.call_id }, expect: 200 });
  assert.deepEqual(ringing.body.call, started, 'the callee sees the ringing call as the caller does');
  assert.equal(ringing.body.call.state, 'ringing');
  await bc.event('call_incoming', (f) => f.call.call_id === started.call_id);
  await bc.call({ type: 'call_accept', call_id: started.call_id, sdp: ANSWER }, 'call');
  const active = await call(server, one, { token: alice.token, params: { call_id: started.call_id }, expect: 200 });
  assert.equal(active.body.call.state, 'active');
  assert.equal(active.body.call.end_reason, null);
  await ac.call({ type: 'call_hangup', call_id: started.call_id }, 'call');
  const ended = await call(server, one, { token: bob.token, params: { call_id: started.call_id }, expect: 200 });
  assert.deepEqual([ended.body.call.state, ended.body.call.end_reason], ['ended', 'completed']);
  // Hanging up an ended call is `conflict`, carrying the call as it is now (WebSocket only:
  // the same error object as over HTTP, with `call` matching the document's Call).
  const again = await ac.request({ type: 'call_hangup', call_id: started.call_id });
  assert.equal(again.code, 'conflict');
  const asError = contract.validator('#/components/schemas/Error');
  assert.ok(asError({ error: { code: again.code, message: again.message, call: again.call } }), JSON.stringify(asError.errors));
  assert.deepEqual(again.call, ended.body.call);
  // Only the two parties see it; anything else is not found.
  await call(server, one, { token: carol.token, params: { call_id: started.call_id }, expect: 404 });
  await call(server, one, { token: alice.token, params: { call_id: 'f'.repeat(32) }, expect: 404 });
  await call(server, one, { token: alice.token, params: { call_id: 'zzz' }, expect: 404 });
  await call(server, one, { token: alice.token, params: { call_id: started.call_id.toUpperCase() }, expect: 404 });
  await call(server, one, { params: { call_id: started.call_id }, expect: 401 });

  // The history message, a system message with `event` `call` (checked against the document
  // by the history answer); a second call, declined, leaves its own.
  const second = (await ac.call({ type: 'call_start', conversation_id: direct.id, media: 'audio', sdp: OFFER }, 'call')).call;
  await bc.event('call_incoming', (f) => f.call.call_id === second.call_id);
  const declined = (await bc.call({ type: 'call_decline', call_id: second.call_id }, 'call')).call;
  assert.deepEqual([declined.state, declined.end_reason], ['ended', 'declined']);
  const hist = 'GET /api/v1/conversations/{conversation_id}/messages';
  let calls = [];
  for (const deadline = Date.now() + T(10000); calls.length < 2 && Date.now() < deadline; await sleep(50)) {
    const page = await call(server, hist, { token: bob.token, params: { conversation_id: direct.id }, query: { after: 0 }, expect: 200 });
    calls = page.body.messages.filter((m) => m.kind === 'system' && m.system.event === 'call');
  }
  assert.deepEqual(calls.map((m) => [m.sender_id, m.system.actor_id, m.system.call.call_id, m.system.call.media, m.system.call.outcome]), [
    [alice.user.id, alice.user.id, started.call_id, 'video', 'completed'],
    [alice.user.id, alice.user.id, second.call_id, 'audio', 'declined'],
  ]);
  assert.equal(calls[0].system.call.duration_ms, ended.body.call.ended_at - ended.body.call.answered_at);
  assert.equal(calls[1].system.call.duration_ms, 0);
  // They are in the chat list's last message and in sync too.
  const listed = await call(server, 'GET /api/v1/conversations/{conversation_id}', { token: bob.token, params: { conversation_id: direct.id }, expect: 200 });
  assert.equal(listed.body.conversation.last_message.system.call.call_id, second.call_id);
  await call(server, 'GET /api/v1/sync', { token: bob.token, expect: 200 });
});

test('limits answer as documented: rate limits with Retry-After, push off, addresses not allowed', async (t) => {
  const server = await startServer(t, {
    args: ['--web-root', tempDir(t), '--push-enabled', 'false', '--admin-allow', '10.0.0.0/8', '--metrics-allow', '10.0.0.0/8',
      '--rate-send-per-sec', '0.0001', '--rate-send-burst', '1',
      '--rate-other-per-sec', '0.0001', '--rate-other-burst', '40'],
  });
  const admin = fs.readFileSync(path.join(server.dataDir, 'admin.token'), 'utf8').trim();
  await call(server, 'GET /metrics', { expect: 403 });
  await call(server, 'GET /admin/v1/stats', { token: admin, expect: 403 });
  await call(server, 'GET /', { expect: 404 });  // a web root without the client
  const alice = await registerUser(server, 'alice');
  await registerUser(server, 'bob');
  const A = alice.token;
  for (const route of ['GET /api/v1/push/config', 'GET /api/v1/push/subscriptions', 'GET /api/v1/me/notifications']) {
    await call(server, route, { token: A, expect: 503 });
  }
  await call(server, 'PATCH /api/v1/me/notifications', { token: A, body: { preview: 'full' }, expect: 503 });
  await call(server, 'DELETE /api/v1/push/subscriptions/{subscription_id}', { token: A, params: { subscription_id: 1 }, expect: 503 });
  await call(server, 'POST /api/v1/push/subscriptions', { token: A, body: { kind: 'gateway', app_id: 'org.example', pushkey: 'k' }, expect: 503 });
  const direct = (await call(server, 'POST /api/v1/conversations', { token: A, body: { peer_username: 'bob' }, expect: 201 })).body.conversation;
  const send = 'POST /api/v1/conversations/{conversation_id}/messages';
  await call(server, send, { token: A, params: { conversation_id: direct.id }, body: { client_id: cid(), text: 'one' }, expect: 200 });
  await call(server, send, { token: A, params: { conversation_id: direct.id }, body: { client_id: cid(), text: 'two' }, expect: 429 });
  // Five exports an hour; the sixth waits.
  for (let i = 0; i < 5; i += 1) await call(server, 'GET /api/v1/me/export', { token: A, expect: 200 });
  await call(server, 'GET /api/v1/me/export', { token: A, expect: 429 });
  // The bucket of other requests (40) runs out; every route then answers 429 with Retry-After.
  let limited;
  for (let i = 0; i < 60 && !limited; i += 1) {
    const res = await call(server, 'GET /api/v1/me', { token: A });
    if (res.status === 429) limited = res;
  }
  assert.ok(limited, 'the per-user bucket ran out');
  await call(server, 'GET /api/v1/sessions', { token: A, expect: 429 });
  await call(server, 'POST /api/v1/logout', { token: A, expect: 429 });
});

test('a documented path answers every method the document does not list with 405', async (t) => {
  const server = await startServer(t, { args: ['--web-root', webRoot(t)] });
  const alice = await registerUser(server, 'alice');
  const admin = fs.readFileSync(path.join(server.dataDir, 'admin.token'), 'utf8').trim();
  const sample = { conversation_id: 1, seq: 1, user_id: 1, session_id: 1, subscription_id: 1, username: 'alice',
    media_id: 'a'.repeat(32), variant: 'full', path: 'index.html', call_id: 'a'.repeat(32) };
  const validate = contract.validator('#/components/responses/MethodNotAllowed/content/application~1json/schema');
  const wrong = [];
  for (const [template, item] of Object.entries(contract.spec.paths)) {
    // The upgrade is answered by the WebSocket layer; other methods there are unknown API routes.
    if (template === '/api/v1/ws') continue;
    const p = template.replace(/\{([^}]+)\}/g, (_, name) => sample[name]);
    const token = template.startsWith('/admin/') ? admin : alice.token;
    for (const m of METHODS) {
      if (item[m]) continue;
      const res = await request(server, m.toUpperCase(), p, { token });
      if (res.status !== 405 || !validate(res.body) || res.body.error.code !== 'method_not_allowed'
          || (!res.headers['x-request-id'] && !template.startsWith('/{path}') && template !== '/')) {
        wrong.push(`${m.toUpperCase()} ${p} answered ${res.status} ${res.text.slice(0, 120)}`);
      }
    }
  }
  assert.deepEqual(wrong, [], `served methods docs/openapi.yaml does not list (or not 405):\n  ${wrong.join('\n  ')}`);
});

test('the session above called every documented route', () => {
  const missed = contract.routes().filter((r) => !contract.seen.has(r));
  assert.deepEqual(missed, [], `routes no test called:\n  ${missed.join('\n  ')}`);
  // Whose only errors are not reachable cheaply: /readyz is 503 only while starting or stopping.
  const noErrors = new Set(['GET /healthz', 'GET /api/v1/version', 'GET /readyz']);
  const errorless = contract.routes().filter((r) => !noErrors.has(r) && ![...contract.seen.get(r)].some((s) => s >= 400));
  assert.deepEqual(errorless, [], `routes whose error answers no test checked:\n  ${errorless.join('\n  ')}`);
});
