#!/usr/bin/env node
// Photo upload benchmark: uploads one 12-megapixel JPEG N times and reports the upload
// throughput and, per image, the end-to-end latency and the server's processing time
// (decode, orientation, 2560 px full image, 320 px thumbnail, placeholder, storing; from
// the parley_media_processing_seconds histogram of /metrics, so as bucket bounds), p50 and p99.
//
//   node bench/photos.mjs [--count 40] [--concurrency 1] [--server http://127.0.0.1:8080]
//
// Without --server it starts $PARLEYD (default build/release/bin/parleyd) on a free port
// with a fresh data directory. Each upload carries a distinct JPEG comment, so the server's
// de-duplication never skips the work. Needs the `vips` command (libvips-tools).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const COUNT = Number(args.count ?? 40);
const CONCURRENCY = Number(args.concurrency ?? 1);
const WIDTH = 4000;
const HEIGHT = 3000;

/**
 * p50 and p99 of the server's photo processing time, as the upper bounds (ms) of the
 * parley_media_processing_seconds buckets they fall in, and the mean (the server does not
 * say per upload how long it took: that would reveal de-duplication).
 */
async function processingQuantiles(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const name = 'parley_media_processing_seconds';
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm'))]
    .map(([, le, n]) => [le === '+Inf' ? Infinity : Number(le) * 1000, Number(n)]);
  const count = Number(new RegExp(`^${name}_count (\\S+)`, 'm').exec(text)?.[1] ?? 0);
  const sum = Number(new RegExp(`^${name}_sum (\\S+)`, 'm').exec(text)?.[1] ?? 0);
  const bound = (q) => buckets.find(([, n]) => n >= q * count)?.[0] ?? NaN;
  return { p50: bound(0.5), p99: bound(0.99), mean: count ? (sum / count) * 1000 : NaN };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A photo-like 12 MP JPEG: smooth Perlin structure plus sensor-like noise (~2.3 MB). */
function makePhoto(dir) {
  const v = (name) => path.join(dir, name);
  const run = (...a) => execFileSync('vips', a, { stdio: 'ignore' });
  run('perlin', v('p.v'), String(WIDTH), String(HEIGHT), '--cell-size', '200');
  run('linear', v('p.v'), v('pl.v'), '100', '128', '--uchar');
  run('gaussnoise', v('n.v'), String(WIDTH), String(HEIGHT), '--sigma', '6', '--mean', '0');
  run('add', v('pl.v'), v('n.v'), v('s.v'));
  run('cast', v('s.v'), v('sc.v'), 'uchar');
  run('bandjoin', `${v('sc.v')} ${v('pl.v')} ${v('sc.v')}`, `${v('photo.jpg')}[Q=90]`);
  return fs.readFileSync(v('photo.jpg'));
}

/** The same JPEG with a comment segment after SOI naming upload `i`: new bytes, same pixels. */
function variant(jpeg, i) {
  const text = Buffer.from(`bench upload ${i} ${process.pid}`);
  const com = Buffer.alloc(4);
  com[0] = 0xff;
  com[1] = 0xfe;
  com.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), com, text, jpeg.subarray(2)]);
}

async function startServer(dataDir) {
  const bin = path.resolve(process.env.PARLEYD ?? 'build/release/bin/parleyd');
  const port = await freePort();
  const child = spawn(bin, ['--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--web-root', '', '--log-level', 'warn',
    '--insecure-fast-password-hashing', 'true', '--rate-register-per-min', '1000000',
    // One user uploads everything: lift the per-user upload limits.
    '--rate-upload-per-min', '0', '--media-uploads-per-user', '1000',
    '--rate-other-per-sec', '0'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, child };
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('parleyd did not start');
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-photos-'));
  let server = null;
  try {
    const photo = makePhoto(dir);
    const base = args.server ?? (server = await startServer(path.join(dir, 'data'))).url;
    const reg = await fetch(`${base}/api/v1/register`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: `bench${process.pid}`, display_name: 'Bench', password: 'bench-password-1' }),
    });
    const { token } = await reg.json();
    const bodies = Array.from({ length: COUNT }, (_, i) => variant(photo, i));
    const latency = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < COUNT) {
        const body = bodies[next++];
        const t0 = performance.now();
        const res = await fetch(`${base}/api/v1/media`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body });
        const answer = await res.json();
        if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${JSON.stringify(answer)}`);
        latency.push(performance.now() - t0);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    latency.sort((a, b) => a - b);
    const processing = await processingQuantiles(base);
    const mb = (photo.length * COUNT) / 1e6;
    console.log(`photo: ${WIDTH}x${HEIGHT} JPEG, ${(photo.length / 1e6).toFixed(2)} MB; ${COUNT} uploads, concurrency ${CONCURRENCY}`);
    console.log(`throughput: ${(COUNT / seconds).toFixed(2)} uploads/s, ${(mb / seconds).toFixed(1)} MB/s (${seconds.toFixed(1)} s)`);
    console.log(`upload latency (request to 201): p50 ${percentile(latency, 50).toFixed(0)} ms, p99 ${percentile(latency, 99).toFixed(0)} ms`);
    console.log(`server processing (/metrics histogram, bucket bounds): p50 <= ${processing.p50} ms, p99 <= ${processing.p99} ms, mean ${processing.mean.toFixed(0)} ms`);
  } finally {
    if (server) {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.on('exit', r));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
