/* Parley service worker: keeps the app shell available with no network.
 * - On install it caches index.html and every asset that index.html references.
 * - Page loads (navigations) go to the network first and fall back to the cached index.html,
 *   so the app opens offline on any client-side route.
 * - Hashed build assets (/assets/...) are served from the cache first (they never change).
 * - Nothing under /api/ is ever cached here: data lives in IndexedDB, managed by the app.
 * - Nor photos (/media/...): their signed links change every few minutes and the browser's
 *   HTTP cache already keeps them as long as their Cache-Control allows.
 * - Push messages (docs/protocol.md, "Web Push payload") become notifications, one per chat
 *   (the payload's tag), except while that chat is open in a visible window; a "withdraw"
 *   closes the chat's notification. Clicking a notification opens its chat.
 * - A "call" push shows "Incoming call from X" ("Incoming call" with previews hidden) until
 *   it is tapped or its "withdraw" comes (the call was answered on another device, declined or
 *   missed); tapping it opens the chat, where the app, once connected, rings with the call if
 *   it still rings.
 */
const CACHE = 'parley-shell-v1';
const SHELL = ['/', '/index.html', '/icon.svg', '/manifest.webmanifest'];

async function precache() {
  const cache = await caches.open(CACHE);
  const res = await fetch('/index.html', { cache: 'no-store' });
  if (!res.ok) throw new Error('index.html: ' + res.status);
  const html = await res.clone().text();
  await cache.put('/index.html', res.clone());
  await cache.put('/', res);
  const assets = new Set();
  for (const m of html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) assets.add(m[1]);
  await cache.addAll([...assets, '/icon.svg', '/icon-192.png', '/manifest.webmanifest']);
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

async function networkFirstShell(request) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(request);
    if (res.ok && (res.headers.get('content-type') || '').includes('text/html')) {
      await cache.put('/index.html', res.clone());
    }
    return res;
  } catch (e) {
    const cached = (await cache.match('/index.html')) || (await cache.match('/'));
    if (cached) return cached;
    throw e;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const res = await fetch(request);
  if (res.ok) await cache.put(request, res.clone());
  return res;
}

async function staleWhileRevalidate(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  const refresh = fetch(request)
    .then(async (res) => {
      if (res.ok) await cache.put(request, res.clone());
      return res;
    })
    .catch(() => undefined);
  return hit || (await refresh) || Response.error();
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/media/')) return;
  if (url.pathname === '/healthz' || url.pathname === '/readyz') return;
  if (req.mode === 'navigate') {
    event.respondWith(networkFirstShell(req));
  } else if (url.pathname.startsWith('/assets/')) {
    event.respondWith(cacheFirst(req));
  } else if (url.pathname !== '/sw.js') {
    event.respondWith(staleWhileRevalidate(req));
  }
});

// The chat a notification opens: its data.url when that is a chat path of this origin, else
// the app's start (a notification's data is ours, but a click must never leave the app).
function clickTarget(data) {
  const url = data && data.url;
  return typeof url === 'string' && /^\/c\/\d+$/.test(url) ? url : '/';
}

// What a click on a notification does, given the app's open windows (clients.matchAll's
// order: most recently focused first) and the chat path to show:
//  - a window already showing that chat is focused (the visible or focused one if several);
//  - else the window the user is on (focused, else visible, else the last used) is focused
//    and asked to open the chat itself, without a reload (ui/Messenger.tsx, message "open");
//  - with no window open, a new one opens at the chat.
function clickPlan(windows, target) {
  const pathOf = (c) => {
    try {
      return new URL(c.url).pathname;
    } catch (e) {
      return '';
    }
  };
  const best = (list) =>
    list.find((c) => c.focused) || list.find((c) => c.visibilityState === 'visible') || list[0];
  const showing = best(windows.filter((c) => pathOf(c) === target));
  if (showing) return { action: 'focus', client: showing };
  const client = best(windows);
  if (client) return { action: 'focus-and-open', client, url: target };
  return { action: 'open-window', url: target };
}

async function onNotificationClick(notification) {
  notification.close();
  const target = clickTarget(notification.data);
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const plan = clickPlan(windows, target);
  if (plan.action === 'open-window') {
    await self.clients.openWindow(plan.url);
    return;
  }
  if (plan.action === 'focus-and-open') plan.client.postMessage({ type: 'open', url: plan.url });
  await plan.client.focus();
}

self.addEventListener('notificationclick', (event) => {
  event.waitUntil(onNotificationClick(event.notification));
});

function notificationFor(p) {
  const media = p.media
    ? p.text ? '\u{1F4F7} ' + p.text : '\u{1F4F7} Photo'
    : p.attachment === 'file'
      ? '\u{1F4C4} ' + (p.file_name || 'File') + (p.text ? ': ' + p.text : '')
      : p.attachment === 'voice'
        ? '\u{1F3A4} Voice message'
        : p.text;
  if (!p.sender) return { title: 'Parley', body: p.count > 1 ? p.count + ' new messages' : 'New message' };
  const who = p.sender.display_name || p.sender.username;
  const title = p.kind === 'group' && p.conversation_name ? p.conversation_name : who;
  let body = p.kind === 'group' ? who + ': ' + media : media;
  if (p.count > 1) body += ' (' + p.count + ' new messages)';
  return { title, body };
}

async function chatVisible(conversationId) {
  const all = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  return all.some((c) => c.visibilityState === 'visible' && new URL(c.url).pathname === '/c/' + conversationId);
}

/** An incoming call (docs/protocol.md, "Calls"): stays until answered elsewhere, missed or tapped. */
async function showCall(p) {
  // No caller when the user hides previews (docs/protocol.md, "Web Push payload").
  const who = p.caller && (p.caller.display_name || p.caller.username);
  await self.registration.showNotification(who ? 'Incoming call from ' + who : 'Incoming call', {
    body: p.media === 'video' ? 'Video call' : 'Voice call',
    tag: p.tag,
    requireInteraction: true,
    renotify: true,
    icon: '/icon-192.png',
    badge: '/icon-192.png',
    timestamp: typeof p.ts === 'number' ? p.ts : Date.now(),
    data: { url: '/c/' + p.conversation_id, conversation_id: p.conversation_id, call_id: p.call_id },
  });
}

async function onPush(p) {
  if (!p || typeof p.tag !== 'string') return;
  // A call's withdraw names only its tag ("call<call_id>").
  if (p.type === 'withdraw' && p.tag.startsWith('call')) {
    for (const n of await self.registration.getNotifications({ tag: p.tag })) n.close();
    return;
  }
  if (typeof p.conversation_id !== 'number') return;
  if (p.type === 'call') return showCall(p);
  if (typeof p.badge === 'number' && self.navigator.setAppBadge) {
    await self.navigator.setAppBadge(p.badge).catch(() => undefined);
  }
  if (p.type === 'withdraw') {
    for (const n of await self.registration.getNotifications({ tag: p.tag })) n.close();
    return;
  }
  if (await chatVisible(p.conversation_id)) return;
  const { title, body } = notificationFor(p);
  await self.registration.showNotification(title, {
    body,
    tag: p.tag,
    renotify: p.type === 'message',
    icon: '/icon-192.png',
    badge: '/icon-192.png',
    timestamp: typeof p.ts === 'number' ? p.ts : Date.now(),
    data: { url: '/c/' + p.conversation_id, conversation_id: p.conversation_id, seq: p.seq },
  });
}

self.addEventListener('push', (event) => {
  let payload = null;
  try {
    payload = event.data ? event.data.json() : null;
  } catch (e) {
    payload = null;
  }
  event.waitUntil(onPush(payload));
});
