// Starts the real parleyd on a free loopback port with a fresh data directory, and
// Debian's Chromium through playwright-core. Used by the end-to-end tests.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, mkdirSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
// Ports outside the kernel's ephemeral range, shared with the server's black-box tests.
import { freePort } from '../../tests/node/lib/server.mjs';

export { freePort };

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ARTIFACTS = join(WEB_DIR, 'test-artifacts');
export const REPO_DIR = resolve(WEB_DIR, '..');

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `extraArgs`: more parleyd flags, e.g. ['--presence-offline-grace-ms', '300']. */
/** `webRoot`: the built client to serve (web/dist unless given; restart() may change it). */
export async function startServer({ extraArgs = [], webRoot: root } = {}) {
  const bin = resolve(WEB_DIR, process.env.PARLEYD ?? '../build/debug/bin/parleyd');
  if (!existsSync(bin)) throw new Error(`parleyd not found at ${bin} (set PARLEYD)`);
  let webRoot = root ?? join(WEB_DIR, 'dist');
  if (!existsSync(join(webRoot, 'index.html'))) throw new Error('web/dist is missing: run `npm run build` first');
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-e2e-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const log = createWriteStream(join(ARTIFACTS, 'parleyd.log'));
  const base = `http://127.0.0.1:${port}`;
  let proc;
  let exited = null;

  async function launch() {
    exited = null;
    proc = spawn(
      bin,
      [
        '--listen', `127.0.0.1:${port}`,
        '--data-dir', dataDir,
        '--web-root', webRoot,
        '--rate-register-per-min', '1000',
        '--rate-login-per-min', '1000',
        ...extraArgs,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc.stdout.pipe(log, { end: false });
    proc.stderr.pipe(log, { end: false });
    proc.on('exit', (code, sig) => (exited = { code, sig }));
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`parleyd exited early: ${JSON.stringify(exited)} (see test-artifacts/parleyd.log)`);
      try {
        const r = await fetch(`${base}/healthz`);
        if (r.status === 200) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error('parleyd did not answer /healthz within 30 s');
      }
      await sleep(100);
    }
  }

  async function kill() {
    if (!exited) {
      proc.kill('SIGTERM');
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      if (!exited) proc.kill('SIGKILL');
      for (let i = 0; i < 20 && !exited; i++) await sleep(100);
    }
  }

  await launch();
  return {
    base,
    port,
    /**
     * Stops the server, keeping its data, and starts it again on the same port (serving
     * `webRoot` from then on when given).
     */
    async restart(downMs = 0, { webRoot: next } = {}) {
      await kill();
      await sleep(downMs);
      if (next) webRoot = next;
      await launch();
    },
    kill,
    launch,
    async stop() {
      await kill();
      log.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Content-Security-Policy violations seen in any page of a browser from startBrowser():
 * `securitypolicyviolation` events and Chromium's own "Refused to ..." console errors.
 * Each test file ends with an `it` asserting (assertNoCspViolations) that none happened while
 * its flows ran, so a client change that needs a looser policy fails here, not in production.
 */
export const cspViolations = [];

const CSP_REPORTER = `document.addEventListener('securitypolicyviolation', (e) => {
  console.error('[csp] ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber);
});`;

function watchCsp(context) {
  void context.addInitScript({ content: CSP_REPORTER });
  const watchPage = (page) => page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' && (text.startsWith('[csp] ') || /Content Security Policy/i.test(text)))
      cspViolations.push(`${page.url()}: ${text}`);
  });
  context.pages().forEach(watchPage);
  context.on('page', watchPage);
  return context;
}

export function assertNoCspViolations(assert) {
  assert.deepEqual(cspViolations, [], 'Content-Security-Policy violations');
}

/**
 * PARLEY_E2E_CPU_SLOWDOWN=N runs every page's main thread N times slower (Chromium's CPU
 * throttling), to bring out on a fast machine the races a busy CI machine shows.
 */
const CPU_SLOWDOWN = Number(process.env.PARLEY_E2E_CPU_SLOWDOWN ?? 0);

/** PARLEY_E2E_CONSOLE=1 copies every page's console warnings and errors to stderr (for diagnosis). */
const SHOW_CONSOLE = !!process.env.PARLEY_E2E_CONSOLE;

function showConsole(context) {
  if (!SHOW_CONSOLE) return context;
  const watch = (page) =>
    page.on('console', (msg) => {
      if (msg.type() === 'warning' || msg.type() === 'error') console.error(`[${new Date().toISOString()} console.${msg.type()}] ${page.url()}: ${msg.text()}`);
    });
  context.pages().forEach(watch);
  context.on('page', watch);
  return context;
}

function slowDown(context) {
  if (!(CPU_SLOWDOWN > 1)) return context;
  const throttle = (page) =>
    void context.newCDPSession(page).then((cdp) => cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN })).catch(() => undefined);
  context.pages().forEach(throttle);
  context.on('page', throttle);
  return context;
}

/** `extraArgs`: more Chromium flags, e.g. a fake microphone. */
export async function startBrowser({ extraArgs = [] } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...extraArgs],
  });
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => showConsole(slowDown(watchCsp(await newContext(...args))));
  /** A context with no script of the harness in its pages (for timing a page load alone). */
  browser.newBareContext = newContext;
  return browser;
}

export async function api(base, method, path, body, token) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const r = await fetch(base + '/api/v1' + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await r.json().catch(() => null);
  return { status: r.status, data };
}

/** Polls fn until it returns a truthy value. */
export async function eventually(fn, { timeout = 15_000, interval = 100, message = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${message}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await sleep(interval);
  }
}
