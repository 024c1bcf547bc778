// Paused readers cannot grow the server's memory without bound: requests on a connection
// holding too much unread data are refused (rate_limited), and the bytes queued for all
// clients together stay within --ws-queued-bytes-budget, the biggest holders being cut.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sleep } from './lib/server.mjs';
import { api, cid, connect, openConversation, register, T } from './lib/client.mjs';

const PAGE_TEXT = 'x'.repeat(16000);

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
  await Promise.all(Array.from({ length: 200 }, () => wa.sendMessage(conv.id, cid('p'), PAGE_TEXT, T(30000))));
  wa.close();
  return { alice, bob, conv };
}

/**
 * Pauses `reader` and asks for big pages until the server holds more than `threshold` bytes
 * queued (the kernel's socket buffers take the first bytes). Returns the answers' promises.
 */
async function fillQueue(server, reader, conv, threshold) {
  reader.ws._socket.pause();
  const answers = [];
  for (;;) {
    const { queued } = await queuedBytes(server);
    if (queued > threshold) return answers;
    assert.ok(answers.length < 20, `the queue never grew past ${threshold} (${queued} bytes queued)`);
    answers.push(reader.request({ type: 'history', conversation_id: conv.id, limit: 200 }, T(60000)));
    for (let i = 0; i < 20 && (await queuedBytes(server)).queued <= threshold; ++i) await sleep(100);
  }
}

/** Waits until the server holds at most `threshold` queued bytes. */
async function drained(server, threshold) {
  for (const until = Date.now() + T(20000); ; await sleep(50)) {
    if ((await queuedBytes(server)).queued <= threshold) return;
    assert.ok(Date.now() < until, 'the queue did not drain');
  }
}

/** Waits until the server has answered `n` requests with rate_limited in all. */
async function rateLimitedErrors(server, n) {
  for (const until = Date.now() + T(20000); ; await sleep(50)) {
    const { text } = await queuedBytes(server);
    if (counter(text, 'parley_errors_total\\{code="rate_limited"\\}') >= n) return;
    assert.ok(Date.now() < until, 'the request was not refused');
  }
}

test('a request on a connection holding too much unread data is refused with rate_limited', async (t) => {
  const server = await startServer(t, { args: ['--ws-busy-queued-bytes', '1000000'] });
  const { alice, conv } = await bigConversation(t, server);
  const reader = await connect(t, server, alice.token);
  const answers = await fillQueue(server, reader, conv, 1000000);
  const refused = reader.request({ type: 'history', conversation_id: conv.id, limit: 200 }, T(60000));
  // Once the server has refused it (its error counter says so), read everything.
  await rateLimitedErrors(server, 1);
  reader.ws._socket.resume();
  const last = await refused;
  assert.equal(last.type, 'error', JSON.stringify(last).slice(0, 300));
  assert.equal(last.code, 'rate_limited');
  assert.ok(last.retry_after_ms > 0);
  for (const a of await Promise.all(answers)) assert.equal(a.type, 'history');
  // Once read, requests are served again.
  await drained(server, 1000000);
  assert.equal((await reader.request({ type: 'history', conversation_id: conv.id, limit: 5 })).type, 'history');
});

test('an account holding too much unread data over all its connections gets rate_limited on each', async (t) => {
  const server = await startServer(t, {
    args: ['--ws-busy-queued-bytes', '0', '--ws-busy-queued-bytes-per-user', '1000000'],
  });
  const { alice, bob, conv } = await bigConversation(t, server);
  const paused = await connect(t, server, alice.token);
  const other = await connect(t, server, alice.token);
  const wb = await connect(t, server, bob.token);
  const answers = await fillQueue(server, paused, conv, 1000000);
  // alice's other connection reads, but her account holds too much: refused.
  const refused = await other.request({ type: 'history', conversation_id: conv.id, limit: 5 });
  assert.equal(refused.type, 'error', JSON.stringify(refused).slice(0, 300));
  assert.equal(refused.code, 'rate_limited');
  // bob is not affected.
  assert.equal((await wb.request({ type: 'history', conversation_id: conv.id, limit: 5 })).type, 'history');
  paused.ws._socket.resume();
  for (const a of await Promise.all(answers)) assert.equal(a.type, 'history');
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
