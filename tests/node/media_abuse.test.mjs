// Photos against a hostile uploader (docs/protocol.md, "Photos", "Limits"): a file is
// decoded only by the loader of the type its magic bytes name, so a file that passes one
// sniffer and is read by another decoder is refused; the pixel limit binds every supported
// type; one user cannot starve photo processing for everyone (fair queueing, per-user
// caps and upload rate); and an answer never tells whether the same bytes were uploaded
// before.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { mediaFiles, startServer, sleep } from './lib/server.mjs';
import { api, assertError, assertStatus, register, T } from './lib/client.mjs';
import { canWrite, heifTgaPolyglot, makeImage, tempDir } from './lib/images.mjs';

const MEDIA_ARGS = ['--media-signing-key', 'cd'.repeat(32)];

async function upload(server, token, bytes) {
  return api(server, 'POST', '/api/v1/media', {
    token, raw: bytes, headers: { 'content-type': 'application/octet-stream' }, timeoutMs: T(60000),
  });
}

test('a file that passes the HEIF sniff but is another format inside is refused, whatever size it claims', async (t) => {
  const dir = tempDir(t);
  if (!canWrite(dir, 'heic')) return t.skip('libvips cannot write HEIC here');
  const server = await startServer(t, { args: [...MEDIA_ARGS, '--media-max-pixels', '1000000'] });
  const alice = await register(server, 'alice');
  const heic = fs.readFileSync(makeImage(dir, 'small.heic', 64, 48));

  // Its HEIF header says 64x48; read as a TGA it is 2000x2000 (4 MP, over the 1 MP limit).
  // Brands that a HEIF decoder does not announce are not HEIF: 415, nothing is decoded.
  for (const [majorBrand, compatible] of [['isom', ['mif1', 'heic', 'miaf']], ['hevx', ['mif1']], ['avis', ['avif']], ['mp42', ['isom', 'mif1']]]) {
    const polyglot = heifTgaPolyglot(heic, 2000, 2000, { majorBrand, compatible });
    assertError(await upload(server, alice.token, polyglot), 415, 'unsupported_media', `ftyp ${majorBrand} [${compatible}] + TGA`);
  }
  // With a real HEIF brand it is decoded as HEIF, and only as HEIF: its image data is
  // garbage, so it is corrupt.
  const branded = heifTgaPolyglot(heic, 2000, 2000, { majorBrand: 'heic', compatible: ['mif1', 'heic'] });
  assertError(await upload(server, alice.token, branded), 422, 'corrupt_media', 'ftyp heic + TGA');

  await sleep(200);
  assert.deepEqual(mediaFiles(server, 'blobs'), [], 'no image was stored');
  assert.deepEqual(mediaFiles(server, 'staging'), [], 'no staged bytes are kept');
  // The honest file still works.
  assertStatus(await upload(server, alice.token, heic), 201, 'the real HEIC');
});

test('the pixel limit binds every supported type, checked from the header of the decoder used', async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, { args: [...MEDIA_ARGS, '--media-max-pixels', '10000'] });
  const alice = await register(server, 'alice');
  const types = ['jpg', 'png', 'webp', 'gif'];
  if (canWrite(dir, 'heic')) types.push('heic');
  if (canWrite(dir, 'avif')) types.push('avif');
  for (const ext of types) {
    const over = fs.readFileSync(makeImage(dir, `over.${ext}`, 101, 100));
    assertError(await upload(server, alice.token, over), 422, 'image_too_large', `${ext} 101x100`);
    const at = fs.readFileSync(makeImage(dir, `at.${ext}`, 100, 100));
    assertStatus(await upload(server, alice.token, at), 201, `${ext} 100x100`);
  }
});

/**
 * Starts an upload of `body` with `Expect: 100-continue` and resolves once the server has
 * accepted to read it (the upload then holds one of its user's slots), with
 * {send(): Promise<answer>} to send the body and read the answer. Rejects with the answer
 * if the server refuses the upload before reading the body.
 */
function beginUpload(server, token, body) {
  return new Promise((resolve, reject) => {
    const url = new URL(`${server.url}/api/v1/media`);
    let answer;
    const answered = new Promise((ok, fail) => {
      const req = http.request({
        host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false,
        headers: { authorization: `Bearer ${token}`, 'content-length': String(body.length), expect: '100-continue' },
      }, (res) => {
        const parts = [];
        res.on('data', (c) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString();
          ok({ status: res.statusCode, headers: res.headers, body: JSON.parse(text), text });
        });
        res.on('error', fail);
      });
      req.on('error', fail);
      req.setTimeout(T(30000), () => req.destroy(new Error('no answer')));
      req.on('continue', () => resolve({ send: () => { req.end(body); return answered; } }));
      answer = req;
    });
    answered.then((res) => reject(Object.assign(new Error(`refused before the body: ${res.status} ${res.text}`), { res })), () => {});
    void answer;
  });
}

/** An upload answered before its body was read (node:http, as fetch gives up then). */
async function refusedUpload(server, token, body) {
  try {
    const started = await beginUpload(server, token, body);
    return { accepted: true, res: await started.send() };
  } catch (e) {
    if (!e.res) throw e;
    return { accepted: false, res: e.res };
  }
}

test('one user cannot take photo processing from others: a per-user cap answered with 429 to that user only', async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, { args: [...MEDIA_ARGS, '--media-threads', '1', '--media-uploads-per-user', '1'] });
  const [alice, bob] = await Promise.all([register(server, 'alice'), register(server, 'bob')]);
  const photo = fs.readFileSync(makeImage(dir, 'photo.jpg', 400, 300));

  // Alice's first upload is under way (the server has agreed to read it): her share is used.
  const first = await beginUpload(server, alice.token, photo);
  const second = await refusedUpload(server, alice.token, photo);
  assert.equal(second.accepted, false, 'her second upload is refused before its body is read');
  assert.equal(second.res.status, 429, second.res.text);
  assert.equal(second.res.body.error.code, 'rate_limited');
  assert.match(String(second.res.headers['retry-after']), /^[1-9][0-9]*$/, 'Retry-After in seconds');

  // Bob is not affected.
  const bobs = await upload(server, bob.token, photo);
  assertStatus(bobs, 201, 'bob uploads while alice is at her cap');

  // Alice's upload completes, and her slot is free again.
  assertStatus(await first.send(), 201, 'alice\'s first upload');
  assertStatus(await upload(server, alice.token, photo), 201, 'alice again, once her upload is done');
});

test('uploads per user per minute are limited; other users are not', async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, { args: [...MEDIA_ARGS, '--rate-upload-per-min', '2'] });
  const [alice, bob] = await Promise.all([register(server, 'alice'), register(server, 'bob')]);
  const photo = fs.readFileSync(makeImage(dir, 'photo.jpg', 200, 150));
  assertStatus(await upload(server, alice.token, photo), 201, 'alice 1');
  assertStatus(await upload(server, alice.token, photo), 201, 'alice 2');
  const third = await refusedUpload(server, alice.token, photo);
  assert.equal(third.res.status, 429, third.res.text);
  assert.equal(third.res.body.error.code, 'rate_limited');
  assert.ok(Number(third.res.headers['retry-after']) >= 1, 'Retry-After in seconds');
  assertStatus(await upload(server, bob.token, photo), 201, 'bob');
});

/** How many uploads the server has processed (decoded and re-encoded), from /metrics. */
async function processedCount(server) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^parley_media_processing_seconds_count (\d+)/m.exec(text)?.[1] ?? NaN);
}

test('an upload answer does not tell whether the same bytes were uploaded before: same headers, same work', async (t) => {
  const dir = tempDir(t);
  const server = await startServer(t, { args: MEDIA_ARGS });
  const [alice, mallory] = await Promise.all([register(server, 'alice'), register(server, 'mallory')]);
  const photo = fs.readFileSync(makeImage(dir, 'private.jpg', 300, 200, { seed: 7 }));
  const other = fs.readFileSync(makeImage(dir, 'other.jpg', 300, 200, { seed: 8 }));
  assertStatus(await upload(server, alice.token, photo), 201, 'alice uploads a photo');

  // Mallory guesses alice's photo, and uploads bytes nobody uploaded.
  const processedBefore = await processedCount(server);
  const known = await upload(server, mallory.token, photo);
  assertStatus(known, 201, 'bytes stored before');
  // Known bytes are processed like new ones (so the answer takes as long): the work is
  // counted in /metrics.
  assert.equal(await processedCount(server), processedBefore + 1, 'the known bytes were processed again');
  const fresh = await upload(server, mallory.token, other);
  assertStatus(fresh, 201, 'new bytes');
  const headers = (res) => Object.fromEntries([...res.headers].filter(([k]) => !['date', 'content-length', 'x-request-id'].includes(k)));
  // (X-Request-Id differs per request and is random: it carries nothing about the upload.)
  assert.deepEqual(headers(known), headers(fresh), 'the same headers, with the same values');
  assert.equal(known.headers.get('server-timing'), null, 'no Server-Timing header');
  const keys = (o) => Object.keys(o).sort();
  assert.deepEqual(keys(known.body.media), keys(fresh.body.media), 'the same fields');
  assert.deepEqual(keys(known.body.media.thumbnail), keys(fresh.body.media.thumbnail));
  assert.notEqual(known.body.media.media_id, fresh.body.media.media_id);
});
