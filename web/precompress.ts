// Pre-compressed copies of the build (issue #18): after a build, every text file in the
// output directory of at least 1 KB gets a Brotli (".br", quality 11) and a gzip (".gz",
// level 9) sibling, each kept only when smaller than the file. parleyd serves a sibling
// instead of the file when the request's Accept-Encoding admits it (src/server/net/
// static_files.h), so the web client's bytes are compressed once, at build time, at the
// highest levels, and never on the request path.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin, ResolvedConfig } from 'vite';

const TEXT = /\.(?:html|js|mjs|css|svg|json|webmanifest|txt)$/;
const MIN_BYTES = 1024;

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(p);
    else if (entry.isFile()) yield p;
  }
}

export function precompress(): Plugin {
  let outDir = 'dist';
  return {
    name: 'parley-precompress',
    apply: 'build',
    configResolved(config: ResolvedConfig) {
      outDir = resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      let count = 0, raw = 0, br = 0;
      for (const p of files(outDir)) {
        if (!TEXT.test(p) || statSync(p).size < MIN_BYTES) continue;
        const data = readFileSync(p);
        const b = brotliCompressSync(data, {
          params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
        });
        const g = gzipSync(data, { level: 9 });
        if (b.length < data.length) writeFileSync(`${p}.br`, b);
        if (g.length < data.length) writeFileSync(`${p}.gz`, g);
        count += 1;
        raw += data.length;
        br += Math.min(b.length, data.length);
      }
      console.log(`precompressed ${count} files: ${(raw / 1024).toFixed(1)} KB -> ${(br / 1024).toFixed(1)} KB brotli`);
    },
  };
}
