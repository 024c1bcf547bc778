// Photos: what the client checks before an upload, how big a photo is drawn, and the
// cache of signed links (docs/protocol.md, "Photos"). Pure except for the clock passed in.
import type { ImageInfo } from './types';

/** The server's default upload limit (--max-upload-bytes): refuse larger files at once. */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

/** Types the server decodes. The server decides from the bytes; this only filters the picker. */
export const ACCEPTED_TYPES = 'image/jpeg,image/png,image/webp,image/gif,image/heic,image/heif,image/avif';

/** Why a file cannot be sent as a photo, or null when it can be tried. */
export function uploadProblem(file: { size: number; type: string }): string | null {
  if (file.size === 0) return 'That file is empty.';
  if (file.size > MAX_UPLOAD_BYTES) return 'Photos can be at most 25 MB.';
  if (file.type && !file.type.startsWith('image/')) return 'Only photos can be sent.';
  return null;
}

/** The size to draw a photo at: its aspect ratio, fitted within maxW x maxH, never enlarged. */
export function fitBox(width: number, height: number, maxW: number, maxH: number): { width: number; height: number } {
  if (width <= 0 || height <= 0) return { width: maxW, height: maxH };
  const scale = Math.min(1, maxW / width, maxH / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** The words an error code of an upload becomes. */
export function uploadErrorText(code: string): string {
  switch (code) {
    case 'payload_too_large':
      return 'This photo is too big to send.';
    case 'unsupported_media':
      return 'This file is not a photo the server can read.';
    case 'corrupt_media':
      return 'This photo is damaged and cannot be sent.';
    case 'image_too_large':
      return 'This photo has too many pixels to send.';
    case 'network':
      return 'The upload failed: no connection.';
    default:
      return 'The upload failed.';
  }
}

export interface Links {
  full: string;
  thumbnail: string;
  /** ms since epoch. */
  expires_at: number;
}

/**
 * Signed links per upload, reused until shortly before they expire. Concurrent asks for the
 * same id share one request.
 */
export class LinkCache {
  private links = new Map<string, Links>();
  private pending = new Map<string, Promise<Links>>();

  constructor(
    private readonly fetchLinks: (mediaId: string) => Promise<Links>,
    private readonly now: () => number = () => Date.now(),
    private readonly marginMs = 60_000,
  ) {}

  get(mediaId: string): Promise<Links> {
    const have = this.links.get(mediaId);
    if (have && have.expires_at - this.marginMs > this.now()) return Promise.resolve(have);
    let p = this.pending.get(mediaId);
    if (!p) {
      p = this.fetchLinks(mediaId).then(
        (l) => {
          this.links.set(mediaId, l);
          this.pending.delete(mediaId);
          return l;
        },
        (e) => {
          this.pending.delete(mediaId);
          throw e;
        },
      );
      this.pending.set(mediaId, p);
    }
    return p;
  }
}

export type { ImageInfo };
