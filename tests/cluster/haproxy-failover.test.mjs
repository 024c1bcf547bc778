// Three parleyd nodes behind haproxy (deploy/haproxy.cfg) on one database and NATS.
//  1. kill -9 one node during a send storm: clients reconnect with backoff through the
//     proxy to the survivors and resend what was not acknowledged; every acknowledged
//     message is delivered exactly once, and clients resume within 10 s.
//  2. a send retried through another node returns the original message.
//  3. the nodes count connections per real client address (haproxy's PROXY header), not
//     per proxy: one source address at its cap leaves another one unaffected.
//
//   cd tests/node && PARLEY_TEST_STORE=postgresql://... node --test ../cluster/haproxy-failover.test.mjs
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';

import { api, assertStatus, connect, fullHistory, openConversation, register, T } from '../node/lib/client.mjs';
import { sleep, startServer } from '../node/lib/server.mjs';
import { freshDatabase } from './db.mjs';
import { NODE_ARGS, startHaproxy } from './haproxy.mjs';
import { startNats } from './nats.mjs';
import { ResilientDevice } from './resilient.mjs';

const PAIRS = 6;
const PER_SENDER = 100;
const IN_FLIGHT = 4;

async function devicesOn(server) {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('parley_subscribed_devices '));
  return Number(line.split(' ')[1]);
}

async function cluster(t, name, extraArgs = []) {
  const nats = await startNats(t, { nodes: 3 });
  const uri = freshDatabase(`parley_${name}_${process.pid}`);
  const args = ['--store', uri, '--store-connections', '2', '--bus', nats.busArg, ...NODE_ARGS, ...extraArgs];
  const nodes = await Promise.all([0, 1, 2].map(() => startServer(t, { args })));
  const proxy = await startHaproxy(t, nodes);
  return { nodes, proxy };
}

test('kill -9 of a node during a storm through haproxy: every acknowledged message exactly once', async (t) => {
  const { nodes, proxy } = await cluster(t, 'hafail');
  const senders = [];
  const receivers = [];
  for (let i = 0; i < PAIRS; i += 1) {
    const s = await register(proxy, `sender${i}`);
    const r = await register(proxy, `receiver${i}`);
    const { conversation } = await openConversation(proxy, s.token, `receiver${i}`);
    const sd = new ResilientDevice(`sender${i}`, proxy, s.token);
    const rd = new ResilientDevice(`receiver${i}`, proxy, r.token);
    sd.follow(conversation.id);
    rd.follow(conversation.id);
    await sd.start();
    await rd.start();
    t.after(() => { sd.stop(); rd.stop(); });
    senders.push({ device: sd, token: s.token, conv: conversation.id, acked: new Map() });
    receivers.push(rd);
  }
  const victim = nodes[0];
  assert.ok(await devicesOn(victim) > 0, 'the node to kill holds devices (leastconn spreads them)');

  let acks = 0;
  let killedAt = null;
  const total = PAIRS * PER_SENDER;
  await Promise.all(senders.map(async (s, i) => {
    let next = 0;
    const lane = async () => {
      while (next < PER_SENDER) {
        const k = next++;
        const m = await s.device.send(s.conv, `m${i}-${k}`, `storm ${i} ${k}`);
        s.acked.set(m.client_id, m.seq);
        acks += 1;
        if (killedAt === null && acks >= total / 3) {
          killedAt = acks;
          victim.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  }));
  assert.ok(killedAt !== null);

  // Every acknowledged message at its receiver.
  const missing = () => receivers.reduce((n, d, i) =>
    n + [...senders[i].acked.values()].filter((q) => !d.held.get(senders[i].conv).has(q)).length, 0);
  const deadline = Date.now() + T(60000);
  while (missing() > 0 && Date.now() < deadline) await sleep(50);
  assert.equal(missing(), 0, 'every acknowledged message reached its online receiver');

  const devices = [...senders.map((s) => s.device), ...receivers];
  // Exactly once in the store: each client_id once, under the seq its ack carried.
  let duplicates = 0;
  for (const s of senders) {
    const all = await fullHistory(proxy, s.token, s.conv);
    const ids = all.map((m) => m.client_id).filter((c) => c.startsWith('m'));
    duplicates += ids.length - new Set(ids).size;
    assert.equal(new Set(ids).size, PER_SENDER);
    for (const m of all) if (s.acked.has(m.client_id)) assert.equal(m.seq, s.acked.get(m.client_id));
  }
  const resumes = devices.flatMap((d) => d.resumeMs);
  const figures = {
    acknowledged: acks,
    killed_after_acks: killedAt,
    error_answers: devices.reduce((n, d) => n + d.errors.length, 0),
    reconnected_devices: devices.filter((d) => d.connects > 1).length,
    resume_ms_max: Math.max(0, ...resumes),
    resume_ms_median: resumes.sort((a, b) => a - b)[Math.floor(resumes.length / 2)] ?? 0,
    duplicates,
    lost: missing(),
  };
  console.log(`# haproxy failover figures ${JSON.stringify(figures)}`);
  assert.ok(figures.reconnected_devices > 0, 'some devices were on the killed node');
  assert.equal(duplicates, 0);
  assert.ok(figures.resume_ms_max <= T(10000), `clients resumed within 10 s (worst ${figures.resume_ms_max} ms)`);
});

test('a send retried through another node returns the original message', async (t) => {
  const { nodes, proxy } = await cluster(t, 'haidem');
  const alice = await register(nodes[0], 'alice');
  await register(nodes[1], 'bob');
  const { conversation } = await openConversation(nodes[0], alice.token, 'bob');
  const send = (server) => api(server, 'POST', `/api/v1/conversations/${conversation.id}/messages`, {
    token: alice.token, body: { client_id: 'retry-1', text: 'once' },
  });
  const first = await send(nodes[0]);
  assert.ok(first.status === 200 || first.status === 201, `first send: ${first.status} ${first.text}`);
  const again = await send(nodes[1]);
  assert.ok(again.status === 200 || again.status === 201, `retry: ${again.status} ${again.text}`);
  assert.equal(again.body.duplicate, true);
  assert.deepEqual(again.body.message, first.body.message);
  // And over a WebSocket on the third node.
  const ws = await connect(t, nodes[2], alice.token);
  const ack = await ws.call({ type: 'send', conversation_id: conversation.id, client_id: 'retry-1', text: 'once' }, 'ack');
  assert.equal(ack.duplicate, true);
  assert.deepEqual(ack.message, first.body.message);
  const all = await fullHistory(proxy, alice.token, conversation.id);
  assert.equal(all.filter((m) => m.client_id === 'retry-1').length, 1);
});

test('the proxy refuses the metrics and the admin API, which trust loopback peers', async (t) => {
  const { nodes, proxy } = await cluster(t, 'haadmin');
  for (const path of ['/metrics', '/admin', '/admin/v1/stats', '/admin/v1/users?limit=1']) {
    const res = await fetch(`${proxy.url}${path}`, { headers: { authorization: 'Bearer x' } });
    assert.equal(res.status, 403, `${path} through the proxy`);
  }
  // Straight to a node (loopback), the admin API answers: the proxy is what keeps it in.
  const direct = await fetch(`${nodes[0].url}/admin/v1/stats`);
  assert.equal(direct.status, 401, 'a node itself asks for the token');
});

test('the per-address connection cap counts real client addresses through haproxy', async (t) => {
  // Two connections per address on each node: one source address gets at most 2 x 3 through
  // the proxy (leastconn spreads them), then no more, while another address is unaffected.
  const { nodes, proxy } = await cluster(t, 'haaddr', ['--max-connections-per-address', '2']);
  const alice = await register(proxy, 'alice');
  const from = (localAddress) => connect(t, proxy, alice.token, { header: true, wsOptions: { localAddress } });
  // A request from 127.0.0.3 is logged by the node that serves it as 127.0.0.3's, not the proxy's.
  const status = await new Promise((resolve, reject) => {
    http.get(`${proxy.url}/api/v1/me`, { localAddress: '127.0.0.3', agent: false, headers: { authorization: `Bearer ${alice.token}` } },
      (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject);
  });
  assert.equal(status, 200);
  const logs = nodes.map((n) => n.log.join(''));
  assert.ok(logs.some((l) => /path=\/api\/v1\/me status=200 .*from=127\.0\.0\.3\b/.test(l)), 'a node logs the real client address');
  // Only haproxy's own health checks (PROXY LOCAL) are the proxy's.
  const asProxy = logs.flatMap((l) => l.split('\n')).filter((l) => /from=127\.0\.0\.9\b/.test(l));
  assert.ok(asProxy.length > 0 && asProxy.every((l) => /path=\/readyz /.test(l)), asProxy.join('\n'));
  const held = [];
  for (let i = 0; i < 6; i += 1) held.push(await from('127.0.0.2'));
  await assert.rejects(from('127.0.0.2'), 'a 7th WebSocket from 127.0.0.2 finds every node full');
  const other = await from('127.0.0.3');
  assert.equal(other.ready.type, 'ready');
  // A closed WebSocket gives 127.0.0.2 its place back.
  held[0].terminate();
  let again = null;
  for (let i = 0; i < 50 && !again; i += 1) {
    again = await from('127.0.0.2').catch(() => null);
    if (!again) await sleep(100);
  }
  assert.ok(again, '127.0.0.2 connects again after closing one');
});

test('a rolling restart of every node with SIGTERM under load: only reconnects, nothing lost', async (t) => {
  const { nodes, proxy } = await cluster(t, 'haroll');
  const senders = [];
  const receivers = [];
  for (let i = 0; i < PAIRS; i += 1) {
    const s = await register(proxy, `sender${i}`);
    const r = await register(proxy, `receiver${i}`);
    const { conversation } = await openConversation(proxy, s.token, `receiver${i}`);
    const sd = new ResilientDevice(`sender${i}`, proxy, s.token);
    const rd = new ResilientDevice(`receiver${i}`, proxy, r.token);
    sd.follow(conversation.id);
    rd.follow(conversation.id);
    await sd.start();
    await rd.start();
    t.after(() => { sd.stop(); rd.stop(); });
    senders.push({ device: sd, token: s.token, conv: conversation.id, acked: new Map() });
    receivers.push(rd);
  }
  let stormDone = false;
  const storm = Promise.all(senders.map(async (s, i) => {
    let k = 0;
    const lane = async () => {
      while (!stormDone) {
        const n = k++;
        const m = await s.device.send(s.conv, `m${i}-${n}`, `rolling ${i} ${n}`);
        s.acked.set(m.client_id, m.seq);
      }
    };
    await Promise.all(Array.from({ length: 2 }, lane));
  }));
  // One node after the other: SIGTERM (it drains and closes its sockets with 1001), start
  // it again, and wait until haproxy sends it traffic again before the next one.
  const restarts = [];
  for (const node of nodes) {
    const started = Date.now();
    const info = await node.stop();
    assert.equal(info.code, 0, 'a node exits cleanly on SIGTERM');
    await node.start();  // returns once the node answers /healthz
    // Pacing, not an assertion: haproxy re-admits a node after two good checks 1 s apart;
    // restarting the next one earlier would leave fewer nodes than a rolling restart does.
    await sleep(2500);
    restarts.push(Date.now() - started);
  }
  stormDone = true;
  await storm;
  const missing = () => receivers.reduce((n, d, i) =>
    n + [...senders[i].acked.values()].filter((q) => !d.held.get(senders[i].conv).has(q)).length, 0);
  const deadline = Date.now() + T(60000);
  while (missing() > 0 && Date.now() < deadline) await sleep(50);
  let duplicates = 0;
  let acked = 0;
  for (const s of senders) {
    const all = await fullHistory(proxy, s.token, s.conv);
    const ids = all.map((m) => m.client_id).filter((c) => c.startsWith('m'));
    duplicates += ids.length - new Set(ids).size;
    acked += s.acked.size;
  }
  const devices = [...senders.map((s) => s.device), ...receivers];
  const resumes = devices.flatMap((d) => d.resumeMs);
  const errors = devices.flatMap((d) => d.errors);
  const figures = {
    acknowledged: acked,
    restart_ms: restarts,
    reconnections: resumes.length,
    resume_ms_max: Math.max(0, ...resumes),
    error_answers: errors.length,
    error_codes: [...new Set(errors.map((e) => e.code))],
    duplicates,
    lost: missing(),
  };
  console.log(`# rolling restart figures ${JSON.stringify(figures)}`);
  assert.equal(figures.lost, 0);
  assert.equal(duplicates, 0);
  // A draining node drops new requests unanswered and closes with 1001 once its queued
  // commits are acknowledged (docs/protocol.md): clients see reconnects and nothing else.
  assert.deepEqual(figures.error_codes, [], 'clients saw only reconnects');
  assert.ok(figures.reconnections > 0);
});
