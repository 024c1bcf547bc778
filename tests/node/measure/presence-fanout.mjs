// Measures what one presence change costs: a user with 200 direct conversations goes online
// and offline while some of those 200 peers are looking at them (subscribed). Prints the
// frames sent per change, read from the server's own counter (/metrics).
//
//   PARLEYD=../../build/release/bin/parleyd node measure/presence-fanout.mjs [peers] [watching]

import { startServer } from '../lib/server.mjs';
import { api, connect, register, sleep } from '../lib/client.mjs';

const PEERS = Number(process.argv[2] ?? 200);
const WATCHING = Number(process.argv[3] ?? 10);

async function counter(server, name) {
  const res = await fetch(`${server.url}/metrics`);
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line.split(' ')[1]);
}

const cleanups = [];
const t = { after: (fn) => cleanups.push(fn) };
const server = await startServer(t, {
  args: ['--insecure-fast-password-hashing', 'true', '--presence-offline-grace-ms', '200'],
});
try {
  const star = await register(server, 'star');
  const peers = [];
  for (let i = 0; i < PEERS; i += 1) peers.push(await register(server, `peer${i}`));
  for (const p of peers) await api(server, 'POST', '/api/v1/conversations', { token: star.token, body: { peer_id: p.user.id } });
  const sockets = [];
  for (const p of peers) sockets.push(await connect(t, server, p.token));
  for (let i = 0; i < WATCHING; i += 1) await sockets[i].call({ type: 'presence_subscribe', user_ids: [star.user.id] }, 'presence_subscribed');

  const rounds = 5;
  const frames0 = await counter(server, 'parley_presence_frames_total');
  const changes0 = await counter(server, 'parley_presence_changes_total');
  for (let r = 0; r < rounds; r += 1) {
    const c = await connect(t, server, star.token);
    await sleep(100);
    c.close();
    await sleep(600);
  }
  const frames = (await counter(server, 'parley_presence_frames_total')) - frames0;
  const changes = (await counter(server, 'parley_presence_changes_total')) - changes0;
  console.log(JSON.stringify({ conversations: PEERS, connected_peers: PEERS, watching: WATCHING, presence_changes: changes, frames, frames_per_change: frames / changes }));
} finally {
  for (const fn of cleanups.reverse()) await fn();
}
