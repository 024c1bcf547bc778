// Photos over the wire (docs/protocol.md, "Photos"): uploads of real images in every
// supported format, EXIF orientation applied and every byte of metadata (GPS above all)
// gone from what is served; hostile uploads refused with documented errors (corrupt,
// truncated, wrong type, decompression bomb, pixel flood, oversize); image messages in
// direct and group chats; who may fetch (uploader, members within their history window,
// not strangers, not removed members); signed links (valid, expired, tampered); ranges and
// cache validators; de-duplication; garbage collection of unreferenced uploads.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { mediaFiles, startServer, sleep } from './lib/server.mjs';
import {
  api, assertError, assertStatus, cid, connect, openConversation, register, fullHistory, T,
} from './lib/client.mjs';
import {
  canWrite, exifOf, jpegMetadataBytes, jpegPixelFlood, makeImage, pngBomb, setExif, tempDir,
} from './lib/images.mjs';

const SIGNING_KEY = 'ab'.repeat(32);
const MEDIA_ARGS = ['--media-signing-key', SIGNING_KEY];

async function upload(server, token, bytes, headers = {}) {
  return api(server, 'POST', '/api/v1/media', {
    token, raw: bytes, headers: { 'content-type': 'application/octet-stream', ...headers }, timeoutMs: T(60000),
  });
}

async function uploadOk(server, token, bytes, what = 'upload') {
  const res = await upload(server, token, bytes);
  assertStatus(res, 201, what);
  return res.body.media;
}

/**
 * POSTs an upload in 64 KiB writes and resolves with the answer, even when the server
 * answers and closes before taking the whole body (write errors after that are expected).
 */
function postUnread(server, token, body, headers) {
  return new Promise((resolve, reject) => {
    const url = new URL(`${server.url}/api/v1/media`);
    let answered = false;
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false,
      headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
      answered = true;
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(Buffer.concat(parts).toString()) }));
      res.on('error', reject);
    });
    req.on('error', (e) => (['EPIPE', 'ECONNRESET'].includes(e.code) ? null : reject(e)));
    req.on('close', () => answered || reject(new Error('the connection closed without an answer')));
    req.setTimeout(T(30000), () => req.destroy(new Error('no answer')));
    let sent = 0;
    const pump = () => {
      while (sent < body.length) {
        const part = body.subarray(sent, sent + (64 << 10));
        sent += part.length;
        if (!req.write(part)) return req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

/** GET returning the body as bytes: {status, headers, bytes, json}. */
async function download(server, p, { token, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  const res = await fetch(server.url + p, { headers: h, signal: AbortSignal.timeout(T(15000)) });
  const bytes = Buffer.from(await res.arrayBuffer());
  let json;
  try { json = JSON.parse(bytes.toString('utf8')); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, bytes, json };
}

async function links(server, token, mediaId) {
  const res = await api(server, 'GET', `/api/v1/media/${mediaId}`, { token });
  assertStatus(res, 200, `media ${mediaId}`);
  return res.body.links;
}

function blobFiles(server) {
  return mediaFiles(server, 'blobs');
}

function stagingFiles(server) {
  const dir = path.join(server.dataDir, 'media', 'staging');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

function assertImageObject(image, { width, height, mime }) {
  assert.match(image.media_id, /^[0-9a-f]{32}$/);
  assert.equal(image.width, width, 'width');
  assert.equal(image.height, height, 'height');
  if (mime) assert.equal(image.mime, mime, 'mime');
  assert.ok(image.size > 0);
  assert.match(image.placeholder, /^data:image\/jpeg;base64,[A-Za-z0-9+/=]+$/);
  assert.ok(image.placeholder.length < 2000, `placeholder is tiny (${image.placeholder.length} chars)`);
  const t = image.thumbnail;
  assert.ok(Math.max(t.width, t.height) <= 320, `thumbnail within 320 px: ${t.width}x${t.height}`);
  assert.ok(Math.abs(t.width / t.height - width / height) < 0.05, 'thumbnail keeps the aspect ratio');
}

const JPEG_SOI = Buffer.from([0xff, 0xd8, 0xff]);
const hmac = (text) => crypto.createHmac('sha256', Buffer.from(SIGNING_KEY, 'hex')).update(text).digest('hex');

test('every supported format is accepted, re-encoded, oriented, and stripped of all metadata', async (t) => {
  const server = await startServer(t, { args: MEDIA_ARGS });
  const dir = tempDir(t);
  const alice = await register(server, 'alice');

  // A landscape JPEG that says "rotate 90° clockwise", carrying GPS coordinates.
  const jpeg = makeImage(dir, 'gps.jpg', 400, 200);
  setExif(jpeg, {
    Orientation: 6, GPSLatitude: 48.8584, GPSLatitudeRef: 'N', GPSLongitude: 2.2945, GPSLongitudeRef: 'E',
    Make: 'SecretPhoneCo', Artist: 'Alice Private',
  });
  const before = exifOf(dir, fs.readFileSync(jpeg));
  assert.ok(Object.keys(before).some((k) => k.includes('GPSLatitude')), 'the source carries GPS');
  // The search below looks outside the scan data; it does see the source's metadata.
  for (const needle of ['Exif', 'SecretPhoneCo', 'Alice Private']) {
    assert.notEqual(jpegMetadataBytes(fs.readFileSync(jpeg)).indexOf(needle), -1, `the source's ${needle} is found`);
  }

  const media = await uploadOk(server, alice.token, fs.readFileSync(jpeg), 'jpeg with gps');
  assertImageObject(media, { width: 200, height: 400, mime: 'image/jpeg' });

  // Every byte served: full image, thumbnail, ranges of them, and the placeholder.
  const served = [];
  for (const variant of ['full', 'thumbnail']) {
    const res = await download(server, `/api/v1/media/${media.media_id}/${variant}`, { token: alice.token });
    assert.equal(res.status, 200, `${variant}: ${res.bytes.length}`);
    assert.equal(res.headers.get('content-type'), 'image/jpeg');
    assert.ok(res.bytes.subarray(0, 3).equals(JPEG_SOI));
    served.push(res.bytes);
  }
  served.push(Buffer.from(media.placeholder.split(',')[1], 'base64'));
  for (const bytes of served) {
    const metadata = jpegMetadataBytes(bytes);
    for (const needle of ['GPS', 'Exif', 'SecretPhoneCo', 'Alice Private', 'ICC_PROFILE', 'http://ns.adobe.com/xap']) {
      assert.equal(metadata.indexOf(needle), -1, `served bytes contain ${needle}`);
    }
    const tags = exifOf(dir, bytes);
    const leaked = Object.keys(tags).filter((k) => /GPS|Orientation|Make|Artist|XMP|ICC/.test(k));
    assert.deepEqual(leaked, [], `exiftool finds metadata in served bytes: ${leaked}`);
  }
  const full = exifOf(dir, served[0]);
  assert.equal(full['File:ImageWidth'], 200, 'orientation applied to the pixels');
  assert.equal(full['File:ImageHeight'], 400);

  // The other formats, PNG with transparency among them (served as WebP to keep it).
  const cases = [
    ['photo.png', { width: 300, height: 200 }, {}, 'image/jpeg'],
    ['alpha.png', { width: 300, height: 200 }, { alpha: true }, 'image/webp'],
    ['photo.webp', { width: 260, height: 300 }, {}, 'image/jpeg'],
    ['photo.gif', { width: 120, height: 90 }, {}, 'image/jpeg'], // its alpha is opaque: dropped
    ['big.jpg', { width: 3000, height: 1500 }, {}, 'image/jpeg'],
  ];
  if (canWrite(dir, 'heic')) cases.push(['photo.heic', { width: 320, height: 240 }, {}, 'image/jpeg']);
  else t.diagnostic('libvips cannot write HEIC here: HEIC case skipped');
  if (canWrite(dir, 'avif')) cases.push(['photo.avif', { width: 240, height: 320 }, {}, 'image/jpeg']);
  else t.diagnostic('libvips cannot write AVIF here: AVIF case skipped');
  for (const [name, size, opts, mime] of cases) {
    const file = makeImage(dir, name, size.width, size.height, { ...opts, seed: name.length });
    const m = await uploadOk(server, alice.token, fs.readFileSync(file), name);
    // The full image is at most 2560 px on its long edge.
    const scale = Math.min(1, 2560 / Math.max(size.width, size.height));
    assertImageObject(m, { width: Math.round(size.width * scale), height: Math.round(size.height * scale), mime });
    const res = await download(server, `/api/v1/media/${m.media_id}/full`, { token: alice.token });
    assert.equal(res.status, 200, name);
    assert.equal(res.headers.get('content-type'), mime, name);
    assert.equal(res.bytes.length, m.size, `${name}: size as announced`);
  }
});

test('hostile uploads are refused with documented errors and leave nothing behind', async (t) => {
  const server = await startServer(t, { args: [...MEDIA_ARGS, '--max-upload-bytes', String(2 << 20), '--media-max-pixels', '40000000'] });
  const dir = tempDir(t);
  const alice = await register(server, 'alice');
  const good = fs.readFileSync(makeImage(dir, 'good.jpg', 640, 480));

  // Not an image at all, whatever the name or Content-Type claims.
  assertError(await upload(server, alice.token, Buffer.from('%PDF-1.7\n1 0 obj << >> endobj\n'), { 'content-type': 'image/jpeg', 'content-disposition': 'attachment; filename="cat.jpg"' }), 415, 'unsupported_media', 'pdf named .jpg');
  assertError(await upload(server, alice.token, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')), 415, 'unsupported_media', 'svg');
  assertError(await upload(server, alice.token, Buffer.from('hello')), 415, 'unsupported_media', 'text');
  assertError(await upload(server, alice.token, Buffer.alloc(0)), 400, 'bad_request', 'empty');

  // Right magic, wrong insides.
  const corrupt = Buffer.concat([good.subarray(0, 20), crypto.randomBytes(4000)]);
  assertError(await upload(server, alice.token, corrupt), 422, 'corrupt_media', 'corrupt jpeg');
  const png = fs.readFileSync(makeImage(dir, 'good.png', 200, 200));
  const brokenPng = Buffer.from(png);
  brokenPng.fill(0x55, 60, 400); // inside IDAT: the checksum and the data break
  assertError(await upload(server, alice.token, brokenPng), 422, 'corrupt_media', 'corrupt png');
  assertError(await upload(server, alice.token, good.subarray(0, Math.floor(good.length / 2))), 422, 'corrupt_media', 'truncated jpeg');
  assertError(await upload(server, alice.token, png.subarray(0, Math.floor(png.length * 0.6))), 422, 'corrupt_media', 'truncated png');

  // A decompression bomb: tens of KB that would decode to 625 megapixels.
  const bomb = pngBomb(25000);
  assert.ok(bomb.length < 200_000, `the bomb is small (${bomb.length} bytes)`);
  const started = Date.now();
  const bombRes = await upload(server, alice.token, bomb);
  assertError(bombRes, 422, 'image_too_large', 'png bomb');
  assert.ok(Date.now() - started < T(3000), 'refused from the header, without decoding');
  // Pixel floods: a small JPEG claiming 60000x60000, and one within the side limit but over
  // the pixel count.
  assertError(await upload(server, alice.token, jpegPixelFlood(good, 60000, 60000)), 422, 'image_too_large', 'lottapixel');
  assertError(await upload(server, alice.token, jpegPixelFlood(good, 10000, 9000)), 422, 'image_too_large', '90 MP');

  // Over the byte limit: refused from the declared length, and cut off while streaming.
  const huge = crypto.randomBytes(3 << 20);
  huge.set(good.subarray(0, 100));
  // (node:http, as fetch gives up when the server answers before taking the body)
  const declared = await postUnread(server, alice.token, huge, { 'content-length': String(huge.length) });
  assert.equal(declared.status, 413, JSON.stringify(declared));
  assert.equal(declared.body.error.code, 'payload_too_large');
  const chunked = await postUnread(server, alice.token, crypto.randomBytes(4 << 20), { 'transfer-encoding': 'chunked' });
  assert.equal(chunked.status, 413, JSON.stringify(chunked));
  assert.equal(chunked.body.error.code, 'payload_too_large');

  // Without a token nothing is read.
  assertError(await upload(server, undefined, good), 401, 'unauthenticated', 'no token');

  await sleep(200);
  assert.deepEqual(stagingFiles(server), [], 'no staged bytes are kept');
  assert.deepEqual(blobFiles(server), [], 'no refused upload stored anything');

  // And the server still works.
  await uploadOk(server, alice.token, good, 'a good upload after all that');
});

test('photos travel in direct and group chats with a caption, and only those who can see them may fetch them', async (t) => {
  const server = await startServer(t, { args: MEDIA_ARGS });
  const dir = tempDir(t);
  const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((u) => register(server, u)));
  const ac = await connect(t, server, alice.token);
  const bc = await connect(t, server, bob.token);

  const media = await uploadOk(server, alice.token, fs.readFileSync(makeImage(dir, 'a.jpg', 800, 600)));
  // Before it is sent, only the uploader may fetch it.
  assertStatus(await download(server, `/api/v1/media/${media.media_id}/full`, { token: alice.token }), 200, 'uploader');
  assertError(await api(server, 'GET', `/api/v1/media/${media.media_id}`, { token: bob.token }), 404, 'not_found', 'bob before it is sent');

  const { conversation } = await openConversation(server, alice.token, 'bob');
  const ack = await ac.call({ type: 'send', conversation_id: conversation.id, client_id: cid(), text: 'Look at this', media_id: media.media_id }, 'ack');
  assert.equal(ack.message.kind, 'image');
  assert.equal(ack.message.text, 'Look at this');
  assert.deepEqual(ack.message.image, media);

  // Bob gets the placeholder inline, at once, then fetches the thumbnail and the full image.
  const ev = await bc.event('message', (f) => f.message.conversation_id === conversation.id);
  assert.equal(ev.message.kind, 'image');
  assertImageObject(ev.message.image, { width: 800, height: 600, mime: 'image/jpeg' });
  const l = await links(server, bob.token, media.media_id);
  const thumb = await download(server, l.thumbnail); // no token: the link is the credential
  assert.equal(thumb.status, 200);
  assert.equal(thumb.headers.get('content-type'), 'image/jpeg');
  assert.equal(thumb.bytes.length, media.thumbnail.size);
  const full = await download(server, l.full);
  assert.equal(full.status, 200);
  assert.equal(full.bytes.length, media.size);
  assert.match(full.headers.get('cache-control'), /max-age=\d+/);

  // A photo without a caption; someone else's upload cannot be sent.
  const bare = await uploadOk(server, bob.token, fs.readFileSync(makeImage(dir, 'b.png', 100, 100, { seed: 7 })));
  const ack2 = await bc.call({ type: 'send', conversation_id: conversation.id, client_id: cid(), media_id: bare.media_id }, 'ack');
  assert.equal(ack2.message.text, '');
  const theft = await ac.request({ type: 'send', conversation_id: conversation.id, client_id: cid(), text: 'mine now', media_id: bare.media_id });
  assert.equal(theft.type, 'error');
  assert.equal(theft.code, 'not_found');
  // Over HTTP too, and the history carries the image object.
  const viaHttp = await api(server, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { token: alice.token, body: { client_id: cid(), media_id: media.media_id } });
  assertStatus(viaHttp, 200, 'http send');
  const hist = await fullHistory(server, bob.token, conversation.id);
  assert.deepEqual(hist.filter((m) => m.kind === 'image').map((m) => m.image.media_id), [media.media_id, bare.media_id, media.media_id]);

  // A stranger can neither fetch nor get links, and a link issued to Bob says so.
  for (const p of [`/api/v1/media/${media.media_id}`, `/api/v1/media/${media.media_id}/full`, `/api/v1/media/${media.media_id}/thumbnail`]) {
    assertError(await api(server, 'GET', p, { token: carol.token }), 404, 'not_found', `carol ${p}`);
  }
  const forged = l.full.replace(`u=${bob.user.id}`, `u=${carol.user.id}`);
  assertError(await api(server, 'GET', forged), 403, 'forbidden', 'link re-addressed to carol');

  // Groups: members see photos sent while they are members; a removed member does not see
  // those sent after their removal.
  const g = await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'Trip', member_usernames: ['carol', 'dave'] } });
  assertStatus(g, 201, 'group');
  const group = g.body.conversation;
  const early = await uploadOk(server, alice.token, fs.readFileSync(makeImage(dir, 'early.jpg', 500, 500, { seed: 3 })));
  await ac.call({ type: 'send', conversation_id: group.id, client_id: cid(), text: 'before', media_id: early.media_id }, 'ack');
  assertStatus(await download(server, `/api/v1/media/${early.media_id}/thumbnail`, { token: carol.token }), 200, 'carol, member');
  const carolLinks = await links(server, carol.token, early.media_id);
  assertStatus(await api(server, 'DELETE', `/api/v1/conversations/${group.id}/members/${carol.user.id}`, { token: alice.token }), 200, 'remove carol');
  const late = await uploadOk(server, alice.token, fs.readFileSync(makeImage(dir, 'late.jpg', 500, 400, { seed: 4 })));
  await ac.call({ type: 'send', conversation_id: group.id, client_id: cid(), text: 'after', media_id: late.media_id }, 'ack');
  assertStatus(await download(server, `/api/v1/media/${late.media_id}/full`, { token: dave.token }), 200, 'dave, still a member');
  assertError(await api(server, 'GET', `/api/v1/media/${late.media_id}/full`, { token: carol.token }), 404, 'not_found', 'carol after removal');
  // She keeps what she saw while a member (the history rule), and her old links still work for that.
  assertStatus(await download(server, carolLinks.thumbnail), 200, 'carol, earlier photo');
});

test('signed links: valid until expiry, then refused; tampering is refused', async (t) => {
  const server = await startServer(t, { args: MEDIA_ARGS });
  const dir = tempDir(t);
  const alice = await register(server, 'alice');
  const media = await uploadOk(server, alice.token, fs.readFileSync(makeImage(dir, 'a.jpg', 300, 300)));
  const l = await links(server, alice.token, media.media_id);
  assert.match(l.full, new RegExp(`^/media/${media.media_id}/full\\?u=${alice.user.id}&e=\\d+&s=[0-9a-f]{64}$`));
  const exp = Number(new URL(l.full, server.url).searchParams.get('e'));
  assert.equal(l.expires_at, exp * 1000);
  assert.ok(exp * 1000 > Date.now() + 590_000, 'links live about ten minutes');
  assertStatus(await download(server, l.full), 200, 'fresh link');

  // The signature covers id, variant, user and expiry (HMAC-SHA256 with the configured key).
  const sign = (id, variant, user, e) => `/media/${id}/${variant}?u=${user}&e=${e}&s=${hmac(`${id}\n${variant}\n${user}\n${e}`)}`;
  assert.equal(sign(media.media_id, 'full', alice.user.id, exp), l.full, 'the documented signature');
  const past = Math.floor(Date.now() / 1000) - 1;
  assertError(await api(server, 'GET', sign(media.media_id, 'full', alice.user.id, past)), 403, 'forbidden', 'expired');
  const sig = new URL(l.full, server.url).searchParams.get('s');
  const flipped = sig.slice(0, -1) + (sig.endsWith('0') ? '1' : '0');
  const tampered = [
    l.full.replace(`s=${sig}`, `s=${flipped}`),
    l.full.replace(`e=${exp}`, `e=${exp + 3600}`),
    l.full.replace('/full?', '/thumbnail?'),
    l.full.replace(/&s=.*/, ''),
    l.full.replace(`s=${sig}`, 's='),
  ];
  for (const link of tampered) assertError(await api(server, 'GET', link), 403, 'forbidden', link);
  assertError(await api(server, 'GET', `/media/${'0'.repeat(32)}/full?u=1&e=${exp}&s=${sig}`), 403, 'forbidden', 'another id');
});

test('downloads: ranges, validators, immutable caching; identical uploads share storage', async (t) => {
  const server = await startServer(t, { args: MEDIA_ARGS });
  const dir = tempDir(t);
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const bytes = fs.readFileSync(makeImage(dir, 'a.jpg', 1200, 900));
  const a = await uploadOk(server, alice.token, bytes);
  const p = `/api/v1/media/${a.media_id}/full`;
  const whole = await download(server, p, { token: alice.token });
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get('accept-ranges'), 'bytes');
  assert.match(whole.headers.get('cache-control'), /immutable/);
  assert.equal(whole.headers.get('x-content-type-options'), 'nosniff');
  const etag = whole.headers.get('etag');
  assert.match(etag, /^"[0-9a-f]{64}"$/);
  assert.equal(etag, `"${crypto.createHash('sha256').update(whole.bytes).digest('hex')}"`, 'content-addressed');

  const first = await download(server, p, { token: alice.token, headers: { range: 'bytes=0-99' } });
  assert.equal(first.status, 206);
  assert.equal(first.headers.get('content-range'), `bytes 0-99/${whole.bytes.length}`);
  assert.ok(first.bytes.equals(whole.bytes.subarray(0, 100)));
  const tail = await download(server, p, { token: alice.token, headers: { range: 'bytes=-50' } });
  assert.equal(tail.status, 206);
  assert.ok(tail.bytes.equals(whole.bytes.subarray(-50)));
  const open = await download(server, p, { token: alice.token, headers: { range: `bytes=${whole.bytes.length - 10}-` } });
  assert.ok(open.bytes.equals(whole.bytes.subarray(-10)));
  const beyond = await download(server, p, { token: alice.token, headers: { range: `bytes=${whole.bytes.length}-` } });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get('content-range'), `bytes */${whole.bytes.length}`);
  const cached = await download(server, p, { token: alice.token, headers: { 'if-none-match': etag } });
  assert.equal(cached.status, 304);
  assert.equal(cached.bytes.length, 0);

  // The same photo again, by someone else: a new upload id, the same stored bytes.
  const b = await uploadOk(server, bob.token, bytes);
  assert.notEqual(b.media_id, a.media_id);
  assert.equal(b.size, a.size);
  const bWhole = await download(server, `/api/v1/media/${b.media_id}/full`, { token: bob.token });
  assert.equal(bWhole.headers.get('etag'), etag);
  assert.equal(blobFiles(server).length, 2, 'one full image and one thumbnail on disk');
  // Owning the same bytes does not open the other upload.
  assertError(await api(server, 'GET', `/api/v1/media/${a.media_id}`, { token: bob.token }), 404, 'not_found', 'bob, alice\'s id');
});

test('uploads that no message uses are collected after the configured time', async (t) => {
  const server = await startServer(t, { args: [...MEDIA_ARGS, '--media-unreferenced-ttl-s', '3', '--media-gc-interval-ms', '200'] });
  const dir = tempDir(t);
  const [alice] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const keptFile = fs.readFileSync(makeImage(dir, 'kept.jpg', 300, 200, { seed: 1 }));
  const droppedFile = fs.readFileSync(makeImage(dir, 'dropped.jpg', 300, 200, { seed: 2 }));
  const { conversation } = await openConversation(server, alice.token, 'bob');
  const kept = await uploadOk(server, alice.token, keptFile);
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { token: alice.token, body: { client_id: cid(), media_id: kept.media_id } }), 200, 'send kept');
  const dropped = await uploadOk(server, alice.token, droppedFile);
  assert.equal(blobFiles(server).length, 4);

  const deadline = Date.now() + T(10000);
  while (blobFiles(server).length > 2 && Date.now() < deadline) await sleep(100);
  assert.equal(blobFiles(server).length, 2, 'the unused upload\'s blobs are gone');
  assertError(await api(server, 'GET', `/api/v1/media/${dropped.media_id}`, { token: alice.token }), 404, 'not_found', 'collected');
  assertStatus(await download(server, `/api/v1/media/${kept.media_id}/full`, { token: alice.token }), 200, 'kept');
  // A collected upload cannot be sent any more.
  assertError(await api(server, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { token: alice.token, body: { client_id: cid(), media_id: dropped.media_id } }), 404, 'not_found', 'send collected');
});

test('a photo deleted for everyone is served to nobody, leaves the message, and its files are collected', async (t) => {
  const server = await startServer(t, { args: [...MEDIA_ARGS, '--media-unreferenced-ttl-s', '2', '--media-gc-interval-ms', '200'] });
  const dir = tempDir(t);
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const ac = await connect(t, server, alice.token);
  const bc = await connect(t, server, bob.token);
  const { conversation } = await openConversation(server, alice.token, 'bob');
  const media = await uploadOk(server, alice.token, fs.readFileSync(makeImage(dir, 'oops.jpg', 400, 300, { seed: 11 })));
  const ack = await ac.call({ type: 'send', conversation_id: conversation.id, client_id: cid(), text: 'wrong chat', media_id: media.media_id }, 'ack');
  const bobLinks = await links(server, bob.token, media.media_id);
  assertStatus(await download(server, bobLinks.full), 200, 'before the delete');

  await ac.call({ type: 'delete', conversation_id: conversation.id, seq: ack.message.seq, for: 'everyone' }, 'ok');
  const ev = await bc.event('message_changed', (f) => f.message.seq === ack.message.seq);
  assert.equal(ev.message.deleted, true);
  assert.equal(ev.message.text, '', 'the caption is erased');
  assert.equal(ev.message.image, undefined, 'no image object (its placeholder is a picture of it)');
  for (const [who, token] of [['alice, the uploader', alice.token], ['bob', bob.token]]) {
    for (const p of [`/api/v1/media/${media.media_id}`, `/api/v1/media/${media.media_id}/full`, `/api/v1/media/${media.media_id}/thumbnail`]) {
      assertError(await api(server, 'GET', p, { token }), 404, 'not_found', `${who} ${p}`);
    }
  }
  assertError(await api(server, 'GET', bobLinks.full), 404, 'not_found', 'a link issued before the delete');
  const hist = await fullHistory(server, bob.token, conversation.id);
  assert.equal(hist.find((m) => m.seq === ack.message.seq).image, undefined);

  // With nothing else using it, the upload and its blobs are collected like any unused one.
  const deadline = Date.now() + T(15000);
  while (blobFiles(server).length > 0 && Date.now() < deadline) await sleep(100);
  assert.equal(blobFiles(server).length, 0, 'the deleted photo\'s files are gone');
});
