// Events cross parleyd nodes over NATS (parleyd --bus nats://...): two nodes on one
// PostgreSQL database and one NATS server; every kind of event made through one node must
// reach the devices connected to the other, exactly once.
//
//   cd tests/node && PARLEY_TEST_STORE=postgresql://... node --test ../cluster/bus.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { api, assertStatus, connect, openConversation, register, T } from '../node/lib/client.mjs';
import { startServer } from '../node/lib/server.mjs';
import { freshDatabase } from './db.mjs';
import { metric } from './metrics.mjs';
import { startNats } from './nats.mjs';

test('every kind of event made on one node reaches devices on the other, once', async (t) => {
  const nats = await startNats(t);
  const uri = freshDatabase(`parley_bus_${process.pid}`);
  const args = ['--store', uri, '--store-connections', '2', '--bus', nats.busArg];
  const [a, b] = await Promise.all([startServer(t, { args }), startServer(t, { args })]);

  const alice = await register(a, 'alice');
  const bob = await register(b, 'bob');
  const carol = await register(a, 'carol');
  const alicePhone = await api(b, 'POST', '/api/v1/login', { body: { username: 'alice', password: alice.password, device_name: 'phone' } });
  assertStatus(alicePhone, 200, 'second login');

  const aliceA = await connect(t, a, alice.token);
  const alicePhoneB = await connect(t, b, alicePhone.body.token);
  const bobB = await connect(t, b, bob.token);
  const carolA = await connect(t, a, carol.token);
  const figures = {};

  // Direct message: bob on B and alice's phone on B get it; the sending socket does not.
  const { conversation } = await openConversation(a, alice.token, 'bob');
  const ack = await aliceA.sendMessage(conversation.id, 'c1', 'hello across nodes');
  const isFirst = (f) => f.message?.seq === ack.message.seq && f.message.conversation_id === conversation.id;
  await bobB.event('message', isFirst, T(10000));
  await alicePhoneB.event('message', isFirst, T(10000));

  // Receipt from B to A.
  assert.equal((await bobB.request({ type: 'read', conversation_id: conversation.id, seq: ack.message.seq })).type, 'ok');
  await aliceA.event('receipt', (f) => f.user_id === bob.user.id && f.read_seq === ack.message.seq, T(10000));

  // Typing from B to A.
  assert.equal((await bobB.request({ type: 'typing', conversation_id: conversation.id, state: 'start' })).type, 'ok');
  await aliceA.event('typing', (f) => f.user_id === bob.user.id && f.state === 'start', T(10000));

  // Edit and delete for everyone on A reach B.
  await aliceA.call({ type: 'edit', conversation_id: conversation.id, seq: ack.message.seq, text: 'edited' }, 'edited');
  await bobB.event('message_changed', (f) => f.message.seq === ack.message.seq && f.message.text === 'edited', T(10000));
  const ack2 = await aliceA.sendMessage(conversation.id, 'c2', 'to be deleted');
  await bobB.event('message', (f) => f.message.seq === ack2.message.seq, T(10000));
  assert.equal((await aliceA.request({ type: 'delete', conversation_id: conversation.id, seq: ack2.message.seq, for: 'everyone' })).type, 'ok');
  await bobB.event('message_changed', (f) => f.message.seq === ack2.message.seq && f.message.deleted === true, T(10000));

  // Delete for me on A: only alice's own devices, here the phone on B.
  const ack3 = await bobB.sendMessage(conversation.id, 'c3', 'hide me');
  await aliceA.event('message', (f) => f.message.seq === ack3.message.seq, T(10000));
  assert.equal((await aliceA.request({ type: 'delete', conversation_id: conversation.id, seq: ack3.message.seq, for: 'me' })).type, 'ok');
  await alicePhoneB.event('message_hidden', (f) => f.seq === ack3.message.seq, T(10000));

  // A group made on A: bob on B gets the conversation event, then messages and receipts.
  const created = await api(a, 'POST', '/api/v1/groups', {
    token: alice.token, body: { name: 'Climbing', member_usernames: ['bob', 'carol'] },
  });
  assertStatus(created, 201, 'create group');
  const group = created.body.conversation.id;
  await bobB.event('conversation', (f) => f.conversation.id === group, T(10000));
  const gack = await carolA.sendMessage(group, 'g1', 'group hello');
  await bobB.event('message', (f) => f.message.conversation_id === group && f.message.seq === gack.message.seq, T(10000));
  assert.equal((await bobB.request({ type: 'read', conversation_id: group, seq: gack.message.seq })).type, 'ok');
  await carolA.event('receipts', (f) => f.conversation_id === group &&
    f.receipts.some((r) => r.user_id === bob.user.id && r.read_seq === gack.message.seq), T(10000));

  // A burst from A arrives on B in seq order, each message once.
  const BURST = 200;
  const acks = [];
  for (let i = 0; i < BURST; i += 1) acks.push(aliceA.sendMessage(conversation.id, `b${i}`, `burst ${i}`));
  const burstSeqs = (await Promise.all(acks)).map((x) => x.message.seq);
  const last = Math.max(...burstSeqs);
  await bobB.event('message', (f) => f.message.conversation_id === conversation.id && f.message.seq === last, T(20000));
  const seen = bobB.received((f) => f.type === 'message' && f.message.conversation_id === conversation.id &&
    burstSeqs.includes(f.message.seq)).map((f) => f.message.seq);
  assert.deepEqual(seen, [...burstSeqs].sort((x, y) => x - y), 'burst: every message once, in seq order');
  figures.burst_messages = BURST;
  figures.burst_received_on_other_node = seen.length;

  // Nothing was delivered twice anywhere: each (conversation, seq) once per device.
  for (const [name, client] of [['bob@B', bobB], ['alice-phone@B', alicePhoneB], ['carol@A', carolA]]) {
    const keys = client.received((f) => f.type === 'message').map((f) => `${f.message.conversation_id}:${f.message.seq}`);
    assert.equal(new Set(keys).size, keys.length, `${name} got a message twice`);
  }
  assert.equal(aliceA.received((f) => f.type === 'message' && isFirst(f)).length, 0,
    'the sending socket does not get its own message');

  // Revocation: logging the phone (on B) out from A closes its socket on B.
  const sessions = await api(a, 'GET', '/api/v1/sessions', { token: alice.token });
  const phone = sessions.body.sessions.find((s) => !s.current);
  assertStatus(await api(a, 'DELETE', `/api/v1/sessions/${phone.id}`, { token: alice.token }), 200, 'revoke');
  await alicePhoneB.event('session_revoked', () => true, T(10000));
  const closed = await alicePhoneB.waitClose(T(10000));
  assert.equal(closed.code, 4001);

  figures.b_bus_received = await metric(b, 'parley_bus_received_total');
  figures.a_bus_published = await metric(a, 'parley_bus_published_total');
  figures.a_bus_dropped = await metric(a, 'parley_bus_publish_dropped_total');
  assert.ok(figures.b_bus_received >= BURST, 'node B counted the events it received');
  assert.equal(figures.a_bus_dropped, 0);
  console.log(`# bus figures ${JSON.stringify(figures)}`);
});

test('parleyd refuses a malformed --bus before touching any data', async () => {
  const { spawnSync } = await import('node:child_process');
  const { binaryPath } = await import('../node/lib/server.mjs');
  for (const bad of ['redis://x:1', 'nats://', 'nats://host', 'nats://a:1,,b:2', 'nats://a:99999']) {
    const r = spawnSync(binaryPath(), ['--bus', bad, '--listen', '127.0.0.1:0', '--data-dir', '/nonexistent/parley-never-created'], { encoding: 'utf8', timeout: 20000 });
    assert.equal(r.status, 2, `--bus ${bad}: ${r.stderr}`);
    assert.match(r.stderr, /bus/);
  }
});
