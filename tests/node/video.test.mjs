// Videos over the wire (docs/protocol.md, "Videos"): MP4 and WebM accepted, remuxed with
// every piece of metadata gone (location, creation time), a poster frame, measured
// duration and size; played with ranges; the access rules of photos (members only, signed
// links, deletion for everyone, collection); hostile uploads refused with the documented
// error and nothing left behind (staging and blobs empty).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { mediaFiles, startServer, sleep } from './lib/server.mjs';
import {
  api, assertError, assertStatus, cid, connect, fullHistory, openConversation, register, T,
} from './lib/client.mjs';
import { makeImage, tempDir } from './lib/images.mjs';
import { ftypBox, makeVideo, probe, tagNames, vp8Bomb } from './lib/videos.mjs';

const ARGS = ['--media-signing-key', 'ab'.repeat(32)];

function upload(server, token, bytes, { kind = 'video', type = 'video/mp4' } = {}) {
  return api(server, 'POST', `/api/v1/media?kind=${kind}`, {
    token, raw: bytes, headers: { 'content-type': type }, timeoutMs: T(60000),
  });
}

async function uploadOk(server, token, bytes, opts) {
  const res = await upload(server, token, bytes, opts);
  assertStatus(res, 201, 'video upload');
  return res.body.media;
}

async function download(server, p, { token, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  const res = await fetch(server.url + p, { headers: h, signal: AbortSignal.timeout(T(15000)) });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function info(server, token, mediaId) {
  const res = await api(server, 'GET', `/api/v1/media/${mediaId}`, { token });
  assertStatus(res, 200, `media ${mediaId}`);
  return res.body;
}

function nothingLeft(server, what) {
  assert.deepEqual(mediaFiles(server, 'staging'), [], `${what}: staging is empty`);
  assert.deepEqual(mediaFiles(server, 'blobs'), [], `${what}: no blob stored`);
}

async function waitCollected(server) {
  const deadline = Date.now() + T(15000);
  while (mediaFiles(server, 'blobs').length > 0 && Date.now() < deadline) await sleep(100);
  assert.deepEqual(mediaFiles(server, 'blobs'), [], 'collected');
}

test('an MP4 loses its location and creation time, starts fast, and gets a poster, duration and size', async (t) => {
  const server = await startServer(t, { args: ARGS });
  const dir = tempDir(t);
  const clip = makeVideo(dir, 'paris.mp4', {
    extra: ['-metadata', 'location=+48.8584+002.2945/', '-metadata', 'creation_time=2024-05-01T10:00:00Z',
      '-metadata', 'title=Eiffel'],
  });
  const before = tagNames(clip);
  assert.ok(before.includes('location') && before.includes('creation_time'), 'the test clip carries them');

  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const media = await uploadOk(server, alice.token, fs.readFileSync(clip));
  assert.equal(media.kind, 'video');
  assert.equal(media.mime, 'video/mp4');
  assert.equal(media.width, 64);
  assert.equal(media.height, 48);
  assert.ok(media.duration_ms >= 400 && media.duration_ms <= 700, `duration ${media.duration_ms}`);
  assert.match(media.placeholder, /^data:image\/jpeg;base64,/);
  assert.equal(media.poster.mime, 'image/jpeg');
  assert.equal(media.poster.width, 64);
  assert.equal(media.poster.height, 48);

  const full = await download(server, `/api/v1/media/${media.media_id}/full`, { token: alice.token });
  assertStatus(full, 200, 'full');
  assert.equal(full.headers.get('content-type'), 'video/mp4');
  assert.equal(full.headers.get('accept-ranges'), 'bytes');
  assert.equal(full.bytes.length, media.size, 'size is what is served');
  // The index comes first, so a player starts before the whole file has arrived.
  assert.ok(full.bytes.indexOf('moov') < full.bytes.indexOf('mdat'), 'moov before mdat');
  const served = path.join(dir, 'served.mp4');
  fs.writeFileSync(served, full.bytes);
  const tags = tagNames(served);
  for (const gone of ['location', 'location-eng', 'creation_time', 'title', 'encoder'])
    assert.ok(!tags.includes(gone), `no ${gone} in ${tags}`);
  assert.ok(!full.bytes.includes('+48.8584'), 'the coordinates are nowhere in the file');
  const streams = probe(served).streams.map((s) => `${s.codec_type}:${s.codec_name}`);
  assert.deepEqual(streams, ['video:h264', 'audio:aac'], 'picture and sound kept, not re-encoded');

  const poster = await download(server, `/api/v1/media/${media.media_id}/poster`, { token: alice.token });
  assertStatus(poster, 200, 'poster');
  assert.equal(poster.headers.get('content-type'), 'image/jpeg');
  assert.equal(poster.bytes.subarray(0, 3).toString('hex'), 'ffd8ff');
  assert.equal(poster.bytes.length, media.poster.size);
  assertError(await api(server, 'GET', `/api/v1/media/${media.media_id}/thumbnail`, { token: alice.token }), 404, 'not_found', 'a video has a poster, not a thumbnail');

  // Sent, it reaches bob as a video message with everything needed to lay it out.
  const { conversation } = await openConversation(server, alice.token, 'bob');
  const ac = await connect(t, server, alice.token);
  const bc = await connect(t, server, bob.token);
  const ack = await ac.call({ type: 'send', conversation_id: conversation.id, client_id: cid(), media_id: media.media_id, text: 'look' }, 'ack');
  assert.equal(ack.message.kind, 'video');
  const ev = await bc.event('message', (f) => f.message.seq === ack.message.seq);
  assert.equal(ev.message.kind, 'video');
  assert.equal(ev.message.text, 'look');
  const { kind, ...attachment } = media;
  assert.equal(kind, 'video');
  assert.deepEqual(ev.message.video, attachment, 'the message carries the upload\'s video object');
  const bobInfo = await info(server, bob.token, media.media_id);
  assert.ok(bobInfo.links.full && bobInfo.links.poster, 'links to the video and its poster');
  assert.equal(bobInfo.links.thumbnail, undefined);
  assertStatus(await download(server, bobInfo.links.poster), 200, 'signed poster link');
});

test('a WebM stays WebM (VP8 and Opus), whatever type the uploader declares', async (t) => {
  const server = await startServer(t, { args: ARGS });
  const dir = tempDir(t);
  const alice = await register(server, 'alice');
  const clip = makeVideo(dir, 'a.webm', { codec: 'vp8', size: '96x64', extra: ['-metadata', 'title=secret'] });
  const media = await uploadOk(server, alice.token, fs.readFileSync(clip), { type: 'video/mp4' });
  assert.equal(media.mime, 'video/webm');
  assert.equal(media.width, 96);
  assert.equal(media.height, 64);
  const full = await download(server, `/api/v1/media/${media.media_id}/full`, { token: alice.token });
  assert.equal(full.headers.get('content-type'), 'video/webm');
  const served = path.join(dir, 'served.webm');
  fs.writeFileSync(served, full.bytes);
  assert.ok(!tagNames(served).includes('title'), 'metadata dropped');
  assert.deepEqual(probe(served).streams.map((s) => s.codec_name), ['vp8', 'opus']);
});

test('seeking: ranges of the video answer 206 with exactly those bytes, over tokens and signed links', async (t) => {
  const server = await startServer(t, { args: ARGS });
  const dir = tempDir(t);
  const [alice, bob, eve] = await Promise.all(['alice', 'bob', 'eve'].map((u) => register(server, u)));
  const media = await uploadOk(server, alice.token, fs.readFileSync(makeVideo(dir, 'a.mp4', { seconds: 1 })));
  const whole = (await download(server, `/api/v1/media/${media.media_id}/full`, { token: alice.token })).bytes;
  const { conversation } = await openConversation(server, alice.token, 'bob');
  const ac = await connect(t, server, alice.token);
  await ac.call({ type: 'send', conversation_id: conversation.id, client_id: cid(), media_id: media.media_id }, 'ack');

  const { links } = await info(server, bob.token, media.media_id);
  for (const [what, p, token] of [['token', `/api/v1/media/${media.media_id}/full`, bob.token], ['signed link', links.full, undefined]]) {
    const mid = await download(server, p, { token, headers: { range: 'bytes=100-299' } });
    assertStatus(mid, 206, `${what}: a middle range`);
    assert.equal(mid.headers.get('content-range'), `bytes 100-299/${whole.length}`);
    assert.deepEqual(mid.bytes, whole.subarray(100, 300), `${what}: the right bytes`);
    const tail = await download(server, p, { token, headers: { range: `bytes=${whole.length - 50}-` } });
    assertStatus(tail, 206, `${what}: an open range`);
    assert.deepEqual(tail.bytes, whole.subarray(whole.length - 50));
    const past = await download(server, p, { token, headers: { range: `bytes=${whole.length + 10}-` } });
    assert.equal(past.status, 416, `${what}: past the end`);
  }
  // Photos' rules: someone outside the chat learns nothing; a tampered link is refused.
  for (const p of [`/api/v1/media/${media.media_id}`, `/api/v1/media/${media.media_id}/full`, `/api/v1/media/${media.media_id}/poster`])
    assertError(await api(server, 'GET', p, { token: eve.token }), 404, 'not_found', `eve ${p}`);
  // Flip the signature's first digit to a different one (a fixed replacement digit would be a
  // no-op for the one signature in sixteen that already starts with it).
  const tampered = links.full.replace(/s=([0-9a-f])/, (_, d) => `s=${d === '0' ? '1' : '0'}`);
  assert.notEqual(tampered, links.full);
  assertError(await api(server, 'GET', tampered), 403, 'forbidden', 'tampered link');
  assertError(await api(server, 'GET', links.full.replace('/full?', '/thumbnail?')), 403, 'forbidden', 'a link for another variant');
});

test('a video deleted for everyone is served to nobody, and its video and poster are collected', async (t) => {
  const server = await startServer(t, { args: [...ARGS, '--media-unreferenced-ttl-s', '2', '--media-gc-interval-ms', '200'] });
  const dir = tempDir(t);
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const { conversation } = await openConversation(server, alice.token, 'bob');
  const ac = await connect(t, server, alice.token);
  const media = await uploadOk(server, alice.token, fs.readFileSync(makeVideo(dir, 'oops.mp4')));
  assert.equal(mediaFiles(server, 'blobs').length, 2, 'the video and its poster');
  const ack = await ac.call({ type: 'send', conversation_id: conversation.id, client_id: cid(), media_id: media.media_id }, 'ack');
  const { links } = await info(server, bob.token, media.media_id);
  await ac.call({ type: 'delete', conversation_id: conversation.id, seq: ack.message.seq, for: 'everyone' }, 'ok');
  for (const token of [alice.token, bob.token])
    for (const v of ['full', 'poster'])
      assertError(await api(server, 'GET', `/api/v1/media/${media.media_id}/${v}`, { token }), 404, 'not_found', `${v} after the delete`);
  assertError(await api(server, 'GET', links.poster), 404, 'not_found', 'a link issued before the delete');
  const hist = await fullHistory(server, bob.token, conversation.id);
  assert.equal(hist.find((m) => m.seq === ack.message.seq).video, undefined, 'no video object once deleted');
  await waitCollected(server);
});

test('hostile videos are refused with the documented error and leave nothing behind', async (t) => {
  const server = await startServer(t, {
    args: [...ARGS, '--video-max-duration-s', '2', '--video-max-long-side', '256', '--video-max-short-side', '192',
      '--video-max-bytes', '200000'],
  });
  const dir = tempDir(t);
  const alice = await register(server, 'alice');
  const good = fs.readFileSync(makeVideo(dir, 'good.mp4'));
  const webm = fs.readFileSync(makeVideo(dir, 'good.webm', { codec: 'vp8' }));
  const jpeg = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
  const cases = [
    ['truncated MP4 (no index)', good.subarray(0, Math.floor(good.length / 2)), 422, 'corrupt_media'],
    ['an MP4 header and garbage', Buffer.concat([ftypBox(), Buffer.alloc(5000, 0x5a)]), 422, 'corrupt_media'],
    ['a WebM behind an MP4 header (read as MP4 only)', Buffer.concat([ftypBox(), webm]), 422, 'corrupt_media'],
    ['a JPEG with an MP4 appended (polyglot)', Buffer.concat([jpeg, good]), 415, 'unsupported_media'],
    ['two video streams', fs.readFileSync(makeVideo(dir, 'two.mp4', { secondVideo: true })), 415, 'unsupported_media'],
    ['audio only', fs.readFileSync(makeVideo(dir, 'audio.mp4', { videoless: true })), 415, 'unsupported_media'],
    ['MPEG-4 Part 2, not in the allow-list', fs.readFileSync(makeVideo(dir, 'old.mp4', { codec: 'mpeg4' })), 415, 'unsupported_media'],
    ['longer than the limit', fs.readFileSync(makeVideo(dir, 'long.mp4', { seconds: 4, size: '32x32', audio: false })), 422, 'video_too_large'],
    ['more pixels than the limit', fs.readFileSync(makeVideo(dir, 'wide.mp4', { size: '320x96', audio: false })), 422, 'video_too_large'],
    ['a tiny file declaring 13616x13616 pixels', fs.readFileSync(vp8Bomb(dir)), 422, 'video_too_large'],
    ['plain text', Buffer.from('just some words, not a video at all'), 415, 'unsupported_media'],
    ['larger than the size limit', Buffer.concat([ftypBox(), Buffer.alloc(200001)]), 413, 'payload_too_large'],
  ];
  for (const [what, bytes, status, code] of cases) {
    const res = await upload(server, alice.token, bytes);
    assertError(res, status, code, what);
    nothingLeft(server, what);
  }
  assertError(await upload(server, alice.token, Buffer.alloc(0)), 400, 'bad_request', 'empty');
  // An MP4 with a JPEG appended is an MP4: the remux leaves the JPEG behind.
  const tailed = await uploadOk(server, alice.token, Buffer.concat([good, jpeg]));
  const served = await download(server, `/api/v1/media/${tailed.media_id}/full`, { token: alice.token });
  assert.ok(!served.bytes.includes(jpeg), 'appended bytes are not served');
  // A still image is not a video, and a video is not a photo.
  assertError(await upload(server, alice.token, good, { kind: 'image' }), 415, 'unsupported_media', 'a video as a photo');
  assertError(await api(server, 'POST', '/api/v1/media?kind=video&name=x.mp4', { token: alice.token, raw: good }), 400, 'invalid_argument', 'a video has no name');
});

test('a voice or document field on a video message is refused, and a video is forwarded without a new upload', async (t) => {
  const server = await startServer(t, { args: ARGS });
  const dir = tempDir(t);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => register(server, u)));
  const media = await uploadOk(server, alice.token, fs.readFileSync(makeVideo(dir, 'a.mp4')));
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const ac = (await openConversation(server, alice.token, 'carol')).conversation;
  const wa = await connect(t, server, alice.token);
  const bad = await wa.request({ type: 'send', conversation_id: ab.id, client_id: cid(), media_id: media.media_id, duration_ms: 500, waveform: 'A'.repeat(86) + '==' });
  assert.equal(bad.code, 'invalid_argument', 'voice fields on a video');
  const ack = await wa.call({ type: 'send', conversation_id: ab.id, client_id: cid(), media_id: media.media_id }, 'ack');
  const fw = await wa.call({ type: 'forward', conversation_id: ab.id, seq: ack.message.seq, to: [ac.id], client_id: cid('fw') }, 'forwarded');
  assert.ok(fw.results, 'forwarded');
  const hist = await fullHistory(server, carol.token, ac.id);
  assert.equal(hist.at(-1).kind, 'video');
  assert.equal(hist.at(-1).video.media_id, media.media_id);
  assertStatus(await download(server, `/api/v1/media/${media.media_id}/poster`, { token: carol.token }), 200, 'carol sees it through the copy');
  assertStatus(await download(server, `/api/v1/media/${media.media_id}/full`, { token: bob.token }), 200, 'bob too');
});

test('without ffmpeg, videos are refused as unsupported_media before the body is read; photos still work', async (t) => {
  const server = await startServer(t, { args: [...ARGS, '--ffmpeg-dir', '/nonexistent'] });
  const dir = tempDir(t);
  const alice = await register(server, 'alice');
  assertError(await upload(server, alice.token, fs.readFileSync(makeVideo(dir, 'a.mp4'))), 415, 'unsupported_media', 'no tools');
  nothingLeft(server, 'no tools');
  const photo = await upload(server, alice.token, fs.readFileSync(makeImage(dir, 'p.jpg', 40, 30)), { kind: 'image', type: 'image/jpeg' });
  assertStatus(photo, 201, 'a photo');
});

test('ffmpeg installed after the start: videos are accepted without a restart', async (t) => {
  // An empty tools directory at start; the collector runs every 100 ms here.
  const tools = tempDir(t);
  const server = await startServer(t, { args: [...ARGS, '--ffmpeg-dir', tools, '--media-gc-interval-ms', '100'] });
  const dir = tempDir(t);
  const alice = await register(server, 'alice');
  const video = fs.readFileSync(makeVideo(dir, 'a.mp4'));
  assertError(await upload(server, alice.token, video), 415, 'unsupported_media', 'no tools yet');
  // Only one of the two: still refused.
  fs.symlinkSync('/usr/bin/ffprobe', path.join(tools, 'ffprobe'));
  await sleep(300);
  assertError(await upload(server, alice.token, video), 415, 'unsupported_media', 'ffprobe alone');
  fs.symlinkSync('/usr/bin/ffmpeg', path.join(tools, 'ffmpeg'));
  // Looked for again at the next collection; no fixed wait: poll until accepted.
  const deadline = Date.now() + T(30000);
  let res;
  for (;;) {
    res = await upload(server, alice.token, video);
    if (res.status !== 415 || Date.now() > deadline) break;
    await sleep(100);
  }
  assertStatus(res, 201, 'accepted once both tools run');
  assert.equal(res.body.media.kind, 'video');
});

test('the sender\'s data export holds their videos as served, without metadata', async (t) => {
  const server = await startServer(t, { args: ARGS });
  const dir = tempDir(t);
  const [alice] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const { conversation } = await openConversation(server, alice.token, 'bob');
  const ac = await connect(t, server, alice.token);
  const media = await uploadOk(server, alice.token, fs.readFileSync(makeVideo(dir, 'a.mp4', { extra: ['-metadata', 'location=+48.8584+002.2945/'] })));
  await ac.call({ type: 'send', conversation_id: conversation.id, client_id: cid(), media_id: media.media_id }, 'ack');
  const full = (await download(server, `/api/v1/media/${media.media_id}/full`, { token: alice.token })).bytes;
  const res = await fetch(`${server.url}/api/v1/me/export`, { headers: { authorization: `Bearer ${alice.token}` }, signal: AbortSignal.timeout(T(30000)) });
  assert.equal(res.status, 200);
  const zip = Buffer.from(await res.arrayBuffer());
  assert.ok(zip.includes(Buffer.from(`videos/${media.media_id}.mp4`)), 'an entry videos/<media id>.mp4');
  assert.ok(zip.includes(full), 'holding the served bytes (stored)');
  assert.ok(!zip.includes('+48.8584'), 'no location anywhere');
});
