// A client that stops reading is cut off once its queue passes the limit (1,024 frames or
// 8 MiB), without slowing anyone else down; afterwards it catches up with history.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sleep } from './lib/server.mjs';
import { cid, connect, fullHistory, openConversation, register, T, within } from './lib/client.mjs';

/**
 * alice floods bob (whose socket is paused) with `count` messages of `size` bytes, with up to
 * `window` sends in flight; every `every`-th message goes to carol instead, who reads normally.
 * Returns what the test needs to judge.
 */
async function flood(t, { count, size, window = 64, every = 25 }) {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const carol = await register(server, 'carol');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const ac = (await openConversation(server, alice.token, 'carol')).conversation;

  const wa = await connect(t, server, alice.token);
  const wc = await connect(t, server, carol.token);
  const wb = await connect(t, server, bob.token);
  // Bob's device stops reading: nothing more is taken from the TCP socket.
  wb.ws._socket.pause();

  // Carol timestamps every message as it arrives.
  const carolArrivals = new Map(); // seq -> local time
  wc.ws.on('message', (data) => {
    try {
      const f = JSON.parse(data.toString());
      if (f.type === 'message') carolArrivals.set(f.message.seq, Date.now());
    } catch { /* not ours */ }
  });
  const carolAcks = new Map(); // seq -> {ackAt, ts}

  const body = 'x'.repeat(size);
  let next = 0;
  let toBob = 0;
  const errors = [];
  const started = Date.now();
  async function lane() {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const forCarol = i % every === every - 1;
      const convId = forCarol ? ac.id : ab.id;
      const ans = await wa.request({ type: 'send', conversation_id: convId, client_id: cid('f'), text: forCarol ? `carol ${i}` : body }, T(60000));
      if (ans.type !== 'ack') { errors.push(ans); continue; }
      if (forCarol) carolAcks.set(ans.message.seq, { ackAt: Date.now(), ts: ans.message.ts });
      else toBob += 1;
    }
  }
  // Carol also pings while the flood runs: her round trips must stay short.
  const pings = [];
  let flooding = true;
  const pinger = (async () => {
    while (flooding) {
      const t0 = Date.now();
      const pong = await wc.request({ type: 'ping' }, T(10000));
      assert.equal(pong.type, 'pong');
      pings.push(Date.now() - t0);
      await sleep(50);
    }
  })();
  await Promise.all(Array.from({ length: window }, lane));
  flooding = false;
  await pinger;
  const floodMs = Date.now() - started;
  assert.deepEqual(errors, [], 'every flood message was acknowledged');

  // Carol received all of hers, each soon after it was acknowledged.
  await within((async () => {
    while (carolArrivals.size < carolAcks.size) await sleep(20);
  })(), T(5000));
  assert.equal(carolArrivals.size, carolAcks.size, 'carol received every message meant for her');
  const fanout = [...carolAcks].map(([seq, a]) => carolArrivals.get(seq) - a.ackAt);
  const endToEnd = [...carolAcks].map(([seq, a]) => carolArrivals.get(seq) - a.ts);

  // Bob's device starts reading again: it gets what was buffered, then finds the connection cut.
  const ackedForBob = toBob;
  wb.ws._socket.resume();
  const closed = await wb.waitClose(T(20000));
  const bobGot = wb.received((f) => f.type === 'message').map((f) => f.message);

  return { server, alice, bob, carol, ab, ac, wa, wc, closed, bobGot, ackedForBob, fanout, endToEnd, pings, floodMs };
}

function max(xs) {
  return xs.reduce((a, b) => Math.max(a, b), 0);
}

async function judge(t, r, label) {
  t.diagnostic(`${label}: flood took ${r.floodMs} ms; bob got ${r.bobGot.length} of ${r.ackedForBob} before the cut (close ${r.closed.code}); ` +
    `carol fan-out max ${max(r.fanout)} ms, end-to-end max ${max(r.endToEnd)} ms, ping max ${max(r.pings)} ms`);
  // Cut without a close frame (the data ahead of it is never read): ws reports 1006.
  assert.equal(r.closed.code, 1006, `the slow connection is cut at the TCP level: ${JSON.stringify(r.closed)}`);
  assert.ok(r.bobGot.length < r.ackedForBob, `the slow client must be cut before everything reached it (${r.bobGot.length} of ${r.ackedForBob})`);
  // What did arrive arrived in order.
  r.bobGot.forEach((m, i) => assert.equal(m.seq, i + 1, 'bob\'s messages arrive in seq order'));

  // The others were not held up by the slow client (held up would mean: until the cut, seconds
  // later, or never; the bound leaves room for a loaded test machine).
  assert.ok(max(r.fanout) < T(2000), `carol waited up to ${max(r.fanout)} ms after the ack for a message`);
  assert.ok(max(r.pings) < T(2000), `carol's ping took up to ${max(r.pings)} ms`);
  assert.ok(r.wa.isOpen && r.wc.isOpen, 'the sender and the normal reader stay connected');

  // Bob reconnects and catches up with history: everything, exactly once.
  const wb = await connect(t, r.server, r.bob.token);
  const all = await fullHistory(r.server, r.bob.token, r.ab.id);
  assert.equal(all.length, r.ackedForBob);
  all.forEach((m, i) => assert.equal(m.seq, i + 1));
  // And receives live messages again.
  const again = await r.wa.sendMessage(r.ab.id, cid('f'), 'are you back?');
  assert.deepEqual((await wb.event('message')).message, again.message);
}

test('a client that stops reading is cut at 8 MiB queued while others receive promptly', async (t) => {
  // 16,000-byte messages: 8 MiB is about 520 frames, well below the 1,024-frame limit.
  // 1,600 messages (about 25 MiB) exceed the queue plus what the kernel buffers.
  const r = await flood(t, { count: 1600, size: 16000 });
  await judge(t, r, 'large frames');
});

test('a client that stops reading is cut at 1,024 queued frames while others receive promptly', async (t) => {
  // 600-byte messages: 1,024 frames are under 1 MiB, so the frame limit is the one that applies.
  const r = await flood(t, { count: 12000, size: 600, window: 128, every: 100 });
  await judge(t, r, 'small frames');
});
