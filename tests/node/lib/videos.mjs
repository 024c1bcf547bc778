// Test videos, made with ffmpeg's own test sources (lavfi testsrc + sine), and ffprobe
// to look at what the server serves.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function run(cmd, args) {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/**
 * Writes `name` in `dir`: a clip of `seconds` at `size` (WxH) with a tone, by ffmpeg with
 * `codec` ('h264' | 'hevc' | 'vp8' | 'mpeg4'); `extra` ffmpeg output arguments (metadata,
 * maps); `audio` false for none; `secondVideo` for two video streams. Returns the path.
 */
export function makeVideo(dir, name, {
  seconds = 0.5, size = '64x48', codec = 'h264', audio = true, extra = [], secondVideo = false, videoless = false,
} = {}) {
  const out = path.join(dir, name);
  const args = ['-nostdin', '-v', 'error', '-y'];
  if (!videoless) args.push('-f', 'lavfi', '-i', `testsrc=size=${size}:rate=10:duration=${seconds}`);
  if (secondVideo) args.push('-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=10:duration=${seconds}`);
  if (audio) args.push('-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`);
  const webm = name.endsWith('.webm');
  if (!videoless) {
    args.push('-map', '0:v');
    if (secondVideo) args.push('-map', '1:v');
  }
  if (audio) args.push('-map', `${(videoless ? 0 : 1) + (secondVideo ? 1 : 0)}:a`);
  if (!videoless) {
    const lib = { h264: 'libx264', hevc: 'libx265', vp8: 'libvpx', mpeg4: 'mpeg4' }[codec];
    args.push('-c:v', lib, '-pix_fmt', 'yuv420p');
    if (codec === 'h264') args.push('-preset', 'ultrafast');
  }
  if (audio) args.push('-c:a', webm ? 'libopus' : 'aac');
  args.push(...extra, out);
  run('ffmpeg', args);
  return out;
}

/** ffprobe's view of a file: { format: {tags...}, streams: [...] }. */
export function probe(file) {
  return JSON.parse(run('ffprobe', ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file]));
}

/** All tags (global and per stream) of a file, as one lower-cased key list. */
export function tagNames(file) {
  const p = probe(file);
  const names = Object.keys(p.format.tags ?? {});
  for (const s of p.streams) names.push(...Object.keys(s.tags ?? {}));
  return names.map((n) => n.toLowerCase());
}

/**
 * A "decompression bomb": a tiny VP8 WebM whose key frame declares 13616x13616 pixels
 * (and whose track header says 30000x30000), made by patching a 256x256 clip.
 */
export function vp8Bomb(dir) {
  const src = path.join(dir, 'bomb-src.webm');
  run('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=size=256x256:rate=10:duration=0.3',
    '-c:v', 'libvpx', '-f', 'webm', src]);
  const b = Buffer.from(fs.readFileSync(src));
  for (const id of [0xb0, 0xba]) {  // PixelWidth, PixelHeight: 2-byte 256 -> 30000
    const at = b.indexOf(Buffer.from([id, 0x82, 0x01, 0x00]));
    if (at >= 0) b.writeUInt16BE(30000, at + 2);
  }
  const key = b.indexOf(Buffer.from([0x9d, 0x01, 0x2a]));  // VP8 key frame start code
  if (key < 0) throw new Error('no VP8 key frame');
  b.writeUInt16LE(0x3530, key + 3);  // 14-bit width 13616
  b.writeUInt16LE(0x3530, key + 5);
  const out = path.join(dir, 'bomb.webm');
  fs.writeFileSync(out, b);
  return out;
}

/** An ISO-BMFF "ftyp" box (major brand isom), as an MP4 begins. */
export function ftypBox() {
  const b = Buffer.alloc(24);
  b.writeUInt32BE(24, 0);
  b.write('ftypisom', 4, 'latin1');
  b.writeUInt32BE(0x200, 12);
  b.write('isommp41', 16, 'latin1');
  return b;
}
