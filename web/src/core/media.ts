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
  /** Photos only. */
  thumbnail: string;
  /** Videos only: the first frame. */
  poster?: string;
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

// ---- documents and voice messages (docs/protocol.md, "Files and voice messages") ----

/** The server's default document limit (--media-max-file-bytes). */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;

/** Why a file cannot be sent as a document, or null when it can be tried. */
export function fileUploadProblem(file: { size: number }): string | null {
  if (file.size === 0) return 'That file is empty.';
  if (file.size > MAX_FILE_BYTES) return 'Files can be at most 100 MB.';
  return null;
}

/** Whether a picked, pasted or dropped file goes as a photo (else as a document). */
export function isPhotoFile(file: { type: string }): boolean {
  return ACCEPTED_TYPES.split(',').includes(file.type);
}

/** "512 B", "14 KB", "3.4 MB": a file size for people. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  const mb = bytes / (1024 * 1024);
  return `${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB`;
}

/** "0:07", "12:03": a duration in ms as minutes and seconds. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export const WAVEFORM_LEVELS = 64;

/**
 * The waveform a voice message carries: the peak of |sample| in each of 64 equal slices,
 * scaled so that the loudest slice is 255 (silence stays 0), as standard base64.
 */
export function waveformOf(samples: Float32Array): string {
  const peaks = new Array<number>(WAVEFORM_LEVELS).fill(0);
  const n = samples.length;
  for (let i = 0; i < WAVEFORM_LEVELS; i++) {
    const from = Math.floor((i * n) / WAVEFORM_LEVELS);
    const to = Math.floor(((i + 1) * n) / WAVEFORM_LEVELS);
    let peak = 0;
    for (let k = from; k < to; k++) peak = Math.max(peak, Math.abs(samples[k]));
    peaks[i] = peak;
  }
  const max = Math.max(...peaks);
  const bytes = peaks.map((p) => (max > 0 ? Math.round((p / max) * 255) : 0));
  return btoa(String.fromCharCode(...bytes));
}

/** The 64 levels (0..255) of a waveform as sent; all zero when it is malformed. */
export function waveformLevels(b64: string): number[] {
  try {
    const bin = atob(b64);
    if (bin.length === WAVEFORM_LEVELS) return [...bin].map((c) => c.charCodeAt(0));
  } catch {
    // fall through
  }
  return new Array<number>(WAVEFORM_LEVELS).fill(0);
}

// ---- videos (docs/protocol.md, "Videos") ----

/** The server's default video limit (--video-max-bytes). */
export const MAX_VIDEO_BYTES = 100 * 1024 * 1024;

/** Video types the server accepts (it decides from the bytes; this only routes a file). */
export const VIDEO_TYPES = 'video/mp4,video/webm,video/quicktime';

/** Whether a picked, pasted or dropped file goes as a video. */
export function isVideoFile(file: { type: string }): boolean {
  return VIDEO_TYPES.split(',').includes(file.type);
}

/** Why a file cannot be sent as a video, or null when it can be tried. */
export function videoUploadProblem(file: { size: number }): string | null {
  if (file.size === 0) return 'That file is empty.';
  if (file.size > MAX_VIDEO_BYTES) return 'Videos can be at most 100 MB.';
  return null;
}

/** The upload errors of a video in words. */
export function videoErrorText(code: string): string {
  switch (code) {
    case 'payload_too_large':
      return 'This video is too big to send.';
    case 'video_too_large':
      return 'This video is too long or too large to send.';
    case 'unsupported_media':
      return 'This video format cannot be sent (MP4, MOV or WebM only).';
    case 'corrupt_media':
      return 'This video is damaged and cannot be sent.';
    default:
      return uploadErrorText(code);
  }
}

/** The upload errors of documents and voice clips in words. */
export function fileErrorText(code: string, voice: boolean): string {
  if (code === 'payload_too_large') return voice ? 'This recording is too long to send.' : 'This file is too big to send.';
  if (code === 'unsupported_media' || code === 'corrupt_media') return 'This recording cannot be sent.';
  return uploadErrorText(code);
}
