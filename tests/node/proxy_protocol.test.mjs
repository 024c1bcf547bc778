// Client addresses behind a reverse proxy (docs/protocol.md, "Client addresses behind a
// proxy"): a peer in --trusted-proxies starts each connection with a PROXY protocol header,
// and the address it names is the client's for every per-address limit and list. The tests
// play the proxy themselves, from 127.0.0.2 (the harness checks health from 127.0.0.1, an
// ordinary client).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { binaryPath, startServer } from './lib/server.mjs';
import { register, passwordFor, T, within } from './lib/client.mjs';
import { rawRequest, rawGet } from './lib/raw.mjs';
import { selfSignedCert } from './lib/push.mjs';

const PROXY = '127.0.0.2';
const SIG = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** A PROXY v2 header relaying a TCP client at `ip` (IPv4 or IPv6) to 127.0.0.1:port. */
function v2(ip, port = 8080) {
  const v6 = net.isIPv6(ip);
  const addr = (a) => (v6 ? ipv6Bytes(a) : Buffer.from(a.split('.').map(Number)));
  const ports = Buffer.from([0xc3, 0x50, port >> 8, port & 0xff]);
  const body = Buffer.concat([addr(ip), addr(v6 ? '::1' : '127.0.0.1'), ports]);
  return Buffer.concat([SIG, Buffer.from([0x21, v6 ? 0x21 : 0x11, 0, body.length]), body]);
}

/** The v2 LOCAL header: the proxy's own connection (its health checks). */
const V2_LOCAL = Buffer.concat([SIG, Buffer.from([0x20, 0x00, 0, 0])]);

function ipv6Bytes(a) {
  const [head, tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail ? tail.split(':') : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

/** A PROXY v1 line relaying a TCP client at `ip`. */
function v1(ip) {
  return Buffer.from(`PROXY ${net.isIPv6(ip) ? 'TCP6' : 'TCP4'} ${ip} ${net.isIPv6(ip) ? '::1' : '127.0.0.1'} 50000 8080\r\n`);
}

/** One request after `header` (in the same write, as a proxy sends them), answered and closed. */
function viaProxy(server, header, request) {
  return rawRequest(server, Buffer.concat([header, Buffer.from(request)]), { localAddress: PROXY });
}

/** A connection that sends `header`, then keep-alive requests; records answers and the close. */
function openProxied(server, header) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port: server.port, host: '127.0.0.1', localAddress: PROXY });
    const c = { socket, closed: false, data: '' };
    c.closedP = new Promise((r) => socket.on('close', () => { c.closed = true; r(); }));
    socket.on('data', (d) => { c.data += d.toString('latin1'); });
    socket.on('error', () => {});
    socket.once('connect', () => { socket.write(header); resolve(c); });
    socket.once('error', reject);
  });
}

/** Asks for /healthz on `c`: 'answered' when an HTTP answer arrives, 'closed' when it is closed. */
function probe(c) {
  return within(new Promise((resolve) => {
    const check = () => {
      if (c.data.startsWith('HTTP/1.1')) resolve('answered');
      else if (c.closed) resolve('closed');
    };
    c.socket.on('data', check);
    c.closedP.then(check);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
  }), T(10000), 'no answer and not closed');
}

function login(username) {
  const body = JSON.stringify({ username, password: passwordFor(username) });
  return `POST /api/v1/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

test('each address a trusted proxy names has its own connection budget', async (t) => {
  const server = await startServer(t, { args: ['--trusted-proxies', PROXY, '--max-connections-per-address', '2'] });
  const held = [];
  t.after(() => { for (const c of held) c.socket.destroy(); });
  const open = async (header) => { const c = await openProxied(server, header); held.push(c); return c; };

  // Two from 198.51.100.1 are served, the third is closed at once: the proxy's own address
  // (127.0.0.2, which all of them come from) does not count.
  for (let i = 0; i < 2; ++i) assert.equal(await probe(await open(v2('198.51.100.1'))), 'answered');
  assert.equal(await probe(await open(v2('198.51.100.1'))), 'closed');
  // Another client, named by v1 or v2, has its own two.
  assert.equal(await probe(await open(v1('198.51.100.2'))), 'answered');
  assert.equal(await probe(await open(v2('198.51.100.2'))), 'answered');
  assert.equal(await probe(await open(v1('198.51.100.2'))), 'closed');
  // IPv6 clients count per /64, as direct ones do.
  assert.equal(await probe(await open(v2('2001:db8:1:2::1'))), 'answered');
  assert.equal(await probe(await open(v2('2001:db8:1:2::2'))), 'answered');
  assert.equal(await probe(await open(v2('2001:db8:1:2::3'))), 'closed');
  assert.equal(await probe(await open(v2('2001:db8:1:3::1'))), 'answered');
  // A closed connection gives its place back.
  held[0].socket.destroy();
  await held[0].closedP;
  let again = 'closed';
  for (let i = 0; i < 50 && again === 'closed'; ++i) again = await probe(await open(v2('198.51.100.1')));
  assert.equal(again, 'answered');
});

test('the request log and the login rate limit see the address the proxy names', async (t) => {
  const server = await startServer(t, { args: ['--trusted-proxies', PROXY, '--rate-login-per-min', '1'] });
  await register(server, 'pia');
  // 203.0.113.5 spends its one login a minute; 203.0.113.6, behind the same proxy, still has its own.
  const first = await viaProxy(server, v2('203.0.113.5'), login('pia'));
  assert.equal(first.status, 200, first.raw);
  const second = await viaProxy(server, v1('203.0.113.5'), login('pia'));
  assert.equal(second.status, 429, second.raw);
  const other = await viaProxy(server, v2('203.0.113.6'), login('pia'));
  assert.equal(other.status, 200, other.raw);
  const log = server.log.join('');
  assert.match(log, /path=\/api\/v1\/login status=200 .*from=203\.0\.113\.5\b/);
  assert.match(log, /path=\/api\/v1\/login status=429 error=rate_limited .*from=203\.0\.113\.5\b/);
  assert.match(log, /path=\/api\/v1\/login status=200 .*from=203\.0\.113\.6\b/);
});

test('a proxied client is not loopback for /metrics and /admin although the proxy is', async (t) => {
  const server = await startServer(t, { args: ['--trusted-proxies', PROXY] });
  const token = fs.readFileSync(`${server.dataDir}/admin.token`, 'utf8').trim();
  const admin = rawGet('/admin/v1/stats', `Authorization: Bearer ${token}\r\n`);
  for (const header of [v2('203.0.113.9'), v1('203.0.113.9'), v2('2001:db8::9')]) {
    const metrics = await viaProxy(server, header, rawGet('/metrics'));
    assert.equal(metrics.status, 403, metrics.raw);
    assert.match(metrics.body, /"forbidden"/);
    const stats = await viaProxy(server, header, admin);
    assert.equal(stats.status, 403, stats.raw);
  }
  // A client on loopback itself (the proxy names 127.0.0.1) is loopback; so is the proxy's
  // own connection (LOCAL: its health checks), which keeps the proxy's address.
  assert.equal((await viaProxy(server, v2('127.0.0.1'), rawGet('/metrics'))).status, 200);
  // PROXY UNKNOWN (the proxy could not name the client) is never taken for the proxy.
  const unknown = await viaProxy(server, Buffer.from('PROXY UNKNOWN\r\n'), rawGet('/metrics'));
  assert.equal(unknown.status, 403, unknown.raw);
  assert.match(server.log.join(''), /path=\/metrics status=403 error=forbidden .*from=unknown/);
  // LOCAL is the proxy's own connection (its health checks): the proxy's address.
  const local = await viaProxy(server, V2_LOCAL, rawGet('/admin/v1/stats', `Authorization: Bearer ${token}\r\n`));
  assert.equal(local.status, 200, local.raw);
});

test('a trusted proxy connection without a valid PROXY header is closed unanswered', async (t) => {
  const server = await startServer(t, { args: ['--trusted-proxies', PROXY] });
  const bad = [
    Buffer.alloc(0),                                      // no header at all
    Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'),     // no CR
    Buffer.from('PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n'),     // not an address
    Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n'),
    Buffer.from(`PROXY UNKNOWN ${'x'.repeat(200)}\r\n`), // longer than 107 bytes
    Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0x02, 0x09])]),  // declares 537 bytes in all
    Buffer.concat([SIG, Buffer.from([0x31, 0x11, 0, 12]), Buffer.alloc(12)]),  // version 3
    Buffer.concat([SIG, Buffer.from([0x21, 0x11, 0, 4]), Buffer.alloc(4)]),    // too short for INET
  ];
  for (const header of bad) {
    const res = await viaProxy(server, header, rawGet('/healthz'));
    assert.equal(res.status, 0, `answered after ${JSON.stringify(header.toString('latin1'))}: ${res.raw}`);
    assert.equal(res.raw, '');
  }
  // A header that stops halfway is waited for (10 s), then the connection is closed unanswered.
  const half = await openProxied(server, v2('198.51.100.7').subarray(0, 20));
  t.after(() => half.socket.destroy());
  await within(half.closedP, T(30000), 'a half header is not closed');
  assert.equal(half.data, '');
  const ok = await viaProxy(server, V2_LOCAL, rawGet('/metrics'));
  assert.equal(ok.status, 200);
  const refused = /parley_proxy_headers_refused_total (\d+)/.exec(ok.body);
  assert.ok(refused && Number(refused[1]) >= bad.length, ok.body);
});

test('an untrusted peer that sends a PROXY header gets 400: it cannot claim an address', async (t) => {
  // 127.0.0.1 is not a trusted proxy here (only 127.0.0.2 or 10.9.8.7 is), nor by default.
  for (const args of [[], ['--trusted-proxies', '10.9.8.7'], ['--trusted-proxies', PROXY]]) {
    const server = await startServer(t, { args: ['--max-connections-per-address', '50', ...args] });
    const send = (header, request) => rawRequest(server, Buffer.concat([header, Buffer.from(request)]));
    const res = await send(v1('203.0.113.77'), rawGet('/healthz'));
    assert.equal(res.status, 400, res.raw);
    assert.match(res.body, /"bad_request"/);
    const binary = await send(v2('203.0.113.77'), rawGet('/metrics'));
    assert.equal(binary.status, 400, binary.raw);
    assert.doesNotMatch(server.log.join(''), /from=203\.0\.113\.77/);
    // Its own requests are still its own: loopback reads /metrics.
    assert.equal((await rawRequest(server, rawGet('/metrics'))).status, 200);
  }
});

test('with TLS the PROXY header comes before the handshake, also in the same packet', async (t) => {
  const { cert, key } = selfSignedCert(t);
  const server = await startServer(t, {
    args: ['--trusted-proxies', PROXY, '--tls-cert', cert, '--tls-key', key, '--rate-login-per-min', '1'],
  });
  // The header and the ClientHello leave in one write, so parleyd reads both at once.
  const request = (header, text) => new Promise((resolve, reject) => {
    const raw = net.connect({ port: server.port, host: '127.0.0.1', localAddress: PROXY });
    let first = true;
    const carrier = new Duplex({
      write(chunk, _enc, cb) {
        raw.write(first ? Buffer.concat([header, chunk]) : chunk, cb);
        first = false;
      },
      read() {},
      final(cb) { raw.end(); cb(); },
    });
    raw.on('data', (d) => carrier.push(d));
    raw.on('end', () => carrier.push(null));
    raw.on('error', (e) => carrier.destroy(e));
    const s = tls.connect({ socket: carrier, servername: 'localhost', ca: fs.readFileSync(cert) });
    let out = '';
    s.on('secureConnect', () => s.write(text));
    s.on('data', (d) => { out += d.toString('latin1'); });
    s.on('end', () => resolve(out));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
  const metrics = await within(request(v2('203.0.113.20'), rawGet('/metrics')), T(10000), 'no TLS answer');
  assert.match(metrics, /^HTTP\/1\.1 403/);
  const local = await within(request(V2_LOCAL, rawGet('/metrics')), T(10000), 'no TLS answer');
  assert.match(local, /^HTTP\/1\.1 200/);
  assert.match(server.log.join(''), /path=\/metrics status=403 error=forbidden .*from=203\.0\.113\.20/);
});

test('a malformed --trusted-proxies stops parleyd at start, naming the entry', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-proxies-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const bad of ['10.0.0.0/33', '127.0.0.1,nonsense', '::1/129']) {
    const r = spawnSync(binaryPath(), ['--listen', '127.0.0.1:0', '--data-dir', dir, '--trusted-proxies', bad],
      { encoding: 'utf8', timeout: T(20000) });
    assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
    assert.match(r.stderr, /--trusted-proxies: /);
  }
});
