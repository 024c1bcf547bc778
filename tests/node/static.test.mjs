// The web client's files: pre-compressed siblings chosen by Accept-Encoding, entity tags and
// 304 answers (docs/protocol.md, "The web client's files").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { startServer } from './lib/server.mjs';
import { T } from './lib/client.mjs';

/** GET with exactly these headers; the body as raw bytes, never decoded. */
function get(server, p, headers = {}, method = 'GET') {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url + p);
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method, agent: false,
      headers: { connection: 'close', ...headers } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, bytes: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(T(15000), () => req.destroy(new Error(`no answer to ${p}`)));
    req.on('error', reject);
    req.end();
  });
}

async function webServer(t) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-web-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, 'assets'));
  const js = 'export const greeting = "hello";\n'.repeat(200);
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Parley</title>');
  fs.writeFileSync(path.join(root, 'assets', 'app-1.js'), js);
  fs.writeFileSync(path.join(root, 'assets', 'app-1.js.br'), zlib.brotliCompressSync(js));
  fs.writeFileSync(path.join(root, 'assets', 'app-1.js.gz'), zlib.gzipSync(js));
  fs.writeFileSync(path.join(root, 'assets', 'plain-1.css'), 'body{}');
  const server = await startServer(t, { args: ['--web-root', root] });
  return { server, root, js };
}

test('a pre-compressed sibling is sent when Accept-Encoding admits it, with its own entity tag', async (t) => {
  const { server, js } = await webServer(t);
  const br = await get(server, '/assets/app-1.js', { 'accept-encoding': 'gzip, deflate, br' });
  assert.equal(br.status, 200);
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(br.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.match(br.headers.vary, /Accept-Encoding/i);
  assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.equal(zlib.brotliDecompressSync(br.bytes).toString(), js);

  const gz = await get(server, '/assets/app-1.js', { 'accept-encoding': 'gzip' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.equal(zlib.gunzipSync(gz.bytes).toString(), js);

  for (const ae of [undefined, 'identity', 'br;q=0, gzip;q=0', 'compress']) {
    const plain = await get(server, '/assets/app-1.js', ae ? { 'accept-encoding': ae } : {});
    assert.equal(plain.headers['content-encoding'], undefined, `Accept-Encoding ${ae}`);
    assert.equal(plain.bytes.toString(), js);
  }
  const none = await get(server, '/assets/plain-1.css', { 'accept-encoding': 'br, gzip' });
  assert.equal(none.headers['content-encoding'], undefined, 'no sibling: the file as it is');
  assert.equal(none.bytes.toString(), 'body{}');

  const tags = new Set([br.headers.etag, gz.headers.etag, (await get(server, '/assets/app-1.js')).headers.etag]);
  assert.equal(tags.size, 3, 'one entity tag per encoding');
  for (const tag of tags) assert.match(tag, /^"[^"]+"$/);
});

test('If-None-Match with the current tag answers 304 without a body; a changed file a new tag', async (t) => {
  const { server, root } = await webServer(t);
  const first = await get(server, '/', { 'accept-encoding': 'br' });
  assert.equal(first.status, 200);
  assert.equal(first.headers['cache-control'], 'no-cache');
  const tag = first.headers.etag;
  assert.ok(tag, 'index.html has an entity tag');

  const again = await get(server, '/', { 'if-none-match': tag });
  assert.equal(again.status, 304);
  assert.equal(again.bytes.length, 0);
  assert.equal(again.headers.etag, tag);
  assert.ok(again.headers['content-security-policy'], 'security headers on a 304 too');
  assert.equal((await get(server, '/c/42', { 'if-none-match': `"nope", W/${tag}` })).status, 304,
    'a client route is index.html too; weak comparison over a list');
  assert.equal((await get(server, '/', { 'if-none-match': '"nope"' })).status, 200);
  assert.equal((await get(server, '/', { 'if-none-match': '*' })).status, 304);
  const head = await get(server, '/', { 'if-none-match': tag }, 'HEAD');
  assert.equal(head.status, 304);

  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Parley 2</title>');
  const changed = await get(server, '/', { 'if-none-match': tag });
  assert.equal(changed.status, 200, 'a new build is sent in full');
  assert.notEqual(changed.headers.etag, tag);
  assert.match(changed.bytes.toString(), /Parley 2/);
});

test('a sibling linked out of the web root, or requested by a hostile Accept-Encoding, never leaks', async (t) => {
  const { server, root } = await webServer(t);
  const secret = path.join(os.tmpdir(), `parley-secret-${process.pid}.txt`);
  fs.writeFileSync(secret, 'secret');
  t.after(() => fs.rmSync(secret, { force: true }));
  fs.writeFileSync(path.join(root, 'assets', 'b-1.js'), 'const b = 1;');
  fs.symlinkSync(secret, path.join(root, 'assets', 'b-1.js.br'));
  const res = await get(server, '/assets/b-1.js', { 'accept-encoding': 'br' });
  assert.equal(res.status, 200);
  assert.equal(res.headers['content-encoding'], undefined);
  assert.equal(res.bytes.toString(), 'const b = 1;');
  for (const ae of ['*', 'br;q=1, gzip;q=1, *;q=0', `${'x,'.repeat(2000)}br`, 'br;q=', ';;;,,,', '\u00ff'.repeat(10)]) {
    const r = await get(server, '/assets/b-1.js', { 'accept-encoding': ae });
    assert.equal(r.status, 200, `Accept-Encoding ${ae.slice(0, 20)}`);
    assert.notEqual(r.bytes.toString(), 'secret');
  }
});

/** Writes `text` on one connection and resolves everything the server sent until it closed. */
function exchange(server, text) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.port, '127.0.0.1', () => socket.write(text));
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.setTimeout(T(15000), () => socket.destroy(new Error('no answer')));
  });
}

test('a HEAD answer is the header alone, for files, API routes and errors alike', async (t) => {
  const { server } = await webServer(t);
  // Each HEAD is followed on the same connection by a GET: a stray body after a HEAD answer
  // would be read as the start of the next answer.
  for (const target of ['/', '/assets/missing-1.js', '/healthz', '/api/v1/me', '/api/v1/nope', '/media/x/full']) {
    const text = await exchange(server, `HEAD ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`
      + 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    const end = text.indexOf('\r\n\r\n');
    assert.ok(end > 0, `HEAD ${target}: no header in ${JSON.stringify(text)}`);
    const status = Number(text.slice(9, 12));
    assert.ok(status >= 200, `HEAD ${target}: ${text.slice(0, 40)}`);
    assert.match(text.slice(0, end), /\r\ncontent-length: \d+/i, `HEAD ${target} says how long the GET's body is`);
    assert.equal(text.slice(end + 4, end + 4 + 15), 'HTTP/1.1 200 OK', `HEAD ${target} (${status}) is followed by the next answer, not a body: ${
      JSON.stringify(text.slice(end + 4, end + 120))}`);
    assert.match(text, /\{"status":"ok"\}$/);
  }
});
