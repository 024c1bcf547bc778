// The bundle budget (issue #18): the JavaScript the first screen needs must stay under
// 60 KB gzipped. A Vite plugin: after a build it prints that figure for the entry chunk and
// the chunks it imports statically, and fails the build when it is over.
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

export const FIRST_SCREEN_JS_BUDGET = 60 * 1024;

export function bundleBudget(limit = FIRST_SCREEN_JS_BUDGET): Plugin {
  return {
    name: 'parley-bundle-budget',
    apply: 'build',
    generateBundle(_options, bundle) {
      const chunks = new Map(Object.values(bundle).filter((o) => o.type === 'chunk').map((c) => [c.fileName, c]));
      const first = new Set<string>();
      const visit = (name: string) => {
        if (first.has(name)) return;
        const c = chunks.get(name);
        if (!c) return;
        first.add(name);
        for (const i of c.imports) visit(i);
      };
      for (const c of chunks.values()) if (c.isEntry) visit(c.fileName);
      let gz = 0;
      for (const name of first) gz += gzipSync(chunks.get(name)!.code, { level: 9 }).length;
      const lazy = [...chunks.keys()].filter((n) => !first.has(n)).length;
      const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
      const line = `bundle budget: first-screen JS ${kb(gz)} gzip of ${kb(limit)} (${first.size} chunk${first.size === 1 ? '' : 's'}; ${lazy} loaded later)`;
      if (gz > limit) this.error(`${line}: over budget`);
      console.log(line);
    },
  };
}
