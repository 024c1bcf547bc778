// The crash test: two users send continuously while the server is killed with SIGKILL at random
// moments and restarted on the same data directory. Clients reconnect and resend what was not
// acknowledged, with the same client_id. Afterwards every acknowledged message is stored exactly
// once, every conversation is gap-free, and SQLite's integrity check passes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, sleep } from './lib/server.mjs';
import { assertGapFree, connect, fullHistory, openConversation, register, T, within } from './lib/client.mjs';

const KILLS = 5;
const LANES = 4; // sends in flight per client

function integrityCheck(dbPath) {
  return execFileSync('sqlite3', [dbPath, 'PRAGMA integrity_check;'], { encoding: 'utf8' }).trim();
}

/**
 * A sending device. It makes up messages for its conversations, keeps every message it has not
 * seen acknowledged, and after any connection loss reconnects and resends those first.
 */
class Sender {
  constructor(server, name, token, convIds) {
    Object.assign(this, { server, name, token, convIds });
    this.counter = 0;
    this.unacked = new Map(); // client_id -> {conversation_id, client_id, text}
    this.retry = []; // client_ids to resend after a reconnect
    this.acked = new Map(); // client_id -> message
    this.duplicates = 0;
    this.reconnects = 0;
    this.problems = [];
    this.stopping = false;
    this.sockets = new Set();
  }

  #newMessage() {
    this.counter += 1;
    const conversation_id = this.convIds[this.counter % this.convIds.length];
    const msg = { conversation_id, client_id: `${this.name}-${this.counter}`, text: `${this.name} says ${this.counter}` };
    this.unacked.set(msg.client_id, msg);
    return msg;
  }

  #take() {
    while (this.retry.length > 0) {
      const id = this.retry.shift();
      if (this.unacked.has(id)) return this.unacked.get(id);
    }
    if (this.stopping) return null;
    return this.#newMessage();
  }

  async #lane(client) {
    for (;;) {
      const msg = this.#take();
      if (msg === null) return;
      let ans;
      try {
        ans = await client.request({ type: 'send', ...msg }, T(10000));
      } catch (err) {
        this.retry.push(msg.client_id);
        throw err;
      }
      if (ans.type === 'ack') {
        const prev = this.acked.get(msg.client_id);
        if (prev) {
          try { assert.deepEqual(ans.message, prev); } catch { this.problems.push(`ack for ${msg.client_id} changed: ${JSON.stringify(prev)} -> ${JSON.stringify(ans.message)}`); }
        }
        if (ans.message.client_id !== msg.client_id || ans.message.text !== msg.text || ans.message.conversation_id !== msg.conversation_id) {
          this.problems.push(`ack does not match the message sent: ${JSON.stringify(msg)} -> ${JSON.stringify(ans)}`);
        }
        if (ans.duplicate) this.duplicates += 1;
        this.acked.set(msg.client_id, ans.message);
        this.unacked.delete(msg.client_id);
      } else if (ans.type === 'error' && ['internal', 'unavailable', 'rate_limited'].includes(ans.code)) {
        // Retryable by the contract: same client_id later.
        this.retry.push(msg.client_id);
        await sleep(ans.retry_after_ms ?? 50);
      } else {
        this.problems.push(`unexpected answer to ${JSON.stringify(msg)}: ${JSON.stringify(ans)}`);
        this.unacked.delete(msg.client_id);
      }
    }
  }

  /** Runs until stop() was called and nothing is left unacknowledged. */
  async run() {
    while (!(this.stopping && this.unacked.size === 0)) {
      let client;
      try {
        client = await connect(null, this.server, this.token, { timeoutMs: T(3000) });
      } catch {
        await sleep(50 + Math.random() * 100);
        continue;
      }
      this.sockets.add(client);
      // Everything that was in flight on the previous connection is resent first.
      for (const id of this.unacked.keys()) if (!this.retry.includes(id)) this.retry.push(id);
      try {
        await Promise.all(Array.from({ length: LANES }, () => this.#lane(client)));
      } catch {
        this.reconnects += 1;
      }
      client.terminate();
      this.sockets.delete(client);
    }
  }

  stop() {
    this.stopping = true;
  }

  terminateAll() {
    for (const c of this.sockets) c.terminate();
  }
}

// On the embedded store in both of its modes: COMMIT flushing the WAL (the default), and the
// WAL flushed after COMMIT, where acks, events and reads wait for that flush.
for (const [mode, args] of [['COMMIT flushes', ['--sqlite-flush-after-commit', 'false']], ['flush after COMMIT (the default)', []]]) {
  test(`acknowledged messages survive repeated SIGKILLs exactly once and gap-free (${mode})`, (t) => killRepeatedly(t, args));
}

async function killRepeatedly(t, args) {
  const server = await startServer(t, { args });
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  await register(server, 'carol');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const ac = (await openConversation(server, alice.token, 'carol')).conversation;
  const bc = (await openConversation(server, bob.token, 'carol')).conversation;

  const senders = [
    new Sender(server, 'alice', alice.token, [ab.id, ac.id]),
    new Sender(server, 'bob', bob.token, [ab.id, bc.id]),
  ];
  t.after(() => senders.forEach((s) => s.terminateAll()));
  const running = senders.map((s) => s.run());

  const ackedAtKill = [];
  for (let i = 0; i < KILLS; i++) {
    await sleep(300 + Math.random() * 1200);
    const acked = senders.reduce((n, s) => n + s.acked.size, 0);
    ackedAtKill.push(acked);
    await server.kill('SIGKILL');
    await sleep(Math.random() * 200);
    await server.restart();
  }
  // Let them run a little on the last incarnation, then drain.
  await sleep(500);
  senders.forEach((s) => s.stop());
  const drained = await within(Promise.all(running).then(() => true), T(30000), false);
  assert.ok(drained, `senders did not finish: unacked ${senders.map((s) => s.unacked.size)}`);
  for (const s of senders) assert.deepEqual(s.problems, [], `${s.name}: problems while sending`);
  t.diagnostic(`acked before each kill: ${ackedAtKill.join(', ')}; total acked: ${senders.map((s) => `${s.name}=${s.acked.size}`).join(' ')}; ` +
    `duplicates after resend: ${senders.map((s) => s.duplicates).join('/')}; reconnects: ${senders.map((s) => s.reconnects).join('/')}`);
  assert.ok(senders.every((s) => s.acked.size > 50), 'each sender got a reasonable number of messages through');
  assert.ok(senders.reduce((n, s) => n + s.reconnects, 0) >= KILLS, `the kills hit connections under load: reconnects ${senders.map((s) => s.reconnects)}`);

  async function verify(when) {
    const convs = [[ab, alice.token], [ac, alice.token], [bc, bob.token]];
    const stored = new Map(); // `${sender}:${client_id}` -> message
    for (const [conv, token] of convs) {
      const msgs = await fullHistory(server, token, conv.id);
      assertGapFree(msgs, `${when}: conversation ${conv.id}`);
      for (const m of msgs) {
        const key = `${m.sender_id}:${m.client_id}`;
        assert.ok(!stored.has(key), `${when}: ${key} stored twice: ${JSON.stringify(stored.get(key))} and ${JSON.stringify(m)}`);
        stored.set(key, m);
      }
      const row = (await fetch(`${server.url}/api/v1/conversations/${conv.id}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json())).conversation;
      assert.equal(row.last_seq, msgs.length, `${when}: last_seq of ${conv.id}`);
    }
    let total = 0;
    for (const [s, user] of [[senders[0], alice], [senders[1], bob]]) {
      for (const [clientId, message] of s.acked) {
        const m = stored.get(`${user.user.id}:${clientId}`);
        assert.ok(m, `${when}: acknowledged message ${clientId} is missing`);
        assert.deepEqual(m, message, `${when}: stored message differs from its ack`);
      }
      total += s.acked.size;
    }
    // Every message a sender made was acknowledged in the end, so nothing else may be stored.
    assert.equal(stored.size, total, `${when}: stored ${stored.size} messages, acknowledged ${total}`);
  }

  await verify('after the crashes');

  // Kill once more at rest and check the database file as the crash left it.
  await server.kill('SIGKILL');
  assert.equal(integrityCheck(server.dbPath), 'ok', 'PRAGMA integrity_check after SIGKILL');
  await server.restart();
  await verify('after a last restart');
  const stopped = await server.stop();
  assert.equal(stopped.code, 0, `clean exit after SIGTERM: ${JSON.stringify(stopped)}`);
  assert.equal(integrityCheck(server.dbPath), 'ok', 'PRAGMA integrity_check after a clean stop');
}

test('SIGTERM under load: queued sends are committed and acknowledged, sockets close with 1001', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const wa = await connect(t, server, alice.token);
  const wb = await connect(t, server, bob.token);

  // 200 lanes keep sends in flight continuously (below the 256 in-flight limit); SIGTERM arrives
  // in the middle of it.
  let nextIndex = 0;
  let stopSending = false;
  const answers = [];
  async function lane() {
    while (!stopSending) {
      const i = nextIndex++;
      const p = wa.request({ type: 'send', conversation_id: ab.id, client_id: `term-${i}`, text: `m${i}` }, T(15000))
        .catch((err) => ({ lost: err.message }));
      answers.push(p);
      const a = await p;
      if (a.lost || a.type === 'error') return;
    }
  }
  const lanes = Array.from({ length: 200 }, lane);
  await sleep(150);
  const stopping = server.stop();
  const [closeA, closeB] = await Promise.all([wa.waitClose(T(10000)), wb.waitClose(T(10000))]);
  stopSending = true;
  await Promise.all(lanes);
  const sentCount = nextIndex;
  const exit = await stopping;
  assert.equal(exit.code, 0, `exit after SIGTERM: ${JSON.stringify(exit)}`);
  assert.equal(closeA.code, 1001, 'shutdown closes WebSockets with 1001');
  assert.equal(closeB.code, 1001, 'shutdown closes WebSockets with 1001');
  const got = await Promise.all(answers);
  const acked = got.filter((a) => a.type === 'ack').map((a) => a.message);
  const other = got.filter((a) => a.type !== undefined && a.type !== 'ack');
  for (const e of other) {
    assert.equal(e.type, 'error', JSON.stringify(e));
    assert.ok(['unavailable', 'internal'].includes(e.code), `only retryable errors during shutdown: ${JSON.stringify(e)}`);
  }
  t.diagnostic(`acked ${acked.length}, refused ${other.length}, unanswered ${got.length - acked.length - other.length}`);

  // Everything acknowledged is stored; resending the rest stores each exactly once.
  await server.restart();
  const stored = await fullHistory(server, bob.token, ab.id);
  assertGapFree(stored);
  const byClientId = new Map(stored.map((m) => [m.client_id, m]));
  t.diagnostic(`stored ${stored.length}, of which committed without an ack reaching the client: ${stored.length - acked.length}`);
  // README: a graceful shutdown commits what is queued and delivers the acknowledgements first.
  assert.equal(stored.length, acked.length, 'every message committed during the shutdown had its ack delivered before the close');
  for (const m of acked) assert.deepEqual(byClientId.get(m.client_id), m, `acknowledged ${m.client_id} is stored as acknowledged`);
  const again = await connect(t, server, alice.token);
  for (let b = 0; b < sentCount; b += 100) {
    const acks = await Promise.all(Array.from({ length: Math.min(100, sentCount - b) }, (_, k) => again.sendMessage(ab.id, `term-${b + k}`, `m${b + k}`)));
    acks.forEach((ack, k) => assert.equal(ack.duplicate, byClientId.has(`term-${b + k}`), `term-${b + k}: duplicate exactly when it was stored before`));
  }
  const final = await fullHistory(server, bob.token, ab.id);
  assertGapFree(final);
  assert.equal(final.length, sentCount);
  assert.equal(new Set(final.map((m) => m.client_id)).size, sentCount);
});
