/**
 * Call sounds made with WebAudio (no audio files to download or cache): the ring of an
 * incoming call (two short bursts, then a pause) and the ringback a caller hears while it
 * rings (one long tone, then a pause). A page that has had no user gesture may not be allowed
 * to start audio; the ring then stays silent and the call screen still shows.
 */
export type RingKind = 'incoming' | 'ringback';

interface Pattern {
  /** Tones of the cycle: [start s, length s]. */
  tones: [number, number][];
  cycle: number;
  freqs: number[];
}

const PATTERNS: Record<RingKind, Pattern> = {
  incoming: { tones: [[0, 0.4], [0.6, 0.4]], cycle: 3, freqs: [400, 450] },
  ringback: { tones: [[0, 1.2]], cycle: 4, freqs: [425] },
};

export class Ringer {
  private ctx: AudioContext | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** What is ringing now, if anything. */
  kind: RingKind | null = null;

  play(kind: RingKind): void {
    if (this.kind === kind) return;
    this.stop();
    this.kind = kind;
    const Ctx = (globalThis as any).AudioContext as typeof AudioContext | undefined;
    if (!Ctx) return;
    try {
      this.ctx = new Ctx();
    } catch {
      return;
    }
    void this.ctx.resume().catch(() => undefined);
    const p = PATTERNS[kind];
    const cycle = () => this.schedule(p);
    cycle();
    this.timer = setInterval(cycle, p.cycle * 1000);
  }

  stop(): void {
    this.kind = null;
    clearInterval(this.timer);
    this.timer = undefined;
    const ctx = this.ctx;
    this.ctx = null;
    void ctx?.close().catch(() => undefined);
  }

  private schedule(p: Pattern): void {
    const ctx = this.ctx;
    if (!ctx || ctx.state === 'closed') return;
    const t0 = ctx.currentTime + 0.05;
    for (const [start, len] of p.tones) {
      const gain = ctx.createGain();
      gain.connect(ctx.destination);
      // Soft edges: no click at the start and end of each tone.
      gain.gain.setValueAtTime(0, t0 + start);
      gain.gain.linearRampToValueAtTime(0.15 / p.freqs.length, t0 + start + 0.02);
      gain.gain.setValueAtTime(0.15 / p.freqs.length, t0 + start + len - 0.02);
      gain.gain.linearRampToValueAtTime(0, t0 + start + len);
      for (const f of p.freqs) {
        const osc = ctx.createOscillator();
        osc.frequency.value = f;
        osc.connect(gain);
        osc.start(t0 + start);
        osc.stop(t0 + start + len);
      }
    }
  }
}
