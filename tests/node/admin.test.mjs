// The operator's API and `parleyd admin` (docs/operations.md): who may reach /admin/v1,
// account commands against a running server (their effects on live sockets), and the
// embedded store's online backup and restore. Drives the real binary's admin subcommand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binaryPath, startServer } from './lib/server.mjs';
import {
  api, assertError, assertStatus, cid, connect, fullHistory, login, openConversation, register, T,
} from './lib/client.mjs';

/** Runs `parleyd admin --listen ... --data-dir ... ARGS`; resolves {code, stdout, stderr, json}. */
function admin(server, args, { input = '', dataDir = server.dataDir, extra = [] } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(binaryPath(), ['admin', '--listen', `127.0.0.1:${server.port}`, '--data-dir', dataDir, ...extra, ...args],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), T(30000));
    child.on('exit', (code) => {
      clearTimeout(timer);
      let json;
      try { json = JSON.parse(stdout); } catch { json = undefined; }
      resolve({ code, stdout, stderr, json });
    });
    // A command that reads no input may exit before its stdin is written: EPIPE then.
    child.stdin.on('error', (e) => { if (e.code !== 'EPIPE') reject(e); });
    child.stdin.end(input);
  });
}

function token(server) {
  return fs.readFileSync(path.join(server.dataDir, 'admin.token'), 'utf8').trim();
}

test('the admin API needs the admin token, compared exactly, from an allowed address', async (t) => {
  const server = await startServer(t);
  const file = path.join(server.dataDir, 'admin.token');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'the token file is private');
  const good = token(server);
  assert.match(good, /^[0-9a-f]{64}$/);

  assertError(await api(server, 'GET', '/admin/v1/stats'), 401, 'unauthenticated', 'no token');
  for (const wrong of [good.slice(0, -1), `${good}0`, good.toUpperCase(), 'x'.repeat(64)]) {
    assertError(await api(server, 'GET', '/admin/v1/stats', { token: wrong }), 401, 'unauthenticated', 'wrong token');
  }
  // A user's session token is not an admin token.
  const alice = await register(server, 'alice');
  assertError(await api(server, 'GET', '/admin/v1/stats', { token: alice.token }), 401, 'unauthenticated');
  const stats = await api(server, 'GET', '/admin/v1/stats', { token: good });
  assertStatus(stats, 200, 'stats');
  assert.equal(stats.body.users, 1);
  // Unknown admin routes, wrong methods, bad bodies.
  assertError(await api(server, 'GET', '/admin/v1/nope', { token: good }), 404, 'not_found');
  assertError(await api(server, 'GET', '/admin/v2/stats', { token: good }), 404, 'not_found');
  assertError(await api(server, 'DELETE', '/admin/v1/stats', { token: good }), 405, 'method_not_allowed');
  assertError(await api(server, 'POST', '/admin/v1/users', { token: good, raw: '{' }), 400, 'bad_request');
  assertError(await api(server, 'POST', '/admin/v1/users', { token: good, body: { username: 'x' } }), 400, 'bad_request');
  assertError(await api(server, 'POST', '/admin/v1/users/alice/disable', { token: good, headers: { origin: 'https://evil.example' } }),
    403, 'forbidden', 'a browser page elsewhere');
  assertError(await api(server, 'GET', '/admin/v1/users/nobody', { token: good }), 404, 'not_found');
  assertError(await api(server, 'GET', '/admin/v1/users?limit=51', { token: good }), 400, 'invalid_argument');
  await server.stop();

  // Only the listed addresses: loopback is not among them here, so even the token is refused.
  const closed = await startServer(t, { args: ['--admin-allow', '10.0.0.0/8'] });
  assertError(await api(closed, 'GET', '/admin/v1/stats', { token: token(closed) }), 403, 'forbidden');
});

test('parleyd admin: create, list, disable, enable, set a password and revoke sessions on a running server', async (t) => {
  const server = await startServer(t);
  const created = await admin(server, ['create-user', 'carol', 'Carol C'], { input: 'a long enough secret phrase\n' });
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.json.user.username, 'carol');
  const carol = await login(server, 'carol', { password: 'a long enough secret phrase' });
  const weak = await admin(server, ['create-user', 'dave', 'Dave'], { input: 'password\n' });
  assert.equal(weak.code, 1);
  assert.match(weak.stderr, /weak_password/);
  const taken = await admin(server, ['create-user', 'carol', 'Carol again'], { input: 'another long secret phrase\n' });
  assert.equal(taken.code, 1);
  assert.match(taken.stderr, /username_taken/);
  assert.equal((await admin(server, ['create-user', 'bad name!', 'X'], { input: 'another long secret phrase\n' })).code, 1);

  await register(server, 'carl');
  const listed = await admin(server, ['users', 'car']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.deepEqual(listed.json.users.map((u) => u.username), ['carl', 'carol']);
  const one = await admin(server, ['user', 'carol']);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.json.disabled_at, null);
  assert.equal(one.json.sessions.length, 1);
  const missing = await admin(server, ['user', 'nobody']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /not_found/);

  // Disabling closes carol's socket at once and refuses her logins.
  const ws = await connect(t, server, carol.token);
  const disabled = await admin(server, ['disable', 'carol']);
  assert.equal(disabled.code, 0, disabled.stderr);
  assert.equal(disabled.json.revoked_sessions, 1);
  await ws.next((f) => f.type === 'session_revoked', T(5000), 'session_revoked');
  assert.equal((await ws.closed).code, 4001);
  assertError(await api(server, 'GET', '/api/v1/me', { token: carol.token }), 401, 'unauthenticated');
  assertError(await api(server, 'POST', '/api/v1/login', { body: { username: 'carol', password: 'a long enough secret phrase' } }),
    403, 'account_disabled');
  // A wrong password says no more than for anyone.
  assertError(await api(server, 'POST', '/api/v1/login', { body: { username: 'carol', password: 'not her password at all' } }),
    401, 'invalid_credentials');
  assert.equal(typeof (await admin(server, ['user', 'carol'])).json.disabled_at, 'number');
  assert.equal((await admin(server, ['stats'])).json.disabled_users, 1);

  assert.equal((await admin(server, ['enable', 'carol'])).code, 0);
  const again = await login(server, 'carol', { password: 'a long enough secret phrase' });

  // A new password ends every session; the old password stops working.
  const ws2 = await connect(t, server, again.token);
  const reset = await admin(server, ['set-password', 'carol'], { input: 'a brand new secret phrase\n' });
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal(reset.json.revoked_sessions, 1);
  assert.equal((await ws2.closed).code, 4001);
  assertError(await api(server, 'POST', '/api/v1/login', { body: { username: 'carol', password: 'a long enough secret phrase' } }),
    401, 'invalid_credentials');
  const fresh = await login(server, 'carol', { password: 'a brand new secret phrase' });
  await login(server, 'carol', { password: 'a brand new secret phrase' });

  const revoked = await admin(server, ['revoke-sessions', 'carol']);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal(revoked.json.revoked_sessions, 2);
  assertError(await api(server, 'GET', '/api/v1/me', { token: fresh.token }), 401, 'unauthenticated');

  const stats = await admin(server, ['stats']);
  assert.equal(stats.code, 0, stats.stderr);
  assert.equal(stats.json.users, 2);
  assert.equal(stats.json.disabled_users, 0);
  assert.match(stats.json.version, /^\d+\.\d+\.\d+$/);

  // Usage errors and a server that is not there.
  assert.equal((await admin(server, ['frobnicate'])).code, 2);
  assert.equal((await admin(server, ['user'])).code, 2);
  await server.stop();
  const down = await admin(server, ['stats']);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /is parleyd running/);
});

test('backup while messages are sent, restore into a stopped server, one server per data directory', { skip: process.env.PARLEY_TEST_STORE ? 'the embedded store only' : false }, async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  await register(server, 'bob');
  const { conversation } = await openConversation(server, alice.token, 'bob');
  const ws = await connect(t, server, alice.token);
  for (let i = 0; i < 20; i += 1) {
    await ws.call({ type: 'send', conversation_id: conversation.id, client_id: cid(), text: `before ${i}` }, 'ack');
  }
  // Sends keep going while the backup runs.
  let sending = true;
  let during = 0;
  const storm = (async () => {
    while (sending) {
      await ws.call({ type: 'send', conversation_id: conversation.id, client_id: cid(), text: `during ${during}` }, 'ack');
      during += 1;
    }
  })();
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-backup-'));
  t.after(() => fs.rmSync(dest, { recursive: true, force: true }));
  const target = path.join(dest, 'b1');
  const done = await admin(server, ['backup', target]);
  sending = false;
  await storm;
  assert.equal(done.code, 0, done.stderr);
  assert.ok(fs.existsSync(path.join(target, 'parley.db')));
  assert.equal((await admin(server, ['backup', target])).code, 1, 'never overwrites');

  // A second server on the same data directory refuses to start; so does a restore into it.
  const refused = await admin(server, ['restore', target]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /stop the server first/);

  const twin = spawnSync(binaryPath(), ['--listen', '127.0.0.1:0', '--data-dir', server.dataDir], { encoding: 'utf8', timeout: T(30000) });
  assert.equal(twin.status, 1, 'a second server on a data directory in use exits');
  assert.match(twin.stderr + twin.stdout, /another parleyd is using/);

  await server.stop();
  const restoredDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-restored-'));
  t.after(() => fs.rmSync(restoredDir, { recursive: true, force: true }));
  const restored = await admin(server, ['restore', target], { dataDir: restoredDir });
  assert.equal(restored.code, 0, restored.stderr);
  const second = await startServer(t, { args: ['--data-dir', restoredDir] });
  const back = await login(second, 'alice');
  const messages = await fullHistory(second, back.token, conversation.id);
  // Every message acknowledged before the backup began, in order, gap-free.
  const texts = messages.map((m) => m.text);
  for (let i = 0; i < 20; i += 1) assert.ok(texts.includes(`before ${i}`), `before ${i}`);
  messages.forEach((m, i) => assert.equal(m.seq, i + 1));
  assert.ok(messages.length <= 20 + during);
});
