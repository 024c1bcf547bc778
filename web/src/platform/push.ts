import { http } from './api';

/** Where this browser's push registration id is kept, per account. */
const key = (userId: number) => `parley.push.${userId}`;

export type Preview = 'full' | 'hidden';

/** Whether this browser can receive Web Push at all (a service worker, PushManager, a secure page). */
export function pushSupported(): boolean {
  return typeof window !== 'undefined' && window.isSecureContext && 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

/** True when this device registered for pushes for this account (and permission still stands). */
export function pushOn(userId: number): boolean {
  return pushSupported() && Notification.permission === 'granted' && localStorage.getItem(key(userId)) !== null;
}

function bytes(b64url: string): Uint8Array<ArrayBuffer> {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

/**
 * Opts this device in: asks for permission (only now, never on page load), subscribes with the
 * server's VAPID key and registers the subscription for this session. Throws with a sentence
 * when the browser or the user says no.
 */
export async function enablePush(token: string, userId: number): Promise<void> {
  if (!pushSupported()) throw new Error('This browser cannot show notifications from Parley.');
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error('Notifications are blocked for this site in the browser settings.');
  const config = await http<{ vapid_public_key: string }>('GET', '/push/config', undefined, token);
  const reg = await navigator.serviceWorker.ready;
  let sub = await reg.pushManager.getSubscription();
  if (sub) {
    // A subscription made with another server key cannot carry ours.
    const current = sub.options.applicationServerKey;
    const wanted = bytes(config.vapid_public_key);
    const same = current && new Uint8Array(current).every((b, i) => b === wanted[i]) && current.byteLength === wanted.length;
    if (!same) {
      await sub.unsubscribe();
      sub = null;
    }
  }
  sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytes(config.vapid_public_key) });
  const json = sub.toJSON();
  const r = await http<{ subscription: { id: number } }>('POST', '/push/subscriptions', {
    kind: 'webpush', endpoint: json.endpoint, p256dh: json.keys?.p256dh, auth: json.keys?.auth,
  }, token);
  localStorage.setItem(key(userId), String(r.subscription.id));
}

/** Opts this device out: deletes the registration and the browser's subscription. */
export async function disablePush(token: string, userId: number): Promise<void> {
  const id = localStorage.getItem(key(userId));
  localStorage.removeItem(key(userId));
  if (id !== null) await http('DELETE', `/push/subscriptions/${id}`, undefined, token).catch(() => undefined);
  const reg = await navigator.serviceWorker?.ready;
  const sub = await reg?.pushManager.getSubscription();
  await sub?.unsubscribe();
}

export async function loadPreview(token: string): Promise<Preview> {
  return (await http<{ preview: Preview }>('GET', '/me/notifications', undefined, token)).preview;
}

export async function savePreview(token: string, preview: Preview): Promise<Preview> {
  return (await http<{ preview: Preview }>('PATCH', '/me/notifications', { preview }, token)).preview;
}
