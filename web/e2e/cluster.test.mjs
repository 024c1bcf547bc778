// End-to-end: the web client on a cluster. Two parleyd nodes share one PostgreSQL database
// and a 2-server NATS cluster; the browser is on node B, the sender on node A. Node B's
// NATS server freezes (SIGSTOP) and dies: the message sent meanwhile never reaches node B
// over the bus, node B reconnects to the other NATS server and sends {"type":"resync"},
// and the browser, following docs/protocol.md, syncs and shows the message.
//
// Needs a PostgreSQL server: PARLEY_TEST_PG_URI (scripts/pg-test-server.sh start DIR).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';

import { startNats } from '../../tests/cluster/nats.mjs';
import { api, assertNoCspViolations, eventually, startBrowser, startServer } from './harness.mjs';

const pgServer = process.env.PARLEY_TEST_PG_URI ?? process.env.PARLEY_TEST_STORE;

async function metric(base, name) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

describe('web client on two nodes', { skip: pgServer ? false : 'PARLEY_TEST_PG_URI is not set' }, () => {
  let nats;
  let a;
  let b;
  let browser;

  before(async () => {
    const name = `parley_e2e_cluster_${process.pid}`;
    execFileSync('psql', [pgServer, '-qAtc', `CREATE DATABASE ${name}`], { stdio: ['ignore', 'ignore', 'inherit'] });
    const url = new URL(pgServer);
    url.pathname = `/${name}`;
    nats = await startNats(null, { nodes: 2 });
    a = await startServer({ extraArgs: ['--store', url.toString(), '--bus', nats.nodes[0].url] });
    b = await startServer({ extraArgs: ['--store', url.toString(), '--bus', nats.nodes[1].url] });
    browser = await startBrowser();
  });

  after(async () => {
    await browser?.close();
    await a?.stop();
    await b?.stop();
    for (const n of nats?.nodes ?? []) {
      n.child?.kill('SIGCONT');
      await n.kill();
    }
  });

  it('shows a message the bus lost, after the resync its node sends', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'UTC' });
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('[page error]', e.message));
    await page.goto(b.base + '/');
    await page.getByRole('tab', { name: 'Create account' }).click();
    await page.getByLabel('Username').fill('bob');
    await page.getByLabel('Your name').fill('Bob Builder');
    await page.getByLabel('Password').fill('pw-bob-1234');
    await page.getByRole('button', { name: 'Create account' }).last().click();
    await page.getByRole('button', { name: 'Main menu' }).waitFor();

    const alice = await api(a.base, 'POST', '/register', { username: 'alice', display_name: 'Alice', password: 'pw-alice-123' });
    assert.equal(alice.status, 201);
    const token = alice.data.token;
    const conv = await api(a.base, 'POST', '/conversations', { peer_username: 'bob' }, token);
    const id = conv.data.conversation.id;
    const send = (clientId, text) => api(a.base, 'POST', `/conversations/${id}/messages`, { client_id: clientId, text }, token);

    // Live across nodes.
    assert.equal((await send('e1', 'before the outage')).status, 200);
    await page.getByText('before the outage').first().waitFor({ timeout: 15_000 });

    // Node B's NATS server stops answering; what node A publishes now dies with it.
    nats.nodes[1].child.kill('SIGSTOP');
    assert.equal((await send('e2', 'while the bus was down')).status, 200);
    await eventually(async () => (await metric(b.base, 'parley_bus_reconnects_total')) >= 1,
      { timeout: 30_000, message: 'node B to reconnect to the other NATS server' });
    await nats.nodes[1].kill('SIGKILL');

    await page.getByText('while the bus was down').first().waitFor({ timeout: 15_000 });
    assert.ok((await metric(b.base, 'parley_bus_resyncs_total')) >= 1, 'node B told its devices to resync');
    await context.close();
  });

  it('raises no CSP violation', () => assertNoCspViolations(assert));
});
