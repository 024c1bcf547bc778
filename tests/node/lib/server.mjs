// Starts the real parleyd binary for one test: a free port, a fresh data directory, and
// generous rate limits (tests that exercise the limits pass their own flags, which come later
// on the command line and therefore win).
//
//   const server = await startServer(t, { args: ['--rate-send-per-sec', '1'] });
//   server.url, server.wsUrl, server.dataDir, server.dbPath
//   await server.stop()          // SIGTERM, wait for the exit; resolves {code, signal}
//   await server.kill('SIGKILL') // any signal, wait for the exit
//   await server.restart()       // same port, same data directory
//
// PARLEY_TEST_STORE=postgresql://USER@HOST:PORT/DB (a PostgreSQL server, e.g. from
// scripts/pg-test-server.sh) runs every server on PostgreSQL instead: each gets a fresh
// database on that server (created with psql), kept across restart().
//
// Passing the test context `t` registers cleanup with t.after(): the server is always stopped
// (also when the test fails) and its data directory removed. A server that died by itself, or
// that does not exit cleanly on SIGTERM at the end, fails the test with the tail of its log.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const testsDir = path.resolve(here, '..');

/** Multiplier for every timeout: sanitizer builds are several times slower. */
export const SLOW = process.env.PARLEY_TEST_SLOW === '1' ? 3 : 1;

export function binaryPath() {
  const fromEnv = process.env.PARLEYD;
  if (fromEnv) return path.resolve(process.cwd(), fromEnv);
  return path.resolve(testsDir, '../../build/debug/bin/parleyd');
}

export const BASE_ARGS = [
  '--rate-register-per-min', '100000',
  '--rate-login-per-min', '100000',
  '--rate-send-per-sec', '100000',
  '--rate-send-burst', '100000',
  // Tests that poll (sync loops, receipts) must not depend on how fast the machine answers:
  // every per-user bucket is lifted unless a test sets its own.
  '--rate-other-per-sec', '100000',
  '--rate-other-burst', '100000',
  '--rate-group-create-per-min', '100000',
  '--rate-group-create-burst', '100000',
  '--rate-group-add-per-min', '100000',
  '--rate-group-add-burst', '100000',
  '--rate-upload-per-min', '100000',
];

const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/**
 * The regular files under the server's media/<sub> directory (e.g. 'blobs', 'staging'),
 * relative to it. The media collector runs concurrently: a file listed and gone before it is
 * looked at is not counted.
 */
export function mediaFiles(server, sub) {
  const dir = path.join(server.dataDir, 'media', sub);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true })
    .filter((f) => fs.statSync(path.join(dir, f), { throwIfNoEntry: false })?.isFile());
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// The kernel hands ports out of ip_local_port_range to every outgoing connection (haproxy's to
// the nodes, parleyd's to NATS...). A port picked there and released before its server binds it
// can be taken by one of those in between, so test ports come from outside that range.
function ephemeralRange() {
  try {
    const [lo, hi] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(lo) && Number.isInteger(hi)) return [lo, hi];
  } catch { /* not Linux: fall through */ }
  return [32768, 60999];
}

const [EPHEMERAL_LO, EPHEMERAL_HI] = ephemeralRange();
// Candidates: [10000, lo) and (hi, 65535], whichever are wide enough.
const PORT_SPANS = [[10000, EPHEMERAL_LO - 1], [EPHEMERAL_HI + 1, 65535]].filter(([a, b]) => b - a >= 1000);

function tryListen(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(0));
    srv.listen(port, '127.0.0.1', () => {
      const bound = srv.address().port;
      srv.close(() => resolve(bound));
    });
  });
}

/** A port on 127.0.0.1 nobody listens on, outside the kernel's ephemeral range where it can. */
export async function freePort() {
  const total = PORT_SPANS.reduce((n, [a, b]) => n + (b - a + 1), 0);
  for (let attempt = 0; total > 0 && attempt < 50; attempt += 1) {
    let k = Math.floor(Math.random() * total);
    let port = 0;
    for (const [a, b] of PORT_SPANS) {
      if (k <= b - a) { port = a + k; break; }
      k -= b - a + 1;
    }
    if (await tryListen(port)) return port;
  }
  const port = await tryListen(0);
  if (!port) throw new Error('no free port');
  return port;
}

/** The status of a GET over HTTPS that accepts any certificate (a test's self-signed one). */
function httpsStatus(url, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { rejectUnauthorized: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

class ServerProcess {
  constructor({ port, dataDir, args }) {
    this.port = port;
    this.dataDir = dataDir;
    this.dbPath = path.join(dataDir, 'parley.db');
    this.args = args;
    // With --tls-cert the server speaks only HTTPS/WSS (the tests' certificates are their own).
    this.tls = args.includes('--tls-cert');
    this.url = `${this.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    this.wsUrl = `${this.tls ? 'wss' : 'ws'}://127.0.0.1:${port}/api/v1/ws`;
    this.child = null;
    this.exitInfo = null;
    this.expectExit = false;
    this.unexpectedExits = [];
    this.log = [];
  }

  logTail(lines = 60) {
    return this.log.join('').split('\n').slice(-lines).join('\n');
  }

  #record(chunk) {
    this.log.push(chunk.toString());
    if (this.log.length > 2000) this.log.splice(0, this.log.length - 2000);
  }

  #spawnOnce() {
    const argv = ['--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir, ...BASE_ARGS, ...this.args];
    const child = spawn(binaryPath(), argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exitInfo = null;
    this.expectExit = false;
    live.add(child);
    child.stdout.on('data', (d) => this.#record(d));
    child.stderr.on('data', (d) => this.#record(d));
    child.exited = new Promise((resolve) => {
      child.on('error', (err) => {
        this.#record(`spawn error: ${err.message}\n`);
      });
      child.on('exit', (code, signal) => {
        live.delete(child);
        const info = { code, signal };
        if (this.child === child) this.exitInfo = info;
        if (!this.expectExit) this.unexpectedExits.push(info);
        resolve(info);
      });
    });
    return child;
  }

  async #waitHealthy(child, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitInfo) return false;
      try {
        if (this.tls) {
          if (await httpsStatus(`${this.url}/healthz`, 1000) === 200) return true;
        } else {
          const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
          await res.arrayBuffer();
          if (res.status === 200) return true;
        }
      } catch { /* not listening yet */ }
      await sleep(50);
    }
    throw new Error(`parleyd did not answer GET /healthz with 200 within ${timeoutMs} ms\n${this.logTail()}`);
  }

  /** Spawns the binary and waits for /healthz. Retries a few times if it exits at once (port still held). */
  async start() {
    const bin = binaryPath();
    if (!fs.existsSync(bin)) throw new Error(`parleyd binary not found at ${bin} (set PARLEYD)`);
    const deadline = Date.now() + 20000 * SLOW;
    for (;;) {
      const child = this.#spawnOnce();
      const ok = await this.#waitHealthy(child, Math.max(1000, deadline - Date.now()));
      if (ok) return this;
      // It exited before becoming healthy: typically the port is not free yet after a kill.
      this.unexpectedExits.pop();
      if (Date.now() > deadline) {
        throw new Error(`parleyd exited during start-up (${JSON.stringify(this.exitInfo)})\n${this.logTail()}`);
      }
      await sleep(200);
    }
  }

  get running() {
    return this.child !== null && this.exitInfo === null;
  }

  get pid() {
    return this.child?.pid;
  }

  /** Sends a signal and waits for the process to exit. */
  async kill(signal = 'SIGKILL', timeoutMs = 15000 * SLOW) {
    const child = this.child;
    if (!child || this.exitInfo) return this.exitInfo;
    this.expectExit = true;
    child.kill(signal);
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs); });
    const info = await Promise.race([child.exited, timeout]);
    clearTimeout(timer);
    if (info === null) {
      child.kill('SIGKILL');
      await child.exited;
      throw new Error(`parleyd did not exit within ${timeoutMs} ms of ${signal}\n${this.logTail()}`);
    }
    return info;
  }

  /** Graceful stop (SIGTERM). Resolves {code, signal}. */
  async stop() {
    return this.kill('SIGTERM');
  }

  /** Starts again on the same port and data directory (stops it first if it still runs). */
  async restart() {
    if (this.running) await this.stop();
    return this.start();
  }

  /** Final cleanup: stop, check that the server neither died by itself nor failed to stop cleanly. */
  async destroy() {
    const problems = [];
    if (this.unexpectedExits.length > 0) {
      problems.push(`parleyd exited without being asked to: ${JSON.stringify(this.unexpectedExits)}`);
    }
    if (this.running) {
      try {
        const info = await this.stop();
        if (info.code !== 0) problems.push(`parleyd exited with ${JSON.stringify(info)} after SIGTERM (expected code 0)`);
      } catch (err) {
        problems.push(err.message);
      }
    }
    if (process.env.PARLEY_TEST_KEEP !== '1') {
      fs.rmSync(this.dataDir, { recursive: true, force: true });
    }
    if (problems.length > 0) {
      throw new Error(`${problems.join('\n')}\n--- parleyd log tail ---\n${this.logTail()}`);
    }
  }
}

let databases = 0;

/** ['--store', URI] of a fresh PostgreSQL database when PARLEY_TEST_STORE is set, else []. */
function storeArgs() {
  const server = process.env.PARLEY_TEST_STORE;
  if (!server) return [];
  const name = `parley_node_${process.pid}_${databases++}`;
  execFileSync('psql', [server, '-qAtc', `CREATE DATABASE ${name}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = new URL(server);
  url.pathname = `/${name}`;
  return ['--store', url.toString()];
}

/**
 * Starts a server. `t` (the node:test context) is optional but recommended: with it the server is
 * destroyed in t.after().
 */
export async function startServer(t, { args = [] } = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-test-'));
  const port = await freePort();
  const server = new ServerProcess({ port, dataDir, args: [...storeArgs(), ...args] });
  if (t) t.after(() => server.destroy());
  try {
    await server.start();
  } catch (err) {
    if (!t) await server.destroy().catch(() => {});
    throw err;
  }
  return server;
}
