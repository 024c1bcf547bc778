// An offline recipient catches up with sync + history: everything exactly once, in order,
// gap-free, and a sync with the newest cursor returns nothing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import {
  api, assertError, assertGapFree, assertStatus, assertWsError, cid, connect, history, openConversation, register,
} from './lib/client.mjs';

async function httpSync(server, token, since, limit) {
  const q = limit === undefined ? `since=${since}` : `since=${since}&limit=${limit}`;
  const res = await api(server, 'GET', `/api/v1/sync?${q}`, { token });
  assertStatus(res, 200, `sync ${q}`);
  assert.ok(Number.isInteger(res.body.version), `sync version: ${res.text}`);
  assert.equal(typeof res.body.has_more, 'boolean');
  assert.ok(Array.isArray(res.body.conversations));
  return res.body;
}

function assertSyncPage(page, since) {
  const versions = page.conversations.map((c) => c.version);
  for (let i = 0; i < versions.length; i++) {
    assert.ok(versions[i] > since, `sync since=${since} returned a conversation with version ${versions[i]}`);
    if (i > 0) assert.ok(versions[i] > versions[i - 1], `sync page not ordered by version: ${versions}`);
  }
  if (versions.length > 0) assert.ok(page.version >= versions[versions.length - 1], `sync version ${page.version} below a returned conversation's version ${versions}`);
}

/** Pages a WebSocket sync through to has_more:false. Returns {version, conversations, pages}. */
async function wsSyncAll(client, since, limit) {
  const conversations = [];
  let pages = 0;
  for (;;) {
    const frame = { type: 'sync', since };
    if (limit !== undefined) frame.limit = limit;
    const page = await client.call(frame, 'sync');
    pages += 1;
    assertSyncPage(page, since);
    if (limit !== undefined) assert.ok(page.conversations.length <= limit);
    conversations.push(...page.conversations);
    if (!page.has_more) return { version: page.version, conversations, pages };
    assert.ok(page.conversations.length > 0, 'has_more with an empty page');
    assert.ok(page.version > since, 'a page with has_more must advance the cursor');
    since = page.version;
    assert.ok(pages < 100, 'sync does not end');
  }
}

test('an offline device catches up with sync and history pages: every message once, in order', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const carol = await register(server, 'carol');

  // Bob has some older conversations that will not change.
  const quiet = [];
  for (const name of ['dan', 'eve', 'fay', 'gus', 'hal']) {
    const u = await register(server, name);
    const c = (await openConversation(server, u.token, 'bob')).conversation;
    const w = await connect(null, server, u.token);
    await w.sendMessage(c.id, cid(name), `old news from ${name}`);
    w.close();
    quiet.push(c.id);
  }
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;

  // Bob's device syncs once, then goes offline.
  const initial = await httpSync(server, bob.token, 0);
  assert.equal(initial.has_more, false);
  assert.deepEqual(initial.conversations.map((c) => c.id).sort((a, b) => a - b), [...quiet, ab.id].sort((a, b) => a - b));
  const v0 = initial.version;

  // While bob is away: alice sends 120 messages (pipelined: one connection commits in send order) ...
  const wa = await connect(t, server, alice.token);
  const texts = Array.from({ length: 120 }, (_, i) => `message ${i + 1} from alice`);
  const acks = await Promise.all(texts.map((text) => wa.sendMessage(ab.id, cid('a'), text)));
  assert.deepEqual(acks.map((a) => a.message.seq), Array.from({ length: 120 }, (_, i) => i + 1), 'sends of one connection are committed in send order');
  // ... and carol starts a new conversation with him.
  const cbRes = await openConversation(server, carol.token, 'bob');
  assert.equal(cbRes.created, true);
  const cb = cbRes.conversation;
  const wc = await connect(t, server, carol.token);
  const carolMsgs = [];
  for (let i = 1; i <= 3; i++) carolMsgs.push((await wc.sendMessage(cb.id, cid('c'), `carol ${i}`)).message);

  // Bob comes back.
  const wb = await connect(t, server, bob.token);

  // Syncing from 0 one conversation per page reaches everything.
  const fromZero = await wsSyncAll(wb, 0, 1);
  const zeroIds = fromZero.conversations.map((c) => c.id);
  assert.equal(new Set(zeroIds).size, zeroIds.length, 'no conversation twice while paging from 0');
  assert.deepEqual([...zeroIds].sort((a, b) => a - b), [...quiet, ab.id, cb.id].sort((a, b) => a - b));
  assert.equal(fromZero.pages >= 7, true, `limit=1 must page (got ${fromZero.pages} pages)`);

  // From the older cursor: exactly the two changed conversations, with their new state.
  const fromV0 = await wsSyncAll(wb, v0, 1);
  const changed = fromV0.conversations;
  assert.deepEqual(changed.map((c) => c.id).sort((a, b) => a - b), [ab.id, cb.id].sort((a, b) => a - b));
  const abRow = changed.find((c) => c.id === ab.id);
  const cbRow = changed.find((c) => c.id === cb.id);
  assert.equal(abRow.last_seq, 120);
  assert.equal(abRow.unread, 120);
  assert.equal(abRow.last_message.text, 'message 120 from alice');
  assert.equal(cbRow.last_seq, 3);
  assert.equal(cbRow.unread, 3);
  assert.deepEqual(cbRow.peer, carol.user);
  assert.deepEqual(cbRow.last_message, carolMsgs[2]);
  // The same answer over HTTP, in one page.
  const httpV0 = await httpSync(server, bob.token, v0);
  assertSyncPage(httpV0, v0);
  assert.equal(httpV0.has_more, false);
  assert.deepEqual(httpV0.conversations.map((c) => c.id), changed.map((c) => c.id));

  // History after=<highest seq held> in pages of 50 (HTTP) and 40 (WebSocket).
  const got = [];
  let after = 0;
  const pageSizes = [];
  for (;;) {
    const page = await history(server, bob.token, ab.id, { after, limit: 50 });
    pageSizes.push(page.messages.length);
    got.push(...page.messages);
    if (!page.has_more) break;
    after = page.messages[page.messages.length - 1].seq;
  }
  assert.deepEqual(pageSizes, [50, 50, 20]);
  assertGapFree(got, 'HTTP catch-up');
  assert.deepEqual(got, acks.map((a) => a.message), 'history holds exactly the acknowledged messages');

  const viaWs = [];
  after = 0;
  for (;;) {
    const page = await wb.call({ type: 'history', conversation_id: ab.id, after, limit: 40 }, 'history');
    viaWs.push(...page.messages);
    if (!page.has_more) break;
    after = page.messages[page.messages.length - 1].seq;
  }
  assert.deepEqual(viaWs, got);
  const cbHist = await wb.call({ type: 'history', conversation_id: cb.id, after: 0 }, 'history');
  assert.deepEqual(cbHist.messages, carolMsgs);
  assert.equal(cbHist.has_more, false);

  // Default page size is 50, newest first.
  const newest = await history(server, bob.token, ab.id);
  assert.equal(newest.messages.length, 50);
  assert.equal(newest.messages[0].seq, 120);
  assert.equal(newest.messages[49].seq, 71);
  assert.equal(newest.has_more, true);

  // A second sync from the cursor returns nothing: the work follows what changed.
  const cursor = fromV0.version;
  const empty = await wb.call({ type: 'sync', since: cursor }, 'sync');
  assert.deepEqual(empty.conversations, []);
  assert.equal(empty.has_more, false);
  assert.ok(empty.version >= cursor);
  const emptyHttp = await httpSync(server, bob.token, cursor);
  assert.deepEqual(emptyHttp.conversations, []);

  // One more message: only that conversation comes back.
  const extra = await wc.sendMessage(cb.id, cid('c'), 'one more');
  const delta = await httpSync(server, bob.token, cursor);
  assert.deepEqual(delta.conversations.map((c) => c.id), [cb.id]);
  assert.equal(delta.conversations[0].last_seq, 4);
  assert.ok(delta.conversations[0].version > cursor);
  const catchUp = await history(server, bob.token, cb.id, { after: 3 });
  assert.deepEqual(catchUp.messages, [extra.message]);
});

test('receipts travel through sync as member watermarks', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const wa = await connect(t, server, alice.token);
  for (let i = 1; i <= 5; i++) await wa.sendMessage(ab.id, cid('a'), `m${i}`);
  wa.close();

  // Alice's device remembers its cursor and goes away.
  const aliceSync = await httpSync(server, alice.token, 0);
  const va = aliceSync.version;
  const before = aliceSync.conversations.find((c) => c.id === ab.id);
  const bobBefore = before.members.find((m) => m.user.id === bob.user.id);
  assert.equal(bobBefore.delivered_seq, 0);
  assert.equal(bobBefore.read_seq, 0);

  // Bob's device receives up to 5 and reads up to 3.
  const wb = await connect(t, server, bob.token);
  assert.equal((await wb.request({ type: 'delivered', conversation_id: ab.id, seq: 5 })).type, 'ok');
  assert.equal((await wb.request({ type: 'read', conversation_id: ab.id, seq: 3 })).type, 'ok');

  const afterRead = await httpSync(server, alice.token, va);
  assert.deepEqual(afterRead.conversations.map((c) => c.id), [ab.id], 'a receipt is a change of the conversation');
  const row = afterRead.conversations[0];
  const bobMember = row.members.find((m) => m.user.id === bob.user.id);
  assert.equal(bobMember.delivered_seq, 5);
  assert.equal(bobMember.read_seq, 3);
  assert.ok(row.version > va);
  assert.equal(row.unread, 0, "alice's own messages are read by her");

  // Bob's own view after reading: unread 2.
  const bobView = await httpSync(server, bob.token, 0);
  assert.equal(bobView.conversations.find((c) => c.id === ab.id).unread, 2);

  // An unchanged watermark is not a change.
  assert.equal((await wb.request({ type: 'read', conversation_id: ab.id, seq: 2 })).type, 'ok');
  const none = await httpSync(server, alice.token, afterRead.version);
  assert.deepEqual(none.conversations, [], 'a receipt at or below the watermark changes nothing');

  // Limits of sync.
  for (const limit of [0, 201]) {
    const res = await api(server, 'GET', `/api/v1/sync?since=0&limit=${limit}`, { token: alice.token });
    assertError(res, 400, 'invalid_argument', `sync limit=${limit}`);
    const frame = await wb.request({ type: 'sync', since: 0, limit });
    assertWsError(frame, 'invalid_argument', `ws sync limit=${limit}`);
  }
  const max = await httpSync(server, alice.token, 0, 200);
  assert.equal(max.conversations.length, 1);
});

test('default page sizes: sync 100 conversations, the recent-chats list 50', async (t) => {
  // Many accounts are needed; the cheap password hashing option only makes registration faster.
  const server = await startServer(t, { args: ['--insecure-fast-password-hashing', 'true'] });
  const alice = await register(server, 'alice');
  const N = 105;
  const ids = [];
  for (let i = 0; i < N; i++) {
    const u = await register(server, `peer${i}`);
    ids.push((await openConversation(server, u.token, 'alice')).conversation.id);
  }
  const first = await httpSync(server, alice.token, 0);
  assert.equal(first.conversations.length, 100, 'sync returns 100 conversations by default');
  assert.equal(first.has_more, true);
  assertSyncPage(first, 0);
  const rest = await httpSync(server, alice.token, first.version);
  assert.equal(rest.conversations.length, 5);
  assert.equal(rest.has_more, false);
  assertSyncPage(rest, first.version);
  assert.deepEqual([...first.conversations, ...rest.conversations].map((c) => c.id).sort((a, b) => a - b), [...ids].sort((a, b) => a - b));

  const list = await api(server, 'GET', '/api/v1/conversations', { token: alice.token });
  assertStatus(list, 200);
  assert.equal(list.body.conversations.length, 50, 'the recent-chats list returns 50 by default');
  assert.equal(list.body.has_more, true);
});

test('sync cursors never skip a change while messages keep arriving', async (t) => {
  const server = await startServer(t);
  const bob = await register(server, 'bob');
  const senders = [];
  for (const name of ['alice', 'carol', 'dave']) {
    const u = await register(server, name);
    const conv = (await openConversation(server, u.token, 'bob')).conversation;
    senders.push({ u, conv, ws: await connect(t, server, u.token), sent: 0 });
  }
  let sending = true;
  const floods = senders.map(async (s) => {
    while (sending) {
      await Promise.all(Array.from({ length: 5 }, () => s.ws.sendMessage(s.conv.id, cid(s.u.user.username), `from ${s.u.user.username}`)));
      s.sent += 5;
    }
  });

  // Bob's device follows the documented loop over and over while the others write: sync pages
  // of 2 (so has_more cursors are used too), history after its highest seq, then receipts.
  // While three conversations keep changing, paging may never reach has_more:false, so a round
  // stops after a few pages; the has_more version is a valid cursor once those pages' messages
  // are fetched.
  const held = new Map(senders.map((s) => [s.conv.id, []]));
  let cursor = 0;
  let rounds = 0;
  async function syncRound(maxPages) {
    const touched = new Set();
    let done = false;
    for (let p = 0; p < maxPages; p++) {
      const res = await api(server, 'GET', `/api/v1/sync?since=${cursor}&limit=2`, { token: bob.token });
      assertStatus(res, 200);
      for (const c of res.body.conversations) {
        const mine = held.get(c.id);
        for (;;) {
          const after = mine.length ? mine[mine.length - 1].seq : 0;
          const page = await history(server, bob.token, c.id, { after, limit: 37 });
          mine.push(...page.messages);
          if (!page.has_more) break;
        }
        touched.add(c.id);
      }
      cursor = res.body.version; // stored only after the messages were fetched
      if (!res.body.has_more) { done = true; break; }
    }
    // Tell the senders what arrived: receipts are changes too.
    for (const id of touched) {
      const mine = held.get(id);
      if (!mine.length) continue;
      const r = await api(server, 'POST', `/api/v1/conversations/${id}/receipts`, { token: bob.token, body: { delivered_seq: mine[mine.length - 1].seq } });
      assertStatus(r, 200);
    }
    rounds += 1;
    return done;
  }
  const deadline = Date.now() + 2500;
  while (Date.now() < deadline) await syncRound(5);
  sending = false;
  await Promise.all(floods);
  // Quiet now: rounds end; the last ones only see bob's own receipts.
  let quietRounds = 0;
  while (!(await syncRound(50))) assert.ok(++quietRounds < 20, 'sync paging must end once nothing changes');
  await syncRound(50);

  t.diagnostic(`${rounds} sync rounds; sent ${senders.map((s) => s.sent).join('/')}`);
  for (const s of senders) {
    const mine = held.get(s.conv.id);
    assertGapFree(mine, `bob's copy of ${s.u.user.username}'s conversation`);
    assert.equal(mine.length, s.sent, `bob holds every message ${s.u.user.username} sent`);
  }
  const last = await api(server, 'GET', `/api/v1/sync?since=${cursor}`, { token: bob.token });
  // Only bob's own last receipts may still show up.
  for (const c of last.body.conversations) assert.equal(c.last_seq, held.get(c.id).length);
});
