import { describe, expect, it } from 'vitest';
import { fitBox, LinkCache, uploadProblem, type Links } from '../src/core/media';
import { photoPreview } from '../src/core/groups';

describe('photos', () => {
  it('fits a photo in its box without enlarging it', () => {
    expect(fitBox(4000, 3000, 320, 320)).toEqual({ width: 320, height: 240 });
    expect(fitBox(1000, 4000, 320, 320)).toEqual({ width: 80, height: 320 });
    expect(fitBox(100, 50, 320, 320)).toEqual({ width: 100, height: 50 });
  });

  it('refuses empty, huge and non-image files before uploading', () => {
    expect(uploadProblem({ size: 0, type: 'image/png' })).toMatch(/empty/);
    expect(uploadProblem({ size: 26 * 1024 * 1024, type: 'image/jpeg' })).toMatch(/25 MB/);
    expect(uploadProblem({ size: 10, type: 'application/pdf' })).toMatch(/photos/);
    expect(uploadProblem({ size: 10, type: '' })).toBeNull();
    expect(uploadProblem({ size: 10, type: 'image/heic' })).toBeNull();
  });

  it('reads as "Photo" in the chat list, with the caption when there is one', () => {
    expect(photoPreview('')).toBe('Photo');
    expect(photoPreview('Sunset')).toBe('Photo: Sunset');
  });

  it('reuses signed links until shortly before they expire, and shares concurrent asks', async () => {
    let now = 0;
    let calls = 0;
    const cache = new LinkCache(async (id): Promise<Links> => {
      calls += 1;
      return { full: `/media/${id}/full?n=${calls}`, thumbnail: `/media/${id}/thumbnail?n=${calls}`, expires_at: now + 600_000 };
    }, () => now);
    const [a, b] = await Promise.all([cache.get('x'), cache.get('x')]);
    expect(calls).toBe(1);
    expect(a).toBe(b);
    now = 500_000;
    expect((await cache.get('x')).full).toBe('/media/x/full?n=1');
    now = 560_000; // within the last minute: fetch fresh links
    expect((await cache.get('x')).full).toBe('/media/x/full?n=2');
  });
});
