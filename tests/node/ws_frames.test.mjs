// WebSocket framing from a hostile or unusual client, written byte by byte onto the TCP
// connection: pipelined messages, fragments, control frames between and after messages,
// headers split across writes, extended lengths. Between messages the server waits on the
// bare socket and starts its WebSocket reader only when bytes arrive (net/ws_session.h,
// net/frame_tracked_socket.h); every message below must be answered however its bytes are
// cut, and none may stay unread until the client sends something else.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { connect, register, sleep } from './lib/client.mjs';

/** One masked client frame (RFC 6455, section 5.2). */
function frame(opcode, payload, { fin = true } = {}) {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const len = body.length;
  const head = len < 126 ? Buffer.from([0, 0x80 | len])
    : len < 65536 ? Buffer.from([0, 0x80 | 126, len >> 8, len & 0xff])
      : Buffer.concat([Buffer.from([0, 0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(len)); return b; })()]);
  head[0] = (fin ? 0x80 : 0) | opcode;
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const masked = Buffer.from(body.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([head, mask, masked]);
}
const text = (obj, opts) => frame(0x1, JSON.stringify(obj), opts);
const ping = (id) => text({ type: 'ping', id });

async function session(t) {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const ws = await connect(t, server, alice.token);
  return { ws, raw: ws.ws._socket };
}

const pong = (ws, id) => ws.next((f) => f.type === 'pong' && f.id === id, undefined, `pong ${id}`);

test('messages pipelined in one write are all answered, in order', async (t) => {
  const { ws, raw } = await session(t);
  raw.write(Buffer.concat([ping('p1'), ping('p2'), ping('p3')]));
  for (const id of ['p1', 'p2', 'p3']) await pong(ws, id);
  // And again once the connection has been idle between messages.
  await sleep(50);
  raw.write(Buffer.concat([ping('p4'), ping('p5')]));
  await pong(ws, 'p4');
  await pong(ws, 'p5');
});

test('a message cut into single bytes, and a header cut across writes, is answered', async (t) => {
  const { ws, raw } = await session(t);
  const bytes = ping('bytewise');
  for (const b of bytes) {
    raw.write(Buffer.from([b]));
    await sleep(1);
  }
  await pong(ws, 'bytewise');
  // A 16-bit extended length (a padded 300-byte message) whose header ends mid-way in one
  // write and whose next message starts in the same write as its last bytes.
  const long = text({ type: 'ping', id: 'long', pad: 'x'.repeat(260) });
  const next = ping('after-long');
  raw.write(long.subarray(0, 3));
  await sleep(5);
  raw.write(Buffer.concat([long.subarray(3), next.subarray(0, 4)]));
  await sleep(5);
  raw.write(next.subarray(4));
  await pong(ws, 'long');
  await pong(ws, 'after-long');
});

test('fragments with a control frame between them, and a control frame right after a message', async (t) => {
  const { ws, raw } = await session(t);
  const whole = Buffer.from(JSON.stringify({ type: 'ping', id: 'fragmented' }));
  const cut = 7;
  // The server's WebSocket pongs echo the pings' payloads (seen on the raw bytes).
  let incoming = Buffer.alloc(0);
  raw.on('data', (d) => { incoming = Buffer.concat([incoming, d]); });
  raw.write(Buffer.concat([
    frame(0x1, whole.subarray(0, cut), { fin: false }),
    frame(0x9, 'wsping-1'), // a WebSocket ping between the fragments
    frame(0x0, whole.subarray(cut)),
    ping('then'),
    frame(0x9, 'wsping-2'), // a ping after the last message of the write
  ]));
  await pong(ws, 'fragmented');
  await pong(ws, 'then');
  // Nothing more is sent by the client: a message written later, after an idle spell, is
  // still answered (the reader was not left waiting on bytes already handed over).
  await sleep(50);
  raw.write(ping('later'));
  await pong(ws, 'later');
  for (const p of ['wsping-1', 'wsping-2']) assert.ok(incoming.includes(Buffer.from(p)), `a pong for ${p}`);
  assert.ok(ws.ws.readyState === 1, 'the connection stays open');
});

test('a 64-bit extended length over the frame limit is read to its end, then closed with 1009', async (t) => {
  const server = await startServer(t);
  const alice = await register(server, 'alice');
  const ws = await connect(t, server, alice.token);
  // 100 KiB (the 64-bit length form), cut into two writes with an idle spell between.
  const big = frame(0x1, Buffer.alloc(100 << 10, 0x61));
  assert.equal(big[1], 0x80 | 127);
  ws.ws._socket.write(big.subarray(0, 5000));
  await sleep(50);
  ws.ws._socket.write(big.subarray(5000));
  const closed = await ws.waitClose().catch(() => ({}));
  assert.equal(closed.code, 1009, `closed with ${JSON.stringify(closed)}`);
  const again = await connect(t, server, alice.token);
  again.send({ type: 'ping', id: 'still' });
  await pong(again, 'still');
});
