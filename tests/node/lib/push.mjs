// A fake push service for push tests: an HTTPS server with a self-signed certificate made
// for the test (openssl CLI), recording every request, answering as the test says; and a
// browser's side of Web Push: a subscription's keys, decryption (npm http_ece, RFC 8291 with
// the subscription's private key) and an independent check of the VAPID JWT (node crypto).

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import ece from 'http_ece';
import { T, sleep } from './client.mjs';

/** A key and self-signed certificate for "localhost" in a temporary directory. */
export function selfSignedCert(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-push-cert-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-days', '1',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { key, cert };
}

/**
 * The fake push service (and gateway). `answer(req)` decides the status and body of each
 * request (default 201), or a promise of them (the answer held meanwhile). Every request is kept in
 * `requests` as {path, headers, body}.
 */
export async function fakePushService(t, certFiles, answer = () => ({ status: 201 })) {
  const service = { requests: [], answer, waiters: [] };
  const server = https.createServer({ key: fs.readFileSync(certFiles.key), cert: fs.readFileSync(certFiles.cert) },
    (req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const r = { path: req.url, headers: req.headers, body: Buffer.concat(chunks) };
        service.requests.push(r);
        // The answer may be a promise: the request is seen (waitFor) while its answer is held.
        void Promise.resolve(service.answer(r)).then(({ status, body = '' }) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(body);
        });
        for (const w of [...service.waiters]) w();
      });
    });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  service.port = server.address().port;
  service.origin = `https://localhost:${service.port}`;
  service.url = (p) => `${service.origin}${p}`;
  service.to = (p) => service.requests.filter((r) => r.path === p);
  /** Resolves with the first request to path `p` matching `predicate`, waiting up to ms. */
  service.waitFor = (p, predicate = () => true, ms = T(10000)) => new Promise((resolve, reject) => {
    const check = () => {
      const found = service.requests.find((r) => r.path === p && predicate(r));
      if (found) {
        service.waiters = service.waiters.filter((w) => w !== check);
        clearTimeout(timer);
        resolve(found);
      }
    };
    const timer = setTimeout(() => {
      service.waiters = service.waiters.filter((w) => w !== check);
      reject(new Error(`no push to ${p} within ${ms} ms (got ${service.requests.map((r) => r.path).join(', ')})`));
    }, ms);
    service.waiters.push(check);
    check();
  });
  return service;
}

/** A browser's push subscription keys. */
export function browserKeys() {
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = crypto.randomBytes(16);
  return { ecdh, auth, p256dh: ecdh.getPublicKey().toString('base64url'), authB64: auth.toString('base64url') };
}

/** The payload of a Web Push request, decrypted as the browser would. */
export function decrypt(request, keys) {
  assert.equal(request.headers['content-encoding'], 'aes128gcm');
  const plain = ece.decrypt(request.body, { version: 'aes128gcm', privateKey: keys.ecdh, authSecret: keys.auth });
  return JSON.parse(plain.toString('utf8'));
}

/** Checks the VAPID Authorization header with node's own ES256; returns the JWT's claims. */
export function verifyVapid(request, publicKeyB64, audience) {
  const m = /^vapid t=([^,\s]+), k=([A-Za-z0-9_-]+)$/.exec(request.headers.authorization ?? '');
  assert.ok(m, `a vapid Authorization header: ${request.headers.authorization}`);
  const [, jwt, k] = m;
  assert.equal(k, publicKeyB64, 'k is the server\'s VAPID public key');
  const [h, c, s] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString());
  assert.equal(header.alg, 'ES256');
  const point = Buffer.from(k, 'base64url');
  assert.equal(point.length, 65);
  const key = crypto.createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33).toString('base64url') },
    format: 'jwk',
  });
  const ok = crypto.verify('sha256', Buffer.from(`${h}.${c}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'));
  assert.ok(ok, 'the VAPID JWT signature verifies');
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString());
  assert.equal(claims.aud, audience);
  const now = Math.floor(Date.now() / 1000);
  assert.ok(claims.exp > now && claims.exp <= now + 24 * 3600, `exp within 24 h: ${claims.exp}`);
  return claims;
}

/** Polls /metrics until `name` reaches at least `min`; returns its value. */
export async function waitMetric(server, name, min, ms = T(15000)) {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await fetch(`${server.url}/metrics`);
    const text = await res.text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    const value = line ? Number(line.split(' ')[1]) : 0;
    if (value >= min) return value;
    if (Date.now() > deadline) throw new Error(`${name} stayed at ${value} (< ${min})`);
    await sleep(50);
  }
}
