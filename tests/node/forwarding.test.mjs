// Forwarding (docs/protocol.md, "Forwarding"): copies of a message into up to five
// conversations, marked forwarded; photos shared without a new upload under the per-message
// access rules; all or nothing; idempotent retries; limits and bad input.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer } from './lib/server.mjs';
import {
  api, assertError, assertStatus, assertWsError, cid, connect, fullHistory, openConversation, register, T,
} from './lib/client.mjs';
import { makeImage, tempDir } from './lib/images.mjs';

const MEDIA_ARGS = ['--media-signing-key', 'cd'.repeat(32)];

async function createGroup(server, token, name, usernames) {
  const res = await api(server, 'POST', '/api/v1/groups', { token, body: { name, member_usernames: usernames } });
  assertStatus(res, 201, `create group ${name}`);
  return res.body.conversation;
}

const forward = (conversation_id, seq, to, client_id = cid('fw').slice(0, 30)) => ({ type: 'forward', conversation_id, seq, to, client_id });

async function fetchFull(server, token, mediaId) {
  const res = await fetch(`${server.url}/api/v1/media/${mediaId}/full`, {
    headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(T(15000)),
  });
  await res.arrayBuffer();
  return res.status;
}

test('a forward copies the message into each target, live to their members, marked forwarded', async (t) => {
  const server = await startServer(t);
  const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((n) => register(server, n)));
  const withBob = (await openConversation(server, alice.token, 'bob')).conversation;
  const withCarol = (await openConversation(server, alice.token, 'carol')).conversation;
  const group = await createGroup(server, alice.token, 'Crew', ['dave']);
  const a = await connect(t, server, alice.token);
  const aliceOther = await connect(t, server, alice.token);
  const c = await connect(t, server, carol.token);
  const d = await connect(t, server, dave.token);
  const original = (await a.sendMessage(withBob.id, cid(), 'the meeting moved to 3pm')).message;

  const ans = await a.call(forward(withBob.id, original.seq, [withCarol.id, group.id]), 'forwarded');
  assert.equal(ans.results.length, 2);
  assert.deepEqual(ans.results.map((r) => r.message.conversation_id), [withCarol.id, group.id]);
  for (const r of ans.results) {
    assert.equal(r.duplicate, false);
    assert.equal(r.message.forwarded, true);
    assert.equal(r.message.text, 'the meeting moved to 3pm');
    assert.equal(r.message.sender_id, alice.user.id);
    assert.equal(r.message.reply_to, undefined);
  }
  const onCarol = await c.event('message', (f) => f.message.conversation_id === withCarol.id);
  assert.equal(onCarol.message.forwarded, true);
  await d.event('message', (f) => f.message.conversation_id === group.id && f.message.forwarded === true);
  await aliceOther.event('message', (f) => f.message.conversation_id === group.id);
  const history = await fullHistory(server, dave.token, group.id);
  assert.equal(history.at(-1).forwarded, true);
  // The original stays as it was.
  assert.equal((await fullHistory(server, bob.token, withBob.id))[0].forwarded, undefined);
});

test('a photo is forwarded without a new upload, and access follows each message', async (t) => {
  const server = await startServer(t, { args: MEDIA_ARGS });
  const dir = tempDir(t);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => register(server, n)));
  const withBob = (await openConversation(server, alice.token, 'bob')).conversation;
  const bobCarol = (await openConversation(server, bob.token, 'carol')).conversation;
  const up = await api(server, 'POST', '/api/v1/media', {
    token: alice.token, raw: fs.readFileSync(makeImage(dir, 'p.jpg', 300, 200)),
    headers: { 'content-type': 'application/octet-stream' }, timeoutMs: T(60000),
  });
  assertStatus(up, 201, 'upload');
  const mediaId = up.body.media.media_id;
  const sent = await api(server, 'POST', `/api/v1/conversations/${withBob.id}/messages`, {
    token: alice.token, body: { client_id: cid(), media_id: mediaId, text: 'sunset' },
  });
  assertStatus(sent, 200, 'photo');
  assert.equal(await fetchFull(server, carol.token, mediaId), 404, 'carol cannot fetch it yet');

  // Bob forwards Alice's photo to Carol: no upload of his own.
  const fw = await api(server, 'POST', `/api/v1/conversations/${withBob.id}/messages/${sent.body.message.seq}/forward`, {
    token: bob.token, body: { to: [bobCarol.id], client_id: 'fw-photo-1' },
  });
  assertStatus(fw, 200, 'forward photo');
  const copy = fw.body.results[0].message;
  assert.equal(copy.kind, 'image');
  assert.equal(copy.text, 'sunset');
  assert.equal(copy.image.media_id, mediaId, 'the same upload');
  assert.equal(await fetchFull(server, carol.token, mediaId), 200, 'carol fetches it through the copy');

  // Deleting the original for everyone leaves the copy's photo to Carol.
  assertStatus(await api(server, 'DELETE', `/api/v1/conversations/${withBob.id}/messages/${sent.body.message.seq}?for=everyone`, { token: alice.token }), 200, 'delete original');
  assert.equal(await fetchFull(server, carol.token, mediaId), 200, 'the copy still grants access');
  // And the deleted original can no longer be forwarded.
  const again = await api(server, 'POST', `/api/v1/conversations/${withBob.id}/messages/${sent.body.message.seq}/forward`, {
    token: bob.token, body: { to: [bobCarol.id], client_id: 'fw-photo-2' },
  });
  assertError(again, 400, 'invalid_argument', 'forwarding a deleted message');
});

test('half-valid target lists send nothing; retries are idempotent; limits hold', async (t) => {
  const server = await startServer(t);
  const [alice, bob, carol, eve] = await Promise.all(['alice', 'bob', 'carol', 'eve'].map((n) => register(server, n)));
  const withBob = (await openConversation(server, alice.token, 'bob')).conversation;
  const withCarol = (await openConversation(server, alice.token, 'carol')).conversation;
  const eveBob = (await openConversation(server, eve.token, 'bob')).conversation;
  const a = await connect(t, server, alice.token);
  const e = await connect(t, server, eve.token);
  const m = (await a.sendMessage(withBob.id, cid(), 'hello')).message;

  const half = await a.request(forward(withBob.id, m.seq, [withCarol.id, eveBob.id]));
  assertWsError(half, 'not_found', 'one target alice is not in');
  assert.match(half.message, new RegExp(String(eveBob.id)), 'the error names the refused target');
  assert.equal((await fullHistory(server, carol.token, withCarol.id)).length, 0, 'nothing reached the valid target');

  const cases = [
    [[], 'invalid_argument', 'no target'],
    [[withCarol.id, withCarol.id], 'invalid_argument', 'a target twice'],
    [[1, 2, 3, 4, 5, 6], 'invalid_argument', 'six targets'],
    [[0], 'bad_request', 'a zero id'],
    [['x'], 'bad_request', 'a string id'],
    ['7', 'bad_request', 'not an array'],
  ];
  for (const [to, code, what] of cases) assertWsError(await a.request(forward(withBob.id, m.seq, to)), code, what);
  assertWsError(await a.request({ type: 'forward', conversation_id: withBob.id, seq: m.seq, client_id: 'x' }), 'bad_request', 'no to');
  assertWsError(await a.request(forward(withBob.id, m.seq, [withCarol.id], 'x'.repeat(41))), 'invalid_argument', 'long client_id');
  assertWsError(await a.request(forward(withBob.id, m.seq, [withCarol.id], 'bad id!')), 'invalid_argument', 'bad client_id');
  assertWsError(await a.request(forward(withBob.id, 99, [withCarol.id])), 'not_found', 'no such source');
  assertWsError(await e.request(forward(withBob.id, m.seq, [eveBob.id])), 'not_found', 'a source eve cannot see');
  assert.equal((await fullHistory(server, carol.token, withCarol.id)).length, 0, 'nothing stored by bad requests');

  // A retry with the same client_id answers with the copies made the first time.
  const first = await a.call(forward(withBob.id, m.seq, [withCarol.id], 'fw-retry'), 'forwarded');
  const retry = await a.call(forward(withBob.id, m.seq, [withCarol.id], 'fw-retry'), 'forwarded');
  assert.equal(retry.results[0].duplicate, true);
  assert.equal(retry.results[0].message.seq, first.results[0].message.seq);
  assert.equal((await fullHistory(server, carol.token, withCarol.id)).length, 1);
});

test('a forward into a chat with someone who blocked the forwarder is withheld from them', async (t) => {
  const server = await startServer(t);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => register(server, n)));
  const withCarol = (await openConversation(server, alice.token, 'carol')).conversation;
  const withBob = (await openConversation(server, alice.token, 'bob')).conversation;
  const a = await connect(t, server, alice.token);
  const m = (await a.sendMessage(withCarol.id, cid(), 'news')).message;
  assertStatus(await api(server, 'PUT', `/api/v1/blocks/${alice.user.id}`, { token: bob.token }), 200, 'bob blocks alice');
  const ans = await a.call(forward(withCarol.id, m.seq, [withBob.id]), 'forwarded');
  assert.equal(ans.results[0].duplicate, false, 'an ordinary answer');
  const forBob = await fullHistory(server, bob.token, withBob.id);
  assert.equal(forBob.length, 1);
  assert.equal(forBob[0].hidden, true, 'withheld from bob');
  assert.equal(forBob[0].text, '');
});
