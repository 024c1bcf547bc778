import { describe, expect, it } from 'vitest';
import {
  fileUploadProblem, fitBox, formatDuration, formatSize, isPhotoFile, isVideoFile, LinkCache, MAX_FILE_BYTES, MAX_VIDEO_BYTES, uploadProblem,
  videoErrorText, videoUploadProblem, waveformLevels, waveformOf, type Links,
} from '../src/core/media';
import { photoPreview, previewText } from '../src/core/groups';
import type { Conversation, Message } from '../src/core/types';

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

describe('documents and voice messages', () => {
  it('tells photos from documents by type', () => {
    expect(isPhotoFile({ type: 'image/png' })).toBe(true);
    expect(isPhotoFile({ type: 'image/svg+xml' })).toBe(false);
    expect(isPhotoFile({ type: 'application/pdf' })).toBe(false);
    expect(fileUploadProblem({ size: 0 })).toMatch(/empty/);
    expect(fileUploadProblem({ size: MAX_FILE_BYTES + 1 })).toMatch(/100 MB/);
    expect(fileUploadProblem({ size: 5 })).toBeNull();
  });

  it('formats sizes and durations', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(14 * 1024)).toBe('14 KB');
    expect(formatSize(3.4 * 1024 * 1024)).toBe('3.4 MB');
    expect(formatDuration(7000)).toBe('0:07');
    expect(formatDuration(723_000)).toBe('12:03');
  });

  it('computes 64 peak levels scaled to the loudest, and reads them back', () => {
    const samples = new Float32Array(6400);
    for (let i = 0; i < samples.length; i++) samples[i] = (i < 3200 ? 0.25 : -0.5) * ((i % 100) / 99);
    const w = waveformOf(samples);
    expect(w).toHaveLength(88);
    const levels = waveformLevels(w);
    expect(levels).toHaveLength(64);
    expect(levels[0]).toBe(128);
    expect(levels[63]).toBe(255);
    expect(waveformLevels(waveformOf(new Float32Array(100)))).toEqual(new Array(64).fill(0));
    expect(waveformLevels('not base64!')).toEqual(new Array(64).fill(0));
  });
});

describe('videos', () => {
  it('routes MP4, MOV and WebM as videos, and checks the size before uploading', () => {
    expect(isVideoFile({ type: 'video/mp4' })).toBe(true);
    expect(isVideoFile({ type: 'video/quicktime' })).toBe(true);
    expect(isVideoFile({ type: 'video/webm' })).toBe(true);
    expect(isVideoFile({ type: 'video/x-msvideo' })).toBe(false);
    expect(isVideoFile({ type: 'image/jpeg' })).toBe(false);
    expect(videoUploadProblem({ size: 0 })).toMatch(/empty/);
    expect(videoUploadProblem({ size: MAX_VIDEO_BYTES + 1 })).toMatch(/100 MB/);
    expect(videoUploadProblem({ size: 1000 })).toBeNull();
  });

  it('says why a video was refused, in words', () => {
    expect(videoErrorText('video_too_large')).toMatch(/too long or too large/);
    expect(videoErrorText('unsupported_media')).toMatch(/MP4, MOV or WebM/);
    expect(videoErrorText('corrupt_media')).toMatch(/damaged/);
    expect(videoErrorText('payload_too_large')).toMatch(/too big/);
  });

  it('previews a video message in the chat list with its duration and caption', () => {
    const c = { id: 1, kind: 'direct', members: [] } as unknown as Conversation;
    const m = { kind: 'video', text: 'sunset', sender_id: 2, seq: 3, video: { duration_ms: 65_000 } } as unknown as Message;
    expect(previewText(c, m, 1)).toBe('🎬 Video (1:05): sunset');
  });
});
