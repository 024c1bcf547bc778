// Client helpers: HTTP calls through fetch, accounts, and a WebSocket client over `ws` that
// authenticates, matches answers by `id` and lets a test wait for events with a timeout.

import assert from 'node:assert/strict';
import http from 'node:http';
import WebSocket from 'ws';
import { SLOW, sleep } from './server.mjs';

export const T = (ms) => ms * SLOW;

// ---------------------------------------------------------------------------------------------
// HTTP

/**
 * One HTTP request. `body` is JSON-encoded unless `raw` is given (a string or Buffer sent as is).
 * Resolves {status, headers, body, text}; `body` is the parsed JSON or undefined.
 * With `fresh` it goes over a new connection, closed after the answer (rawHttp; `headers`
 * is then a plain object), not over one fetch keeps alive: the server may close a kept-alive
 * connection while it is idle (descriptor shedding), and a request sent on it at that
 * moment fails, where a browser would retry it on a new connection.
 */
export async function api(server, method, path, { token, body, raw, headers = {}, timeoutMs = T(15000), fresh = false } = {}) {
  const h = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  let payload;
  if (raw !== undefined) {
    payload = raw;
    if (!('content-type' in h)) h['content-type'] = 'application/json';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] = 'application/json';
  }
  if (fresh) return rawHttp(server, method, path, { headers: h, body: payload, timeoutMs });
  const res = await fetch(server.url + path, {
    method,
    headers: h,
    body: payload,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed;
  try { parsed = text.length > 0 ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/**
 * A request through node:http, for cases fetch handles badly (a body the server refuses
 * before reading it). Resolves {status, headers, body, text} or rejects on a socket error.
 */
export function rawHttp(server, method, path, { headers = {}, body, timeoutMs = T(15000) } = {}) {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url + path);
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname + url.search, method,
      headers: { connection: 'close', ...headers },
      agent: false,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed;
        try { parsed = text.length > 0 ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: parsed, text });
      });
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer to ${method} ${path} within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Asserts an error answer: status and body {"error": {"code", "message"}}. */
export function assertError(res, status, code, what = '') {
  const ctx = `${what} -> ${res.status} ${res.text}`;
  assert.equal(res.status, status, `expected HTTP ${status} ${code}: ${ctx}`);
  assert.ok(res.body && typeof res.body === 'object' && res.body.error, `expected an error body: ${ctx}`);
  assert.equal(res.body.error.code, code, `expected code ${code}: ${ctx}`);
  assert.equal(typeof res.body.error.message, 'string', `error.message must be a string: ${ctx}`);
  const type = typeof res.headers.get === 'function' ? res.headers.get('content-type') : res.headers['content-type'];
  assert.match(type ?? '', /^application\/json/, `errors are JSON (Content-Type: application/json): ${ctx}`);
}

export function assertStatus(res, status, what = '') {
  assert.equal(res.status, status, `${what} -> ${res.status} ${res.text}`);
}

let counter = 0;
/** A fresh client_id (pattern A-Z a-z 0-9 _ -). */
export function cid(prefix = 'c') {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export function passwordFor(username) {
  return `pw-${username}-secret`;
}

/** Registers `username` (asserting 201) and returns {user, token, session_id, expires_at, password}. */
export async function register(server, username, { display_name, password, device_name, fresh } = {}) {
  const pw = password ?? passwordFor(username);
  const body = { username, display_name: display_name ?? username[0].toUpperCase() + username.slice(1), password: pw };
  if (device_name !== undefined) body.device_name = device_name;
  const res = await api(server, 'POST', '/api/v1/register', { body, fresh });
  assertStatus(res, 201, `register ${username}`);
  return { ...res.body, password: pw };
}

/** Logs in (asserting 200) and returns the body plus the password. */
export async function login(server, username, { password, device_name, fresh } = {}) {
  const pw = password ?? passwordFor(username);
  const body = { username, password: pw };
  if (device_name !== undefined) body.device_name = device_name;
  const res = await api(server, 'POST', '/api/v1/login', { body, fresh });
  assertStatus(res, 200, `login ${username}`);
  return { ...res.body, password: pw };
}

/** Creates (or finds) the direct conversation; returns {status, conversation, created}. */
export async function openConversation(server, token, peerUsername) {
  const res = await api(server, 'POST', '/api/v1/conversations', { token, body: { peer_username: peerUsername } });
  assert.ok(res.status === 200 || res.status === 201, `POST /conversations ${peerUsername} -> ${res.status} ${res.text}`);
  return { status: res.status, conversation: res.body.conversation, created: res.body.created };
}

/** GET history; returns the body {messages, has_more} after asserting 200. */
export async function history(server, token, convId, params = {}) {
  const q = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
  const res = await api(server, 'GET', `/api/v1/conversations/${convId}/messages${q ? `?${q}` : ''}`, { token });
  assertStatus(res, 200, `history ${convId} ${q}`);
  return res.body;
}

/** Every message of a conversation, oldest first, fetched with after= pages. */
export async function fullHistory(server, token, convId, limit = 200) {
  const all = [];
  let after = 0;
  for (;;) {
    const page = await history(server, token, convId, { after, limit });
    all.push(...page.messages);
    if (!page.has_more) break;
    assert.ok(page.messages.length > 0, 'has_more with an empty page');
    after = page.messages[page.messages.length - 1].seq;
  }
  return all;
}

/** HTTP send; returns the raw response. */
export async function httpSend(server, token, convId, clientId, text) {
  return api(server, 'POST', `/api/v1/conversations/${convId}/messages`, { token, body: { client_id: clientId, text } });
}

// ---------------------------------------------------------------------------------------------
// Shape checks

export function isId(v) {
  return Number.isInteger(v) && v > 0 && v < 2 ** 53;
}

export function assertUser(u, expected = {}) {
  assert.ok(u && typeof u === 'object', `user object: ${JSON.stringify(u)}`);
  assert.ok(isId(u.id), `user.id: ${JSON.stringify(u)}`);
  assert.equal(typeof u.username, 'string');
  assert.equal(typeof u.display_name, 'string');
  for (const [k, v] of Object.entries(expected)) assert.equal(u[k], v, `user.${k}`);
}

export function assertMessage(m, expected = {}) {
  assert.ok(m && typeof m === 'object', `message object: ${JSON.stringify(m)}`);
  assert.ok(isId(m.id), `message.id: ${JSON.stringify(m)}`);
  assert.ok(isId(m.conversation_id), `message.conversation_id: ${JSON.stringify(m)}`);
  assert.ok(Number.isInteger(m.seq) && m.seq >= 1, `message.seq: ${JSON.stringify(m)}`);
  assert.ok(isId(m.sender_id), `message.sender_id: ${JSON.stringify(m)}`);
  assert.equal(typeof m.client_id, 'string', `message.client_id: ${JSON.stringify(m)}`);
  assert.equal(m.kind, 'text', `message.kind: ${JSON.stringify(m)}`);
  assert.equal(typeof m.text, 'string', `message.text: ${JSON.stringify(m)}`);
  assert.ok(Number.isInteger(m.ts) && m.ts > 1.6e12, `message.ts: ${JSON.stringify(m)}`);
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(m[k], v, `message.${k} in ${JSON.stringify(m)}`);
}

// ---------------------------------------------------------------------------------------------
// WebSocket

/**
 * A WebSocket connection. Every frame the server sends is parsed and kept in `frames` (all of
 * them, for "never received" checks) and in an inbox that next() consumes from.
 */
export class Client {
  constructor(ws) {
    this.ws = ws;
    this.frames = [];
    this.inbox = [];
    this.waiters = [];
    this.nonJson = [];
    this.nextId = 1;
    this.closeInfo = null;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        this.#wake();
        resolve(this.closeInfo);
      });
    });
    ws.on('error', (err) => { this.lastError = err; });
    this.pings = 0;
    ws.on('ping', () => { this.pings += 1; });
    ws.on('message', (data, isBinary) => {
      let frame;
      try {
        frame = JSON.parse(data.toString('utf8'));
      } catch {
        this.nonJson.push({ data, isBinary });
        return;
      }
      this.frames.push(frame);
      this.inbox.push(frame);
      this.#wake();
    });
  }

  #wake() {
    for (const w of [...this.waiters]) w();
  }

  get isOpen() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a frame (an object is JSON-encoded; a string or Buffer is sent as is). */
  send(frame, options) {
    const data = typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame);
    this.ws.send(data, options);
  }

  /**
   * Resolves with the first frame in the inbox matching `predicate` (removing it), waiting up to
   * timeoutMs. Rejects on timeout or if the connection closes first.
   */
  next(predicate = () => true, timeoutMs = T(5000), what = 'a matching frame') {
    return new Promise((resolve, reject) => {
      const check = () => {
        const i = this.inbox.findIndex(predicate);
        if (i >= 0) {
          const [frame] = this.inbox.splice(i, 1);
          done();
          resolve(frame);
          return true;
        }
        if (this.closeInfo) {
          done();
          reject(new Error(`connection closed (${JSON.stringify(this.closeInfo)}) while waiting for ${what}; unconsumed: ${this.#pending()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; unconsumed: ${this.#pending()}`));
      }, timeoutMs);
      const waiter = () => { check(); };
      const done = () => {
        clearTimeout(timer);
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      this.waiters.push(waiter);
      check();
    });
  }

  #pending() {
    const s = JSON.stringify(this.inbox.slice(0, 5));
    return s.length > 600 ? `${s.slice(0, 600)}...` : s;
  }

  /** Waits for an event (a frame without id) of the given type and optional extra predicate. */
  event(type, predicate = () => true, timeoutMs = T(5000)) {
    return this.next((f) => f.type === type && f.id === undefined && predicate(f), timeoutMs, `a ${type} event`);
  }

  /** Sends a request with a fresh id and resolves with the frame answering it (any type). */
  request(frame, timeoutMs = T(10000)) {
    const id = frame.id ?? `r${this.nextId++}`;
    const full = { ...frame, id };
    const answer = this.next((f) => f.id === id && f.type !== undefined, timeoutMs, `the answer to ${JSON.stringify(full).slice(0, 200)}`);
    this.send(full);
    return answer;
  }

  /** Like request() but asserts the answer has type `type` and returns it. */
  async call(frame, type, timeoutMs) {
    const ans = await this.request(frame, timeoutMs);
    assert.equal(ans.type, type, `answer to ${JSON.stringify(frame).slice(0, 200)}: ${JSON.stringify(ans)}`);
    return ans;
  }

  /** Sends a message and returns the ack frame (asserting it is an ack). */
  async sendMessage(conversation_id, client_id, text, timeoutMs) {
    return this.call({ type: 'send', conversation_id, client_id, text }, 'ack', timeoutMs);
  }

  /** Resolves {code, reason} once closed; rejects after timeoutMs. */
  async waitClose(timeoutMs = T(5000)) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`connection not closed within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Frames received so far (consumed or not) matching predicate. */
  received(predicate) {
    return this.frames.filter(predicate);
  }

  close(code = 1000) {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      try { this.ws.close(code); } catch { /* ignore */ }
    }
  }

  terminate() {
    try { this.ws.terminate(); } catch { /* ignore */ }
  }
}

/**
 * Opens a WebSocket without authenticating. Resolves with a Client once open; rejects with an
 * error carrying `statusCode` when the upgrade is refused.
 */
export function openSocket(server, { headers = {}, origin, timeoutMs = T(5000), url, wsOptions = {} } = {}) {
  return new Promise((resolve, reject) => {
    const opts = { headers: { ...headers }, handshakeTimeout: timeoutMs, perMessageDeflate: false, ...wsOptions };
    if (origin !== undefined) opts.origin = origin;
    const ws = new WebSocket(url ?? server.wsUrl, opts);
    const client = new Client(ws);
    ws.once('open', () => resolve(client));
    ws.once('unexpected-response', (req, res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const err = new Error(`upgrade refused with ${res.statusCode}: ${text}`);
        err.statusCode = res.statusCode;
        err.headers = res.headers;
        err.body = text;
        try { err.json = JSON.parse(text); } catch { /* not JSON */ }
        ws.terminate();
        reject(err);
      });
    });
    ws.once('error', (err) => reject(err));
  });
}

/**
 * Opens a WebSocket and authenticates with the first-frame `auth` (or with the Authorization
 * header when `header: true`). Resolves with the Client; `client.ready` is the ready frame.
 * The client is closed in t.after() when `t` is given.
 */
export async function connect(t, server, token, { header = false, timeoutMs = T(5000), ...rest } = {}) {
  const headers = header ? { authorization: `Bearer ${token}` } : {};
  const client = await openSocket(server, { headers, timeoutMs, ...rest });
  if (t) t.after(() => client.terminate());
  if (!header) client.send({ type: 'auth', token });
  const ready = await client.next((f) => f.type === 'ready' || f.type === 'error', timeoutMs, 'ready');
  assert.equal(ready.type, 'ready', `auth answered ${JSON.stringify(ready)}`);
  client.ready = ready;
  return client;
}

/** Waits `ms` and asserts no frame matching predicate arrived on `client` during the wait (or before). */
export async function assertNoFrame(client, predicate, ms, what = 'frame') {
  await sleep(ms);
  const got = client.received(predicate);
  assert.equal(got.length, 0, `unexpected ${what}: ${JSON.stringify(got).slice(0, 500)}`);
}

/** Asserts a WebSocket error frame answering a request. */
export function assertWsError(frame, code, what = '') {
  assert.equal(frame.type, 'error', `${what}: expected error ${code}, got ${JSON.stringify(frame)}`);
  assert.equal(frame.code, code, `${what}: expected code ${code}, got ${JSON.stringify(frame)}`);
  assert.equal(typeof frame.message, 'string', `${what}: error frame needs a message: ${JSON.stringify(frame)}`);
}

/** Checks that seqs are exactly 1..n in order. */
export function assertGapFree(messages, what = 'messages') {
  const seqs = messages.map((m) => m.seq);
  const expected = Array.from({ length: seqs.length }, (_, i) => i + 1);
  assert.deepEqual(seqs, expected, `${what}: seqs must be 1..${seqs.length} without gaps`);
}

/** Resolves with the promise's value, or with `onTimeout` after ms (the timer is cleared either way). */
export async function within(promise, ms, onTimeout = undefined) {
  let timer;
  const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(onTimeout), ms); });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export { sleep };
