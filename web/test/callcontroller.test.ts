// The call controller (platform/calls.ts) against a fake transport and a fake WebRTC: which
// frames it sends when, and where ICE candidates wait. The browser end to end is in
// e2e/calls.test.mjs.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Call } from '../src/core/calls';
import { CallController, type CallTransport } from '../src/platform/calls';
import type { CallSink } from '../src/platform/client';
import { ApiError } from '../src/core/types';

const ALICE = 1;
const BOB = 2;
const ID = 'c'.repeat(32);

function call(over: Partial<Call> = {}): Call {
  return { call_id: ID, conversation_id: 7, caller_id: ALICE, callee_id: BOB, media: 'video', state: 'ringing', started_at: 1, answered_at: null, ended_at: null, end_reason: null, ...over };
}

class FakeTrack {
  enabled = true;
  stopped = false;
  readyState = 'live';
  muted = false;
  constructor(readonly kind: string) {}
  stop() {
    this.stopped = true;
  }
}

class FakeStream {
  tracks: FakeTrack[];
  constructor(tracks: FakeTrack[] = []) {
    this.tracks = tracks;
  }
  getTracks() {
    return this.tracks;
  }
  getAudioTracks() {
    return this.tracks.filter((t) => t.kind === 'audio');
  }
  getVideoTracks() {
    return this.tracks.filter((t) => t.kind === 'video');
  }
  addTrack(t: FakeTrack) {
    this.tracks.push(t);
  }
}

class FakePC {
  static last: FakePC | null = null;
  log: string[] = [];
  candidates: unknown[] = [];
  localDescription: { type: string; sdp: string } | null = null;
  remoteDescription: { type: string; sdp: string } | null = null;
  connectionState = 'new';
  /** Gathering is over at once unless a test says otherwise. */
  iceGatheringState = 'complete';
  closed = false;
  private listeners = new Map<string, Set<() => void>>();
  addEventListener(type: string, fn: () => void) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type)!.add(fn);
  }
  removeEventListener(type: string, fn: () => void) {
    this.listeners.get(type)?.delete(fn);
  }
  finishGathering() {
    this.iceGatheringState = 'complete';
    for (const fn of this.listeners.get('icegatheringstatechange') ?? []) fn();
  }
  onicecandidate: ((e: any) => void) | null = null;
  ontrack: ((e: any) => void) | null = null;
  onconnectionstatechange: (() => void) | null = null;
  transceivers: any[] = [];
  constructor(readonly config: RTCConfiguration) {
    FakePC.last = this;
  }
  addTrack(t: FakeTrack) {
    this.log.push(`addTrack ${t.kind}`);
  }
  addTransceiver(kind: string) {
    this.log.push(`addTransceiver ${kind}`);
  }
  getTransceivers() {
    return this.transceivers;
  }
  async createOffer() {
    return { type: 'offer', sdp: 'OFFER' };
  }
  async createAnswer() {
    return { type: 'answer', sdp: 'ANSWER' };
  }
  async setLocalDescription(d: any) {
    this.localDescription = { ...d };
    if (FakePC.slowGathering) this.iceGatheringState = 'gathering';
  }
  static slowGathering = false;
  async setRemoteDescription(d: any) {
    this.log.push(`remote ${d.type}`);
    this.remoteDescription = d;
  }
  async addIceCandidate(c: any) {
    this.log.push(`candidate ${c.candidate}`);
    this.candidates.push(c);
  }
  close() {
    this.closed = true;
  }
  /** The browser found a local candidate (and puts it in its local description, as browsers do). */
  gather(candidate: string) {
    if (this.localDescription) this.localDescription.sdp += `\r\na=${candidate}`;
    this.onicecandidate?.({ candidate: { candidate, toJSON: () => ({ candidate, sdpMid: '0', sdpMLineIndex: 0 }) } });
  }
  setState(s: string) {
    this.connectionState = s;
    this.onconnectionstatechange?.();
  }
}

/** A transport whose answers the test releases by hand. */
class FakeTransport implements CallTransport {
  session = { user: { id: ALICE } };
  sent: any[] = [];
  sink: CallSink | null = null;
  waiting = new Map<string, { resolve: (v: any) => void; reject: (e: any) => void }>();
  auto: Record<string, (f: any) => any> = {
    ice_servers: () => ({ ice_servers: [{ urls: ['turn:127.0.0.1:3478'], username: 'u', credential: 'p' }], ttl_s: 3600 }),
  };
  constructor(me = ALICE) {
    this.session = { user: { id: me } };
  }
  callRequest<T>(frame: Record<string, unknown>): Promise<T> {
    this.sent.push(frame);
    const type = String(frame.type);
    if (this.auto[type]) return Promise.resolve(this.auto[type](frame));
    return new Promise((resolve, reject) => this.waiting.set(type, { resolve, reject }));
  }
  answer(type: string, v: any) {
    this.waiting.get(type)!.resolve(v);
    this.waiting.delete(type);
  }
  refuse(type: string, e: unknown) {
    this.waiting.get(type)!.reject(e);
    this.waiting.delete(type);
  }
  attachCalls(sink: CallSink) {
    this.sink = sink;
  }
  peerName() {
    return 'Bob';
  }
  types() {
    return this.sent.map((f) => f.type);
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
};

let getUserMedia: ReturnType<typeof vi.fn>;
let storage: Map<string, string>;

beforeEach(() => {
  getUserMedia = vi.fn(async (c: MediaStreamConstraints) => new FakeStream([new FakeTrack('audio'), ...(c.video ? [new FakeTrack('video')] : [])]));
  storage = new Map();
  vi.stubGlobal('navigator', { mediaDevices: { getUserMedia } });
  vi.stubGlobal('RTCPeerConnection', FakePC);
  vi.stubGlobal('MediaStream', FakeStream);
  vi.stubGlobal('localStorage', { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => storage.set(k, v), removeItem: (k: string) => storage.delete(k) });
  FakePC.last = null;
  FakePC.slowGathering = false;
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('calling', () => {
  it('offers, sends its candidates once the call has an id, applies the answer and the callee\'s candidates', async () => {
    const t = new FakeTransport();
    const ctl = new CallController(t);
    void ctl.start(7, BOB, 'video');
    await flush();
    expect(getUserMedia).toHaveBeenCalledWith({ audio: true, video: true });
    const start = t.sent.find((f) => f.type === 'call_start');
    expect(start).toMatchObject({ conversation_id: 7, media: 'video', sdp: 'OFFER' });
    const pc = FakePC.last!;
    expect(pc.config.iceServers).toEqual([{ urls: ['turn:127.0.0.1:3478'], username: 'u', credential: 'p' }]);
    expect(pc.config.iceTransportPolicy).toBe('all');
    pc.gather('candidate:early');
    expect(t.types()).not.toContain('call_ice');

    t.answer('call_start', { type: 'call', call: call() });
    await flush();
    expect(ctl.state.phase).toBe('outgoing');
    expect(ctl.ringer.kind).toBe('ringback');
    expect(t.sent.filter((f) => f.type === 'call_ice')).toEqual([{ type: 'call_ice', call_id: ID, candidate: { candidate: 'candidate:early', sdpMid: '0', sdpMLineIndex: 0 } }]);

    // The callee's candidate may come before its answer: it waits for the remote description.
    t.sink!.event({ type: 'call_ice', call_id: ID, candidate: { candidate: 'candidate:remote', sdpMid: '0', sdpMLineIndex: 0 } });
    await flush();
    expect(pc.candidates).toEqual([]);
    t.sink!.event({ type: 'call_accepted', call: call({ state: 'active', answered_at: 5 }), sdp: 'ANSWER' });
    await flush();
    expect(pc.log.slice(-2)).toEqual(['remote answer', 'candidate candidate:remote']);
    expect(ctl.state.phase).toBe('connecting');
    expect(ctl.ringer.kind).toBeNull();
    pc.setState('connected');
    expect(ctl.state.phase).toBe('active');

    ctl.hangup();
    expect(t.sent.at(-1)).toEqual({ type: 'call_hangup', call_id: ID });
    expect(pc.closed).toBe(true);
    expect(ctl.pc).toBeNull();
    expect(ctl.local).toBeNull();
  });

  it('waits a moment for candidates to go into the offer, and trickles only later ones', async () => {
    FakePC.slowGathering = true;
    const t = new FakeTransport();
    const ctl = new CallController(t);
    void ctl.start(7, BOB, 'audio');
    await flush();
    const pc = FakePC.last!;
    expect(t.types()).not.toContain('call_start');
    pc.gather('candidate:host');
    pc.finishGathering();
    await flush();
    expect(t.sent.find((f) => f.type === 'call_start').sdp).toBe('OFFER\r\na=candidate:host');
    pc.gather('candidate:late');
    t.answer('call_start', { type: 'call', call: call({ media: 'audio' }) });
    await flush();
    expect(t.sent.filter((f) => f.type === 'call_ice').map((f) => f.candidate.candidate)).toEqual(['candidate:late']);
    expect(ctl.state.phase).toBe('outgoing');
  });

  it('a call cancelled before the server answered is hung up once it answers', async () => {
    const t = new FakeTransport();
    const ctl = new CallController(t);
    void ctl.start(7, BOB, 'audio');
    await flush();
    ctl.hangup();
    expect(ctl.state.phase).not.toBe('outgoing');
    t.answer('call_start', { type: 'call', call: call({ media: 'audio' }) });
    await flush();
    expect(t.sent.at(-1)).toEqual({ type: 'call_hangup', call_id: ID });
    expect(ctl.state.phase).toBe('idle');
  });

  it('a refused microphone ends the call before anything is sent', async () => {
    getUserMedia.mockRejectedValue(new DOMException('denied', 'NotAllowedError'));
    const t = new FakeTransport();
    const ctl = new CallController(t);
    await ctl.start(7, BOB, 'audio');
    expect(ctl.state.phase).toBe('ended');
    expect(ctl.state.end?.detail).toMatch(/needs your microphone/);
    expect(t.types()).not.toContain('call_start');
  });

  it('a video call from a device without a camera goes on with the microphone', async () => {
    getUserMedia.mockImplementation(async (c: MediaStreamConstraints) => {
      if (c.video) throw new DOMException('no camera', 'NotFoundError');
      return new FakeStream([new FakeTrack('audio')]);
    });
    const t = new FakeTransport();
    const ctl = new CallController(t);
    void ctl.start(7, BOB, 'video');
    await flush();
    expect(FakePC.last!.log).toEqual(['addTrack audio', 'addTransceiver video']);
    expect(ctl.cameraOn).toBe(false);
    expect(t.types()).toContain('call_start');
  });

  it('the server refusing the call shows why', async () => {
    const t = new FakeTransport();
    const ctl = new CallController(t);
    void ctl.start(7, BOB, 'audio');
    await flush();
    t.refuse('call_start', new ApiError('forbidden', 'blocked'));
    await flush();
    expect(ctl.state.end?.detail).toBe('You blocked this contact. Unblock them to call.');
    expect(FakePC.last!.closed).toBe(true);
  });

  it('asks for relay candidates only when the user protects their IP address', async () => {
    storage.set(`parley.calls.relay.${ALICE}`, '1');
    const ctl = new CallController(new FakeTransport());
    void ctl.start(7, BOB, 'audio');
    await flush();
    expect(FakePC.last!.config.iceTransportPolicy).toBe('relay');
    expect(ctl.state.phase).toBe('outgoing');
  });
});

describe('being called', () => {
  it('rings, buffers the caller\'s candidates, answers, and sends its own only after the accept', async () => {
    const t = new FakeTransport(BOB);
    const ctl = new CallController(t);
    t.sink!.event({ type: 'call_incoming', call: call(), sdp: 'OFFER' });
    expect(ctl.state.phase).toBe('incoming');
    expect(ctl.ringer.kind).toBe('incoming');
    expect(getUserMedia).not.toHaveBeenCalled();
    t.sink!.event({ type: 'call_ice', call_id: ID, candidate: { candidate: 'candidate:caller', sdpMid: '0', sdpMLineIndex: 0 } });
    // Not for this call, or malformed: dropped.
    t.sink!.event({ type: 'call_ice', call_id: 'x'.repeat(32), candidate: { candidate: 'candidate:other' } });
    t.sink!.event({ type: 'call_ice', call_id: ID, candidate: { candidate: 'x'.repeat(2000) } });

    void ctl.accept('audio');
    await flush();
    expect(getUserMedia).toHaveBeenCalledWith({ audio: true, video: false });
    const pc = FakePC.last!;
    expect(pc.log).toEqual(['remote offer', 'candidate candidate:caller', 'addTrack audio']);
    expect(t.sent.at(-1)).toEqual({ type: 'call_accept', call_id: ID, sdp: 'ANSWER' });
    pc.gather('candidate:mine');
    expect(t.types()).not.toContain('call_ice');
    t.answer('call_accept', { type: 'call', call: call({ state: 'active' }) });
    await flush();
    expect(t.sent.at(-1)).toMatchObject({ type: 'call_ice', call_id: ID, candidate: { candidate: 'candidate:mine' } });
    expect(ctl.ringer.kind).toBeNull();
  });

  it('declining sends call_decline and closes the screen', async () => {
    const t = new FakeTransport(BOB);
    const ctl = new CallController(t);
    t.sink!.event({ type: 'call_incoming', call: call(), sdp: 'OFFER' });
    ctl.hangup();
    expect(t.sent).toEqual([{ type: 'call_decline', call_id: ID }]);
    await flush();
    expect(ctl.state.phase).toBe('idle');
    expect(ctl.ringer.kind).toBeNull();
  });

  it('another device answering first stops the ring without a connection', async () => {
    const t = new FakeTransport(BOB);
    const ctl = new CallController(t);
    t.sink!.event({ type: 'call_incoming', call: call(), sdp: 'OFFER' });
    t.sink!.event({ type: 'call_ended', call: call({ state: 'ended', end_reason: 'answered_elsewhere' }) });
    await flush();
    expect(ctl.state.phase).toBe('idle');
    expect(ctl.ringer.kind).toBeNull();
    expect(FakePC.last).toBeNull();
  });

  it('a late accept (conflict) ends quietly, without a hangup', async () => {
    const t = new FakeTransport(BOB);
    const ctl = new CallController(t);
    t.sink!.event({ type: 'call_incoming', call: call(), sdp: 'OFFER' });
    void ctl.accept('video');
    await flush();
    t.refuse('call_accept', new ApiError('conflict', 'already answered'));
    await flush();
    expect(ctl.state.phase).toBe('ended');
    expect(t.types()).not.toContain('call_hangup');
    expect(FakePC.last!.closed).toBe(true);
  });

  it('losing the server connection ends an answered call here', async () => {
    const t = new FakeTransport(BOB);
    const ctl = new CallController(t);
    t.sink!.event({ type: 'call_incoming', call: call(), sdp: 'OFFER' });
    void ctl.accept('audio');
    await flush();
    ctl.connectionLost();
    expect(ctl.state.phase).toBe('ended');
    expect(ctl.state.end?.detail).toBe('The connection to the server was lost.');
    expect(FakePC.last!.closed).toBe(true);
  });

  it('a ringing device that loses the connection stops ringing, and rings again when the server repeats the call', () => {
    const t = new FakeTransport(BOB);
    const ctl = new CallController(t);
    t.sink!.event({ type: 'call_incoming', call: call(), sdp: 'OFFER' });
    ctl.connectionLost();
    expect(ctl.state.phase).toBe('idle');
    expect(ctl.ringer.kind).toBeNull();
    t.sink!.event({ type: 'call_incoming', call: call(), sdp: 'OFFER' });
    expect(ctl.state.phase).toBe('incoming');
    expect(ctl.ringer.kind).toBe('incoming');
  });

  it('ignores malformed events', () => {
    const t = new FakeTransport(BOB);
    const ctl = new CallController(t);
    t.sink!.event({ type: 'call_incoming', call: { call_id: 5 }, sdp: 'OFFER' });
    t.sink!.event({ type: 'call_incoming', call: call() });
    t.sink!.event({ type: 'call_ended', call: null });
    t.sink!.event(null);
    expect(ctl.state.phase).toBe('idle');
  });
});
