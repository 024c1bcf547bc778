// Connection caps: per client address (at accept), per account (authenticated WebSockets),
// and server-wide (descriptors minus a reserve), where the oldest connection that has not
// authenticated makes room for a new one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { binaryPath, startServer, sleep } from './lib/server.mjs';
import { api, connect, login, register, T, within } from './lib/client.mjs';

/** A raw TCP connection that records whether the server closed it. */
function openRaw(server) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1');
    const raw = { socket, closed: false, data: '' };
    raw.closedP = new Promise((r) => socket.on('close', () => { raw.closed = true; r(); }));
    socket.on('data', (c) => { raw.data += c.toString('latin1'); });
    socket.on('error', () => {});
    socket.once('connect', () => resolve(raw));
    socket.once('error', reject);
  });
}

/**
 * Sends one keep-alive request on a raw connection: resolves 'answered' when an HTTP answer
 * starts arriving, 'closed' when the server closes the connection without one.
 */
function probe(raw) {
  return new Promise((resolve) => {
    const check = () => {
      if (raw.data.startsWith('HTTP/1.1')) resolve('answered');
      else if (raw.closed) resolve('closed');
      else return false;
      return true;
    };
    raw.socket.on('data', check);
    raw.closedP.then(check);
    raw.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
  });
}

async function eventually(what, fn, timeoutMs = T(15000)) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) assert.fail(`not within ${timeoutMs} ms: ${what}`);
    await sleep(50);
  }
}

test('one client address holds at most --max-connections-per-address connections', async (t) => {
  const server = await startServer(t, { args: ['--max-connections-per-address', '3'] });
  const held = [];
  t.after(() => { for (const r of held) r.socket.destroy(); });
  let refused = 0;
  // The test's own HTTP client may keep a connection of its own open: at most 3 are answered.
  for (let i = 0; i < 4; ++i) {
    const raw = await openRaw(server);
    held.push(raw);
    const outcome = await within(probe(raw), T(10000), 'no answer and not closed');
    if (outcome === 'closed') refused += 1;
    else assert.equal(outcome, 'answered');
  }
  assert.ok(refused >= 1, 'the 4th connection from one address is closed at once');
  assert.ok(held.filter((r) => !r.closed).length <= 3);
  // Once the address closes its connections it may connect again.
  for (const r of held) r.socket.destroy();
  await eventually('a new connection is admitted', async () => {
    const raw = await openRaw(server);
    const outcome = await within(probe(raw), T(10000), 'no answer');
    raw.socket.destroy();
    return outcome === 'answered';
  });
});

test('an account holds at most --max-websockets-per-user sockets: the oldest is closed with 4009', async (t) => {
  const server = await startServer(t, { args: ['--max-websockets-per-user', '2'] });
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const a1 = await connect(t, server, alice.token);
  const a2 = await connect(t, server, alice.token);
  const a3 = await connect(t, server, alice.token);
  const closed = await a1.waitClose(T(10000));
  assert.equal(closed.code, 4009, `oldest closed with 4009: ${JSON.stringify(closed)}`);
  assert.equal((await a2.request({ type: 'ping' })).type, 'pong');
  assert.equal((await a3.request({ type: 'ping' })).type, 'pong');
  // Another account is not affected.
  const b1 = await connect(t, server, bob.token);
  const b2 = await connect(t, server, bob.token);
  assert.equal((await b1.request({ type: 'ping' })).type, 'pong');
  assert.equal((await b2.request({ type: 'ping' })).type, 'pong');
  assert.ok(a2.isOpen && a3.isOpen);
});

test('with few descriptors one attacker cannot lock others out: its oldest idle connections make room', async (t) => {
  // parleyd under a small descriptor limit (soft and hard), through a shell wrapper.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-ulimit-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const wrapper = path.join(dir, 'parleyd');
  fs.writeFileSync(wrapper, `#!/bin/sh\nulimit -n 200 || exit 97\nexec '${binaryPath()}' "$@"\n`, { mode: 0o755 });
  const saved = process.env.PARLEYD;
  process.env.PARLEYD = wrapper;
  let server;
  try {
    server = await startServer(t, { args: ['--fd-reserve', '64', '--max-connections-per-address', '0'] });
  } finally {
    if (saved === undefined) delete process.env.PARLEYD; else process.env.PARLEYD = saved;
  }

  // The attacker: authenticated sockets up to its account's cap, then idle TCP connections,
  // more than the server has descriptors for.
  const mallory = await register(server, 'mallory');
  for (let i = 0; i < 4; ++i) await connect(t, server, mallory.token);
  const idle = [];
  t.after(() => { for (const r of idle) r.socket.destroy(); });
  for (let i = 0; i < 250; ++i) idle.push(await openRaw(server));

  // Someone else can still register, log in, connect and chat; health checks answer. Each
  // over a new connection, as someone else's would be: this process's kept-alive HTTP
  // connection, idle since mallory registered, is among the oldest idle ones the server
  // sheds, and it may be shed (the server is still accepting the last idle connections)
  // just as a request is sent on it.
  const health = await api(server, 'GET', '/healthz', { fresh: true });
  assert.equal(health.status, 200);
  const bob = await register(server, 'bob', { fresh: true });
  const again = await login(server, 'bob', { fresh: true });
  const wb = await connect(t, server, again.token);
  assert.equal((await wb.request({ type: 'ping' })).type, 'pong');
  assert.ok(bob.token);

  // The connections that made room were the attacker's oldest idle ones: the first ones
  // opened are closed, the newest are still open.
  await eventually('the oldest idle connections are closed', () => idle.slice(0, 100).every((r) => r.closed));
  const newest = idle.slice(-40);
  assert.ok(newest.every((r) => !r.closed), 'the newest idle connections are still open');
  const metrics = await api(server, 'GET', '/metrics', { fresh: true });
  assert.match(metrics.text, /parley_connections_shed_total [1-9]/);
});
