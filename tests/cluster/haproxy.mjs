// Starts haproxy with deploy/haproxy.cfg in front of three parleyd test servers, on a free
// port. Returns an object usable like a server by the client helpers (url, wsUrl).
//
// haproxy connects to the nodes from HAPROXY_SOURCE, which the nodes trust
// (--trusted-proxies): it sends each connection's client in a PROXY v2 header. The tests'
// own direct requests to a node come from 127.0.0.1, an ordinary client.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { freePort, sleep } from '../node/lib/server.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const HAPROXY_SOURCE = '127.0.0.9';

/** The parleyd arguments of a node behind startHaproxy. */
export const NODE_ARGS = ['--trusted-proxies', HAPROXY_SOURCE];

export async function startHaproxy(t, nodes) {
  const port = await freePort();
  const env = { ...process.env, PARLEY_HAPROXY_BIND: `127.0.0.1:${port}`, PARLEY_HAPROXY_SOURCE: HAPROXY_SOURCE };
  nodes.forEach((n, i) => { env[`PARLEY_NODE${i + 1}`] = `127.0.0.1:${n.port}`; });
  const child = spawn('haproxy', ['-db', '-f', path.join(repo, 'deploy/haproxy.cfg')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  child.stdout.on('data', (d) => log.push(d.toString()));
  child.stderr.on('data', (d) => log.push(d.toString()));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  t.after(async () => { child.kill('SIGTERM'); await exited; });
  const proxy = { port, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/api/v1/ws`, log };
  // Ready when every node has passed its health checks (each answers through the proxy).
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      const res = await fetch(`${proxy.url}/readyz`);
      if (res.status === 200) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`haproxy did not become ready:\n${log.join('').slice(-2000)}`);
    await sleep(100);
  }
  return proxy;
}
