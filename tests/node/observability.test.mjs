// The operator's monitoring kit in deploy/ checked against a live parleyd and a real
// Prometheus: the alert rules load and pass their unit tests, every metric the dashboard and
// the alerts name is one parleyd exports, and every dashboard query is valid PromQL that
// returns data once the server has carried some traffic.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { freePort, startServer, sleep } from './lib/server.mjs';
import { api, assertStatus, cid, connect, openConversation, register, T } from './lib/client.mjs';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const promDir = path.join(root, 'deploy/prometheus');
const dashboard = JSON.parse(fs.readFileSync(path.join(root, 'deploy/grafana/parley.json'), 'utf8'));
const alertsText = fs.readFileSync(path.join(promDir, 'alerts.yml'), 'utf8');

function dashboardTargets() {
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
}

// Dashboard variables as Grafana would expand them for "all nodes" at a 1 s scrape interval.
function expand(expr) {
  return expr.replaceAll('$instance', '.*').replaceAll('$__rate_interval', '1m');
}

test('the alert rules and the scrape configuration pass promtool', async () => {
  await run('promtool', ['check', 'rules', path.join(promDir, 'alerts.yml')]);
  await run('promtool', ['check', 'config', path.join(promDir, 'prometheus.yml')]);
  const { stdout } = await run('promtool', ['test', 'rules', 'alerts_test.yml'], { cwd: promDir });
  assert.match(stdout, /SUCCESS/);
});

test('every parley_ metric named by the dashboard or the alerts is exported by parleyd', async (t) => {
  const server = await startServer(t);
  const res = await api(server, 'GET', '/metrics');
  assertStatus(res, 200, '/metrics');
  const text = res.text;
  const exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
  assert.ok(exported.size > 10, `parsed ${exported.size} metric families`);
  const named = new Set();
  const sources = [alertsText, ...dashboardTargets().map((x) => x.expr)];
  for (const s of sources) for (const m of s.matchAll(/\bparley_[a-z_]+/g)) named.add(m[0].replace(/_(bucket|sum|count)$/, ''));
  assert.ok(named.size >= 15, `the kit names ${named.size} metrics`);
  const missing = [...named].filter((n) => !exported.has(n));
  assert.deepEqual(missing, [], 'metrics named in deploy/ that parleyd does not export');
});

test('a real Prometheus scrapes parleyd, loads the alerts and answers every dashboard query', async (t) => {
  const server = await startServer(t);
  // Some traffic, so that counters move and histograms have observations.
  const alice = await register(server, 'alice');
  const bob = await register(server, 'bob');
  const conv = (await openConversation(server, alice.token, "bob")).conversation.id;
  const bobWs = await connect(t, server, bob.token);
  for (let i = 0; i < 5; i++) {
    const r = await api(server, 'POST', `/api/v1/conversations/${conv}/messages`, {
      token: alice.token, body: { client_id: cid(), text: `hello ${i}` },
    });
    assertStatus(r, 200, 'send');
  }
  await api(server, 'GET', '/api/v1/users/nobody_here', { token: alice.token });  // a not_found error

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-prom-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const target = new URL(server.url).host;
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), [
    'global: {scrape_interval: 1s, evaluation_interval: 1s}',
    `rule_files: [${JSON.stringify(path.join(promDir, 'alerts.yml'))}]`,
    'scrape_configs:',
    '  - job_name: parley',
    `    static_configs: [{targets: [${JSON.stringify(target)}]}]`,
    '',
  ].join('\n'));
  const port = await freePort();
  const prom = spawn('prometheus', [
    `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let promLog = '';
  prom.stderr.on('data', (d) => { promLog += d; });
  t.after(() => { prom.kill('SIGKILL'); });

  const query = async (expr) => {
    const url = `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`;
    const r = await fetch(url);
    const body = await r.json();
    return { status: r.status, body };
  };
  const until = async (what, fn) => {
    const deadline = Date.now() + T(60000);
    for (;;) {
      try { if (await fn()) return; } catch { /* not up yet */ }
      if (Date.now() > deadline) assert.fail(`${what} within 60 s; prometheus log:\n${promLog.slice(-2000)}`);
      await sleep(250);
    }
  };
  await until('parleyd scraped', async () => (await query('up{job="parley"} == 1')).body.data.result.length === 1);
  // rate() over 1m needs two samples of a counter that moved between them: send once more
  // after the first scrape so every rate below has a value.
  const first = await api(server, 'POST', `/api/v1/conversations/${conv}/messages`, {
    token: alice.token, body: { client_id: cid(), text: 'after the first scrape' },
  });
  assertStatus(first, 200, 'send');
  await until('a message rate', async () => {
    const r = await query('sum(rate(parley_messages_committed_total[1m])) > 0');
    return r.body.data.result.length === 1;
  });

  for (const { panel, expr } of dashboardTargets()) {
    const r = await query(expand(expr));
    assert.equal(r.status, 200, `"${panel}": ${expr}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.status, 'success', `"${panel}": ${expr}`);
    // A query that filters (> 0) may rightly be empty; every other one has a series.
    if (!/[<>]/.test(expr)) assert.ok(r.body.data.result.length > 0, `"${panel}" has no data: ${expand(expr)}`);
  }
  // The instance variable's query lists this node.
  const inst = await fetch(`http://127.0.0.1:${port}/api/v1/label/instance/values?match[]=${encodeURIComponent('up{job="parley"}')}`);
  assert.deepEqual((await inst.json()).data, [target]);

  await until('the alert rules evaluated', async () => {
    const r = await (await fetch(`http://127.0.0.1:${port}/api/v1/rules?type=alert`)).json();
    const rules = r.data.groups.flatMap((g) => g.rules);
    return rules.length === 13 && rules.every((x) => x.health === 'ok');
  });
  // A healthy server fires none of them (the disk alerts have no node_exporter data here).
  const firing = await (await fetch(`http://127.0.0.1:${port}/api/v1/alerts`)).json();
  assert.deepEqual(firing.data.alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname), []);
  bobWs.close?.();
});
