// Several parleyd processes on one PostgreSQL database (parleyd --store postgresql://...):
// the store's guarantees must hold across processes, not only inside one.
//
// Run from tests/node (for its `ws` dependency) with PARLEY_TEST_STORE set to a
// PostgreSQL server (scripts/pg-test-server.sh start DIR prints one):
//   cd tests/node && PARLEY_TEST_STORE=postgresql://... node --test ../cluster/cluster.test.mjs
//
// Each run: 3 parleyd processes share a fresh database; senders post into one group and
// one direct conversation through all three at once, resending some messages through
// another process; readers sync continuously from their cursors through a process picked
// at random each time, and advance read receipts through another. Checked: every sent
// message is seen by every reader exactly once and in seq order (a message committed after
// a reader's cursor with a smaller version would show up late, out of order, or never),
// seq is gap-free, every resend is recognised as a duplicate with the original seq, and
// the read watermarks a sender observes never go back and end where the reader left them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';

import { api, assertStatus, register, openConversation, httpSend } from '../node/lib/client.mjs';
import { startServer } from '../node/lib/server.mjs';

const PROCESSES = 3;
const RUNS = 3;
const SENDERS = 6;
const PER_SENDER = 40;
const READERS = 2;

const pick = (list) => list[Math.floor(Math.random() * list.length)];

function freshDatabase(serverUri, name) {
  execFileSync('psql', [serverUri, '-qAtc', `CREATE DATABASE ${name}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = new URL(serverUri);
  url.pathname = `/${name}`;
  return url.toString();
}

async function get(server, token, path) {
  const res = await api(server, 'GET', path, { token });
  assertStatus(res, 200, `GET ${path}`);
  return res.body;
}

// A device syncing from cursors: its sync cursor, and per conversation the version up to
// which it has fetched changes. Returns the messages it saw for the first time, in order.
class Reader {
  constructor(user, servers) {
    this.user = user;
    this.servers = servers;
    this.cursor = 0;
    this.changeCursor = new Map();
    this.seen = new Map();  // conversation id -> array of seqs, in the order first seen
    this.duplicates = 0;
    this.reordered = 0;
  }

  async syncOnce() {
    const server = pick(this.servers);
    let since = this.cursor;
    for (;;) {
      const page = await get(server, this.user.token, `/api/v1/sync?since=${since}&limit=100`);
      for (const conv of page.conversations) await this.fetchChanges(pick(this.servers), conv.id);
      since = page.version;
      if (!page.has_more) break;
    }
    this.cursor = since;  // stored only after the messages were fetched (protocol.md, Sync)
  }

  async fetchChanges(server, convId) {
    let since = this.changeCursor.get(convId) ?? 0;
    const seqs = this.seen.get(convId) ?? [];
    this.seen.set(convId, seqs);
    for (;;) {
      const page = await get(server, this.user.token, `/api/v1/conversations/${convId}/changes?since=${since}&limit=200`);
      for (const m of page.messages) {
        if (seqs.includes(m.seq)) {
          this.duplicates += 1;
        } else {
          if (seqs.length > 0 && m.seq < seqs[seqs.length - 1]) this.reordered += 1;
          seqs.push(m.seq);
        }
        since = Math.max(since, m.version);
      }
      if (!page.has_more) break;
    }
    this.changeCursor.set(convId, since);
  }
}

async function oneRun(t, run, serverUri) {
  const uri = freshDatabase(serverUri, `parley_cluster_${process.pid}_${run}`);
  // All three start at once against the empty database: they race to migrate it.
  const servers = await Promise.all(
    Array.from({ length: PROCESSES }, () => startServer(t, { args: ['--store', uri, '--store-connections', '4'] })));
  const senders = [];
  for (let i = 0; i < SENDERS; i += 1) senders.push(await register(servers[i % PROCESSES], `s${run}x${i}`));
  const readers = [];
  for (let i = 0; i < READERS; i += 1) readers.push(await register(servers[(i + 1) % PROCESSES], `r${run}x${i}`));

  const created = await api(servers[0], 'POST', '/api/v1/groups', {
    token: senders[0].token,
    body: { name: `run ${run}`, member_usernames: [...senders.slice(1), ...readers].map((u) => u.user.username) },
  });
  assertStatus(created, 201, 'create group');
  const group = created.body.conversation.id;
  // Sender 0 and reader 0 also talk directly: the receipts check watches this one.
  const direct = (await openConversation(servers[1], senders[0].token, readers[0].user.username)).conversation.id;

  const acked = new Map([[group, []], [direct, []]]);  // conversation -> seqs acknowledged
  let wrongDuplicates = 0;
  const send = async (i) => {
    const me = senders[i];
    const sent = [];
    for (let k = 0; k < PER_SENDER; k += 1) {
      const conv = i === 0 && k % 4 === 0 ? direct : group;
      const clientId = `c${run}-${i}-${k}`;
      const res = await httpSend(pick(servers), me.token, conv, clientId, `message ${k} from sender ${i}`);
      assertStatus(res, 200, `send ${clientId}`);
      assert.equal(res.body.duplicate, false, `first send of ${clientId}`);
      acked.get(conv).push(res.body.message.seq);
      sent.push({ conv, clientId, seq: res.body.message.seq });
      if (k % 10 === 9) {
        // A resend through another process, as a client would after a lost ack.
        const again = pick(sent);
        const dup = await httpSend(pick(servers), me.token, again.conv, again.clientId, 'retried');
        assertStatus(dup, 200, `resend ${again.clientId}`);
        if (!dup.body.duplicate || dup.body.message.seq !== again.seq) wrongDuplicates += 1;
      }
    }
  };

  // Reader 0 marks what it has seen of the direct conversation as read, through any
  // process; sender 0 watches the watermark through sync on another.
  let lastRead = 0;
  let watermarkWentBack = 0;
  let watermarkSeen = 0;
  let readerStates = [];
  const watchReceipts = async () => {
    const r0 = readers[0];
    const seqs = readerStates[0].seen.get(direct) ?? [];
    const top = seqs.length ? Math.max(...seqs) : 0;
    if (top > lastRead) {
      const res = await api(pick(servers), 'POST', `/api/v1/conversations/${direct}/receipts`, {
        token: r0.token, body: { read_seq: top } });
      assertStatus(res, 200, 'read receipt');
      lastRead = top;
    }
    const conv = await get(pick(servers), senders[0].token, `/api/v1/conversations/${direct}`);
    const entry = conv.conversation.members.find((m) => m.user.id === r0.user.id);
    if (entry.read_seq < watermarkSeen) watermarkWentBack += 1;
    watermarkSeen = Math.max(watermarkSeen, entry.read_seq);
  };

  readerStates = readers.map((r) => new Reader(r, servers));
  let sending = true;
  const polling = readerStates.map(async (reader) => {
    while (sending) {
      await reader.syncOnce();
      if (reader === readerStates[0]) await watchReceipts();
    }
  });
  await Promise.all(senders.map((_, i) => send(i)));
  sending = false;
  await Promise.all(polling);
  for (const reader of readerStates) await reader.syncOnce();  // catch up with the last sends
  await watchReceipts();
  await watchReceipts();

  const counts = { run, sent: 0, missing: 0, duplicated: wrongDuplicates, reordered: 0, gaps: 0,
    receipts_backwards: watermarkWentBack, receipt_final: watermarkSeen === lastRead ? 'ok' : 'lost' };
  for (const [conv, seqs] of acked) {
    const sorted = [...seqs].sort((a, b) => a - b);
    counts.sent += sorted.length;
    // The group's first message is its creation (seq 1); every acknowledged seq is distinct
    // and the conversation's seqs run without a hole.
    const offset = conv === group ? 1 : 0;
    sorted.forEach((s, i) => { if (s !== i + 1 + offset) counts.gaps += 1; });
    for (const reader of readerStates) {
      const seen = reader.seen.get(conv) ?? [];
      if (conv === direct && reader !== readerStates[0]) continue;  // not a member
      for (const s of sorted) if (!seen.includes(s)) counts.missing += 1;
    }
  }
  for (const reader of readerStates) {
    counts.duplicated += reader.duplicates;
    counts.reordered += reader.reordered;
  }
  console.log(`cluster run ${run}: ${JSON.stringify(counts)}`);
  await Promise.all(servers.map((s) => s.stop()));
  return counts;
}

test('three parleyd processes on one database: nothing missing, duplicated or reordered', {
  skip: process.env.PARLEY_TEST_STORE ? false : 'set PARLEY_TEST_STORE to a PostgreSQL server',
}, async (t) => {
  const totals = { sent: 0, missing: 0, duplicated: 0, reordered: 0, gaps: 0, receipts_backwards: 0 };
  for (let run = 0; run < RUNS; run += 1) {
    const counts = await oneRun(t, run, process.env.PARLEY_TEST_STORE);
    for (const key of Object.keys(totals)) totals[key] += counts[key];
    assert.equal(counts.receipt_final, 'ok', 'the last read receipt is what the sender sees');
  }
  console.log(`cluster total over ${RUNS} runs: ${JSON.stringify(totals)}`);
  assert.equal(totals.sent, RUNS * SENDERS * PER_SENDER);
  assert.deepEqual(
    { missing: totals.missing, duplicated: totals.duplicated, reordered: totals.reordered, gaps: totals.gaps,
      receipts_backwards: totals.receipts_backwards },
    { missing: 0, duplicated: 0, reordered: 0, gaps: 0, receipts_backwards: 0 });
});
