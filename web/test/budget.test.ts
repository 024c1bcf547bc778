import { randomBytes } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { bundleBudget } from '../budget';

type Chunk = { type: 'chunk'; fileName: string; code: string; isEntry: boolean; imports: string[] };
const chunk = (fileName: string, code: string, isEntry = false, imports: string[] = []): Chunk => ({ type: 'chunk', fileName, code, isEntry, imports });

function run(limit: number, bundle: Record<string, Chunk>) {
  const plugin = bundleBudget(limit);
  const ctx = { error: vi.fn((m: string) => { throw new Error(m); }) };
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    (plugin.generateBundle as unknown as (this: typeof ctx, o: unknown, b: unknown) => void).call(ctx, {}, bundle);
    return String(log.mock.calls.at(-1)?.[0] ?? '');
  } finally {
    log.mockRestore();
  }
}

describe('bundle budget', () => {
  it('counts the entry and what it imports statically, not the chunks loaded later', () => {
    const random = (n: number) => randomBytes(n).toString('base64');
    const line = run(60 * 1024, {
      'a.js': chunk('a.js', 'x'.repeat(10_000), true, ['b.js']),
      'b.js': chunk('b.js', 'y'.repeat(10_000)),
      'lazy.js': chunk('lazy.js', random(200_000)),
    });
    expect(line).toMatch(/^bundle budget: first-screen JS 0\.\d KB gzip of 60\.0 KB \(2 chunks; 1 loaded later\)$/);
  });

  it('fails the build when the first screen is over budget', () => {
    const random = randomBytes(20_000).toString('base64');
    expect(() => run(1024, { 'a.js': chunk('a.js', random, true) })).toThrow(/over budget/);
  });
});
