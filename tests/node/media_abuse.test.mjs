// Photos against a hostile uploader (docs/protocol.md, "Photos", "Limits"): a file is
// decoded only by the loader of the type its magic bytes name, so a file that passes one
// sniffer and is read by another decoder is refused; the pixel limit binds every supported
// type; one user cannot starve photo processing for everyone (fair queueing, per-user
// caps and upload rate); and an answer never tells whether the same bytes were uploaded
// before.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, sleep } from './lib/server.mjs';
import { api, assertError, assertStatus, register, T } from './lib/client.mjs';
import { canWrite, heifTgaPolyglot, makeImage, tempDir } from './lib/images.mjs';

const MEDIA_ARGS = ['--media-signing-key', 'cd'.repeat(32)];

async function upload(server, token, bytes) {
  return api(server, 'POST', '/api/v1/media', {
    token, raw: bytes, headers: { 'content-type': 'application/octet-stream' }, timeoutMs: T(60000),
  });
}

function filesUnder(server, sub) {
  const dir = path.join(server.dataDir, 'media', sub);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).filter((f) => fs.statSync(path.join(dir, f)).isFile());
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
  assert.deepEqual(filesUnder(server, 'blobs'), [], 'no image was stored');
  assert.deepEqual(filesUnder(server, 'staging'), [], 'no staged bytes are kept');
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
