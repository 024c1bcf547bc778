// Voice clips built byte by byte for tests: an Ogg Opus stream (RFC 7845) of silent
// 20 ms packets with correct page checksums, the way a recorder writes one, and the start
// of a WebM Opus recording. No encoder needed: a one-byte Opus packet (TOC only) is a
// valid frame of silence.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = (r & 0x80000000) ? ((r << 1) ^ 0x04c11db7) : (r << 1);
    t[i] = r >>> 0;
  }
  return t;
})();

function oggCrc(buf) {
  let crc = 0;
  for (const b of buf) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]) >>> 0;
  return crc;
}

function page(packets, { flags = 0, granule = 0n, serial = 0x5a17, sequence = 0 }) {
  const segments = [];
  for (const p of packets) {
    let n = p.length;
    while (n >= 255) { segments.push(255); n -= 255; }
    segments.push(n);
  }
  const header = Buffer.alloc(27 + segments.length);
  header.write('OggS', 0, 'latin1');
  header[4] = 0;
  header[5] = flags;
  header.writeBigUInt64LE(granule, 6);
  header.writeUInt32LE(serial, 14);
  header.writeUInt32LE(sequence, 18);
  header[26] = segments.length;
  Buffer.from(segments).copy(header, 27);
  const whole = Buffer.concat([header, ...packets]);
  whole.writeUInt32LE(oggCrc(whole), 22);
  return whole;
}

/** An Ogg Opus clip of `ms` milliseconds (a multiple of 20) of silence, mono, 48 kHz. */
export function oggOpus(ms = 1000) {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1;                   // version
  head[9] = 1;                   // channels
  head.writeUInt16LE(312, 10);   // pre-skip
  head.writeUInt32LE(48000, 12); // input sample rate
  head.writeInt16LE(0, 16);      // gain
  head[18] = 0;                  // mapping family
  const vendor = Buffer.from('parley-test', 'latin1');
  const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
  tags.write('OpusTags', 0, 'latin1');
  tags.writeUInt32LE(vendor.length, 8);
  vendor.copy(tags, 12);
  tags.writeUInt32LE(0, 12 + vendor.length);
  const pages = [page([head], { flags: 2, sequence: 0 }), page([tags], { sequence: 1 })];
  const frames = Math.max(1, Math.round(ms / 20));
  let sequence = 2;
  let granule = 312n;
  for (let i = 0; i < frames; i += 50) {
    const n = Math.min(50, frames - i);
    granule += BigInt(n * 960);
    const packets = Array.from({ length: n }, () => Buffer.from([0xf8])); // CELT FB 20 ms, mono
    pages.push(page(packets, { sequence: sequence++, granule, flags: i + n >= frames ? 4 : 0 }));
  }
  return Buffer.concat(pages);
}

/** The start of a WebM recording as Chromium's MediaRecorder writes it (header elements only). */
export function webmOpusHead() {
  const ebml = Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81, 0x01, 0x42, 0xf7, 0x81, 0x01,
    0x42, 0xf2, 0x81, 0x04, 0x42, 0xf3, 0x81, 0x08, 0x42, 0x82, 0x84, ...Buffer.from('webm'),
    0x42, 0x87, 0x81, 0x04, 0x42, 0x85, 0x81, 0x02]);
  const track = Buffer.from([0x86, 0x86, ...Buffer.from('A_OPUS')]);
  return Buffer.concat([ebml, Buffer.from([0x18, 0x53, 0x80, 0x67, 0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    Buffer.from([0x16, 0x54, 0xae, 0x6b, 0x8b, 0xae, 0x89, 0xd7, 0x81, 0x01]), track, Buffer.alloc(64, 0)]);
}

/** 64 peak levels as the protocol carries them: standard base64. */
export function waveform(seed = 1) {
  return Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + seed * 11) % 256)).toString('base64');
}
