// A chat's "media, links and docs" (docs/protocol.md, "Media, links and docs"): photos and
// videos, documents, voice messages and links, newest first with a seq cursor, over HTTP
// and the WebSocket; only what the caller sees in history (membership windows, nothing
// deleted for everyone, nothing they deleted for themselves); hostile parameters refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer } from './lib/server.mjs';
import { api, assertError, assertStatus, cid, connect, register, T } from './lib/client.mjs';
import { makeImage, tempDir } from './lib/images.mjs';
import { makeVideo } from './lib/videos.mjs';
import { oggOpus, waveform } from './lib/voice.mjs';

async function uploadOk(server, token, bytes, query) {
  const res = await api(server, 'POST', `/api/v1/media?${query}`, { token, raw: bytes, timeoutMs: T(60000) });
  assertStatus(res, 201, `upload ${query}`);
  return res.body.media;
}

async function listed(server, token, convId, query = '') {
  const res = await api(server, 'GET', `/api/v1/conversations/${convId}/media${query}`, { token });
  assertStatus(res, 200, `media ${query}`);
  return res.body;
}

const seqs = (page) => page.messages.map((m) => m.seq);

test('a group\'s photos and videos, documents, voice messages and links, by category and newest first', async (t) => {
  const server = await startServer(t);
  const dir = tempDir(t);
  const [alice, bob, carol, eve] = await Promise.all(['alice', 'bob', 'carol', 'eve'].map((u) => register(server, u)));
  const created = await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'Trip', member_usernames: ['bob'] } });
  assertStatus(created, 201, 'group');
  const g = created.body.conversation.id;
  const ac = await connect(t, server, alice.token);
  const bc = await connect(t, server, bob.token);
  const send = (c, body) => c.call({ type: 'send', conversation_id: g, client_id: cid(), ...body }, 'ack').then((a) => a.message);

  const photo = await uploadOk(server, alice.token, fs.readFileSync(makeImage(dir, 'p.jpg', 40, 30)), 'kind=image');
  const video = await uploadOk(server, bob.token, fs.readFileSync(makeVideo(dir, 'v.mp4')), 'kind=video');
  const doc = await uploadOk(server, alice.token, Buffer.from('%PDF-1.4\n%%EOF\n'), 'kind=file&name=plan.pdf');
  const voice = await uploadOk(server, bob.token, oggOpus(800), 'kind=voice');
  const photo2 = await uploadOk(server, alice.token, fs.readFileSync(makeImage(dir, 'q.jpg', 40, 30, { seed: 2 })), 'kind=image');
  const photo3 = await uploadOk(server, alice.token, fs.readFileSync(makeImage(dir, 'r.jpg', 40, 30, { seed: 3 })), 'kind=image');

  const mPhoto = await send(ac, { media_id: photo.media_id, text: 'beach' });
  const mLink = await send(ac, { text: 'tickets at HTTPS://example.org/t?x=1' });
  const mVideo = await send(bc, { media_id: video.media_id });
  const mDoc = await send(ac, { media_id: doc.media_id, text: 'plan, also on http://example.com' });
  const mVoice = await send(bc, { media_id: voice.media_id, duration_ms: 800, waveform: waveform() });
  await send(ac, { text: 'no link: httpx, ftp://x, example.org' });
  const mGone = await send(ac, { media_id: photo2.media_id, text: 'oops' });
  const mHidden = await send(ac, { media_id: photo3.media_id, text: 'bob hides this' });
  await ac.call({ type: 'delete', conversation_id: g, seq: mGone.seq, for: 'everyone' }, 'ok');
  await bc.call({ type: 'delete', conversation_id: g, seq: mHidden.seq, for: 'me' }, 'ok');

  const media = await listed(server, bob.token, g);
  assert.deepEqual(seqs(media), [mVideo.seq, mPhoto.seq], 'media: newest first, nothing deleted or hidden');
  assert.equal(media.has_more, false);
  assert.equal(media.messages[0].video.media_id, video.media_id, 'with the video object');
  assert.equal(media.messages[1].image.media_id, photo.media_id, 'with the image object');
  assert.deepEqual(seqs(await listed(server, alice.token, g)), [mHidden.seq, mVideo.seq, mPhoto.seq], 'alice did not hide it');
  assert.deepEqual(seqs(await listed(server, bob.token, g, '?category=docs')), [mDoc.seq]);
  assert.equal((await listed(server, bob.token, g, '?category=docs')).messages[0].file.name, 'plan.pdf');
  assert.deepEqual(seqs(await listed(server, bob.token, g, '?category=voice')), [mVoice.seq]);
  assert.deepEqual(seqs(await listed(server, bob.token, g, '?category=links')), [mDoc.seq, mLink.seq]);

  // Paging with the seq cursor, over the WebSocket too.
  const first = await ac.call({ type: 'conversation_media', conversation_id: g, category: 'media', limit: 2 }, 'conversation_media');
  assert.deepEqual(first.messages.map((m) => m.seq), [mHidden.seq, mVideo.seq]);
  assert.equal(first.has_more, true);
  const next = await ac.call({ type: 'conversation_media', conversation_id: g, category: 'media', limit: 2, before: mVideo.seq }, 'conversation_media');
  assert.deepEqual(next.messages.map((m) => m.seq), [mPhoto.seq]);
  assert.equal(next.has_more, false);

  // Carol joins now: she sees only what comes after; eve, never a member, sees nothing.
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${g}/members`, { token: alice.token, body: { user_ids: [carol.user.id] } }), 200, 'add carol');
  assert.deepEqual(seqs(await listed(server, carol.token, g)), [], 'nothing from before she joined');
  const photo4 = await uploadOk(server, alice.token, fs.readFileSync(makeImage(dir, 's.jpg', 40, 30, { seed: 4 })), 'kind=image');
  const mLater = await send(ac, { media_id: photo4.media_id });
  assert.deepEqual(seqs(await listed(server, carol.token, g)), [mLater.seq]);
  assertError(await api(server, 'GET', `/api/v1/conversations/${g}/media`, { token: eve.token }), 404, 'not_found', 'eve');
  // Bob leaves: he keeps what he saw, nothing after.
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${g}/leave`, { token: bob.token }), 200, 'bob leaves');
  const photo5 = await uploadOk(server, alice.token, fs.readFileSync(makeImage(dir, 'u.jpg', 40, 30, { seed: 5 })), 'kind=image');
  await send(ac, { media_id: photo5.media_id });
  assert.deepEqual(seqs(await listed(server, bob.token, g)), [mLater.seq, mVideo.seq, mPhoto.seq], 'bob after leaving');
});

test('hostile parameters of the media list are refused', async (t) => {
  const server = await startServer(t);
  const [alice] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const opened = await api(server, 'POST', '/api/v1/conversations', { token: alice.token, body: { peer_username: 'bob' } });
  const c = opened.body.conversation.id;
  for (const [q, code] of [
    ['?category=photos', 'invalid_argument'], ['?category=', 'invalid_argument'], ['?limit=0', 'invalid_argument'],
    ['?limit=201', 'invalid_argument'], ['?limit=x', 'invalid_argument'], ['?before=0', 'invalid_argument'],
    ['?before=-5', 'invalid_argument'], ['?before=99999999999999999999999', 'invalid_argument'],
  ]) {
    const res = await api(server, 'GET', `/api/v1/conversations/${c}/media${q}`, { token: alice.token });
    assert.equal(res.body?.error?.code ?? res.body?.code, code, `${q}: ${JSON.stringify(res.body)}`);
    assert.equal(res.status, 400, q);
  }
  assertError(await api(server, 'GET', `/api/v1/conversations/999999/media`, { token: alice.token }), 404, 'not_found', 'no such chat');
  assertError(await api(server, 'GET', `/api/v1/conversations/${c}/media`), 401, 'unauthenticated', 'no token');
  const empty = await listed(server, alice.token, c, '?category=links&limit=200');
  assert.deepEqual(empty, { messages: [], has_more: false });
});
