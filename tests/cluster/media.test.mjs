// Photos across parleyd nodes: the nodes share one --media-dir (and so one signing key,
// created there by whichever node starts first); a photo uploaded through node A is served
// by node B, by token and by a signed link that node A made.
//
//   cd tests/node && PARLEY_TEST_STORE=postgresql://... node --test ../cluster/media.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

import { api, assertStatus, connect, openConversation, register, T } from '../node/lib/client.mjs';
import { makeImage, tempDir } from '../node/lib/images.mjs';
import { startServer } from '../node/lib/server.mjs';
import { freshDatabase } from './db.mjs';
import { startNats } from './nats.mjs';

async function get(server, p, token) {
  const res = await fetch(server.url + p, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
}

test('a photo uploaded through one node is served by another', async (t) => {
  const nats = await startNats(t);
  const uri = freshDatabase(`parley_media_${process.pid}`);
  const mediaDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-shared-media-'));
  t.after(() => fs.rmSync(mediaDir, { recursive: true, force: true }));
  const args = ['--store', uri, '--store-connections', '2', '--bus', nats.busArg, '--media-dir', mediaDir];
  // Both start at once: they race to create the signing key and must end up with one.
  const [a, b] = await Promise.all([startServer(t, { args }), startServer(t, { args })]);
  assert.deepEqual(fs.readdirSync(mediaDir).filter((f) => f.startsWith('signing.key')), ['signing.key']);

  const alice = await register(a, 'alice');
  const bob = await register(b, 'bob');
  const { conversation } = await openConversation(a, alice.token, 'bob');
  const jpeg = fs.readFileSync(makeImage(tempDir(t), 'cat.jpg', 640, 480));
  const up = await api(a, 'POST', '/api/v1/media', {
    token: alice.token, raw: jpeg, headers: { 'content-type': 'application/octet-stream' }, timeoutMs: T(60000),
  });
  assertStatus(up, 201, 'upload through A');
  const media = up.body.media;

  const bobB = await connect(t, b, bob.token);
  const aliceA = await connect(t, a, alice.token);
  await aliceA.call({ type: 'send', conversation_id: conversation.id, client_id: 'p1', media_id: media.media_id }, 'ack');
  const ev = await bobB.event('message', (f) => f.message.image?.media_id === media.media_id, T(10000));
  assert.equal(ev.message.kind, 'image');

  const full = await get(b, `/api/v1/media/${media.media_id}/full`, bob.token);
  assert.equal(full.status, 200);
  assert.equal(full.bytes.length, media.size);
  const thumb = await get(b, `/api/v1/media/${media.media_id}/thumbnail`, bob.token);
  assert.equal(thumb.status, 200);
  assert.equal(thumb.bytes.length, media.thumbnail.size);

  // A link signed by A works on B (one key), and a tampered one does not.
  const links = await api(a, 'GET', `/api/v1/media/${media.media_id}`, { token: bob.token });
  assertStatus(links, 200, 'links from A');
  const viaLink = await get(b, links.body.links.full);
  assert.equal(viaLink.status, 200);
  assert.deepEqual(viaLink.bytes, full.bytes);
  const tampered = links.body.links.full.replace(/s=([0-9a-f])/, (m, c) => `s=${c === '0' ? '1' : '0'}`);
  assert.notEqual((await get(b, tampered)).status, 200);
  console.log(`# media figures ${JSON.stringify({ full_bytes: full.bytes.length, thumbnail_bytes: thumb.bytes.length })}`);
});
