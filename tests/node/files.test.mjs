// Documents and voice messages over the wire (docs/protocol.md, "Files and voice
// messages"): names sanitised (paths, control and bidi characters, very long names, bad
// UTF-8); the media type rule (bytes first, then a declared type that is not a lie); files
// served only as attachments with nosniff and a sandboxing CSP, so an uploaded page never
// runs; voice clips checked as Opus in Ogg or WebM with a duration and waveform of bounded
// shape; hostile uploads (lying type, truncated, oversized, huge declared sizes); access
// (not-a-member, deleted for everyone), signed links, ranges and de-duplication.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { mediaFiles, startServer, sleep } from './lib/server.mjs';
import {
  api, assertError, assertStatus, cid, connect, fullHistory, openConversation, rawHttp, register, T,
} from './lib/client.mjs';
import { oggOpus, waveform, webmOpusHead } from './lib/voice.mjs';

const ARGS = ['--media-signing-key', 'cd'.repeat(32)];

function upload(server, token, bytes, { kind = 'file', name, type = 'application/octet-stream', query } = {}) {
  let q = query ?? `kind=${kind}`;
  if (name !== undefined) q += `&name=${encodeURIComponent(name)}`;
  return api(server, 'POST', `/api/v1/media?${q}`, {
    token, raw: bytes, headers: { 'content-type': type }, timeoutMs: T(60000),
  });
}

async function uploadOk(server, token, bytes, opts) {
  const res = await upload(server, token, bytes, opts);
  assertStatus(res, 201, `upload ${opts?.name ?? opts?.kind}`);
  return res.body.media;
}

async function download(server, p, { token, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  const res = await fetch(server.url + p, { headers: h, signal: AbortSignal.timeout(T(15000)) });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

function blobFiles(server) {
  return mediaFiles(server, 'blobs');
}

/** The file name a browser saves a download under, from its Content-Disposition. */
function dispositionName(headers) {
  const cd = headers.get('content-disposition');
  const m = /^attachment; filename\*=UTF-8''([A-Za-z0-9!#$&+\-.^_`|~%]+)$/.exec(cd ?? '');
  assert.ok(m, `an attachment with an RFC 6266 UTF-8 name: ${cd}`);
  return decodeURIComponent(m[1]);
}

function assertAttachmentHeaders(res, what) {
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${what}: nosniff`);
  assert.match(res.headers.get('content-security-policy') ?? '', /(^|;\s*)sandbox(;|$)/, `${what}: CSP sandbox`);
  assert.match(res.headers.get('content-disposition') ?? '', /^attachment;/, `${what}: attachment`);
}

test('document names lose paths, control and bidi characters, and are cut to 255 bytes', async (t) => {
  const server = await startServer(t, { args: ARGS });
  const alice = await register(server, 'alice');
  const long = 'é'.repeat(200) + '.pdf';
  const cases = [
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\eve\\notes.txt', 'notes.txt'],
    ['a\u0000b\r\nc\u0007\u009b.txt', 'abc.txt'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['\u2066x\u2069\u200F\uFEFFy.doc', 'xy.doc'],
    ['  ...hidden. ', 'hidden'],
    ['..', 'file'],
    ['日本語 ファイル.txt', '日本語 ファイル.txt'],
  ];
  for (const [given, expected] of cases) {
    const m = await uploadOk(server, alice.token, Buffer.from('hello'), { name: given, type: 'text/plain' });
    assert.equal(m.kind, 'file');
    assert.equal(m.name, expected, `name of ${JSON.stringify(given)}`);
    const got = await download(server, `/api/v1/media/${m.media_id}/full`, { token: alice.token });
    assertStatus(got, 200, 'download');
    assert.equal(dispositionName(got.headers), expected, 'downloaded under the sanitised name');
  }
  const m = await uploadOk(server, alice.token, Buffer.from('%PDF-1.4\n'), { name: long });
  assert.ok(Buffer.byteLength(m.name) <= 255, `at most 255 bytes: ${Buffer.byteLength(m.name)}`);
  assert.ok(m.name.endsWith('.pdf'), 'the extension is kept');
  assert.ok(!m.name.includes('\uFFFD'), 'cut at a character boundary');
  assert.equal(m.name, 'é'.repeat(125) + '.pdf');

  // A name that is not UTF-8 is refused before the body is read; %FF decodes to byte FF.
  assertError(await api(server, 'POST', '/api/v1/media?kind=file&name=a%FF.txt', {
    token: alice.token, raw: Buffer.from('x'), headers: { 'content-type': 'text/plain' } }), 400, 'invalid_utf8', 'bad UTF-8 name');
  assertError(await upload(server, alice.token, Buffer.from('x'), { query: 'kind=folder' }), 400, 'invalid_argument', 'unknown kind');
  assertError(await upload(server, alice.token, Buffer.from('x'), { query: 'kind=voice&name=x.ogg' }), 400, 'invalid_argument', 'a name on a voice clip');
  assert.deepEqual(fs.readdirSync(path.join(server.dataDir, 'media', 'staging')), [], 'nothing staged is left');
});

test('an uploaded HTML page or SVG is only ever served as an attachment that cannot run', async (t) => {
  const server = await startServer(t, { args: ARGS });
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const { conversation } = await openConversation(server, alice.token, 'bob');
  const page = Buffer.from('<!doctype html><script>fetch("/api/v1/me")</script>');
  const html = await uploadOk(server, alice.token, page, { name: 'page.html', type: 'text/html; charset=utf-8' });
  assert.equal(html.mime, 'text/html', 'the declared type, reduced to type/subtype');
  const svg = await uploadOk(server, alice.token, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    { name: 'x.svg', type: 'image/svg+xml' });
  const sent = await api(server, 'POST', `/api/v1/conversations/${conversation.id}/messages`,
    { token: alice.token, body: { client_id: cid(), media_id: html.media_id } });
  assertStatus(sent, 200, 'send the page');
  assert.equal(sent.body.message.kind, 'file');
  assert.deepEqual(sent.body.message.file, { media_id: html.media_id, name: 'page.html', mime: 'text/html', size: page.length });
  await api(server, 'POST', `/api/v1/conversations/${conversation.id}/messages`,
    { token: alice.token, body: { client_id: cid(), media_id: svg.media_id, text: 'a drawing' } });

  const info = await api(server, 'GET', `/api/v1/media/${html.media_id}`, { token: bob.token });
  assertStatus(info, 200, 'bob, a member');
  assert.equal(info.body.links.thumbnail, undefined, 'a document has no thumbnail');
  for (const [what, p, token] of [
    ['by token', `/api/v1/media/${html.media_id}/full`, bob.token],
    ['by signed link', info.body.links.full, undefined],
    ['svg', `/api/v1/media/${svg.media_id}/full`, bob.token],
  ]) {
    const res = await download(server, p, { token });
    assertStatus(res, 200, what);
    assertAttachmentHeaders(res, what);
  }
  const ranged = await download(server, info.body.links.full, { headers: { range: 'bytes=2-5' } });
  assert.equal(ranged.status, 206);
  assert.equal(ranged.bytes.toString(), page.subarray(2, 6).toString());
  assertAttachmentHeaders(ranged, 'a range');
  assertError(await api(server, 'GET', `/api/v1/media/${html.media_id}/thumbnail`, { token: bob.token }), 404, 'not_found', 'no thumbnail');
  assertError(await api(server, 'GET', info.body.links.full.replace('/full?', '/thumbnail?')), 403, 'forbidden', 'a link is for its variant');
});

test('the type of a document: its bytes first, a declared type only when it is not a lie', async (t) => {
  const server = await startServer(t, { args: ARGS });
  const alice = await register(server, 'alice');
  const pdf = Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n');
  const cases = [
    [pdf, 'text/html', 'application/pdf', 'a PDF declared as HTML'],
    [Buffer.from('<html></html>'), 'application/pdf', 'application/octet-stream', 'HTML claiming to be a PDF'],
    [Buffer.from('<html></html>'), 'image/png', 'application/octet-stream', 'HTML claiming to be a PNG'],
    [Buffer.from('plain words'), 'Text/Plain; charset=utf-8', 'text/plain', 'declared, normalised'],
    [Buffer.from('plain words'), 'text/plain x', 'application/octet-stream', 'a malformed type'],
    [Buffer.from('plain words'), 'text/plain/x', 'application/octet-stream', 'two slashes'],
    [Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]), 'application/vnd.oasis.opendocument.text', 'application/vnd.oasis.opendocument.text', 'ODF (a ZIP)'],
    [Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0]), 'text/html', 'application/zip', 'a ZIP declared as HTML'],
  ];
  for (const [bytes, declared, mime, what] of cases) {
    const res = await upload(server, alice.token, bytes, { name: 'x', type: declared });
    assertStatus(res, 201, what);
    assert.equal(res.body.media.mime, mime, what);
    const got = await download(server, `/api/v1/media/${res.body.media.media_id}/full`, { token: alice.token });
    assert.equal(got.headers.get('content-type'), mime, `${what}: served as recorded`);
  }
});

test('hostile document uploads: oversized, huge declared sizes, empty; nothing is left behind', async (t) => {
  const server = await startServer(t, { args: [...ARGS, '--media-max-file-bytes', '4096', '--max-upload-bytes', '2048'] });
  const alice = await register(server, 'alice');
  assertError(await upload(server, alice.token, Buffer.alloc(5000, 1), { name: 'big.bin' }), 413, 'payload_too_large', 'over the file limit');
  assertStatus(await upload(server, alice.token, Buffer.alloc(4096, 2), { name: 'ok.bin' }), 201, 'exactly the file limit');
  assertError(await upload(server, alice.token, Buffer.alloc(3000, 3), { kind: 'voice' }), 413, 'payload_too_large', 'a voice clip over the photo limit');
  const huge = await rawHttp(server, 'POST', '/api/v1/media?kind=file&name=x', {
    headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/octet-stream', 'content-length': String(2 ** 40) },
    body: Buffer.alloc(10),
  }).catch((e) => ({ error: e }));
  if (!huge.error) assert.equal(huge.status, 413, 'a declared terabyte is refused up front');
  assertError(await upload(server, alice.token, Buffer.alloc(0), { name: 'empty' }), 400, 'bad_request', 'empty');
  await sleep(200);
  assert.deepEqual(fs.readdirSync(path.join(server.dataDir, 'media', 'staging')), [], 'no staged leftovers');
  assert.equal(blobFiles(server).length, 1, 'only the accepted upload is stored');
});

test('voice messages: Ogg and WebM Opus, duration and waveform checked, truncated or lying clips refused', async (t) => {
  const server = await startServer(t, { args: ARGS });
  const [alice, bob, eve] = await Promise.all(['alice', 'bob', 'eve'].map((u) => register(server, u)));
  const { conversation } = await openConversation(server, alice.token, 'bob');
  const ac = await connect(t, server, alice.token);
  const bc = await connect(t, server, bob.token);
  const clip = oggOpus(3000);
  const voice = await uploadOk(server, alice.token, clip, { kind: 'voice', type: 'audio/ogg' });
  assert.deepEqual(voice, { media_id: voice.media_id, kind: 'voice', mime: 'audio/ogg', size: clip.length });
  const wf = waveform(3);
  const send = (extra) => ac.request({ type: 'send', conversation_id: conversation.id, client_id: cid(), media_id: voice.media_id, ...extra });

  for (const [extra, what] of [
    [{}, 'no duration or waveform'],
    [{ duration_ms: 3000 }, 'no waveform'],
    [{ waveform: wf }, 'no duration'],
    [{ duration_ms: 0, waveform: wf }, 'zero duration'],
    [{ duration_ms: 30 * 60 * 1000 + 1, waveform: wf }, 'too long'],
    [{ duration_ms: 3000, waveform: Buffer.alloc(63).toString('base64') }, '63 levels'],
    [{ duration_ms: 3000, waveform: Buffer.alloc(65).toString('base64') }, '65 levels'],
    [{ duration_ms: 3000, waveform: '!'.repeat(88) }, 'not base64'],
    [{ duration_ms: 3000, waveform: wf.replace(/=+$/, '') }, 'unpadded'],
    [{ duration_ms: 3000, waveform: wf, text: 'hello' }, 'a caption'],
  ]) {
    const f = await send(extra);
    assert.equal(f.type, 'error', `${what}: ${JSON.stringify(f)}`);
    assert.equal(f.code, 'invalid_argument', what);
  }
  const ack = await ac.call({ type: 'send', conversation_id: conversation.id, client_id: cid(), media_id: voice.media_id, duration_ms: 3000, waveform: wf }, 'ack');
  assert.equal(ack.message.kind, 'voice');
  assert.deepEqual(ack.message.voice, { media_id: voice.media_id, mime: 'audio/ogg', size: clip.length, duration_ms: 3000, waveform: wf });
  const ev = await bc.event('message', (f) => f.message.seq === ack.message.seq);
  assert.deepEqual(ev.message.voice, ack.message.voice);
  const info = await api(server, 'GET', `/api/v1/media/${voice.media_id}`, { token: bob.token });
  const got = await download(server, info.body.links.full);
  assertStatus(got, 200, 'bob plays it');
  assert.ok(got.bytes.equals(clip), 'the bytes as recorded');
  assert.equal(got.headers.get('content-type'), 'audio/ogg');
  assertAttachmentHeaders(got, 'voice');
  assert.equal(dispositionName(got.headers), 'voice.ogg');
  const seek = await download(server, info.body.links.full, { headers: { range: `bytes=100-` } });
  assert.equal(seek.status, 206);
  assert.equal(seek.headers.get('content-range'), `bytes 100-${clip.length - 1}/${clip.length}`);
  assertError(await api(server, 'GET', `/api/v1/media/${voice.media_id}`, { token: eve.token }), 404, 'not_found', 'not a member');

  // A document may not carry voice fields, nor a text message.
  const doc = await uploadOk(server, alice.token, Buffer.from('notes'), { name: 'n.txt', type: 'text/plain' });
  assert.equal((await send({ media_id: doc.media_id, duration_ms: 1000, waveform: wf })).code, 'invalid_argument', 'voice fields on a document');
  assert.equal((await ac.request({ type: 'send', conversation_id: conversation.id, client_id: cid(), text: 'hi', duration_ms: 1000, waveform: wf })).code,
    'invalid_argument', 'voice fields on a text message');

  const webm = await uploadOk(server, alice.token, webmOpusHead(), { kind: 'voice', type: 'audio/webm;codecs=opus' });
  assert.equal(webm.mime, 'audio/webm');

  // Hostile clips: truncated, padded, a PDF that says it is audio, Vorbis, a WebM video.
  const refused = [
    [clip.subarray(0, clip.length - 3), 422, 'corrupt_media', 'truncated'],
    [Buffer.concat([clip, Buffer.from('trailing')]), 422, 'corrupt_media', 'trailing bytes'],
    [Buffer.from('%PDF-1.4\n'), 415, 'unsupported_media', 'a PDF'],
    [Buffer.concat([Buffer.from('OggS'), Buffer.alloc(23), Buffer.from([1, 30]), Buffer.from('\u0001vorbis'), Buffer.alloc(23)]), 415, 'unsupported_media', 'Vorbis'],
    [Buffer.from(webmOpusHead().toString('latin1').replace('A_OPUS', 'V_VP8x'), 'latin1'), 415, 'unsupported_media', 'a WebM without Opus'],
  ];
  for (const [bytes, status, code, what] of refused) {
    assertError(await upload(server, alice.token, bytes, { kind: 'voice', type: 'audio/ogg' }), status, code, what);
  }
});

test('documents: only members fetch them, identical bytes share one blob, deleted for everyone they are gone', async (t) => {
  const server = await startServer(t, { args: [...ARGS, '--media-unreferenced-ttl-s', '2', '--media-gc-interval-ms', '200'] });
  const [alice, bob, eve] = await Promise.all(['alice', 'bob', 'eve'].map((u) => register(server, u)));
  const { conversation } = await openConversation(server, alice.token, 'bob');
  const ac = await connect(t, server, alice.token);
  const bytes = Buffer.from('%PDF-1.4\nsame bytes\n%%EOF\n');
  const a = await uploadOk(server, alice.token, bytes, { name: 'a.pdf' });
  const b = await uploadOk(server, bob.token, bytes, { name: 'b.pdf' });
  assert.notEqual(a.media_id, b.media_id, 'one upload id each');
  assert.equal(blobFiles(server).length, 1, 'one blob for identical bytes');
  assertError(await api(server, 'GET', `/api/v1/media/${a.media_id}`, { token: bob.token }), 404, 'not_found', 'bob before it is sent');
  const theft = await ac.request({ type: 'send', conversation_id: conversation.id, client_id: cid(), media_id: b.media_id });
  assert.equal(theft.code, 'not_found', 'someone else\'s upload');

  const ack = await ac.call({ type: 'send', conversation_id: conversation.id, client_id: cid(), media_id: a.media_id, text: 'the contract' }, 'ack');
  assert.equal(ack.message.text, 'the contract');
  const bobInfo = await api(server, 'GET', `/api/v1/media/${a.media_id}`, { token: bob.token });
  assertStatus(bobInfo, 200, 'bob, a member');
  assert.equal(bobInfo.body.media.name, 'a.pdf');
  assertError(await api(server, 'GET', `/api/v1/media/${a.media_id}/full`, { token: eve.token }), 404, 'not_found', 'eve, not a member');
  const hist = await fullHistory(server, bob.token, conversation.id);
  assert.equal(hist.find((m) => m.seq === ack.message.seq).file.name, 'a.pdf');

  await ac.call({ type: 'delete', conversation_id: conversation.id, seq: ack.message.seq, for: 'everyone' }, 'ok');
  for (const token of [alice.token, bob.token]) {
    assertError(await api(server, 'GET', `/api/v1/media/${a.media_id}/full`, { token }), 404, 'not_found', 'deleted for everyone');
  }
  assertError(await api(server, 'GET', bobInfo.body.links.full), 404, 'not_found', 'a link issued before the delete');
  const after = await fullHistory(server, bob.token, conversation.id);
  assert.equal(after.find((m) => m.seq === ack.message.seq).file, undefined, 'no file object once deleted');
  // Both uploads are now unreferenced: collected, blob and all.
  const deadline = Date.now() + T(15000);
  while (blobFiles(server).length > 0 && Date.now() < deadline) await sleep(100);
  assert.equal(blobFiles(server).length, 0, 'collected');
});

test('played: the first play of a voice message is recorded once, shown to the sender, and refused where it makes no sense', async (t) => {
  const server = await startServer(t, { args: ARGS });
  const [alice, bob, carol, eve] = await Promise.all(['alice', 'bob', 'carol', 'eve'].map((u) => register(server, u)));
  const group = await api(server, 'POST', '/api/v1/groups', { token: alice.token, body: { name: 'Band', member_usernames: ['bob', 'carol'] } });
  assertStatus(group, 201, 'group');
  const gid = group.body.conversation.id;
  const ac = await connect(t, server, alice.token);
  const bc = await connect(t, server, bob.token);
  const cc = await connect(t, server, carol.token);
  const clip = oggOpus(1000);
  const voice = await uploadOk(server, alice.token, clip, { kind: 'voice', type: 'audio/ogg' });
  const ack = await ac.call({ type: 'send', conversation_id: gid, client_id: cid(), media_id: voice.media_id, duration_ms: 1000, waveform: waveform() }, 'ack');
  const seq = ack.message.seq;
  const text = await ac.call({ type: 'send', conversation_id: gid, client_id: cid(), text: 'lyrics' }, 'ack');

  const first = await bc.call({ type: 'played', conversation_id: gid, seq }, 'played');
  assert.equal(first.changed, true);
  assert.ok(first.played_at > 0);
  const ev = await ac.event('voice_played', (f) => f.seq === seq);
  assert.deepEqual({ ...ev, type: undefined }, { type: undefined, conversation_id: gid, seq, user_id: bob.user.id, played_at: first.played_at });
  const again = await api(server, 'POST', `/api/v1/conversations/${gid}/messages/${seq}/played`, { token: bob.token });
  assertStatus(again, 200, 'again over HTTP');
  assert.deepEqual(again.body, { changed: false, played_at: first.played_at });

  const info = await api(server, 'GET', `/api/v1/conversations/${gid}/messages/${seq}/receipts`, { token: alice.token });
  assertStatus(info, 200, 'message info');
  const byUser = Object.fromEntries(info.body.receipts.map((r) => [r.user.username, r.played_at]));
  assert.deepEqual(byUser, { bob: first.played_at, carol: null });

  for (const [client, frame, code, what] of [
    [ac, { conversation_id: gid, seq }, 'invalid_argument', 'the sender'],
    [cc, { conversation_id: gid, seq: text.message.seq }, 'invalid_argument', 'a text message'],
    [cc, { conversation_id: gid, seq: 999 }, 'not_found', 'no such message'],
    [cc, { conversation_id: gid, seq: 0 }, 'invalid_argument', 'seq 0'],
  ]) {
    const f = await client.request({ type: 'played', ...frame });
    assert.equal(f.code, code, `${what}: ${JSON.stringify(f)}`);
  }
  assertError(await api(server, 'POST', `/api/v1/conversations/${gid}/messages/${seq}/played`, { token: eve.token }), 404, 'not_found', 'not a member');
  const bad = await cc.request({ type: 'played', conversation_id: gid, seq: 'x' });
  assert.equal(bad.code, 'bad_request');

  await ac.call({ type: 'delete', conversation_id: gid, seq, for: 'everyone' }, 'ok');
  assert.equal((await cc.request({ type: 'played', conversation_id: gid, seq })).code, 'invalid_argument', 'deleted for everyone');
});

test('a document and a voice message are forwarded without a new upload; the copy grants access in its chat', async (t) => {
  const server = await startServer(t, { args: ARGS });
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => register(server, u)));
  const { conversation: ab } = await openConversation(server, alice.token, 'bob');
  const { conversation: bc } = await openConversation(server, bob.token, 'carol');
  const ac = await connect(t, server, alice.token);
  const bob1 = await connect(t, server, bob.token);
  const doc = await uploadOk(server, alice.token, Buffer.from('%PDF-1.4\nminutes\n'), { name: 'minutes.pdf' });
  const voice = await uploadOk(server, alice.token, oggOpus(500), { kind: 'voice' });
  const d = await ac.call({ type: 'send', conversation_id: ab.id, client_id: cid(), media_id: doc.media_id, text: 'notes' }, 'ack');
  const v = await ac.call({ type: 'send', conversation_id: ab.id, client_id: cid(), media_id: voice.media_id, duration_ms: 500, waveform: waveform(2) }, 'ack');
  assertError(await api(server, 'GET', `/api/v1/media/${doc.media_id}`, { token: carol.token }), 404, 'not_found', 'carol before the forward');
  for (const [m, key] of [[d.message, 'file'], [v.message, 'voice']]) {
    const fw = await bob1.call({ type: 'forward', conversation_id: ab.id, seq: m.seq, to: [bc.id], client_id: cid('fw') }, 'forwarded');
    const copy = fw.results[0].message;
    assert.equal(copy.kind, key);
    assert.equal(copy.forwarded, true);
    assert.deepEqual(copy[key], m[key], 'the same attachment, the same upload');
    assertStatus(await download(server, `/api/v1/media/${m[key].media_id}/full`, { token: carol.token }), 200, `carol fetches the forwarded ${key}`);
  }
});
