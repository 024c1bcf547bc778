// HTTPS and WSS served by parleyd itself (--tls-cert/--tls-key): the same sessions as over
// plain TCP, with TLS under them. Requests and answers, a streamed static file, a refused
// body, and a WebSocket conversation with large, fragmented and oversized messages and both
// ways of closing (the client's and the server's, which ends TLS with close_notify).

// The test's certificate is its own, made on the spot: the HTTP client (fetch) accepts it
// without a CA. WebSocket connections verify it against that certificate.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { api, cid, connect, fullHistory, openConversation, register, T } from './lib/client.mjs';
import { selfSignedCert } from './lib/push.mjs';

const KiB = 1024;

async function tlsServer(t, extra = []) {
  const { cert, key } = selfSignedCert(t);
  const server = await startServer(t, {
    args: ['--tls-cert', cert, '--tls-key', key, '--rate-send-per-sec', '0', '--rate-other-per-sec', '0', ...extra],
  });
  assert.ok(server.url.startsWith('https://'));
  const wsOptions = { ca: fs.readFileSync(cert), servername: 'localhost', rejectUnauthorized: true };
  return { server, wsOptions };
}

/** A raw HTTPS request; resolves with {status, headers, body: Buffer}. */
function httpsRequest(server, method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(`${server.url}${path}`, { method, headers, rejectUnauthorized: false, timeout: T(10000) },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

test('over HTTPS: API answers, static files, HEAD, and a body over the limit', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-tls-web-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  // Large enough to take many TLS records and several writes.
  const page = `<!doctype html><title>Parley</title>${'<p>hello</p>'.repeat(30000)}`;
  fs.writeFileSync(path.join(root, 'index.html'), page);
  const { server } = await tlsServer(t, ['--web-root', root]);
  const alice = await register(server, 'alice');
  const me = await api(server, 'GET', '/api/v1/me', { token: alice.token });
  assert.equal(me.status, 200);
  assert.equal(me.body.user.username, 'alice');

  const index = await httpsRequest(server, 'GET', '/');
  assert.equal(index.status, 200);
  assert.match(index.headers['content-type'], /^text\/html/);
  assert.equal(index.body.toString(), page);
  const head = await httpsRequest(server, 'HEAD', '/');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(head.headers['content-length'], index.headers['content-length']);

  // 64 KiB is the body limit of JSON routes: refused with 413, the connection then closed.
  const big = await httpsRequest(server, 'POST', '/api/v1/login', {
    headers: { 'content-type': 'application/json' }, body: Buffer.alloc(200 * KiB, 0x20),
  }).catch((e) => ({ error: e }));
  if (!big.error) {
    assert.equal(big.status, 413);
    assert.equal(JSON.parse(big.body).error.code, 'payload_too_large');
  }
  // Whatever the client saw, the server still serves.
  assert.equal((await httpsRequest(server, 'GET', '/healthz')).status, 200);
});

test('over WSS: messages of every size arrive whole and in order, and both sides can close', async (t) => {
  const { server, wsOptions } = await tlsServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const conv = (await openConversation(server, alice.token, 'bob')).conversation;
  const wa = await connect(t, server, alice.token, { wsOptions });
  const wb = await connect(t, server, bob.token, { wsOptions, header: true });

  // Texts from one byte to the 16 KiB limit (several TLS records), sent back to back.
  const sizes = [1, 100, 1500, 8 * KiB, 16 * KiB];
  const sent = [];
  for (const [i, size] of sizes.entries()) {
    const text = `${i}:`.padEnd(size, String.fromCharCode(97 + i));
    const id = cid('tls');
    sent.push({ id, text });
    wa.send({ type: 'send', id, conversation_id: conv.id, client_id: id, text });
  }
  for (const { id } of sent) {
    const ack = await wa.next((f) => f.id === id, T(10000), `the ack of ${id}`);
    assert.equal(ack.type, 'ack', JSON.stringify(ack).slice(0, 200));
  }
  for (const { text } of sent) {
    await wb.next((f) => f.type === 'message' && f.message.text === text, T(10000), `a ${text.length}-byte message`);
  }
  const live = wb.received((f) => f.type === 'message').map((f) => f.message.text);
  assert.deepEqual(live, sent.map((s) => s.text), 'delivered live, in order');
  assert.deepEqual((await fullHistory(server, bob.token, conv.id)).map((m) => m.text), sent.map((s) => s.text));

  // Frames up to the 64 KiB limit, answered in order.
  const frames = [20 * KiB, 64 * KiB - 1, 300];
  for (const [i, bytes] of frames.entries()) {
    const base = JSON.stringify({ type: 'ping', id: `p${i}`, pad: '' });
    wb.send(JSON.stringify({ type: 'ping', id: `p${i}`, pad: 'p'.repeat(bytes - base.length) }));
  }
  for (const [i] of frames.entries()) {
    assert.equal((await wb.next((f) => f.id === `p${i}`, T(10000), `pong p${i}`)).type, 'pong');
  }

  // A message in many fragments (one per write) is one message to the server.
  const id = cid('frag');
  const frame = JSON.stringify({ type: 'send', id, conversation_id: conv.id, client_id: id, text: 'in pieces' });
  const pieces = frame.match(/.{1,7}/g);
  pieces.forEach((p, i) => wa.ws.send(p, { fin: i === pieces.length - 1 }));
  assert.equal((await wa.next((f) => f.id === id, T(10000), 'the fragmented send')).type, 'ack');

  // The client closes: the server answers the close handshake.
  wb.ws.close(1000, 'bye');
  assert.equal((await wb.closed).code, 1000);

  // The server closes: a binary frame is refused with 1003, over TLS as over TCP.
  wa.ws.send(Buffer.from([1, 2, 3]));
  assert.equal((await wa.closed).code, 1003);

  // An oversized message is read to its end and refused with 1009.
  const wc = await connect(t, server, alice.token, { wsOptions });
  wc.send(JSON.stringify({ type: 'ping', id: 'big', pad: 'x'.repeat(70 * KiB) }));
  assert.equal((await wc.closed).code, 1009);
  assert.equal((await httpsRequest(server, 'GET', '/healthz')).status, 200);
});
