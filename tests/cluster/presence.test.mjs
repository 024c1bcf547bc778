// Presence across parleyd nodes (bus/cluster_presence.h): online / offline / last seen are
// right when a user's devices and their watchers sit on different nodes, and when a node
// dies (kill -9) its users go offline within the documented bound.
//
//   cd tests/node && PARLEY_TEST_STORE=postgresql://... node --test ../cluster/presence.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connect, openConversation, register, T } from '../node/lib/client.mjs';
import { startServer } from '../node/lib/server.mjs';
import { freshDatabase } from './db.mjs';
import { metric } from './metrics.mjs';
import { startNats } from './nats.mjs';

const GRACE_MS = 300;
// docs/architecture.md: a dead node's users go offline within 5 s + 1 s (+ the tracker's
// check interval on the observing node).
const DEAD_NODE_BOUND_MS = 5000 + 1000 + 1000;

// Waits until `server` knows `count` (user, node) pairs online on the other nodes.
async function knowsRemote(server, count, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const known = await metric(server, 'parley_cluster_presence_remote');
    if (known === count) return;
    assert.ok(Date.now() < deadline, `the node knows ${known} remote users online, not ${count}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function subscribe(client, ids) {
  const ans = await client.call({ type: 'presence_subscribe', user_ids: ids }, 'presence_subscribed');
  return new Map(ans.users.map((u) => [u.user_id, u]));
}

test('presence is the cluster-wide state, and a dead node takes its users offline in bounded time', async (t) => {
  const nats = await startNats(t, { nodes: 3 });
  const uri = freshDatabase(`parley_presence_${process.pid}`);
  const bus = nats.busArg;
  const args = ['--store', uri, '--store-connections', '2', '--bus', bus, '--presence-offline-grace-ms', String(GRACE_MS)];
  const [a, b, c] = await Promise.all([startServer(t, { args }), startServer(t, { args }), startServer(t, { args })]);
  const alice = await register(a, 'alice');
  const bob = await register(b, 'bob');
  await openConversation(a, alice.token, 'bob');
  const figures = {};

  const watcher = await connect(t, a, alice.token);
  let states = await subscribe(watcher, [bob.user.id]);
  assert.equal(states.get(bob.user.id).online, false);

  // Bob comes online on B: Alice, watching from A, hears it.
  const bobB = await connect(t, b, bob.token);
  await watcher.event('presence', (f) => f.user_id === bob.user.id && f.online === true, T(10000));
  // A fresh subscription on A answers from the cluster's view too.
  states = await subscribe(watcher, [bob.user.id]);
  assert.equal(states.get(bob.user.id).online, true, 'presence_subscribe on A sees bob online on B');

  // A second device on C, then the one on B leaves: still online (no offline event). The
  // device on B leaves once A has heard of the one on C (announcements from two nodes may
  // arrive in any order; on a busy machine C's can take longer than B's grace period).
  const bobC = await connect(t, c, bob.token);
  await knowsRemote(a, 2, T(10000));
  bobB.close();
  await bobB.waitClose(T(5000));
  // The grace period on B passes, B announces its own transition; the cluster state stays online.
  await new Promise((r) => setTimeout(r, GRACE_MS * 4));
  assert.equal(watcher.received((f) => f.type === 'presence' && f.user_id === bob.user.id && f.online === false).length, 0,
    'no offline while a device is online on another node');
  states = await subscribe(watcher, [bob.user.id]);
  assert.equal(states.get(bob.user.id).online, true);

  // The last device leaves C: offline with a last seen.
  const leftAt = Date.now();
  bobC.close();
  const off = await watcher.event('presence', (f) => f.user_id === bob.user.id && f.online === false, T(10000));
  assert.equal(typeof off.last_seen, 'number');
  assert.ok(off.last_seen >= leftAt - 1000, 'last seen is when the last device left');
  figures.offline_event_after_ms = Date.now() - leftAt;

  // Bob online on B again, then B dies: he goes offline for Alice within the bound.
  const bob2 = await connect(t, b, bob.token);
  await watcher.event('presence', (f) => f.user_id === bob.user.id && f.online === true, T(10000));
  const killedAt = Date.now();
  await b.kill('SIGKILL');
  const dead = await watcher.event('presence', (f) => f.user_id === bob.user.id && f.online === false,
    T(DEAD_NODE_BOUND_MS + 5000));
  figures.dead_node_offline_after_ms = Date.now() - killedAt;
  assert.ok(figures.dead_node_offline_after_ms <= DEAD_NODE_BOUND_MS + 2000,
    `offline ${figures.dead_node_offline_after_ms} ms after the kill`);
  assert.equal(typeof dead.last_seen, 'number');
  bob2.terminate();
  states = await subscribe(watcher, [bob.user.id]);
  assert.equal(states.get(bob.user.id).online, false);

  // A node started later learns who is online elsewhere (its hello is answered).
  const bobA = await connect(t, a, bob.token);
  const d = await startServer(t, { args });
  const aliceD = await connect(t, d, alice.token);
  const deadline = Date.now() + T(10000);
  let seen = false;
  while (!seen && Date.now() < deadline) {
    seen = (await subscribe(aliceD, [bob.user.id])).get(bob.user.id).online;
    if (!seen) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(seen, 'a new node sees bob online on A');
  bobA.close();
  console.log(`# presence figures ${JSON.stringify(figures)}`);
});

test('a block made on one node ends the presence watches on the others', async (t) => {
  const nats = await startNats(t);
  const uri = freshDatabase(`parley_presence_block_${process.pid}`);
  const args = ['--store', uri, '--store-connections', '2', '--bus', nats.busArg, '--presence-offline-grace-ms', String(GRACE_MS)];
  const [a, b] = await Promise.all([startServer(t, { args }), startServer(t, { args })]);
  const alice = await register(a, 'alice');
  const carol = await register(a, 'carol');
  const bob = await register(b, 'bob');
  await openConversation(a, alice.token, 'bob');
  await openConversation(a, carol.token, 'bob');
  const aliceA = await connect(t, a, alice.token);
  const carolA = await connect(t, a, carol.token);  // the control: same watch, no block
  await subscribe(aliceA, [bob.user.id]);
  await subscribe(carolA, [bob.user.id]);
  const bob1 = await connect(t, b, bob.token);
  await aliceA.event('presence', (f) => f.user_id === bob.user.id && f.online === true, T(10000));
  await carolA.event('presence', (f) => f.user_id === bob.user.id && f.online === true, T(10000));

  // Bob blocks Alice through B; then goes offline. Carol (on A) hears it, Alice (on A) not.
  const res = await fetch(`${b.url}/api/v1/blocks/${alice.user.id}`, {
    method: 'PUT', headers: { authorization: `Bearer ${bob.token}` },
  });
  assert.equal(res.status, 200);
  // The block and the presence change travel on the same connection from B, in order.
  bob1.close();
  await carolA.event('presence', (f) => f.user_id === bob.user.id && f.online === false, T(10000));
  assert.equal(aliceA.received((f) => f.type === 'presence' && f.user_id === bob.user.id && f.online === false).length, 0,
    'the watch of the blocked user ended on the other node');
});
