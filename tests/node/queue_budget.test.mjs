// Paused readers cannot grow the server's memory without bound: requests on a connection
// holding too much unread data are refused (rate_limited), and the bytes queued for all
// clients together stay within --ws-queued-bytes-budget, the biggest holders being cut.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, sleep } from './lib/server.mjs';
import { api, cid, connect, openConversation, register, T } from './lib/client.mjs';

const PAGE_TEXT = 'x'.repeat(16000);
const PAGE_BYTES = 200 * PAGE_TEXT.length;  // a history answer of 200 messages holds more

/**
 * The most the kernel may take of a paused reader's data: the server's send buffer and the
 * reader's receive buffer, each grown to its largest.
 */
function kernelSlack() {
  const largest = (name) => Number(readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/)[2]);
  return largest('tcp_wmem') + largest('tcp_rmem');
}

async function queuedBytes(server) {
  const res = await api(server, 'GET', '/metrics');
  const m = /^parley_ws_queued_bytes (\d+)$/m.exec(res.text);
  assert.ok(m, 'the metrics show parley_ws_queued_bytes');
  return { queued: Number(m[1]), text: res.text };
}

function counter(text, name) {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** alice and bob with a conversation whose history pages are big (200 x 16 kB). */
async function bigConversation(t, server) {
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const conv = (await openConversation(server, alice.token, 'bob')).conversation;
  const wa = await connect(t, server, alice.token);
  // 16 sends in flight at most: each ack carries the 16 kB message, and the tests below run
  // the server with a per-account limit of 1 MB of unread data, which 200 acks queued at
  // once (the server committing faster than this client reads) could pass.
  for (let sent = 0; sent < 200; sent += 16) {
    const n = Math.min(16, 200 - sent);
    await Promise.all(Array.from({ length: n }, () => wa.sendMessage(conv.id, cid('p'), PAGE_TEXT, T(30000))));
  }
  wa.close();
  return { alice, bob, conv };
}

/** What the server has done so far, from its metrics. */
async function progress(server) {
  const { queued, text } = await queuedBytes(server);
  return {
    refused: counter(text, 'parley_errors_total\\{code="rate_limited"\\}'),
    // Every byte handed to WebSocket clients: written, or still queued.
    handed: counter(text, 'parley_bytes_out_total') + queued,
  };
}

/**
 * A paused reader asking for big pages. A frame leaves the server's queue once the kernel
 * has taken it, and the kernel's socket buffers can grow to hold a whole page or more, so
 * no single moment's queue size says whether the next request will be refused. The server's
 * own counters say what it did with each request instead: refused (its rate_limited count
 * grows) or answered (a page's bytes were handed over). Each answered page fills the
 * buffers further, and they are bounded, so the requests are refused soon.
 */
class PausedReader {
  constructor(server, conn, conv) {
    this.server = server;
    this.conn = conn;
    this.conv = conv;
    this.answered = [];  // the answers' promises, read after resume()
  }

  async pause() {
    this.conn.ws._socket.pause();
    this.start = await progress(this.server);
  }

  /**
   * Asks for a page of 200 and waits until the server has answered or refused it. Returns
   * { refusal } (the refusal's promise, read after resume()), or null when it was answered
   * (kept in `answered`).
   */
  async ask() {
    const before = await progress(this.server);
    const reply = this.conn.request({ type: 'history', conversation_id: this.conv.id, limit: 200 }, T(120000));
    // Answers hold at least PAGE_BYTES each; refusals and small answers elsewhere add
    // far less than one page in all.
    const answeredAt = this.start.handed + (this.answered.length + 1) * PAGE_BYTES;
    for (const until = Date.now() + T(20000); ; await sleep(20)) {
      const now = await progress(this.server);
      if (now.refused > before.refused) return { refusal: reply };
      if (now.handed >= answeredAt) {
        this.answered.push(reply);
        return null;
      }
      assert.ok(Date.now() < until, 'the server neither answered nor refused the request');
    }
  }

  /** Asks until a request is refused; returns { refusal } as ask() does. */
  async askUntilRefused(threshold) {
    for (;;) {
      const refused = await this.ask();
      if (refused) return refused;
      assert.ok(this.answered.length <= (threshold + kernelSlack()) / PAGE_BYTES + 2,
        `${this.answered.length} pages answered to a reader holding over ${threshold} bytes unread`);
    }
  }

  /** Reads everything; every answered request got its page. */
  async resume() {
    this.conn.ws._socket.resume();
    for (const a of await Promise.all(this.answered)) assert.equal(a.type, 'history');
  }
}

/** Waits until the server holds at most `threshold` queued bytes. */
async function drained(server, threshold) {
  for (const until = Date.now() + T(20000); ; await sleep(50)) {
    if ((await queuedBytes(server)).queued <= threshold) return;
    assert.ok(Date.now() < until, 'the queue did not drain');
  }
}

function assertRefusedForUnreadData(reply) {
  assert.equal(reply.type, 'error', JSON.stringify(reply).slice(0, 300));
  assert.equal(reply.code, 'rate_limited');
  assert.match(reply.message, /unread/);
  assert.ok(reply.retry_after_ms > 0);
}

test('a request on a connection holding too much unread data is refused with rate_limited', async (t) => {
  const server = await startServer(t, { args: ['--ws-busy-queued-bytes', '1000000'] });
  const { alice, conv } = await bigConversation(t, server);
  const reader = new PausedReader(server, await connect(t, server, alice.token), conv);
  await reader.pause();
  const { refusal } = await reader.askUntilRefused(1000000);
  // The first page found an empty queue; the refusal came once the connection held more
  // than the threshold, after at least one page.
  assert.ok(reader.answered.length >= 1);
  await reader.resume();
  assertRefusedForUnreadData(await refusal);
  // Once read, requests are served again.
  await drained(server, 1000000);
  assert.equal((await reader.conn.request({ type: 'history', conversation_id: conv.id, limit: 5 })).type, 'history');
});

test('an account holding too much unread data over all its connections gets rate_limited on each', async (t) => {
  const server = await startServer(t, {
    args: ['--ws-busy-queued-bytes', '0', '--ws-busy-queued-bytes-per-user', '1000000'],
  });
  const { alice, bob, conv } = await bigConversation(t, server);
  const paused = new PausedReader(server, await connect(t, server, alice.token), conv);
  const other = await connect(t, server, alice.token);
  const wb = await connect(t, server, bob.token);
  await paused.pause();
  // alice's other connection reads, but once her account holds too much it is refused.
  // Each round asks the paused connection for a page first (answered or refused itself),
  // then the other connection for one message.
  let refused;
  for (let round = 0; !refused; ++round) {
    assert.ok(round <= 2 * (1000000 + kernelSlack()) / PAGE_BYTES + 4, 'the account was never refused');
    await paused.ask();
    const reply = await other.request({ type: 'history', conversation_id: conv.id, limit: 1 });
    if (reply.type === 'error') refused = reply;
    else assert.equal(reply.type, 'history');
  }
  assertRefusedForUnreadData(refused);
  // bob is not affected.
  assert.equal((await wb.request({ type: 'history', conversation_id: conv.id, limit: 5 })).type, 'history');
  await paused.resume();
  await drained(server, 1000000);
  assert.equal((await other.request({ type: 'history', conversation_id: conv.id, limit: 5 })).type, 'history');
});

test('many paused readers stay within the server-wide budget; the biggest are cut and others chat on', async (t) => {
  const budget = 6_000_000;
  const server = await startServer(t, {
    args: ['--ws-queued-bytes-budget', String(budget), '--ws-queue-max-bytes', String(64 << 20),
      '--ws-busy-queued-bytes', '0'],
  });
  const { alice, conv } = await bigConversation(t, server);
  const carol = await register(server, 'carol');
  const dave = await register(server, 'dave');
  const cd = (await openConversation(server, carol.token, 'dave')).conversation;
  const wc = await connect(t, server, carol.token);
  const wd = await connect(t, server, dave.token);

  // Six paused connections of alice each ask for four big pages (about 13 MB each).
  const paused = [];
  for (let i = 0; i < 6; ++i) {
    const c = await connect(t, server, alice.token);
    c.ws._socket.pause();
    for (let k = 0; k < 4; ++k) c.send({ type: 'history', id: `h${k}`, conversation_id: conv.id, limit: 200 });
    paused.push(c);
  }
  // While the server answers them, the total never exceeds the budget, and some are cut.
  let samples = 0;
  let cut = 0;
  const deadline = Date.now() + T(30000);
  while (Date.now() < deadline) {
    const { queued, text } = await queuedBytes(server);
    samples += 1;
    assert.ok(queued <= budget, `queued ${queued} bytes, budget ${budget}`);
    cut = counter(text, 'parley_queue_budget_disconnects_total');
    if (cut >= 1 && samples >= 5) break;
    await sleep(20);
  }
  assert.ok(cut >= 1, 'a connection holding the most queued bytes was cut');

  // carol and dave still chat.
  const ack = await wc.sendMessage(cd.id, cid('c'), 'still here', T(10000));
  const ev = await wd.event('message', (f) => f.message.seq === ack.message.seq, T(10000));
  assert.equal(ev.message.text, 'still here');
  const { queued } = await queuedBytes(server);
  assert.ok(queued <= budget);
});
