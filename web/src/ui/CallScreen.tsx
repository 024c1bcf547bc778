import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import { callStatus, offersRedial, type CallMedia, type CallState } from '../core/calls';
import { CallController } from '../platform/calls';
import type { ParleyClient } from '../platform/client';
import { Avatar, PhoneIcon, VideoIcon } from './icons';
import './calls.css';

/**
 * The call screens (loaded lazily through callsEntry.tsx): incoming (who calls, accept with
 * voice or video, decline), outgoing (ringing, cancel), in call (the other side's video big
 * and one's own small, or the avatar in a voice call; mute, camera, switch views, hang up,
 * the timer) and ended (why, call again). A modal dialog over the app on every screen size.
 */

const controllers = new WeakMap<ParleyClient, CallController>();

/**
 * The call controller of a client (one per signed-in client). With `parley.test-hooks` set to
 * "1" in localStorage (the end-to-end tests do this) it is also `window.parleyCalls`, so a
 * test can read the peer connection's stats; nothing is exposed otherwise.
 */
export function controllerFor(client: ParleyClient): CallController {
  let c = controllers.get(client);
  if (!c) {
    c = new CallController({
      session: client.session,
      callRequest: (f) => client.callRequest(f),
      attachCalls: (sink) => client.attachCalls(sink),
      peerName: (id) => peerName(client, id),
    });
    controllers.set(client, c);
    try {
      if (localStorage.getItem('parley.test-hooks') === '1') (window as any).parleyCalls = c;
    } catch {
      /* no storage: no hook */
    }
  }
  return c;
}

function peerName(client: ParleyClient, conversationId: number): string {
  const peer = client.store.peer(conversationId);
  return peer ? client.nameOf(peer) : 'Unknown caller';
}

export function CallLayer({ client }: { client: ParleyClient }) {
  const ctl = controllerFor(client);
  const [, rerender] = useReducer((n: number, _: number) => n + 1, 0);
  useEffect(() => ctl.subscribe(() => rerender(0)), [ctl]);
  const s = ctl.state;
  // A call from someone whose chat this device does not hold yet: fetch it for the name.
  useEffect(() => {
    if (s.phase !== 'idle' && !client.store.conversation(s.conversationId)) void client.refreshConversation(s.conversationId).catch(() => undefined);
  }, [s.conversationId, s.phase === 'idle']);
  if (s.phase === 'idle') return null;
  return <CallScreen ctl={ctl} client={client} />;
}

function CallScreen({ ctl, client }: { ctl: CallController; client: ParleyClient }) {
  const s = ctl.state;
  const name = peerName(client, s.conversationId);
  const ref = useRef<HTMLDialogElement>(null);
  const [swapped, setSwapped] = useState(false);
  const now = useClock(s.phase === 'active');

  useEffect(() => {
    const d = ref.current;
    const before = document.activeElement as HTMLElement | null;
    if (d && !d.open) d.showModal();
    return () => {
      if (d?.open) d.close();
      before?.focus?.({ preventScroll: true });
    };
  }, []);

  // Each screen's main button takes the focus when the screen changes (the one that had it
  // is gone: Accept once answered, End call once ended).
  useEffect(() => {
    const d = ref.current;
    if (d && !d.contains(document.activeElement)) d.querySelector<HTMLElement>('[data-primary]')?.focus();
  }, [s.phase]);

  const video = s.media === 'video';
  const remoteVideo = video && !!ctl.remote?.getVideoTracks().some((t) => t.readyState === 'live' && !t.muted);
  const localVideo = video && ctl.cameraOn && !!ctl.local?.getVideoTracks().length;
  const big = remoteVideo && localVideo ? (swapped ? 'local' : 'remote') : remoteVideo ? 'remote' : localVideo ? 'local' : null;
  const small = remoteVideo && localVideo ? (big === 'remote' ? 'local' : 'remote') : null;
  const stream = (which: 'local' | 'remote' | null) => (which === 'local' ? ctl.local : which === 'remote' ? ctl.remote : null);
  const label = (which: 'local' | 'remote') => (which === 'local' ? 'Your camera' : `${name}'s video`);
  const status = callStatus(s, now);
  const inCall = s.phase === 'outgoing' || s.phase === 'connecting' || s.phase === 'active';

  return (
    <dialog
      ref={ref}
      class={`call-screen call-${s.phase}${big ? ' has-video' : ''}`}
      aria-labelledby="call-title"
      aria-describedby="call-status"
      data-phase={s.phase}
      onCancel={(e) => {
        e.preventDefault();
        if (s.phase === 'ended') ctl.dismiss();
      }}
    >
      <div class="call-stage">
        {big && <StreamVideo stream={stream(big)} class="call-video-big" label={label(big)} mirrored={big === 'local'} />}
        {small && (
          <StreamVideo stream={stream(small)} class="call-video-small" label={label(small)} mirrored={small === 'local'} />
        )}
        {!big && (
          <div class="call-avatar">
            <Avatar name={name} seed={`u${s.peerId}`} size={120} />
          </div>
        )}
      </div>
      <div class="call-info">
        <h2 id="call-title">{name}</h2>
        <p id="call-status" class={s.phase === 'ended' ? 'call-ended-text' : undefined} role="status" aria-live="polite">
          {status}
        </p>
      </div>
      {ctl.remote && <RemoteAudio stream={ctl.remote} />}
      <div class="call-controls" role="group" aria-label="Call controls">
        {s.phase === 'incoming' && (
          <>
            <RoundButton kind="end" label="Decline" onClick={() => ctl.hangup()} icon={<PhoneIcon size={26} />} />
            <RoundButton kind="accept" label={video ? 'Accept with voice' : 'Accept'} autoFocus onClick={() => void ctl.accept('audio')} icon={<PhoneIcon size={26} />} />
            {video && <RoundButton kind="accept" label="Accept with video" onClick={() => void ctl.accept('video')} icon={<VideoIcon size={26} />} />}
          </>
        )}
        {inCall && (
          <>
            <RoundButton kind="toggle" label="Mute" pressed={ctl.muted} onClick={() => ctl.toggleMute()} icon={<MicIcon off={ctl.muted} />} />
            {video && (
              <RoundButton kind="toggle" label="Camera off" pressed={!ctl.cameraOn} onClick={() => void ctl.toggleCamera()} icon={<CameraIcon off={!ctl.cameraOn} />} />
            )}
            {video && remoteVideo && localVideo && (
              <RoundButton kind="toggle" label="Switch views" onClick={() => setSwapped(!swapped)} icon={<SwapIcon />} />
            )}
            <RoundButton kind="end" label={s.phase === 'outgoing' ? 'Cancel call' : 'End call'} autoFocus onClick={() => ctl.hangup()} icon={<PhoneIcon size={26} />} />
          </>
        )}
        {s.phase === 'ended' && (
          <>
            {offersRedial(s) && (
              <RoundButton
                kind="accept"
                label={s.direction === 'outgoing' ? 'Call again' : 'Call back'}
                onClick={() => redial(ctl, s)}
                icon={s.media === 'video' ? <VideoIcon size={26} /> : <PhoneIcon size={26} />}
              />
            )}
            <RoundButton kind="toggle" label="Close" autoFocus onClick={() => ctl.dismiss()} icon={<CloseIcon />} />
          </>
        )}
      </div>
    </dialog>
  );
}

function redial(ctl: CallController, s: CallState): void {
  void ctl.start(s.conversationId, s.peerId, s.media as CallMedia);
}

/** The current time, ticking every second while `on` (the call timer). */
function useClock(on: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!on) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [on]);
  return on ? now : Date.now();
}

function StreamVideo({ stream, class: cls, label, mirrored }: { stream: MediaStream | null; class: string; label: string; mirrored: boolean }) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const v = ref.current;
    if (!v || v.srcObject === stream) return;
    v.srcObject = stream;
    void v.play().catch(() => undefined);
  }, [stream]);
  return <video ref={ref} class={`${cls}${mirrored ? ' mirrored' : ''}`} autoPlay playsInline muted aria-label={label} />;
}

/** The other side's sound: one element for the whole call, so switching views never cuts it. */
function RemoteAudio({ stream }: { stream: MediaStream }) {
  const ref = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    const a = ref.current;
    if (!a || a.srcObject === stream) return;
    a.srcObject = stream;
    void a.play().catch(() => undefined);
  }, [stream]);
  return <audio ref={ref} autoPlay />;
}

function RoundButton({
  kind,
  label,
  icon,
  onClick,
  pressed,
  autoFocus,
}: {
  kind: 'accept' | 'end' | 'toggle';
  label: string;
  icon: preact.ComponentChildren;
  onClick: () => void;
  pressed?: boolean;
  /** The screen's main button: focused when the screen shows. */
  autoFocus?: boolean;
}) {
  return (
    <div class="call-button">
      <button type="button" class={`round round-${kind}`} aria-label={label} aria-pressed={pressed} autoFocus={autoFocus} data-primary={autoFocus || undefined} onClick={onClick}>
        {icon}
      </button>
      <span aria-hidden="true">{label}</span>
    </div>
  );
}

function MicIcon({ off }: { off: boolean }) {
  return (
    <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
      <rect x="9" y="3" width="6" height="11" rx="3" fill="currentColor" />
      <path d="M5.5 11a6.5 6.5 0 0013 0M12 17.5V21" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
      {off && <path d="M4 4l16 16" stroke="currentColor" stroke-width="2" stroke-linecap="round" />}
    </svg>
  );
}

function CameraIcon({ off }: { off: boolean }) {
  return (
    <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
      <rect x="2.5" y="6" width="13" height="12" rx="2" fill="currentColor" />
      <path d="M16.5 10.5l5-3v9l-5-3z" fill="currentColor" />
      {off && <path d="M3 3l18 18" stroke="currentColor" stroke-width="2" stroke-linecap="round" />}
    </svg>
  );
}

function SwapIcon() {
  return (
    <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
      <path d="M7 4L3 8l4 4M3 8h13M17 12l4 4-4 4M21 16H8" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

function CloseIcon() {
  return (
    <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
      <path d="M6 6l12 12M18 6L6 18" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
    </svg>
  );
}
