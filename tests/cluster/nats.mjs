// Starts real nats-server processes (Debian's nats-server) for the cluster tests: one server,
// or a cluster of several joined by routes. Each gets free ports; stop() kills it.
//
//   const nats = await startNats(t, { nodes: 3 });
//   nats.urls            // ['nats://127.0.0.1:P1', ...]
//   nats.busArg          // 'nats://127.0.0.1:P1,127.0.0.1:P2,...' for parleyd --bus
//   await nats.nodes[1].kill()   // SIGKILL one of them
import { spawn } from 'node:child_process';
import net from 'node:net';

import { freePort, sleep } from '../node/lib/server.mjs';

function reachable(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('data', (d) => { s.destroy(); resolve(d.toString().startsWith('INFO')); });
    s.once('error', () => resolve(false));
    s.setTimeout(1000, () => { s.destroy(); resolve(false); });
  });
}

class NatsNode {
  constructor(port, clusterPort, routes, monitorPort) {
    this.port = port;
    this.monitorPort = monitorPort;
    this.clusterPort = clusterPort;
    this.routes = routes;
    this.child = null;
    this.log = [];
    this.url = `nats://127.0.0.1:${port}`;
  }

  async start(timeoutMs = 20000) {
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-m', String(this.monitorPort)];
    if (this.clusterPort) {
      args.push('--cluster_name', 'parley', '--cluster', `nats://127.0.0.1:${this.clusterPort}`,
        '--routes', this.routes.join(','));
    }
    const child = spawn('nats-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.on('data', (d) => this.log.push(d.toString()));
    child.stderr.on('data', (d) => this.log.push(d.toString()));
    child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    child.on('error', (err) => this.log.push(`spawn error: ${err.message}\n`));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await reachable(this.port)) return;
      if (child.exitCode !== null || child.signalCode !== null) break;
      await sleep(50);
    }
    const log = this.log.join('');
    const err = new Error(`nats-server on ${this.port} did not start:\n${log.slice(-2000)}`);
    err.portTaken = log.includes('address already in use');
    throw err;
  }

  /** Client connections (parleyd nodes) this server holds, from its monitoring port. */
  async clientConnections() {
    const res = await fetch(`http://127.0.0.1:${this.monitorPort}/connz`);
    return (await res.json()).num_connections;
  }

  async kill(signal = 'SIGKILL') {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    await this.child.exited;
  }
}

/**
 * Starts `nodes` nats-servers (routed into one cluster when more than one). Should another
 * process take one of the chosen ports before its server binds it, the whole set starts over on
 * fresh ports (the routes name every port, so one node cannot move alone).
 */
export async function startNats(t, { nodes = 1 } = {}) {
  for (let attempt = 1; ; attempt += 1) {
    const ports = [];
    for (let i = 0; i < nodes; i += 1) {
      ports.push({ client: await freePort(), cluster: nodes > 1 ? await freePort() : 0, monitor: await freePort() });
    }
    const routes = ports.map((p) => `nats://127.0.0.1:${p.cluster}`);
    const list = ports.map((p) => new NatsNode(p.client, p.cluster, routes, p.monitor));
    if (t) t.after(() => Promise.all(list.map((n) => n.kill())));
    const started = await Promise.allSettled(list.map((n) => n.start()));
    const failed = started.find((r) => r.status === 'rejected');
    if (!failed) {
      return {
        nodes: list,
        urls: list.map((n) => n.url),
        busArg: `nats://${list.map((n) => `127.0.0.1:${n.port}`).join(',')}`,
      };
    }
    await Promise.all(list.map((n) => n.kill()));
    if (!failed.reason.portTaken || attempt >= 5) throw failed.reason;
  }
}
