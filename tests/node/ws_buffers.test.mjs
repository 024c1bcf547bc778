// An idle WebSocket holds no read buffer and no write queue: the server reads the start of
// each message into a small buffer, the rest in large chunks, and frees both once a message
// is handled or the queue drains. These tests hold it to delivering every byte in order
// whatever the sizes and the pace: small and large messages alternating, a message in many
// fragments, hundreds of frames in one burst, and a queue that drains and fills again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { api, cid, connect, fullHistory, openConversation, register, T } from './lib/client.mjs';

const KiB = 1024;
// Every rate limit lifted, so that bursts test the connection, not the buckets.
const UNLIMITED = ['--rate-send-per-sec', '0', '--rate-other-per-sec', '0'];

// A ping padded (with an ignored field) to exactly `bytes` bytes of JSON.
/** A server without send limits, alice and bob in one conversation, each connected once. */
async function aliceAndBob(t) {
  const server = await startServer(t, { args: UNLIMITED });
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const conv = (await openConversation(server, alice.token, 'bob')).conversation;
  const wa = await connect(t, server, alice.token);
  const wb = await connect(t, server, bob.token);
  return { server, alice, bob, conv, wa, wb };
}

function paddedPing(id, bytes) {
  const base = JSON.stringify({ type: 'ping', id, pad: '' });
  const frame = JSON.stringify({ type: 'ping', id, pad: 'p'.repeat(bytes - base.length) });
  assert.equal(Buffer.byteLength(frame), bytes);
  return frame;
}

// A text of `bytes` bytes whose content shows where a byte came from (so a shifted or lost
// chunk changes it).
function patternedText(bytes, seed) {
  let s = '';
  for (let i = 0; s.length < bytes; i++) s += `${seed}:${i};`;
  return s.slice(0, bytes);
}

test('small and large messages alternate on one connection and all are answered in order', async (t) => {
  const server = await startServer(t, { args: UNLIMITED });
  const alice = await register(server, 'alice');
  const ws = await connect(t, server, alice.token);
  // Around the first read's size (256 bytes), a Beast frame buffer (1,536) and the 64 KiB cap.
  const sizes = [40, 255, 256, 257, 1000, 1535, 1536, 1537, 4096, 64 * KiB, 60, 64 * KiB - 1, 300, 20000, 50];
  for (const [i, size] of sizes.entries()) {
    ws.send(paddedPing(`p${i}`, size));
    const pong = await ws.next((f) => f.id === `p${i}`, T(5000), `the answer to a ${size}-byte ping`);
    assert.equal(pong.type, 'pong', `${size} bytes`);
  }
  // Sent back to back without waiting: the answers come in the order of the requests.
  for (const [i, size] of sizes.entries()) ws.send(paddedPing(`q${i}`, size));
  for (const [i] of sizes.entries()) await ws.next((f) => f.id === `q${i}`, T(5000), `the answer to q${i}`);
  const order = ws.received((f) => typeof f.id === 'string' && f.id.startsWith('q')).map((f) => f.id);
  assert.deepEqual(order, sizes.map((_, i) => `q${i}`));
  // A frame over the limit still closes with 1009 after all that.
  ws.send(paddedPing('over', 64 * KiB + 1));
  assert.equal((await ws.waitClose()).code, 1009);
});

test('messages of every length up to the text limit arrive intact, live and in history', async (t) => {
  const { server, bob, conv, wa, wb } = await aliceAndBob(t);
  const lengths = [1, 200, 255, 256, 257, 1024, 5000, 16384, 3, 16000, 256];
  const sent = [];
  for (const [i, n] of lengths.entries()) {
    const text = patternedText(n, i);
    const ack = await wa.sendMessage(conv.id, cid('len'), text);
    sent.push({ seq: ack.message.seq, text });
  }
  for (const s of sent) {
    const ev = await wb.event('message', (f) => f.message.seq === s.seq, T(5000));
    assert.equal(ev.message.text, s.text, `live message of ${s.text.length} bytes`);
  }
  const stored = await fullHistory(server, bob.token, conv.id);
  assert.deepEqual(stored.map((m) => m.text), sent.map((s) => s.text));
});

test('a message split into many small fragments is reassembled; one over the limit in fragments closes with 1009', async (t) => {
  const { server, bob, conv, wa, wb } = await aliceAndBob(t);

  const text = patternedText(12000, 'frag');
  const whole = Buffer.from(JSON.stringify({ type: 'send', id: 'fragmented', conversation_id: conv.id, client_id: cid('f'), text }));
  // 7-byte fragments first (many reads that each end inside the first buffer), then larger ones.
  let at = 0;
  for (const step of [...Array(100).fill(7), ...Array(20).fill(300)]) {
    wa.ws.send(whole.subarray(at, at + step), { fin: false, binary: false });
    at += step;
  }
  wa.ws.send(whole.subarray(at), { fin: true, binary: false });
  const ack = await wa.next((f) => f.id === 'fragmented', T(5000), 'the ack of the fragmented send');
  assert.equal(ack.type, 'ack', JSON.stringify(ack));
  const ev = await wb.event('message', (f) => f.message.seq === ack.message.seq, T(5000));
  assert.equal(ev.message.text, text);

  // The limit counts the whole message, not one fragment.
  const big = Buffer.from(paddedPing('big', 64 * KiB + 100));
  for (let i = 0; i < big.length; i += 1000) wa.ws.send(big.subarray(i, Math.min(i + 1000, big.length)), { fin: i + 1000 >= big.length, binary: false });
  assert.equal((await wa.waitClose()).code, 1009);
  assert.equal(wa.received((f) => f.id === 'big').length, 0, 'the oversized message is not answered');
});

test('600 requests in one burst are each answered once, in order', async (t) => {
  const server = await startServer(t, { args: UNLIMITED });
  const alice = await register(server, 'alice');
  const ws = await connect(t, server, alice.token);
  // One buffer, so that many frames arrive in one TCP read.
  const burst = [];
  for (let i = 0; i < 600; i++) burst.push(JSON.stringify({ type: 'ping', id: `b${i}` }));
  ws.ws._socket.cork();
  for (const f of burst) ws.send(f);
  ws.ws._socket.uncork();
  await ws.next((f) => f.id === 'b599', T(20000), 'the last answer');
  const answers = ws.received((f) => typeof f.id === 'string' && f.id.startsWith('b'));
  assert.equal(answers.length, 600);
  assert.deepEqual(answers.map((f) => f.id), burst.map((_, i) => `b${i}`));
  assert.ok(answers.every((f) => f.type === 'pong'));
});

// The server sends a burst of small frames to one connection in as few system calls as it can
// (docs/architecture.md, "Write coalescing"): what it writes while more frames wait is held
// and sent with the next. Control frames written meanwhile must neither be lost nor reorder
// anything: the pong of a WebSocket ping, the reply to a close.
test('WebSocket pings in the middle of a burst are each answered, and the burst stays whole', async (t) => {
  const server = await startServer(t, { args: UNLIMITED });
  const alice = await register(server, 'alice');
  const ws = await connect(t, server, alice.token);
  const pongs = [];
  ws.ws.on('pong', (data) => pongs.push(data.toString()));
  ws.ws._socket.cork();
  for (let i = 0; i < 400; i++) {
    ws.send(JSON.stringify({ type: 'ping', id: `b${i}` }));
    if (i % 50 === 25) ws.ws.ping(`p${i}`);
  }
  ws.ws._socket.uncork();
  await ws.next((f) => f.id === 'b399', T(20000), 'the last answer');
  // A last ping after the burst: its pong arrives after the earlier ones.
  ws.ws.ping('last');
  const deadline = Date.now() + T(10000);
  while (!pongs.includes('last') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const expected = [];
  for (let i = 0; i < 400; i++) if (i % 50 === 25) expected.push(`p${i}`);
  assert.deepEqual(pongs, [...expected, 'last']);
  const answers = ws.received((f) => typeof f.id === 'string' && f.id.startsWith('b'));
  assert.deepEqual(answers.map((f) => f.id), Array.from({ length: 400 }, (_, i) => `b${i}`));
  // The connection still works after the burst.
  assert.equal((await ws.request({ type: 'ping' })).type, 'pong');
});

test('a client that closes in the middle of a burst gets the close handshake, not a cut connection', async (t) => {
  const server = await startServer(t, { args: UNLIMITED });
  const alice = await register(server, 'alice');
  for (let round = 0; round < 5; round++) {
    const ws = await connect(t, server, alice.token);
    ws.ws._socket.cork();
    for (let i = 0; i < 300; i++) ws.send(JSON.stringify({ type: 'ping', id: `c${i}` }));
    ws.ws._socket.uncork();
    // Close once the answers have started to come, while most are still to be written.
    await ws.next((f) => f.id === 'c0', T(10000), 'the first answer');
    ws.close(1000);
    const info = await ws.waitClose(T(10000));
    assert.equal(info.code, 1000, `round ${round}: closed with ${JSON.stringify(info)}`);
    // What arrived before the server's close frame is a prefix of the answers, in order.
    const ids = ws.received((f) => typeof f.id === 'string' && f.id.startsWith('c')).map((f) => f.id);
    assert.deepEqual(ids, Array.from({ length: ids.length }, (_, i) => `c${i}`));
  }
});

test('a write queue that drained fills again: events keep their order, and the queue cap still cuts a reader that stopped', async (t) => {
  const { server, bob, conv, wa, wb } = await aliceAndBob(t);

  // Rounds of 30 sends in flight at once (a few KiB of events, far under the cap), each round
  // read to its end before the next, so bob's queue empties and grows again.
  const seqs = [];
  for (let round = 0; round < 5; round++) {
    const acks = await Promise.all(
      Array.from({ length: 30 }, (_, i) => wa.sendMessage(conv.id, cid(`r${round}`), `round ${round} #${i}`, T(20000))),
    );
    seqs.push(...acks.map((a) => a.message.seq));
    const last = Math.max(...acks.map((a) => a.message.seq));
    await wb.event('message', (f) => f.message.seq === last, T(10000));
  }
  const live = wb.received((f) => f.type === 'message').map((f) => f.message.seq);
  assert.deepEqual(live, [...seqs].sort((a, b) => a - b), 'each event once, in seq order');
  assert.ok(wb.isOpen, 'a reader that keeps up is not cut');

  // Bob stops reading: once the socket buffers are full and 8 MiB wait, he is cut.
  wb.ws._socket.pause();
  const text = 'y'.repeat(16000);
  let cut = false;
  for (let batch = 0; batch < 400 && !cut; batch++) {
    await Promise.all(Array.from({ length: 16 }, () => wa.sendMessage(conv.id, cid('stall'), text, T(20000))));
    const m = /^parley_slow_client_disconnects_total (\d+)/m.exec((await api(server, 'GET', '/metrics')).text);
    cut = m !== null && Number(m[1]) >= 1;
  }
  assert.ok(cut, 'the stalled reader was cut as a slow client');
  wb.ws._socket.resume();
  const closed = await wb.waitClose(T(10000));
  assert.notEqual(closed.code, 1000, 'cut, not closed normally');
});
