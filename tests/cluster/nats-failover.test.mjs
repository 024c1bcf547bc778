// kill -9 one NATS server of a 3-server cluster during a send storm between two parleyd
// nodes: no acknowledged message may be lost to an online device that follows the
// protocol (docs/protocol.md, "Events lost between nodes": seq gaps and resync).
//
//   cd tests/node && PARLEY_TEST_STORE=postgresql://... node --test ../cluster/nats-failover.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { api, assertStatus, connect, openConversation, register, T } from '../node/lib/client.mjs';
import { sleep, startServer } from '../node/lib/server.mjs';
import { freshDatabase } from './db.mjs';
import { FollowingDevice } from './device.mjs';
import { metric } from './metrics.mjs';
import { startNats } from './nats.mjs';

const PAIRS = 4;
const PER_SENDER = 150;
const IN_FLIGHT = 8;

async function waitFor(what, cond, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('a NATS server killed during a storm loses no message for online devices', async (t) => {
  const nats = await startNats(t, { nodes: 3 });
  const uri = freshDatabase(`parley_natsfail_${process.pid}`);
  const args = ['--store', uri, '--store-connections', '2', '--bus', nats.busArg];
  const [a, b] = await Promise.all([startServer(t, { args }), startServer(t, { args })]);

  const senders = [];
  const receivers = [];
  for (let i = 0; i < PAIRS; i += 1) {
    const s = await register(a, `sender${i}`);
    const r = await register(b, `receiver${i}`);
    const { conversation } = await openConversation(a, s.token, `receiver${i}`);
    const ws = await connect(t, a, s.token);
    const rws = await connect(t, b, r.token);
    const device = new FollowingDevice(`receiver${i}`, rws, b, r.token);
    device.follow(conversation.id);
    senders.push({ user: s, ws, conv: conversation.id, acked: [] });
    receivers.push(device);
  }
  const group = await api(a, 'POST', '/api/v1/groups', {
    token: senders[0].user.token,
    body: { name: 'storm', member_usernames: [...senders.slice(1).map((_, i) => `sender${i + 1}`), ...receivers.map((d) => d.name)] },
  });
  assertStatus(group, 201, 'group');
  const groupId = group.body.conversation.id;
  for (const d of receivers) d.follow(groupId);
  const groupAcked = [];

  // Wait until both nodes' interest has reached every NATS server: a first message arrives.
  for (let i = 0; i < PAIRS; i += 1) {
    const ack = await senders[i].ws.sendMessage(senders[i].conv, `warm${i}`, 'warm up');
    senders[i].acked.push(ack.message.seq);
    await receivers[i].client.event('message', (f) => f.message.seq === ack.message.seq &&
      f.message.conversation_id === senders[i].conv, T(15000));
  }

  // The server to kill: one that holds a parleyd connection.
  let victim = null;
  for (const n of nats.nodes) if (!victim && (await n.clientConnections()) > 0) victim = n;
  assert.ok(victim, 'some NATS server holds a parleyd connection');

  let sent = 0;
  let killedAt = null;
  const total = PAIRS * PER_SENDER;
  const storm = senders.map(async (s, i) => {
    let next = 0;
    const lane = async () => {
      while (next < PER_SENDER) {
        const k = next++;
        const toGroup = k % 5 === 0;
        const ack = await s.ws.sendMessage(toGroup ? groupId : s.conv, `m${i}-${k}`, `storm ${i} ${k}`, T(30000));
        (toGroup ? groupAcked : s.acked).push(ack.message.seq);
        sent += 1;
        if (killedAt === null && sent >= total / 3) {
          killedAt = sent;
          victim.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  });
  await Promise.all(storm);
  assert.ok(killedAt !== null, 'the NATS server was killed during the storm');
  const stormEnded = Date.now();

  // Every acknowledged message reaches its online receiver, each seq once.
  const missing = () => receivers.map((d, i) => {
    const direct = senders[i].acked.filter((q) => !d.held(senders[i].conv).has(q)).length;
    const grp = groupAcked.filter((q) => !d.held(groupId).has(q)).length;
    return direct + grp;
  }).reduce((x, y) => x + y, 0);
  await waitFor(`every acknowledged message at its receiver (missing ${missing()})`, () => missing() === 0, T(60000));
  const recoveredMs = Date.now() - stormEnded;

  const figures = {
    acked_direct: senders.reduce((n, s) => n + s.acked.length, 0),
    acked_group: groupAcked.length,
    killed_after_acks: killedAt,
    lost: missing(),
    resync_frames_seen: receivers.reduce((n, d) => n + d.resyncs, 0),
    gap_fetches: receivers.reduce((n, d) => n + d.gapFetches, 0),
    repeated_events: receivers.reduce((n, d) => n + d.eventCopies, 0),
    ms_after_storm_until_complete: recoveredMs,
    a_reconnects: await metric(a, 'parley_bus_reconnects_total'),
    b_reconnects: await metric(b, 'parley_bus_reconnects_total'),
    a_publish_errors: await metric(a, 'parley_bus_publish_errors_total'),
  };
  console.log(`# nats failover figures ${JSON.stringify(figures)}`);
  assert.equal(figures.lost, 0);
  assert.ok(figures.a_reconnects + figures.b_reconnects >= 1, 'a parleyd node reconnected to another NATS server');
  // Seqs are exactly the acknowledged ones: nothing extra, nothing twice (sets by construction).
  for (let i = 0; i < PAIRS; i += 1) {
    assert.deepEqual([...receivers[i].held(senders[i].conv)].sort((x, y) => x - y),
      [...senders[i].acked].sort((x, y) => x - y), `receiver${i}: the direct conversation holds exactly what was acked`);
  }
});
