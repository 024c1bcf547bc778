// Real test images, made on the spot with the `vips` CLI (libvips-tools) and `exiftool`
// (libimage-exiftool-perl), plus hostile files built byte by byte: corrupt, truncated,
// decompression bombs and pixel floods.

import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

export function tempDir(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-images-'));
  if (t) t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function run(cmd, args) {
  return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** Whether libvips on this machine can write `ext` (e.g. 'avif', 'heic'). */
export function canWrite(dir, ext) {
  try {
    const probe = path.join(dir, `probe.${ext}`);
    run('vips', ['black', probe, '8', '8']);
    return fs.statSync(probe).size > 0;
  } catch {
    return false;
  }
}

/**
 * A noisy RGB (or RGBA with `alpha`) image of width x height saved as `name` (its extension
 * picks the format). Noise makes every image different and hard to compress, like a photo.
 */
export function makeImage(dir, name, width, height, { alpha = false, seed = 1 } = {}) {
  const out = path.join(dir, name);
  const noise = path.join(dir, `noise-${seed}-${width}x${height}.v`);
  const grey = path.join(dir, `grey-${seed}-${width}x${height}.v`);
  const rgb = path.join(dir, `rgb-${seed}-${width}x${height}-${alpha ? 4 : 3}.v`);
  if (!fs.existsSync(rgb)) {
    run('vips', ['gaussnoise', noise, String(width), String(height), '--mean', String(100 + seed), '--sigma', '40']);
    run('vips', ['cast', noise, grey, 'uchar']);
    const bands = alpha ? [grey, grey, grey, grey] : [grey, grey, grey];
    run('vips', ['bandjoin', bands.join(' '), rgb]);
  }
  run('vips', ['copy', rgb, out]);
  return out;
}

/**
 * The bytes of a JPEG that can carry metadata: every marker segment and anything after the
 * end-of-image marker, leaving out only the entropy-coded scan data. Noise images make scan
 * data random, where any short string (such as "GPS") turns up now and then by chance; a
 * search for leaked metadata looks here instead. Bytes that are not a JPEG come back whole.
 */
export function jpegMetadataBytes(bytes) {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return bytes;
  const kept = [bytes.subarray(0, 2)];
  let at = 2;
  while (at + 1 < bytes.length) {
    if (bytes[at] !== 0xff) return Buffer.concat([...kept, bytes.subarray(at)]); // not a marker: keep the rest
    const marker = bytes[at + 1];
    if (marker === 0xff) { at += 1; continue; } // fill byte
    if (marker === 0xd9) { kept.push(bytes.subarray(at)); break; } // EOI and whatever trails it
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { kept.push(bytes.subarray(at, at + 2)); at += 2; continue; }
    if (at + 3 >= bytes.length) { kept.push(bytes.subarray(at)); break; }
    const end = at + 2 + bytes.readUInt16BE(at + 2);
    kept.push(bytes.subarray(at, end));
    at = end;
    if (marker === 0xda) {
      // Scan data runs to the next marker other than a stuffed 0xFF00 or a restart marker.
      while (at + 1 < bytes.length && !(bytes[at] === 0xff && bytes[at + 1] !== 0x00 &&
                                        !(bytes[at + 1] >= 0xd0 && bytes[at + 1] <= 0xd7))) at += 1;
    }
  }
  return Buffer.concat(kept);
}

/** Sets EXIF tags with exiftool, e.g. {Orientation: 6} (numeric values, -n). */
export function setExif(file, tags) {
  const args = ['-q', '-n', '-overwrite_original'];
  for (const [k, v] of Object.entries(tags)) args.push(`-${k}=${v}`);
  args.push(file);
  run('exiftool', args);
}

/** exiftool's view of a file or a buffer: every tag, as an object. */
export function exifOf(dir, bytes) {
  const file = path.join(dir, `inspect-${crypto.randomUUID()}`);
  fs.writeFileSync(file, bytes);
  const [tags] = JSON.parse(run('exiftool', ['-json', '-a', '-G1', file]));
  fs.rmSync(file);
  return tags;
}

// ---- hostile files ------------------------------------------------------------------

function crc32(buf) {
  let c;
  const table = crc32.table ?? (crc32.table = Array.from({ length: 256 }, (_, n) => {
    c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  }));
  let crc = 0xffffffff;
  for (const b of buf) crc = table[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A decompression bomb: a valid 1-bit greyscale PNG of side x side pixels, all zero. The
 * file is tens of KB; decoded it is side*side pixels (side=25000: 625 megapixels).
 */
export function pngBomb(side) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  // Each row is a filter byte and side/8 bytes of pixels, all zero (~80 MB for 25000).
  const raw = Buffer.alloc((1 + Math.ceil(side / 8)) * side);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * A pixel flood: a small valid JPEG whose frame header (SOF) is rewritten to claim
 * width x height pixels (at most 65535 each), the classic "lottapixel" attack.
 */
export function jpegPixelFlood(smallJpeg, width, height) {
  const b = Buffer.from(smallJpeg);
  for (let i = 2; i + 9 < b.length;) {
    if (b[i] !== 0xff) { i += 1; continue; }
    const marker = b[i + 1];
    const len = b.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      b.writeUInt16BE(height, i + 5);
      b.writeUInt16BE(width, i + 7);
      return b;
    }
    i += 2 + len;
  }
  throw new Error('no SOF marker found');
}

/**
 * A decoder-confusion polyglot: a real HEIF file (`heif`, e.g. made with makeImage(...,
 * 'x.heic')) whose `ftyp` box is rewritten so that its first 18 bytes are also the header
 * of a run-length-encoded greyscale TGA of width x height pixels, and a trailing `free`
 * box holds enough TGA runs to fill them. The HEIF header stays parseable (small, honest
 * dimensions); read as a TGA the same file is a width x height image. `majorBrand` and
 * `compatible` set the ftyp brands (the attack uses a brand only some sniffers know).
 */
export function heifTgaPolyglot(heif, width, height, { majorBrand = 'isom', compatible = ['mif1', 'heic', 'miaf'] } = {}) {
  const src = Buffer.from(heif);
  const oldFtyp = src.readUInt32BE(0);
  if (src.toString('latin1', 4, 8) !== 'ftyp') throw new Error('not an ISO-BMFF file');
  // Box size 0x00000B00: bytes 1 and 2 read as TGA colour-map type 0 and image type 11.
  const ftypSize = 0x0b00;
  const ftyp = Buffer.alloc(ftypSize);
  ftyp.writeUInt32BE(ftypSize, 0);
  ftyp.write('ftyp', 4, 'latin1');
  ftyp.write(majorBrand, 8, 'latin1');           // TGA x and y origin
  ftyp.writeUInt16LE(width, 12);                 // minor version = TGA width, height
  ftyp.writeUInt16LE(height, 14);
  ftyp[16] = 8;                                  // TGA bits per pixel
  ftyp[17] = 0x20;                               // TGA: rows top to bottom
  compatible.forEach((b, i) => ftyp.write(b, 20 + 4 * i, 'latin1'));
  const fixedEnd = 20 + 4 * compatible.length;   // bytes before this are not ours to choose
  const rest = src.subarray(oldFtyp);
  const pixels = width * height;
  const freeSize = 8 + Math.ceil(pixels / 128) * 2 + 4096;
  const free = Buffer.alloc(freeSize);
  free.writeUInt32BE(freeSize, 0);
  free.write('free', 4, 'latin1');
  const file = Buffer.concat([ftyp, rest, free]);
  const ours = (at) => (at >= fixedEnd && at < ftypSize) || at >= ftypSize + rest.length + 8;
  // Walk the file as a TGA decoder would, writing a run of 128 black pixels wherever a
  // packet header falls on a byte we choose.
  let at = 18;
  let filled = 0;
  while (filled < pixels) {
    if (at + 1 >= file.length) throw new Error('the free box is too small');
    if (ours(at)) {
      file[at] = 0xff;
      if (ours(at + 1)) file[at + 1] = 0;
    }
    const header = file[at];
    const count = (header & 0x7f) + 1;
    at += header & 0x80 ? 2 : 1 + count;
    filled += count;
  }
  return file;
}
