// Calls across nodes (docs/protocol.md, "Calls"): two parleyd nodes on one PostgreSQL
// database and one NATS server. A callee with a device on each node: both ring, both accept
// at once and the store picks exactly one winner; the events reach exactly the devices the
// protocol names, whichever node holds them; one history message.
//
//   cd tests/node && PARLEY_TEST_STORE=postgresql://... node --test ../cluster/calls.test.mjs
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { assertNoFrame, connect, fullHistory, login, openConversation, register, T } from '../node/lib/client.mjs';
import { startServer } from '../node/lib/server.mjs';
import { freshDatabase } from './db.mjs';
import { startNats } from './nats.mjs';

const OFFER = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
const ANSWER = 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';
const CANDIDATE = { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host', sdpMid: '0', sdpMLineIndex: 0 };

test('a call across two nodes: both callee devices ring, one accept wins, events reach single devices on either node', async (t) => {
  const nats = await startNats(t);
  const uri = freshDatabase(`parley_calls_${process.pid}`);
  const args = ['--store', uri, '--store-connections', '2', '--bus', nats.busArg];
  const [a, b] = await Promise.all([startServer(t, { args }), startServer(t, { args })]);
  const alice = await register(a, 'alice');
  const bob = await register(b, 'bob');
  const bobOnA = await login(a, 'bob', { device_name: 'laptop' });
  const aliceOnB = await login(b, 'alice', { device_name: 'phone' });
  const { conversation } = await openConversation(a, alice.token, 'bob');

  const caller = await connect(t, a, alice.token);
  const callerOther = await connect(t, b, aliceOnB.token);
  const bobB = await connect(t, b, bob.token);
  const bobA = await connect(t, a, bobOnA.token);

  for (let round = 0; round < 3; round += 1) {
    const { call } = await caller.call({ type: 'call_start', conversation_id: conversation.id, media: 'audio', sdp: OFFER }, 'call');
    const ring = (f) => f.call.call_id === call.call_id;
    await Promise.all([bobA, bobB].map((c) => c.event('call_incoming', ring, T(10000))));
    // The caller's candidate crosses to the callee device on the other node while it rings.
    await caller.call({ type: 'call_ice', call_id: call.call_id, candidate: CANDIDATE }, 'ok');
    await bobB.event('call_ice', (f) => f.call_id === call.call_id, T(10000));
    await bobA.event('call_ice', (f) => f.call_id === call.call_id, T(10000));

    // Both of bob's devices, each on its own node, accept at once.
    const answers = await Promise.all([bobA, bobB].map((c) => c.request({ type: 'call_accept', call_id: call.call_id, sdp: ANSWER })));
    assert.equal(answers.filter((x) => x.type === 'call').length, 1, `one winner: ${JSON.stringify(answers)}`);
    assert.equal(answers.filter((x) => x.type === 'error' && x.code === 'conflict').length, 1);
    const [winner, loser] = answers[0].type === 'call' ? [bobA, bobB] : [bobB, bobA];
    await caller.event('call_accepted', ring, T(10000));
    assert.equal((await loser.event('call_ended', ring, T(10000))).call.end_reason, 'answered_elsewhere');

    // After the accept the caller's candidates go to the winner only, and the winner's, wherever
    // it is, to the caller's device only.
    await caller.call({ type: 'call_ice', call_id: call.call_id, candidate: { ...CANDIDATE, sdpMLineIndex: 1 } }, 'ok');
    await winner.event('call_ice', (f) => f.call_id === call.call_id && f.candidate.sdpMLineIndex === 1, T(10000));
    await winner.call({ type: 'call_ice', call_id: call.call_id, candidate: CANDIDATE }, 'ok');
    await caller.event('call_ice', (f) => f.call_id === call.call_id, T(10000));
    await caller.call({ type: 'call_hangup', call_id: call.call_id }, 'call');
    assert.equal((await winner.event('call_ended', ring, T(10000))).call.end_reason, 'completed');
    await assertNoFrame(callerOther, (f) => f.type?.startsWith('call_'), T(300), "a call event on the caller's other device");
    await assertNoFrame(loser, (f) => f.type === 'call_ice' && f.call_id === call.call_id && f.candidate.sdpMLineIndex === 1, 0, 'ICE after the accept on the loser');
  }
  const calls = (await fullHistory(b, bob.token, conversation.id)).filter((m) => m.kind === 'system' && m.system?.event === 'call');
  assert.equal(calls.length, 3, 'one history message per call');
  assert.ok(calls.every((m) => m.system.call.outcome === 'completed'));
});
