import { ParleyClient, type Session } from '../platform/client';

/** The client started for the stored session before the first render (main.tsx). */
let early: { token: string; client: Promise<ParleyClient> } | null = null;

/** Runs `fn` when the page is idle (at the latest after `timeout` ms). */
function whenIdle(fn: () => void, timeout: number): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(fn, { timeout });
  else setTimeout(fn, 0);
}

/**
 * Starts the client for a stored session at once, before the first render: opening the
 * database and connecting are the long part of showing the chat list, and need no DOM.
 */
export function startEarly(session: Session | null): void {
  if (!session) return;
  const client = ParleyClient.start(session);
  client.catch(() => undefined); // reported to whoever takes it (startClient)
  early = { token: session.token, client };
}

/** The client for `session`: the one startEarly() began, once, or a new one. */
export function startClient(session: Session): Promise<ParleyClient> {
  if (early?.token === session.token) {
    const { client } = early;
    early = null;
    return client;
  }
  return ParleyClient.start(session);
}

let shown: () => void = () => undefined;
const firstScreen = new Promise<void>((resolve) => (shown = resolve));

/** The first screen (the chat list, or the log-in form) is drawn; called again, nothing happens. */
export function firstScreenShown(): void {
  shown();
}

/** Later than this after the load event, the service worker registers even if firstScreenShown() never came. */
export const WORKER_FALLBACK_MS = 10_000;

/**
 * Registers the service worker (the offline app shell and push, public/sw.js) once the first
 * screen is drawn and the page is idle: installing it fetches and caches the whole shell
 * again, which on a cold start competed with drawing the chat list. Without a first screen
 * (the local database failed) it registers WORKER_FALLBACK_MS after the load event.
 */
export function registerWorkerLater(): void {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return;
  let done = false;
  const register = () => {
    if (done) return;
    done = true;
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((e) => console.warn('service worker not registered', e));
  };
  void firstScreen.then(() => whenIdle(register, 2000));
  const fallback = () => setTimeout(register, WORKER_FALLBACK_MS);
  if (document.readyState === 'complete') fallback();
  else window.addEventListener('load', fallback, { once: true });
}
