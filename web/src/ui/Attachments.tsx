import { useEffect, useRef, useState } from 'preact/hooks';
import { fitBox, formatDuration, formatSize, waveformLevels, waveformOf } from '../core/media';
import type { FileInfo, VideoInfo, VoiceInfo } from '../core/types';
import type { ParleyClient } from '../platform/client';

/**
 * A document in a message: its name, size and type, and a link that downloads it under
 * its name (the server answers with Content-Disposition: attachment; the file is never
 * shown in this page).
 */
export function FileBubble({ client, file }: { client: ParleyClient; file: FileInfo }) {
  const [href, setHref] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    client.photoLinks(file.media_id).then(
      (l) => live && setHref(l.full),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [file.media_id, client.connState === 'online']);
  const ext = file.name.includes('.') ? file.name.slice(file.name.lastIndexOf('.') + 1).slice(0, 4).toUpperCase() : 'FILE';
  return (
    <div class="file-bubble" data-media-id={file.media_id}>
      <span class="file-icon" aria-hidden="true">{ext}</span>
      <span class="file-text">
        <span class="file-name" dir="auto">{file.name}</span>
        <span class="file-size">{formatSize(file.size)}</span>
      </span>
      {href ? (
        <a class="file-download" href={href} download={file.name} aria-label={`Download ${file.name}`} rel="noopener">
          Download
        </a>
      ) : (
        <span class="file-download" aria-disabled="true">…</span>
      )}
    </div>
  );
}

/**
 * A video in a message: the blurred placeholder at once, the poster over it, its duration
 * and a play button; pressed, an inline <video> with controls plays it (seeking fetches
 * byte ranges from the server) at the same size, so nothing jumps.
 */
export function VideoBubble({ client, video, caption }: { client: ParleyClient; video: VideoInfo; caption: string }) {
  // The bubble's width: at most 280 px, and never wider than a phone screen leaves room for.
  const maxW = Math.min(280, Math.max(160, (typeof window !== 'undefined' ? window.innerWidth : 400) - 110));
  const box = fitBox(video.width, video.height, maxW, 320);
  const [links, setLinks] = useState<{ full: string; poster?: string } | null>(null);
  const [posterLoaded, setPosterLoaded] = useState(false);
  const [playing, setPlaying] = useState(false);
  const retry = links ? 'done' : client.connState === 'online';
  useEffect(() => {
    if (links) return;
    let live = true;
    client.photoLinks(video.media_id).then(
      (l) => live && setLinks({ full: l.full, poster: l.poster }),
      () => undefined, // offline: the placeholder stays until the connection is back
    );
    return () => {
      live = false;
    };
  }, [video.media_id, retry]);
  const label = `Video, ${formatDuration(video.duration_ms)}${caption ? `: ${caption}` : ''}`;
  return (
    <div class="video-bubble" style={{ width: `${box.width}px`, height: `${box.height}px` }} data-media-id={video.media_id} data-state={playing ? 'playing' : 'poster'}>
      {playing && links ? (
        <video
          class="video-player"
          src={links.full}
          poster={links.poster}
          controls
          autoPlay
          playsInline
          preload="metadata"
          aria-label={label}
        />
      ) : (
        <button type="button" class="video-poster" onClick={() => setPlaying(true)} disabled={!links} aria-label={`${label}. Play`}>
          <img class="photo-placeholder" src={video.placeholder} alt="" aria-hidden="true" />
          {links?.poster && (
            <img class={`photo-thumb${posterLoaded ? ' loaded' : ''}`} src={links.poster} alt="" onLoad={() => setPosterLoaded(true)} />
          )}
          <span class="video-play" aria-hidden="true">
            ▶
          </span>
          <span class="video-duration">{formatDuration(video.duration_ms)}</span>
        </button>
      )}
    </div>
  );
}

const SPEEDS = [1, 1.5, 2];

/** A voice message: play/pause, a waveform that fills as it plays (click to seek), and speed. */
export function VoiceBubble({ client, voice, onPlay, played }: { client: ParleyClient; voice: VoiceInfo; onPlay?: () => void; played?: boolean }) {
  const audio = useRef<HTMLAudioElement>(null);
  const [src, setSrc] = useState<string | null>(null);
  const [playing, setPlaying] = useState(false);
  const [position, setPosition] = useState(0); // seconds
  const [speed, setSpeed] = useState(1);
  const levels = waveformLevels(voice.waveform);
  const duration = voice.duration_ms / 1000;
  useEffect(() => {
    let live = true;
    client.photoLinks(voice.media_id).then(
      (l) => live && setSrc(l.full),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [voice.media_id, client.connState === 'online']);
  const progress = duration > 0 ? Math.min(1, position / duration) : 0;
  function toggle() {
    const a = audio.current;
    if (!a) return;
    if (a.paused) void a.play().catch(() => setPlaying(false));
    else a.pause();
  }
  function seek(fraction: number) {
    const a = audio.current;
    if (!a) return;
    a.currentTime = fraction * duration;
    setPosition(a.currentTime);
  }
  return (
    <div class="voice-bubble" data-media-id={voice.media_id} data-state={playing ? 'playing' : 'paused'}>
      {src && (
        <audio
          ref={audio}
          src={src}
          preload="metadata"
          onPlay={() => {
            setPlaying(true);
            onPlay?.();
          }}
          onPause={() => setPlaying(false)}
          onEnded={() => {
            setPlaying(false);
            setPosition(0);
          }}
          onTimeUpdate={(e) => setPosition(e.currentTarget.currentTime)}
        />
      )}
      <button type="button" class="voice-play" disabled={!src} onClick={toggle} aria-label={playing ? 'Pause voice message' : 'Play voice message'}>
        {playing ? '❚❚' : '▶'}
      </button>
      <div
        class="voice-wave"
        role="slider"
        tabIndex={0}
        aria-label="Position"
        aria-valuemin={0}
        aria-valuemax={Math.round(duration)}
        aria-valuenow={Math.round(position)}
        onClick={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          seek(Math.min(1, Math.max(0, (e.clientX - r.left) / r.width)));
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowRight') seek(Math.min(1, progress + 0.05));
          else if (e.key === 'ArrowLeft') seek(Math.max(0, progress - 0.05));
        }}
      >
        {levels.map((v, i) => (
          <span key={i} class={i / levels.length < progress ? 'bar played' : 'bar'} style={{ height: `${Math.max(8, (v / 255) * 100)}%` }} />
        ))}
      </div>
      <span class="voice-time">{formatDuration((playing || position > 0 ? position : duration) * 1000)}</span>
      {played && (
        <span class="voice-played" title="Played" aria-label="Played">
          ●
        </span>
      )}
      <button
        type="button"
        class="voice-speed"
        aria-label={`Playback speed ${speed}×`}
        onClick={() => {
          const next = SPEEDS[(SPEEDS.indexOf(speed) + 1) % SPEEDS.length];
          setSpeed(next);
          if (audio.current) audio.current.playbackRate = next;
        }}
      >
        {speed}×
      </button>
    </div>
  );
}

/** A finished recording: the clip and what the recorder measured of it. */
export interface Recording {
  blob: Blob;
  durationMs: number;
  waveform: string;
}

/** The MediaRecorder type to ask for: Opus in WebM (Chromium), else Opus in Ogg (Firefox). */
function recorderType(): string | undefined {
  for (const t of ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus']) if (MediaRecorder.isTypeSupported(t)) return t;
  return undefined;
}

/** Decodes the clip to measure its duration and waveform; falls back to the wall clock and a flat line. */
async function measure(blob: Blob, elapsedMs: number): Promise<Recording> {
  try {
    const ctx = new AudioContext();
    try {
      const buf = await ctx.decodeAudioData(await blob.arrayBuffer());
      return { blob, durationMs: Math.round(buf.duration * 1000) || elapsedMs, waveform: waveformOf(buf.getChannelData(0)) };
    } finally {
      void ctx.close();
    }
  } catch {
    return { blob, durationMs: elapsedMs, waveform: waveformOf(new Float32Array(64)) };
  }
}

/**
 * The record button: press to start recording from the microphone, press again to stop
 * and send; the cancel button drops the recording.
 */
export function RecordButton({ onRecorded, onError }: { onRecorded: (r: Recording) => void; onError: (message: string) => void }) {
  const rec = useRef<{ recorder: MediaRecorder; started: number; cancelled: boolean } | null>(null);
  const [recording, setRecording] = useState(false);
  const [elapsed, setElapsed] = useState(0);
  useEffect(() => {
    if (!recording) return;
    const t = setInterval(() => rec.current && setElapsed(Date.now() - rec.current.started), 250);
    return () => clearInterval(t);
  }, [recording]);
  async function start() {
    if (typeof MediaRecorder === 'undefined' || !navigator.mediaDevices?.getUserMedia) return onError('Recording is not supported here.');
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      return onError('No microphone, or no permission to use it.');
    }
    const type = recorderType();
    const recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    const chunks: Blob[] = [];
    const state = { recorder, started: Date.now(), cancelled: false };
    recorder.ondataavailable = (e) => e.data.size && chunks.push(e.data);
    recorder.onstop = () => {
      stream.getTracks().forEach((t) => t.stop());
      setRecording(false);
      rec.current = null;
      if (state.cancelled || !chunks.length) return;
      const blob = new Blob(chunks, { type: (recorder.mimeType || type || 'audio/webm').split(';')[0] });
      void measure(blob, Date.now() - state.started).then(onRecorded);
    };
    rec.current = state;
    recorder.start(250);
    setElapsed(0);
    setRecording(true);
  }
  function stop(cancel: boolean) {
    const r = rec.current;
    if (!r) return;
    r.cancelled = cancel;
    r.recorder.stop();
  }
  return recording ? (
    <span class="recording" role="status">
      <span class="recording-dot" aria-hidden="true" />
      <span class="recording-time">{formatDuration(elapsed)}</span>
      <button type="button" class="icon-button" aria-label="Cancel recording" onClick={() => stop(true)}>
        ✕
      </button>
      <button type="button" class="icon-button record stop" aria-label="Stop and send voice message" onClick={() => stop(false)}>
        ■
      </button>
    </span>
  ) : (
    <button type="button" class="icon-button record" aria-label="Record voice message" title="Record voice message" onClick={() => void start()}>
      🎤
    </button>
  );
}
