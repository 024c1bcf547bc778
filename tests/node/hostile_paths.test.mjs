// Static files: no request line, however it is spelled, reads a file outside the web root.
// Requests go over a raw socket, so that nothing normalises the path on the way (no URL
// parsing, no dot-segment removal).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import { register } from './lib/client.mjs';
import { rawGet as get, rawRequest } from './lib/raw.mjs';

test('no request path reads a file outside the web root', async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-web-'));
  t.after(() => fs.rmSync(base, { recursive: true, force: true }));
  const webRoot = path.join(base, 'web');
  fs.mkdirSync(path.join(webRoot, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(webRoot, 'index.html'), '<html>parley index</html>');
  fs.writeFileSync(path.join(webRoot, 'assets', 'app-1.js'), 'console.log(1)');
  // A sibling whose name starts with the root's: "web" must not admit "webx".
  fs.mkdirSync(path.join(base, 'webx'));
  fs.writeFileSync(path.join(base, 'webx', 'secret.txt'), 'SIBLING-SECRET');

  const server = await startServer(t, { args: ['--web-root', webRoot] });
  // Some data worth stealing: an account (a password hash) in the database.
  await register(server, 'alice');
  // A link inside the web root that points at the data directory.
  fs.symlinkSync(server.dataDir, path.join(webRoot, 'data'));
  fs.symlinkSync(path.join(server.dataDir, 'parley.db'), path.join(webRoot, 'db.js'));

  const key = fs.readFileSync(path.join(server.dataDir, 'media', 'signing.key'), 'latin1').trim();
  const passwd = fs.readFileSync('/etc/passwd', 'latin1');
  const d = server.dataDir;
  const hostile = [
    '//etc/passwd',
    '///etc/passwd',
    `//proc/self/root${d}/parley.db`,
    `//proc/self/root${d}/parley.db-wal`,
    `//proc/self/root${d}/media/signing.key`,
    '//proc/self/environ',
    '/../../../../../../etc/passwd',
    '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
    '/.%2e/.%2e/.%2e/.%2e/.%2e/etc/passwd',
    '/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/%2F%2Fetc%2Fpasswd',
    '/%2fetc/passwd',
    '/%5c..%5c..%5c..%5c..%5cetc%5cpasswd',
    '/%252e%252e/%252e%252e/etc/passwd',
    '/index.html%00.js',
    '/data/parley.db',
    '/data/parley.db-wal',
    '/data/media/signing.key',
    '/db.js',
    '/../webx/secret.txt',
    '/%2e%2e/webx/secret.txt',
    `/${'a'.repeat(3000)}.js`,
  ];
  for (const target of hostile) {
    const res = await rawRequest(server, get(target));
    const what = `GET ${target.slice(0, 120)} -> ${res.raw.slice(0, 300)}`;
    assert.equal(res.status, 404, what);
    assert.match(res.headers['content-type'] ?? '', /^application\/json/, what);
    assert.equal(JSON.parse(res.body).error.code, 'not_found', what);
    assert.ok(!res.raw.includes('root:'), `passwd leaked: ${what}`);
    assert.ok(!res.raw.includes(passwd.slice(0, 40)), `passwd leaked: ${what}`);
    assert.ok(!res.raw.includes('SQLite format'), `database leaked: ${what}`);
    assert.ok(!res.raw.includes(key), `signing key leaked: ${what}`);
    assert.ok(!res.raw.includes('SIBLING-SECRET'), `sibling leaked: ${what}`);
  }

  // The web client itself is still served, client routes included.
  const asset = await rawRequest(server, get('/assets/app-1.js'));
  assert.equal(asset.status, 200);
  assert.equal(asset.body, 'console.log(1)');
  const route = await rawRequest(server, get('/chats/7'));
  assert.equal(route.status, 200);
  assert.equal(route.body, '<html>parley index</html>');
  const encoded = await rawRequest(server, get('/assets/app%2D1.js'));
  assert.equal(encoded.status, 200, 'a percent-encoded name is decoded once');
});
