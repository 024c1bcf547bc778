// Editing and deleting messages, message changes for offline devices, erasure from the
// database files, and full-text search with its boundaries (membership, deletion, hiding).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from './lib/server.mjs';
import {
  api, assertError, assertNoFrame, assertStatus, assertWsError, assertGapFree, cid, connect, fullHistory,
  openConversation, register, sleep, T,
} from './lib/client.mjs';

async function createGroup(server, token, name, usernames) {
  const res = await api(server, 'POST', '/api/v1/groups', { token, body: { name, member_usernames: usernames } });
  assertStatus(res, 201, `create group ${name}`);
  return res.body.conversation;
}

async function changes(server, token, convId, since) {
  const res = await api(server, 'GET', `/api/v1/conversations/${convId}/changes?since=${since}&limit=200`, { token });
  assertStatus(res, 200, 'changes');
  return res.body.messages;
}

async function search(server, token, q, params = {}) {
  const qs = new URLSearchParams({ q, ...params });
  return api(server, 'GET', `/api/v1/search?${qs}`, { token });
}

async function searchTexts(server, token, q, params = {}) {
  const res = await search(server, token, q, params);
  assertStatus(res, 200, `search ${q}`);
  return res.body.results.map((r) => r.message.text);
}

async function syncVersion(server, token) {
  const res = await api(server, 'GET', '/api/v1/sync?since=0&limit=200', { token });
  assertStatus(res, 200, 'sync');
  return res.body.version;
}

test('an edit reaches every device, online at once and offline through sync and changes', async (t) => {
  const server = await startServer(t);
  const [alice, bob] = await Promise.all([register(server, 'alice'), register(server, 'bob')]);
  const conv = (await openConversation(server, alice.token, 'bob')).conversation;
  const alicePhone = await connect(t, server, alice.token);
  const aliceLaptop = await connect(t, server, alice.token);
  const bobOnline = await connect(t, server, bob.token);

  const sent = (await alicePhone.sendMessage(conv.id, cid(), 'see you at 5')).message;
  await bobOnline.event('message', (f) => f.message.seq === sent.seq);
  // Bob's other device was offline since here.
  const offlineCursor = await syncVersion(server, bob.token);

  const edited = await alicePhone.call({ type: 'edit', conversation_id: conv.id, seq: sent.seq, text: 'see you at 6' }, 'edited');
  assert.equal(edited.changed, true);
  assert.equal(edited.message.text, 'see you at 6');
  assert.equal(edited.message.seq, sent.seq, 'an edit keeps the message in its place');
  assert.equal(edited.message.id, sent.id);
  assert.ok(edited.message.edited_at >= sent.ts, 'edited_at is set');
  assert.ok(edited.message.version > sent.version, 'the edit is a new change');

  for (const [who, c] of [['bob', bobOnline], ['alice laptop', aliceLaptop]]) {
    const ev = await c.event('message_changed', (f) => f.message.id === sent.id);
    assert.equal(ev.message.text, 'see you at 6', `${who} sees the new text`);
    assert.equal(ev.message.edited_at, edited.message.edited_at, `${who} sees the edited mark`);
  }

  // The same text again changes nothing and tells nobody.
  const again = await alicePhone.call({ type: 'edit', conversation_id: conv.id, seq: sent.seq, text: 'see you at 6' }, 'edited');
  assert.equal(again.changed, false);
  assert.equal(again.message.version, edited.message.version);
  await sleep(T(300));
  assert.equal(bobOnline.received((f) => f.type === 'message_changed').length, 1, 'no event for a repeated edit');

  // The offline device: sync says the conversation changed, changes gives the edit.
  const sync = await api(server, 'GET', `/api/v1/sync?since=${offlineCursor}`, { token: bob.token });
  assert.deepEqual(sync.body.conversations.map((c) => c.id), [conv.id]);
  assert.equal(sync.body.conversations[0].last_message.text, 'see you at 6');
  const changed = await changes(server, bob.token, conv.id, offlineCursor);
  assert.deepEqual(changed.map((m) => [m.seq, m.text, typeof m.edited_at]), [[sent.seq, 'see you at 6', 'number']]);
  // Work proportional to the change: nothing older than the cursor comes back.
  assert.deepEqual(await changes(server, bob.token, conv.id, edited.message.version), []);

  // Over HTTP too, and the history shows the edited text in the same place.
  const second = (await alicePhone.sendMessage(conv.id, cid(), 'bring teh cake')).message;
  const patched = await api(server, 'PATCH', `/api/v1/conversations/${conv.id}/messages/${second.seq}`, { token: alice.token, body: { text: 'bring the cake' } });
  assertStatus(patched, 200, 'PATCH edit');
  assert.equal(patched.body.changed, true);
  const hist = await fullHistory(server, bob.token, conv.id);
  assertGapFree(hist);
  assert.deepEqual(hist.map((m) => m.text), ['see you at 6', 'bring the cake']);
  assert.ok(hist.every((m) => typeof m.edited_at === 'number'));
});

test('edit rules: only the sender, only text, only within the window, valid text', async (t) => {
  const server = await startServer(t, { args: ['--edit-window-sec', '2'] });
  const [alice, bob] = await Promise.all([register(server, 'alice'), register(server, 'bob')]);
  const conv = (await openConversation(server, alice.token, 'bob')).conversation;
  const ac = await connect(t, server, alice.token);
  const bc = await connect(t, server, bob.token);
  const sent = (await ac.sendMessage(conv.id, cid(), 'original')).message;

  assertWsError(await bc.request({ type: 'edit', conversation_id: conv.id, seq: sent.seq, text: 'mine now' }), 'forbidden', 'bob edits alice');
  assertWsError(await ac.request({ type: 'edit', conversation_id: conv.id, seq: 99, text: 'x' }), 'not_found', 'no such seq');
  assertWsError(await ac.request({ type: 'edit', conversation_id: conv.id, seq: sent.seq, text: '' }), 'message_too_long', 'empty text');
  assertWsError(await ac.request({ type: 'edit', conversation_id: conv.id, seq: sent.seq, text: 'x'.repeat(20000) }), 'message_too_long', 'too long');
  assertWsError(await ac.request({ type: 'edit', conversation_id: conv.id, seq: sent.seq }), 'bad_request', 'no text');
  assertError(await api(server, 'PATCH', `/api/v1/conversations/${conv.id}/messages/${sent.seq}`, { token: bob.token, body: { text: 'x' } }), 403, 'forbidden', 'bob PATCHes');

  await sleep(2300);
  assertWsError(await ac.request({ type: 'edit', conversation_id: conv.id, seq: sent.seq, text: 'too late' }), 'window_expired', 'after the window');
  const hist = await fullHistory(server, bob.token, conv.id);
  assert.deepEqual(hist.map((m) => m.text), ['original'], 'refused edits changed nothing');
  assert.equal(hist[0].edited_at, undefined);
});

test('delete for everyone in a group: every member sees it deleted, the order stays, repeats are harmless', async (t) => {
  const server = await startServer(t);
  const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => register(server, u)));
  const group = await createGroup(server, alice.token, 'Trip', ['bob', 'carol']);
  const ac = await connect(t, server, alice.token);
  const bc = await connect(t, server, bob.token);
  const carolCursor = await syncVersion(server, carol.token);  // carol is offline from here

  const a1 = (await ac.sendMessage(group.id, cid(), 'my bank pin is 4321')).message;
  const a2 = (await ac.sendMessage(group.id, cid(), 'oops, wrong chat')).message;
  await bc.event('message', (f) => f.message.seq === a2.seq);

  assertWsError(await bc.request({ type: 'delete', conversation_id: group.id, seq: a1.seq, for: 'everyone' }), 'forbidden', 'bob deletes alice\'s for everyone');
  assertWsError(await ac.request({ type: 'delete', conversation_id: group.id, seq: a1.seq, for: 'nobody' }), 'invalid_argument', 'bad scope');
  const ok = await ac.call({ type: 'delete', conversation_id: group.id, seq: a1.seq, for: 'everyone' }, 'ok');
  assert.ok(ok);
  const ev = await bc.event('message_changed', (f) => f.message.id === a1.id);
  assert.equal(ev.message.deleted, true);
  assert.equal(ev.message.text, '');
  assert.equal(ev.message.seq, a1.seq);

  // Again: accepted, nothing new.
  await ac.call({ type: 'delete', conversation_id: group.id, seq: a1.seq, for: 'everyone' }, 'ok');
  assertStatus(await api(server, 'DELETE', `/api/v1/conversations/${group.id}/messages/${a1.seq}?for=everyone`, { token: alice.token }), 200, 'HTTP repeat');
  await sleep(T(300));
  assert.equal(bc.received((f) => f.type === 'message_changed').length, 1, 'no event for a repeated delete');
  // A deleted message cannot be edited back.
  assertWsError(await ac.request({ type: 'edit', conversation_id: group.id, seq: a1.seq, text: 'back' }), 'invalid_argument', 'edit a deleted message');

  // Carol comes back: sync, then changes since her cursor.
  const changed = await changes(server, carol.token, group.id, carolCursor);
  const bySeq = new Map(changed.map((m) => [m.seq, m]));
  assert.equal(bySeq.get(a1.seq).deleted, true);
  assert.equal(bySeq.get(a1.seq).text, '');
  assert.equal(bySeq.get(a2.seq).text, 'oops, wrong chat');
  for (const token of [alice.token, bob.token, carol.token]) {
    const hist = await fullHistory(server, token, group.id);
    assertGapFree(hist);
    const m = hist.find((x) => x.seq === a1.seq);
    assert.equal(m.deleted, true);
    assert.equal(m.text, '');
  }
  assert.deepEqual(await searchTexts(server, bob.token, 'pin'), [], 'a deleted message is not found');
});

test('delete for everyone has its own window; group events cannot be deleted', async (t) => {
  const server = await startServer(t, { args: ['--delete-window-sec', '1'] });
  const [alice, bob] = await Promise.all(['alice', 'bob'].map((u) => register(server, u)));
  const group = await createGroup(server, alice.token, 'G', ['bob']);
  const ac = await connect(t, server, alice.token);
  assertWsError(await ac.request({ type: 'delete', conversation_id: group.id, seq: 1, for: 'everyone' }), 'invalid_argument', 'the group_created event');
  const m = (await ac.sendMessage(group.id, cid(), 'late regret')).message;
  await sleep(1300);
  assertWsError(await ac.request({ type: 'delete', conversation_id: group.id, seq: m.seq, for: 'everyone' }), 'window_expired', 'after the window');
  // Delete for me has no window.
  await ac.call({ type: 'delete', conversation_id: group.id, seq: m.seq, for: 'me' }, 'ok');
  const bobSees = await fullHistory(server, bob.token, group.id);
  assert.equal(bobSees.find((x) => x.seq === m.seq).text, 'late regret');
});

test('delete for me hides a message on all of my devices and nobody else\'s', async (t) => {
  const server = await startServer(t);
  const [alice, bob] = await Promise.all([register(server, 'alice'), register(server, 'bob')]);
  const conv = (await openConversation(server, alice.token, 'bob')).conversation;
  const ac = await connect(t, server, alice.token);
  const bobPhone = await connect(t, server, bob.token);
  const bobLaptop = await connect(t, server, bob.token);
  const m1 = (await ac.sendMessage(conv.id, cid(), 'a silly meme about llamas')).message;
  const m2 = (await ac.sendMessage(conv.id, cid(), 'second')).message;
  await bobPhone.event('message', (f) => f.message.seq === m2.seq);
  const cursor = await syncVersion(server, bob.token);
  const aliceCursor = await syncVersion(server, alice.token);

  await bobPhone.call({ type: 'delete', conversation_id: conv.id, seq: m1.seq, for: 'me' }, 'ok');
  const hidden = await bobLaptop.event('message_hidden', (f) => f.conversation_id === conv.id);
  assert.equal(hidden.seq, m1.seq);
  assert.ok(hidden.version > cursor);
  await assertNoFrame(ac, (f) => f.type === 'message_hidden' || f.type === 'message_changed', T(300), 'alice hears of bob hiding');
  // Repeats are accepted and change nothing.
  assertStatus(await api(server, 'DELETE', `/api/v1/conversations/${conv.id}/messages/${m1.seq}?for=me`, { token: bob.token }), 200, 'repeat');
  await sleep(T(300));
  assert.equal(bobLaptop.received((f) => f.type === 'message_hidden').length, 1, 'no second hidden event');

  const bobHist = await fullHistory(server, bob.token, conv.id);
  assertGapFree(bobHist);
  assert.deepEqual(bobHist.map((m) => [m.seq, m.hidden === true, m.text]), [[m1.seq, true, ''], [m2.seq, false, 'second']]);
  const aliceHist = await fullHistory(server, alice.token, conv.id);
  assert.equal(aliceHist[0].text, 'a silly meme about llamas');
  assert.equal(aliceHist[0].hidden, undefined);

  // Bob's offline devices learn through sync + changes; Alice's sync reports nothing.
  const bobSync = await api(server, 'GET', `/api/v1/sync?since=${cursor}`, { token: bob.token });
  assert.deepEqual(bobSync.body.conversations.map((c) => c.id), [conv.id]);
  const changed = await changes(server, bob.token, conv.id, cursor);
  assert.deepEqual(changed.map((m) => [m.seq, m.hidden]), [[m1.seq, true]]);
  const aliceSync = await api(server, 'GET', `/api/v1/sync?since=${aliceCursor}`, { token: alice.token });
  assert.deepEqual(aliceSync.body.conversations, []);

  assert.deepEqual(await searchTexts(server, bob.token, 'llamas'), [], 'hidden from bob\'s search');
  assert.deepEqual(await searchTexts(server, alice.token, 'llamas'), ['a silly meme about llamas']);
  // A stranger cannot hide anything.
  const eve = await register(server, 'eve');
  assertError(await api(server, 'DELETE', `/api/v1/conversations/${conv.id}/messages/${m2.seq}?for=me`, { token: eve.token }), 404, 'not_found', 'eve');
});

// On SQLite the files are the database and its WAL in the data directory. On PostgreSQL
// (PARLEY_TEST_STORE set) the test starts a server of its own, configured as
// docs/architecture.md ("Erasure on PostgreSQL") tells operators to (wal_recycle off,
// wal_keep_size 0), and the files are the database's directory under base/ and pg_wal/.
test('deleted content is erased from the database files', {
  skip: process.env.PARLEY_TEST_STORE && !fs.existsSync('/usr/lib/postgresql/15/bin/initdb')
    ? 'PostgreSQL 15 is not installed' : false,
}, async (t) => {
  let storeFiles;
  let args = ['--erase-purge-delay-ms', '200'];
  if (process.env.PARLEY_TEST_STORE) {
    const pg = await ownPostgres(t);
    args = [...args, '--store', pg.uri];
    storeFiles = () => [...filesUnder(pg.databaseDir), ...filesUnder(pg.walDir)];
  }
  const server = await startServer(t, { args });
  if (!storeFiles) {
    storeFiles = () => fs.readdirSync(server.dataDir).filter((f) => f.startsWith('parley.db'))
      .map((f) => `${server.dataDir}/${f}`);
  }
  const [alice, bob] = await Promise.all([register(server, 'alice'), register(server, 'bob')]);
  const conv = (await openConversation(server, alice.token, 'bob')).conversation;
  const ac = await connect(t, server, alice.token);
  // Unusual words, so any occurrence in the files is theirs. The kept one is the control:
  // it shows the scan would find such a word.
  const secret = 'Xylophonequartzsecret';
  const kept = 'Xylophonequartzkept';
  const m1 = (await ac.sendMessage(conv.id, cid(), `the code word is ${secret} ok`)).message;
  await ac.sendMessage(conv.id, cid(), `the other word is ${kept} ok`);
  // Fill a few pages and edits so the secret is not only in the newest page.
  for (let i = 0; i < 50; i += 1) await ac.sendMessage(conv.id, cid(), `filler message ${i} with some words`);
  // And once more in the newest row: on PostgreSQL its old version is then the lowest tuple
  // on its page, whose bytes a plain VACUUM would leave in the page's free space.
  const m2 = (await ac.sendMessage(conv.id, cid(), `again ${secret}`)).message;
  assert.deepEqual((await searchTexts(server, bob.token, secret.toLowerCase())).sort(),
    [`the code word is ${secret} ok`, `again ${secret}`].sort());

  const purgesBefore = await purges(server);
  await ac.call({ type: 'delete', conversation_id: conv.id, seq: m1.seq, for: 'everyone' }, 'ok');
  await ac.call({ type: 'delete', conversation_id: conv.id, seq: m2.seq, for: 'everyone' }, 'ok');
  const deadline = Date.now() + T(15000);
  // Both erases purged: a purge ran, and none is pending (the second erase may have
  // committed while the first purge ran, and then gets a purge of its own).
  while ((await purges(server)) <= purgesBefore || (await erasePending(server))) {
    assert.ok(Date.now() < deadline, 'the erase purge ran');
    await sleep(100);
  }
  const contents = storeFiles().map((f) => ({ f, text: fs.readFileSync(f).toString('latin1').toLowerCase() }));
  const holding = (word) => contents.filter((c) => c.text.includes(word)).map((c) => c.f);
  assert.ok(holding(kept.toLowerCase()).length > 0, 'the control word is found in the files');
  assert.deepEqual(holding(secret.toLowerCase()), [], 'the deleted word is nowhere in the files');
  assert.deepEqual(holding('quartzsecret'), [], 'not even as the tail of an index term');
  assert.deepEqual(await searchTexts(server, bob.token, secret.toLowerCase()), []);
});

/**
 * A PostgreSQL 15 server of the test's own (scripts/pg-test-server.sh) with one database:
 * {uri, databaseDir, walDir}. Stopped and removed after the test.
 */
async function ownPostgres(t) {
  const script = new URL('../../scripts/pg-test-server.sh', import.meta.url).pathname;
  // Reachable by the server's user when the tests run as root (the script's rule).
  const base = path.join(os.tmpdir(), `parley-erase-${process.pid}`);
  fs.mkdirSync(base, { recursive: true, mode: 0o755 });
  const dir = `${base}/pg`;
  t.after(() => {
    try { execFileSync(script, ['stop', dir]); } catch { /* already gone */ }
    fs.rmSync(base, { recursive: true, force: true });
  });
  // Segments a checkpoint retires are deleted rather than renamed for reuse (a renamed one
  // keeps its old bytes until overwritten), and none are kept for standbys.
  const server = execFileSync(script, ['start', dir], {
    encoding: 'utf8', env: { ...process.env, PARLEY_PG_OPTIONS: '-c wal_recycle=off -c wal_keep_size=0' },
  }).trim();
  const psql = (uri, sql) => execFileSync('psql', [uri, '-qAtc', sql], { encoding: 'utf8' }).trim();
  psql(server, 'CREATE DATABASE parley_erase');
  const url = new URL(server);
  url.pathname = '/parley_erase';
  const dataDir = psql(server, 'SHOW data_directory');
  const oid = psql(server, "SELECT oid FROM pg_database WHERE datname = 'parley_erase'");
  return { uri: url.toString(), databaseDir: `${dataDir}/base/${oid}`, walDir: `${dataDir}/pg_wal` };
}

function filesUnder(dir) {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile()).map((e) => `${e.parentPath ?? e.path}/${e.name}`);
}

async function erasePending(server) {
  const m = /^parley_store_erase_pending (\d+)$/m.exec((await api(server, 'GET', '/metrics')).text);
  assert.ok(m, 'the pending gauge is exported');
  return m[1] === '1';
}

async function purges(server) {
  const res = await api(server, 'GET', '/metrics');
  const { text } = res;
  const m = /^parley_store_erase_purges_total (\d+)$/m.exec(text);
  assert.ok(m, 'the purge counter is exported');
  return Number(m[1]);
}

test('search: ranked, paginated, highlighted, accents and other scripts, confined to what the user can see', async (t) => {
  const server = await startServer(t);
  const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((u) => register(server, u)));
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const cd = (await openConversation(server, carol.token, 'dave')).conversation;
  const ac = await connect(t, server, alice.token);
  const cc = await connect(t, server, carol.token);

  await ac.sendMessage(ab.id, cid(), 'pizza tonight?');
  await ac.sendMessage(ab.id, cid(), 'pizza pizza pizza, I really want pizza');
  await ac.sendMessage(ab.id, cid(), 'Let us meet at the café on the corner');
  await ac.sendMessage(ab.id, cid(), 'Привет, как дела? Встречаемся в пятницу');
  await ac.sendMessage(ab.id, cid(), 'Καλημέρα κόσμε');
  await ac.sendMessage(ab.id, cid(), 'مرحبا بالعالم');
  await ac.sendMessage(ab.id, cid(), '我明天去東京看朋友');
  await ac.sendMessage(ab.id, cid(), 'きょうはとてもいい天気ですね');
  await cc.sendMessage(cd.id, cid(), 'pizza is carol and dave\'s secret');

  // Ranking basics: the message that is mostly "pizza" ranks first.
  const res = await search(server, bob.token, 'pizza');
  assertStatus(res, 200, 'search pizza');
  assert.deepEqual(res.body.results.map((r) => r.message.text), ['pizza pizza pizza, I really want pizza', 'pizza tonight?']);
  const snippet = res.body.results[1].snippet;
  assert.deepEqual(snippet.filter((s) => s.match).map((s) => s.text), ['pizza'], 'the match is highlighted');
  assert.equal(snippet.map((s) => s.text).join(''), 'pizza tonight?', 'the snippet is the text');
  assert.equal(res.body.results[0].message.conversation_id, ab.id);

  // Others' conversations are invisible; carol finds only hers.
  assert.deepEqual(await searchTexts(server, carol.token, 'pizza'), ["pizza is carol and dave's secret"]);
  // Inside one conversation, and a conversation one is not in.
  assert.equal((await searchTexts(server, alice.token, 'pizza', { conversation_id: ab.id })).length, 2);
  assertError(await search(server, alice.token, 'pizza', { conversation_id: cd.id }), 404, 'not_found', 'someone else\'s conversation');

  // Case, accents, prefixes, other scripts.
  assert.deepEqual(await searchTexts(server, bob.token, 'CAFE'), ['Let us meet at the café on the corner']);
  assert.deepEqual(await searchTexts(server, bob.token, 'café corner'), ['Let us meet at the café on the corner']);
  assert.deepEqual(await searchTexts(server, bob.token, 'пятниц'), ['Привет, как дела? Встречаемся в пятницу'], 'cyrillic prefix');
  assert.deepEqual(await searchTexts(server, bob.token, 'ПРИВЕТ'), ['Привет, как дела? Встречаемся в пятницу'], 'cyrillic case');
  assert.deepEqual(await searchTexts(server, bob.token, 'καλημερα'), ['Καλημέρα κόσμε'], 'greek without accents');
  assert.deepEqual(await searchTexts(server, bob.token, '東京'), ['我明天去東京看朋友'], 'a chinese word inside a sentence');
  assert.deepEqual(await searchTexts(server, bob.token, '天気'), ['きょうはとてもいい天気ですね'], 'japanese');
  assert.deepEqual(await searchTexts(server, bob.token, 'بالعالم'), ['مرحبا بالعالم'], 'arabic');
  // The last word matches as a prefix unless prefix=0.
  assert.equal((await searchTexts(server, bob.token, 'tonig')).length, 1, 'prefix by default');
  assert.deepEqual(await searchTexts(server, bob.token, 'tonig', { prefix: 0 }), [], 'whole words with prefix=0');
  assert.equal((await searchTexts(server, bob.token, 'tonight', { prefix: 0 })).length, 1);
  // Every word must match; FTS syntax in the query is just text.
  assert.deepEqual(await searchTexts(server, bob.token, 'pizza corner'), []);
  assert.equal((await search(server, bob.token, 'pizza" OR "x')).status, 200, 'quotes are not syntax');
  assert.equal((await search(server, bob.token, 'NEAR(pizza tonight)')).status, 200);

  // Pagination.
  for (let i = 0; i < 25; i += 1) await ac.sendMessage(ab.id, cid(), `report number ${i}`);
  const seen = new Set();
  let offset = 0;
  for (;;) {
    const page = await search(server, bob.token, 'report', { limit: 10, offset });
    assertStatus(page, 200, 'page');
    for (const r of page.body.results) seen.add(r.message.id);
    if (!page.body.has_more) break;
    assert.equal(page.body.next_offset, offset + 10);
    offset = page.body.next_offset;
  }
  assert.equal(seen.size, 25, 'pages cover every match once');

  // Bad input.
  assertError(await search(server, bob.token, ''), 400, 'invalid_argument', 'empty');
  assertError(await search(server, bob.token, '   ,,, '), 400, 'invalid_argument', 'no words');
  assertError(await search(server, bob.token, 'x', { limit: 0 }), 400, 'invalid_argument', 'limit');
  assertError(await api(server, 'GET', '/api/v1/search', { token: bob.token }), 400, 'bad_request', 'no q');
  assertError(await api(server, 'GET', '/api/v1/search?q=x'), 401, 'unauthenticated', 'no token');

  // Over the WebSocket.
  const bc = await connect(t, server, bob.token);
  const ws = await bc.call({ type: 'search', q: 'tonight' }, 'search');
  assert.deepEqual(ws.results.map((r) => r.message.text), ['pizza tonight?']);
});

test('search honours group membership boundaries', async (t) => {
  const server = await startServer(t);
  const [alice, bob, dave, erin] = await Promise.all(['alice', 'bob', 'dave', 'erin'].map((u) => register(server, u)));
  const group = await createGroup(server, alice.token, 'Club', ['bob', 'dave']);
  const ac = await connect(t, server, alice.token);
  await ac.sendMessage(group.id, cid(), 'walrus before anything');
  assertStatus(await api(server, 'DELETE', `/api/v1/conversations/${group.id}/members/${dave.user.id}`, { token: alice.token }), 200, 'remove dave');
  await ac.sendMessage(group.id, cid(), 'walrus after dave left');
  assertStatus(await api(server, 'POST', `/api/v1/conversations/${group.id}/members`, { token: alice.token, body: { user_ids: [erin.user.id] } }), 200, 'add erin');
  await ac.sendMessage(group.id, cid(), 'walrus after erin joined');

  assert.deepEqual((await searchTexts(server, bob.token, 'walrus')).sort(), ['walrus after dave left', 'walrus after erin joined', 'walrus before anything']);
  assert.deepEqual(await searchTexts(server, dave.token, 'walrus'), ['walrus before anything'], 'a removed member finds nothing after the removal');
  assert.deepEqual(await searchTexts(server, erin.token, 'walrus'), ['walrus after erin joined'], 'a late joiner finds nothing from before');
  const eve = await register(server, 'eve');
  assert.deepEqual(await searchTexts(server, eve.token, 'walrus'), [], 'a stranger finds nothing');
});
