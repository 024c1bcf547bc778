// Failover: three parleyd nodes (on a NATS bus) on a primary with a synchronous streaming
// standby. The primary
// crashes (every one of its processes SIGKILLed) in the middle of a send storm and the
// standby is promoted; every node, given both hosts with target_session_attrs=read-write,
// reaches the new primary without a restart, and clients resend what was not
// acknowledged, each send through the next node in turn. Every acknowledged message must be on the promoted standby exactly once,
// with the seq its acknowledgement carried.
//
// Starts its own two PostgreSQL servers (scripts/pg-test-server.sh). Run from tests/node:
//   cd tests/node && node --test ../cluster/failover.test.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { api, assertStatus, httpSend, openConversation, register } from '../node/lib/client.mjs';
import { sleep, startServer } from '../node/lib/server.mjs';
import { startNats } from './nats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const script = path.resolve(here, '../../scripts/pg-test-server.sh');
const SENDERS = 4;
const PER_SENDER = 60;
// Somewhere in the first two thirds of the storm, different on every run.
const CRASH_AFTER_ACKS = 20 + Math.floor(Math.random() * 140);

const pg = (...args) => execFileSync(script, args, { encoding: 'utf8' }).trim();
const psql = (uri, sql) => execFileSync('psql', [uri, '-qAtc', sql], { encoding: 'utf8' }).trim();
const withDb = (uri, db) => { const u = new URL(uri); u.pathname = `/${db}`; return u.toString(); };

test('a crash of the primary loses no acknowledged message and duplicates none', {
  skip: fs.existsSync('/usr/lib/postgresql/15/bin/initdb') ? false : 'PostgreSQL 15 is not installed',
}, async (t) => {
  const base = path.join('/tmp', `parley-failover-${process.pid}`);
  fs.mkdirSync(base, { recursive: true, mode: 0o755 });
  const primaryDir = path.join(base, 'primary');
  const standbyDir = path.join(base, 'standby');
  t.after(() => {
    for (const dir of [primaryDir, standbyDir]) {
      try { pg('stop', dir); } catch { /* already gone */ }
    }
    fs.rmSync(base, { recursive: true, force: true });
  });

  const primary = pg('start', primaryDir);
  psql(primary, 'CREATE DATABASE parley');
  const standby = pg('standby', standbyDir, primary);
  // Synchronous: a COMMIT returns only once the standby has flushed it.
  psql(primary, "ALTER SYSTEM SET synchronous_standby_names = 'standby'");
  psql(primary, 'SELECT pg_reload_conf()');
  const deadline = Date.now() + 30000;
  while (psql(primary, "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'") !== '1') {
    assert.ok(Date.now() < deadline, 'the standby became synchronous');
    await sleep(100);
  }
  const p = new URL(primary);
  const s = new URL(standby);
  const store = `postgresql://parley@${p.host},${s.host}/parley?target_session_attrs=read-write&connect_timeout=2`;
  const nats = await startNats(t);
  const servers = await Promise.all([0, 1, 2].map(() => startServer(t, { args: ['--store', store, '--bus', nats.busArg] })));
  const server = servers[0];

  const users = [];
  for (let i = 0; i < SENDERS; i += 1) users.push(await register(server, `sender${i}`));
  const reader = await register(server, 'reader');
  const convs = [];
  for (const u of users) convs.push((await openConversation(server, u.token, 'reader')).conversation.id);

  const acked = new Map();  // client_id -> seq its acknowledgement carried
  let failedAttempts = 0;
  let crashed = false;
  const storm = async (i) => {
    for (let k = 0; k < PER_SENDER; k += 1) {
      const clientId = `f-${i}-${k}`;
      // Resend until acknowledged, as a client does.
      for (;;) {
        let res;
        try {
          res = await httpSend(servers[(i + k + failedAttempts) % servers.length], users[i].token, convs[i], clientId,
            `message ${k}`);
        } catch {
          res = null;
        }
        if (res && res.status === 200) {
          acked.set(clientId, { conv: convs[i], seq: res.body.message.seq });
          break;
        }
        failedAttempts += 1;
        await sleep(100);
      }
      if (!crashed && acked.size >= CRASH_AFTER_ACKS) {
        crashed = true;
        pg('crash', primaryDir);
        await sleep(500);
        pg('promote', standbyDir);
        console.log(`primary crashed after ${acked.size} acks, standby promoted ${Date.now() - started} ms into the storm`);
      }
    }
  };
  const started = Date.now();
  await Promise.all(users.map((_, i) => storm(i)));
  assert.ok(crashed, 'the primary was crashed during the storm');

  // Everything is read back from the promoted standby itself.
  const rows = psql(withDb(standby, 'parley'), 'SELECT conversation_id, client_id, seq FROM messages')
    .split('\n').filter(Boolean).map((line) => line.split('|'));
  const stored = new Map();
  let duplicated = 0;
  for (const [conv, clientId, seq] of rows) {
    if (stored.has(clientId)) duplicated += 1;
    stored.set(clientId, { conv: Number(conv), seq: Number(seq) });
  }
  let found = 0;
  let lost = 0;
  for (const [clientId, ack] of acked) {
    const row = stored.get(clientId);
    if (row && row.conv === ack.conv && row.seq === ack.seq) found += 1;
    else lost += 1;
  }
  // Seqs stay gap-free per conversation across the failover.
  let gaps = 0;
  for (const conv of convs) {
    const seqs = [...stored.values()].filter((r) => r.conv === conv).map((r) => r.seq).sort((a, b) => a - b);
    seqs.forEach((seq, i) => { if (seq !== i + 1) gaps += 1; });
  }
  console.log(`failover: acked ${acked.size} found ${found} lost ${lost} duplicated ${duplicated}` +
    ` gaps ${gaps} (failed attempts during the outage: ${failedAttempts})`);
  assert.equal(acked.size, SENDERS * PER_SENDER);
  assert.deepEqual({ found, lost, duplicated, gaps }, { found: acked.size, lost: 0, duplicated: 0, gaps: 0 });
  // The reader, through the same parleyd, sees them all.
  const sync = await api(server, 'GET', '/api/v1/sync?since=0&limit=100', { token: reader.token });
  assertStatus(sync, 200, 'sync after the failover');
  assert.equal(sync.body.conversations.length, SENDERS);
});
