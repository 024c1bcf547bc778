import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/core/types';
import { UPLOAD_ATTEMPTS, uploadRetryDelayMs, uploadRetryable } from '../src/platform/api';

describe('upload retries', () => {
  it('sends again only what the server refused for now', () => {
    expect(uploadRetryable(new ApiError('rate_limited', 'slow down', 429, 1000))).toBe(true);
    expect(uploadRetryable(new ApiError('unavailable', 'queue full', 503))).toBe(true);
    expect(uploadRetryable(new ApiError('unsupported_media', 'not an image', 415))).toBe(false);
    expect(uploadRetryable(new ApiError('image_too_large', 'too big', 422))).toBe(false);
    expect(uploadRetryable(new ApiError('payload_too_large', 'too big', 413))).toBe(false);
    // Cut off by the network: sent again (an unused upload is collected by the server).
    expect(uploadRetryable(new ApiError('network', 'offline'))).toBe(true);
    expect(uploadRetryable(new ApiError('forbidden', 'origin', 403))).toBe(false);
    expect(uploadRetryable(new ApiError('unauthenticated', 'logged out', 401))).toBe(false);
  });

  it("waits about the server's Retry-After, else backs off, never beyond 30 s", () => {
    for (let i = 0; i < 50; i++) {
      const d = uploadRetryDelayMs(new ApiError('rate_limited', '', 429, 2000), 1);
      expect(d).toBeGreaterThanOrEqual(1600);
      expect(d).toBeLessThanOrEqual(2400);
      const b = uploadRetryDelayMs(new ApiError('unavailable', '', 503), 3);
      expect(b).toBeGreaterThanOrEqual(3200);
      expect(b).toBeLessThanOrEqual(4800);
      expect(uploadRetryDelayMs(new ApiError('unavailable', '', 503), 20)).toBeLessThanOrEqual(36_000);
    }
    expect(UPLOAD_ATTEMPTS).toBeGreaterThan(1);
  });
});
