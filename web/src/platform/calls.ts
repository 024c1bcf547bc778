import { Gate, IDLE, isCall, lingerMs, reduceCall, type Call, type CallAction, type CallMedia, type CallState } from '../core/calls';
import { ApiError } from '../core/types';
import { relayOnly } from './callprefs';
import type { CallSink } from './client';
import { Ringer } from './ringer';

/**
 * A device's side of a 1:1 call (docs/protocol.md, "Calls"): the state machine of
 * core/calls.ts plus what it drives — the microphone and camera (asked for only when the user
 * calls or answers), one RTCPeerConnection configured with the server's ICE servers, ICE
 * candidates trickled through `call_ice` both ways, and the ring. One call at a time.
 *
 * Candidates wait in two gates: this device's own until the call has an id the server
 * accepts them for (the answer to call_start, or to call_accept on the callee's side), the
 * other side's until the remote description is set (they can arrive first, while it rings).
 */

/** What the controller needs from the client (platform/client.ts). */
export interface CallTransport {
  readonly session: { user: { id: number } };
  callRequest<T = any>(frame: Record<string, unknown>): Promise<T>;
  attachCalls(sink: CallSink): void;
  /** The name to show for the other person of a direct conversation. */
  peerName(conversationId: number): string;
}

/** A call that has not connected this long after answering gives up. */
export const CONNECT_TIMEOUT_MS = 30_000;

/** How long a caller waits for its candidates to be gathered into the offer. */
export const OFFER_GATHER_MS = 1500;

interface CallAnswer {
  call: Call;
}

type Candidate = { candidate: string; sdpMid: string | null; sdpMLineIndex: number | null };

export class CallController implements CallSink {
  state: CallState = IDLE;
  /** This device's microphone (and camera) while in a call. */
  local: MediaStream | null = null;
  /** What the other side sends. */
  remote: MediaStream | null = null;
  muted = false;
  /** The camera is sending (video calls). */
  cameraOn = false;
  /** The peer connection of the call in progress (tests read its stats). */
  pc: RTCPeerConnection | null = null;
  readonly ringer = new Ringer();

  private listeners = new Set<() => void>();
  /** Bumped when a call ends: async steps of an older call see they are stale. */
  private epoch = 0;
  private localIce = this.localGate();
  private remoteIce = this.remoteGate();
  private iceCache: { servers: RTCIceServer[]; until: number } | null = null;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private notice: Notification | null = null;

  constructor(private readonly t: CallTransport) {
    t.attachCalls(this);
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }

  // ---------- user actions ----------

  /** Calls the other member of a direct conversation. */
  async start(conversationId: number, peerId: number, media: CallMedia): Promise<void> {
    if (!this.dispatch({ type: 'dial', conversationId, peerId, media })) return;
    const epoch = this.epoch;
    try {
      const [servers, stream] = await Promise.all([this.iceServers(), this.openMedia(media)]);
      if (this.stale(epoch)) return stopAll(stream);
      this.local = stream;
      const pc = this.makePeer(servers, epoch);
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      // A video call from a device without a camera still receives the other side's video.
      if (media === 'video' && !stream.getVideoTracks().length) pc.addTransceiver('video', { direction: 'recvonly' });
      await pc.setLocalDescription(await pc.createOffer());
      // The server does not repeat trickled candidates to a callee device that connects
      // later (opened from the call's notification): the offer carries what was gathered in
      // a moment, and only what comes after trickles.
      await gathered(pc, OFFER_GATHER_MS);
      if (this.stale(epoch)) return;
      const sdp = pc.localDescription!.sdp;
      this.localIce = this.localGate(); // the candidates so far are in `sdp`
      const r = await this.t.callRequest<CallAnswer>({ type: 'call_start', conversation_id: conversationId, media, sdp });
      if (!isCall(r?.call)) throw new ApiError('internal', 'bad answer');
      if (this.stale(epoch)) {
        // Cancelled before the server answered: the call rings now, so end it there too.
        if (r.call.state === 'ringing') void this.send({ type: 'call_hangup', call_id: r.call.call_id });
        return;
      }
      this.dispatch({ type: 'started', call: r.call, now: Date.now() });
      if (this.state.phase === 'outgoing') this.localIce.open();
    } catch (e) {
      if (!this.stale(epoch)) this.fail(failureText(e, media));
    }
  }

  /** Answers the ringing call, with video or voice only. */
  async accept(media: CallMedia): Promise<void> {
    const s = this.state;
    if (s.phase !== 'incoming' || !s.call || s.offer === undefined) return;
    const { call, offer } = { call: s.call, offer: s.offer };
    const withVideo = media === 'video' && call.media === 'video';
    this.dispatch({ type: 'answer' });
    const epoch = this.epoch;
    try {
      const [servers, stream] = await Promise.all([this.iceServers(), this.openMedia(withVideo ? 'video' : 'audio')]);
      if (this.stale(epoch)) return stopAll(stream);
      this.local = stream;
      const pc = this.makePeer(servers, epoch);
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
      this.remoteIce.open();
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      // Answered with voice only: the video line stays open both ways, so the camera can be
      // turned on later without a new offer (replaceTrack).
      for (const tr of pc.getTransceivers()) if (tr.receiver.track.kind === 'video' && !tr.sender.track) tr.direction = 'sendrecv';
      await pc.setLocalDescription(await pc.createAnswer());
      if (this.stale(epoch)) return;
      const r = await this.t.callRequest<CallAnswer>({ type: 'call_accept', call_id: call.call_id, sdp: pc.localDescription!.sdp });
      if (this.stale(epoch)) return;
      this.dispatch({ type: 'accepted', call: isCall(r?.call) ? r.call : call });
      this.localIce.open();
    } catch (e) {
      if (this.stale(epoch)) return;
      // Another device answered first (or the caller gave up): call_ended says which.
      if (e instanceof ApiError && e.code === 'conflict') return this.fail('The call was answered on another device or has ended.', false);
      this.fail(failureText(e, withVideo ? 'video' : 'audio'));
    }
  }

  /** Declines a ringing call, cancels an outgoing one, or hangs up. */
  hangup(): void {
    const s = this.state;
    if (!this.dispatch({ type: 'hangup', now: Date.now() })) return;
    if (!s.call) return; // start() ends it on the server when call_start answers
    void this.send(s.phase === 'incoming' ? { type: 'call_decline', call_id: s.call.call_id } : { type: 'call_hangup', call_id: s.call.call_id });
  }

  toggleMute(): void {
    this.muted = !this.muted;
    for (const t of this.local?.getAudioTracks() ?? []) t.enabled = !this.muted;
    this.emit();
  }

  /** Turns the camera off or on (video calls); a voice-only answer asks for the camera now. */
  async toggleCamera(): Promise<void> {
    const video = this.local?.getVideoTracks()[0];
    if (video) {
      video.enabled = !video.enabled;
      this.cameraOn = video.enabled;
      return this.emit();
    }
    const pc = this.pc;
    const sender = pc?.getTransceivers().find((tr) => tr.receiver.track.kind === 'video')?.sender;
    if (!pc || !sender || !this.local) return;
    const epoch = this.epoch;
    try {
      const cam = await navigator.mediaDevices.getUserMedia({ video: true });
      if (this.stale(epoch)) return stopAll(cam);
      const track = cam.getVideoTracks()[0];
      await sender.replaceTrack(track);
      this.local.addTrack(track);
      this.cameraOn = true;
      this.emit();
    } catch {
      /* no camera, or refused: the call goes on with voice */
    }
  }

  /** Closes the ended screen. */
  dismiss(): void {
    this.dispatch({ type: 'dismiss' });
  }

  // ---------- server events (CallSink) ----------

  event(f: any): void {
    const s = this.state;
    switch (f?.type) {
      case 'call_incoming':
        if (!isCall(f.call) || typeof f.sdp !== 'string') return;
        if (this.dispatch({ type: 'incoming', call: f.call, sdp: f.sdp, me: this.t.session.user.id })) this.announce();
        return;
      case 'call_accepted':
        if (!isCall(f.call) || typeof f.sdp !== 'string' || s.phase !== 'outgoing' || !this.dispatch({ type: 'accepted', call: f.call })) return;
        void this.pc
          ?.setRemoteDescription({ type: 'answer', sdp: f.sdp })
          .then(() => this.remoteIce.open())
          .catch(() => this.fail('The call could not be connected.'));
        return;
      case 'call_ice': {
        const c = candidateOf(f.candidate);
        if (c && s.call && f.call_id === s.call.call_id && s.phase !== 'ended') this.remoteIce.put(c);
        return;
      }
      case 'call_ended':
        if (isCall(f.call)) this.dispatch({ type: 'ended', call: f.call, now: Date.now() });
        return;
    }
  }

  connectionLost(): void {
    const ringing = this.state.phase === 'incoming';
    this.fail('The connection to the server was lost.', false);
    // A device that only rang is no party to the call: it still rings elsewhere, and here
    // again if the connection comes back in time (the server repeats call_incoming).
    if (ringing) this.dismiss();
  }

  // ---------- internals ----------

  /** Applies an action; on a change runs its effects and re-renders. False when nothing changed. */
  private dispatch(a: CallAction): boolean {
    const before = this.state;
    const next = reduceCall(before, a);
    if (next === before) return false;
    this.state = next;
    if (next.phase === 'ended' && before.phase !== 'ended') this.teardown();
    if (next.phase === 'connecting' && before.phase !== 'connecting') {
      clearTimeout(this.connectTimer);
      this.connectTimer = setTimeout(() => this.state.phase === 'connecting' && this.fail('The call could not be connected.'), CONNECT_TIMEOUT_MS);
    }
    if ((next.phase === 'outgoing' || next.phase === 'incoming') && before.phase !== next.phase) {
      // A new call: candidates of the last one must not leak into it.
      this.localIce = this.localGate();
      this.remoteIce = this.remoteGate();
    }
    this.ring();
    if (next.phase === 'ended') this.scheduleDismiss();
    this.emit();
    return true;
  }

  /** Ends the call because of a failure here; tells the server when it knows the call. */
  private fail(detail: string, tellServer = true): void {
    const s = this.state;
    if (!this.dispatch({ type: 'failed', detail, now: Date.now() })) return;
    if (tellServer && s.call) void this.send({ type: 'call_hangup', call_id: s.call.call_id });
  }

  private stale(epoch: number): boolean {
    return epoch !== this.epoch || this.state.phase === 'ended' || this.state.phase === 'idle';
  }

  private teardown(): void {
    this.epoch++;
    clearTimeout(this.connectTimer);
    this.pc?.close();
    this.pc = null;
    if (this.local) stopAll(this.local);
    this.local = null;
    this.remote = null;
    this.muted = false;
    this.cameraOn = false;
    this.notice?.close();
    this.notice = null;
  }

  private scheduleDismiss(): void {
    clearTimeout(this.lingerTimer);
    const ms = lingerMs(this.state);
    if (ms === null) return;
    const ended = this.state;
    this.lingerTimer = setTimeout(() => this.state === ended && this.dismiss(), ms);
  }

  private ring(): void {
    const s = this.state;
    if (s.phase === 'incoming') this.ringer.play('incoming');
    else if (s.phase === 'outgoing' && s.call) this.ringer.play('ringback');
    else this.ringer.stop();
  }

  /** A notification for a call that rings while the page is hidden (closed when it stops). */
  private announce(): void {
    if (typeof document === 'undefined' || document.visibilityState !== 'hidden') return;
    if (!('Notification' in globalThis) || Notification.permission !== 'granted') return;
    const s = this.state;
    try {
      this.notice = new Notification(`Incoming call from ${this.t.peerName(s.conversationId)}`, {
        body: s.media === 'video' ? 'Video call' : 'Voice call',
        tag: `call${s.call?.call_id}`,
        requireInteraction: true,
        icon: '/icon-192.png',
      });
      this.notice.onclick = () => {
        window.focus();
        this.notice?.close();
      };
    } catch {
      /* notifications only from the service worker here: the ring and the screen remain */
    }
  }

  private send(frame: Record<string, unknown>): Promise<unknown> {
    return this.t.callRequest(frame).catch(() => undefined);
  }

  private async iceServers(): Promise<RTCIceServer[]> {
    const now = Date.now();
    if (this.iceCache && this.iceCache.until > now) return this.iceCache.servers;
    const r = await this.t.callRequest<{ ice_servers: RTCIceServer[]; ttl_s: number }>({ type: 'ice_servers' });
    const servers = Array.isArray(r?.ice_servers) ? r.ice_servers.filter((s) => s && (typeof s.urls === 'string' || Array.isArray(s.urls))) : [];
    // Credentials are reused for half their lifetime, so a call never starts on expiring ones.
    const ttl = typeof r?.ttl_s === 'number' && r.ttl_s > 0 ? r.ttl_s : 0;
    this.iceCache = { servers, until: now + (ttl * 1000) / 2 };
    return servers;
  }

  private async openMedia(media: CallMedia): Promise<MediaStream> {
    if (!navigator.mediaDevices?.getUserMedia) throw new MediaError('unsupported');
    if (media === 'video') {
      try {
        const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
        this.cameraOn = true;
        return s;
      } catch (e) {
        // No camera (or it is busy): a video call can go on with the microphone alone.
        if (!(e instanceof DOMException) || e.name === 'NotAllowedError') throw e;
      }
    }
    this.cameraOn = false;
    return navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  }

  private makePeer(iceServers: RTCIceServer[], epoch: number): RTCPeerConnection {
    const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: relayOnly(this.t.session.user.id) ? 'relay' : 'all' });
    this.pc = pc;
    const mine = () => this.pc === pc && epoch === this.epoch;
    pc.onicecandidate = (e) => {
      if (mine() && e.candidate?.candidate) this.localIce.put(candidateOf(e.candidate.toJSON())!);
    };
    pc.ontrack = (e) => {
      if (!mine()) return;
      this.remote ??= new MediaStream();
      if (!this.remote.getTracks().includes(e.track)) this.remote.addTrack(e.track);
      e.track.onunmute = () => mine() && this.emit();
      this.emit();
    };
    pc.onconnectionstatechange = () => {
      if (!mine()) return;
      switch (pc.connectionState) {
        case 'connected':
          clearTimeout(this.connectTimer);
          this.dispatch({ type: 'media_up', now: Date.now() });
          break;
        case 'disconnected':
          this.dispatch({ type: 'media_down' });
          break;
        case 'failed':
          this.fail(this.state.phase === 'active' ? 'The call was cut off.' : 'The call could not be connected.');
          break;
      }
    };
    return pc;
  }

  private localGate(): Gate<Candidate> {
    return new Gate<Candidate>((candidate) => {
      const id = this.state.call?.call_id;
      if (id) void this.send({ type: 'call_ice', call_id: id, candidate });
    });
  }

  private remoteGate(): Gate<Candidate> {
    return new Gate<Candidate>((c) => void this.pc?.addIceCandidate(c).catch(() => undefined));
  }
}

class MediaError extends Error {}

/** Resolves once ICE gathering is complete, or after `ms`. */
function gathered(pc: RTCPeerConnection, ms: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    }
    function check() {
      if (pc.iceGatheringState === 'complete') done();
    }
    pc.addEventListener('icegatheringstatechange', check);
  });
}

function stopAll(stream: MediaStream): void {
  for (const t of stream.getTracks()) t.stop();
}

/** A candidate object as the protocol carries it, or null when malformed. */
function candidateOf(v: any): Candidate | null {
  if (!v || typeof v.candidate !== 'string' || v.candidate.length > 1024) return null;
  return {
    candidate: v.candidate,
    sdpMid: typeof v.sdpMid === 'string' ? v.sdpMid : null,
    sdpMLineIndex: typeof v.sdpMLineIndex === 'number' ? v.sdpMLineIndex : null,
  };
}

/** What the call screen says when a call cannot start or be answered. */
export function failureText(e: unknown, media: CallMedia): string {
  if (e instanceof MediaError) return 'This browser cannot make calls.';
  if (e instanceof DOMException) {
    const what = media === 'video' ? 'microphone and camera' : 'microphone';
    if (e.name === 'NotAllowedError') return `Parley needs your ${what} for calls. Allow them in the browser's site settings.`;
    if (e.name === 'NotFoundError') return 'No microphone was found.';
    if (e.name === 'NotReadableError') return `Your ${what} is in use by another app.`;
    return 'The call could not be set up.';
  }
  if (e instanceof ApiError) {
    switch (e.code) {
      case 'forbidden':
        return 'You blocked this contact. Unblock them to call.';
      case 'account_deleted':
        return 'This account was deleted.';
      case 'rate_limited':
        return 'Too many calls. Try again in a minute.';
      case 'invalid_argument':
        return 'Calls are only for chats with one person.';
      case 'not_found':
        return 'This call is no longer available.';
      case 'disconnected':
      case 'timeout':
      case 'network':
        return 'You are offline. Calls need a connection.';
    }
  }
  return 'The call could not be set up.';
}
