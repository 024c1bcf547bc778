import { describe, expect, it } from 'vitest';
import { Drafts, type KeyValueStorage } from '../src/core/drafts';

function memoryStorage(): KeyValueStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

describe('Drafts', () => {
  it('keeps one draft per chat, and a new instance (a reload) finds them again', () => {
    const storage = memoryStorage();
    const drafts = new Drafts(storage, 1);
    drafts.set(7, 'half a thought');
    drafts.set(8, 'another');
    expect(drafts.get(7)).toBe('half a thought');
    const reloaded = new Drafts(storage, 1);
    expect(reloaded.get(7)).toBe('half a thought');
    expect(reloaded.get(8)).toBe('another');
    expect(reloaded.get(9)).toBe('');
  });

  it('forgets a blank draft and stores nothing when none is left', () => {
    const storage = memoryStorage();
    const drafts = new Drafts(storage, 1);
    drafts.set(7, 'x');
    drafts.set(7, '   ');
    expect(drafts.get(7)).toBe('');
    expect(storage.data.size).toBe(0);
  });

  it('keeps users apart and clears only the one who logs out', () => {
    const storage = memoryStorage();
    new Drafts(storage, 1).set(7, 'alice');
    new Drafts(storage, 2).set(7, 'bob');
    new Drafts(storage, 1).clear();
    expect(new Drafts(storage, 1).get(7)).toBe('');
    expect(new Drafts(storage, 2).get(7)).toBe('bob');
  });

  it('survives garbage in storage and a storage that refuses writes', () => {
    const storage = memoryStorage();
    storage.data.set(Drafts.keyFor(1), '{not json');
    const drafts = new Drafts(storage, 1);
    expect(drafts.get(7)).toBe('');
    storage.setItem = () => {
      throw new Error('QuotaExceededError');
    };
    drafts.set(7, 'kept in memory');
    expect(drafts.get(7)).toBe('kept in memory');
  });
});
