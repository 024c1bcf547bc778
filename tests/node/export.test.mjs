// Exporting one's data (docs/protocol.md, "Exporting your data"): the archive is a valid
// ZIP whose chats hold exactly what the user can see through the API, and the route's
// limits hold against a client that asks too often.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { oggOpus, waveform } from './lib/voice.mjs';
import { makeImage, tempDir } from './lib/images.mjs';
import { api, assertError, assertStatus, cid, httpSend, openConversation, register } from './lib/client.mjs';
import { startServer } from './lib/server.mjs';

/** GET /api/v1/me/export as bytes: {status, headers, bytes}. */
async function exportOf(server, token) {
  const res = await fetch(`${server.url}/api/v1/me/export`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** The entries of a stored ZIP, read from its central directory, each CRC-checked: name -> text. */
function unzip(buf, raw = false) {
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, 'end of central directory');
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  assert.equal(at + buf.readUInt32LE(eocd + 12), eocd, 'the directory ends where its end record starts');
  const files = new Map();
  for (let i = 0; i < count; i += 1) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, 'central directory header');
    assert.equal(buf.readUInt16LE(at + 10), 0, 'stored');
    const crc = buf.readUInt32LE(at + 16);
    const size = buf.readUInt32LE(at + 24);
    const nameLen = buf.readUInt16LE(at + 28);
    const extra = buf.readUInt16LE(at + 30);
    const comment = buf.readUInt16LE(at + 32);
    const offset = buf.readUInt32LE(at + 42);
    const name = buf.subarray(at + 46, at + 46 + nameLen).toString('utf8');
    assert.equal(buf.readUInt32LE(offset), 0x04034b50, `local header of ${name}`);
    const start = offset + 30 + buf.readUInt16LE(offset + 26) + buf.readUInt16LE(offset + 28);
    const data = buf.subarray(start, start + size);
    assert.equal(zlib.crc32(data), crc, `CRC of ${name}`);
    files.set(name, raw ? data : data.toString('utf8'));
    at += 46 + nameLen + extra + comment;
  }
  return files;
}

test('the export holds the profile, contacts and the chats as the user sees them, and nothing else', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const carol = await register(server, 'carol');
  const direct = (await openConversation(server, alice.token, 'bob')).conversation;
  assertStatus(await httpSend(server, alice.token, direct.id, cid(), 'hello bob'), 200);
  assertStatus(await httpSend(server, bob.token, direct.id, cid(), 'hello alice'), 200);
  const hidden = await httpSend(server, bob.token, direct.id, cid(), 'alice hides this one');
  assertStatus(await api(server, 'DELETE', `/api/v1/conversations/${direct.id}/messages/${hidden.body.message.seq}?for=me`,
    { token: alice.token }), 200, 'delete for me');
  // Bob blocks Alice: what she sends afterwards is withheld from him.
  assertStatus(await api(server, 'PUT', `/api/v1/blocks/${alice.user.id}`, { token: bob.token }), 200);
  assertStatus(await httpSend(server, alice.token, direct.id, cid(), 'sent after the block'), 200);
  const secret = (await openConversation(server, bob.token, 'carol')).conversation;
  assertStatus(await httpSend(server, carol.token, secret.id, cid(), 'between bob and carol'), 200);
  const g = await api(server, 'POST', '/api/v1/groups', { token: carol.token, body: { name: 'Club', member_usernames: ['alice'] } });
  assertStatus(g, 201);
  const club = g.body.conversation;
  assertStatus(await httpSend(server, carol.token, club.id, cid(), 'while alice is in'), 200);
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${club.id}/leave`, { token: alice.token }), 200);
  assertStatus(await httpSend(server, carol.token, club.id, cid(), 'after alice left'), 200);
  assertStatus(await api(server, 'PUT', `/api/v1/contacts/${carol.user.id}`, { token: alice.token, body: { nickname: 'Caz' } }), 200);
  // Her own photo goes in the archive; Carol's, which she only received, does not.
  const dir = tempDir(t);
  const upload = async (token, file) => {
    const res = await api(server, 'POST', '/api/v1/media', { token, raw: fs.readFileSync(file), headers: { 'content-type': 'application/octet-stream' } });
    assertStatus(res, 201, 'upload');
    return res.body.media;
  };
  const mine = await upload(alice.token, makeImage(dir, 'mine.jpg', 64, 48));
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${direct.id}/messages`,
    { token: alice.token, body: { client_id: cid(), text: 'my photo', media_id: mine.media_id } }), 200, 'send photo');
  const theirs = await upload(carol.token, makeImage(dir, 'theirs.jpg', 64, 48, { seed: 7 }));
  const club2 = await api(server, 'POST', '/api/v1/groups', { token: carol.token, body: { name: 'Pics', member_usernames: ['alice'] } });
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${club2.body.conversation.id}/messages`,
    { token: carol.token, body: { client_id: cid(), text: 'carol photo', media_id: theirs.media_id } }), 200, 'carol sends a photo');

  // Her own document and voice message go in too, as uploaded.
  const docBytes = Buffer.from('%PDF-1.4\n% the minutes\n%%EOF\n');
  const docRes = await api(server, 'POST', `/api/v1/media?kind=file&name=${encodeURIComponent('Minutes é.pdf')}`,
    { token: alice.token, raw: docBytes, headers: { 'content-type': 'application/pdf' } });
  assertStatus(docRes, 201, 'document upload');
  const doc = docRes.body.media;
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${direct.id}/messages`,
    { token: alice.token, body: { client_id: cid(), text: '', media_id: doc.media_id } }), 200, 'send document');
  const clip = oggOpus();
  const voiceRes = await api(server, 'POST', '/api/v1/media?kind=voice',
    { token: alice.token, raw: clip, headers: { 'content-type': 'audio/ogg' } });
  assertStatus(voiceRes, 201, 'voice upload');
  const voice = voiceRes.body.media;
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${direct.id}/messages`,
    { token: alice.token, body: { client_id: cid(), media_id: voice.media_id, duration_ms: 1500, waveform: waveform() } }), 200, 'send voice');

  const res = await exportOf(server, alice.token);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/zip');
  assert.match(res.headers.get('content-disposition'), /^attachment; filename="parley-export\.zip"$/);
  const rawFiles = unzip(res.bytes, true);
  const files = unzip(res.bytes);
  const ext = mine.mime === 'image/webp' ? 'webp' : 'jpg';
  assert.deepEqual([...files.keys()].sort(), ['chats/' + club.id + '.json', 'chats/' + club2.body.conversation.id + '.json',
    'chats/' + direct.id + '.json', 'contacts.json', `photos/${mine.media_id}.${ext}`, 'profile.json',
    `files/${doc.media_id}/Minutes é.pdf`, `voice/${voice.media_id}.ogg`].sort());
  assert.equal(rawFiles.get(`files/${doc.media_id}/Minutes é.pdf`).compare(docBytes), 0, 'the document as uploaded');
  assert.equal(rawFiles.get(`voice/${voice.media_id}.ogg`).compare(clip), 0, 'the recording as uploaded');
  const full = await fetch(`${server.url}/api/v1/media/${mine.media_id}/full`, { headers: { authorization: `Bearer ${alice.token}` } });
  assert.equal(full.status, 200);
  assert.equal(rawFiles.get(`photos/${mine.media_id}.${ext}`).compare(Buffer.from(await full.arrayBuffer())), 0, 'the photo\'s bytes');
  const profile = JSON.parse(files.get('profile.json'));
  assert.deepEqual(profile.user, alice.user);
  assert.equal(profile.privacy.groups_add, 'everyone');
  const contacts = JSON.parse(files.get('contacts.json')).contacts;
  assert.deepEqual(contacts.map((c) => [c.user.id, c.nickname]), [[carol.user.id, 'Caz']]);
  // Each chat is what the history API shows her, oldest first.
  for (const id of [direct.id, club.id, club2.body.conversation.id]) {
    const chat = JSON.parse(files.get(`chats/${id}.json`));
    assert.equal(chat.conversation.id, id);
    const h = await api(server, 'GET', `/api/v1/conversations/${id}/messages?after=0&limit=200`, { token: alice.token });
    assertStatus(h, 200);
    assert.deepEqual(chat.messages, h.body.messages, `chat ${id} as the history shows it`);
  }
  const all = [...files.values()].join('\n');
  for (const unseen of ['alice hides this one', 'between bob and carol', 'after alice left', bob.password, alice.password])
    assert.ok(!all.includes(unseen), `the export does not hold "${unseen}"`);
  assert.ok(all.includes('sent after the block'), 'her own message is hers');

  // Bob's export holds neither what was withheld from him nor Alice's private data.
  const bobFiles = unzip((await exportOf(server, bob.token)).bytes);
  const bobAll = [...bobFiles.values()].join('\n');
  assert.ok(!bobAll.includes('sent after the block'), 'withheld from bob');
  assert.ok(!bobAll.includes('Caz'), 'alice\'s nickname for carol');
  assert.ok(bobAll.includes('between bob and carol'));
  assert.ok(bobAll.includes('alice hides this one'), 'only alice hid it');
});

test('the export needs a login and GET, and is limited per user', async (t) => {
  const server = await startServer(t);
  const dave = await register(server, 'dave');
  assertError(await api(server, 'GET', '/api/v1/me/export'), 401, 'unauthenticated');
  assertError(await api(server, 'GET', '/api/v1/me/export', { token: 'x'.repeat(43) }), 401, 'unauthenticated');
  assertError(await api(server, 'POST', '/api/v1/me/export', { token: dave.token, body: {} }), 405, 'method_not_allowed');
  assertError(await api(server, 'GET', '/api/v1/me/export/more', { token: dave.token }), 404, 'not_found');
  for (let i = 0; i < 5; i += 1) {
    const ok = await exportOf(server, dave.token);
    assert.equal(ok.status, 200, `export ${i + 1}`);
    unzip(ok.bytes);
  }
  const limited = await api(server, 'GET', '/api/v1/me/export', { token: dave.token });
  assertError(limited, 429, 'rate_limited', 'sixth export within the hour');
  assert.ok(Number(limited.headers.get('retry-after')) > 60, 'Retry-After in minutes');
  // Another user's allowance is their own.
  const erin = await register(server, 'erin');
  assert.equal((await exportOf(server, erin.token)).status, 200);
});
