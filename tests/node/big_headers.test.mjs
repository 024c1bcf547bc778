// A request head over the 16 KiB limit is answered 431 (JSON) before the connection closes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { rawGet, rawRequest } from './lib/raw.mjs';

test('a request head over 16 KiB gets 431 headers_too_large', async (t) => {
  const server = await startServer(t);
  for (const head of [
    rawGet('/healthz', `X-Big: ${'a'.repeat(17 * 1024)}\r\n`),
    rawGet('/api/v1/me', `Cookie: ${'b'.repeat(8 * 1024)}\r\nX-More: ${'c'.repeat(9 * 1024)}\r\n`),
    rawGet(`/${'d'.repeat(17 * 1024)}`),
  ]) {
    const res = await rawRequest(server, head);
    const what = res.raw.slice(0, 300);
    assert.equal(res.status, 431, what);
    assert.match(res.headers['content-type'] ?? '', /^application\/json/, what);
    assert.equal(res.headers.connection, 'close', what);
    assert.equal(JSON.parse(res.body).error.code, 'headers_too_large', what);
  }
  // A head just under the limit is served.
  const ok = await rawRequest(server, rawGet('/healthz', `X-Big: ${'a'.repeat(15 * 1024)}\r\n`));
  assert.equal(ok.status, 200, ok.raw.slice(0, 300));
});
