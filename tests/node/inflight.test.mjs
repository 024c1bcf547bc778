// --ws-max-inflight bounds the requests one WebSocket connection may have unanswered. Beyond it
// a request is refused with rate_limited and retry_after_ms 100, and nothing else happens: the
// connection stays open and the same request goes through once answers came back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { binaryPath, startServer, sleep } from './lib/server.mjs';
import { assertWsError, cid, connect, fullHistory, openConversation, register, T } from './lib/client.mjs';

const LIMIT = 4;

test('--ws-max-inflight: only requests beyond the limit are refused, with retry_after_ms, and a retry works', async (t) => {
  const server = await startServer(t, { args: ['--ws-max-inflight', String(LIMIT)] });
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const wa = await connect(t, server, alice.token);
  for (let i = 0; i < 3; i++) await wa.sendMessage(ab.id, cid('a'), `m${i}`);

  // 60 receipts and history reads written at once. Whether more than LIMIT are ever unanswered
  // at the same time depends on the server's speed: any refusal must be rate_limited, and the
  // first LIMIT can never be refused.
  const wb = await connect(t, server, bob.token);
  const N = 60;
  const got = await Promise.all(Array.from({ length: N }, (_, i) =>
    (i % 2 === 0
      ? wb.request({ type: 'delivered', id: `q${i}`, conversation_id: ab.id, seq: 1 + (i % 3) }, T(20000))
      : wb.request({ type: 'history', id: `q${i}`, conversation_id: ab.id, limit: 50 }, T(20000)))));
  const limited = got.filter((a) => a.type === 'error');
  for (const e of limited) {
    assertWsError(e, 'rate_limited', `answer ${e.id}`);
    assert.equal(e.retry_after_ms, 100, `retry_after_ms in ${JSON.stringify(e)}`);
    assert.ok(Number(e.id.slice(1)) >= LIMIT, `request ${e.id} refused while fewer than ${LIMIT} were in flight`);
  }
  for (const a of got.filter((x) => x.type !== 'error')) assert.ok(a.type === 'ok' || a.type === 'history', JSON.stringify(a).slice(0, 200));
  t.diagnostic(`${N - limited.length} served, ${limited.length} rate_limited`);
  assert.ok(wb.isOpen, 'the connection stays open');

  // The refused receipts changed nothing; the highest one, sent again, moves the watermark.
  await sleep(100);
  const ok = await wb.request({ type: 'delivered', conversation_id: ab.id, seq: 3 }, T(10000));
  assert.equal(ok.type, 'ok');
  const receipt = await wa.event('receipt', (f) => f.user_id === bob.user.id && f.delivered_seq === 3, T(10000));
  assert.equal(receipt.read_seq, 0);
  assert.equal((await fullHistory(server, bob.token, ab.id)).length, 3);
});

test('--ws-max-inflight is checked per connection: another connection of the same account is not refused', async (t) => {
  const server = await startServer(t, { args: ['--ws-max-inflight', '1'] });
  const alice = await register(server, 'alice');
  await register(server, 'bob');
  const ab = (await openConversation(server, alice.token, 'bob')).conversation;
  const w1 = await connect(t, server, alice.token);
  const w2 = await connect(t, server, alice.token);
  // One request at a time on each connection is always served.
  for (let i = 0; i < 5; i++) {
    const [a, b] = await Promise.all([
      w1.request({ type: 'history', conversation_id: ab.id, limit: 10 }, T(10000)),
      w2.request({ type: 'history', conversation_id: ab.id, limit: 10 }, T(10000)),
    ]);
    assert.equal(a.type, 'history');
    assert.equal(b.type, 'history');
  }
});

test('--ws-max-inflight refuses 0, negatives and values that are not numbers at start-up', () => {
  for (const bad of ['0', 'many', '-3', '']) {
    const r = spawnSync(binaryPath(), ['--listen', '127.0.0.1:0', '--ws-max-inflight', bad], { encoding: 'utf8', timeout: T(20000) });
    assert.notEqual(r.status, 0, `--ws-max-inflight '${bad}' is refused`);
    assert.match(r.stderr, /ws-max-inflight/, `the error names the option: ${r.stderr}`);
  }
  const help = spawnSync(binaryPath(), ['--help'], { encoding: 'utf8', timeout: T(20000) });
  assert.match(help.stdout + help.stderr, /--ws-max-inflight/, '--help lists the option');
});
