/* Parley service worker: keeps the app shell available with no network.
 * - On install it caches index.html and every asset that index.html references.
 * - Page loads (navigations) go to the network first and fall back to the cached index.html,
 *   so the app opens offline on any client-side route.
 * - Hashed build assets (/assets/...) are served from the cache first (they never change).
 * - Nothing under /api/ is ever cached here: data lives in IndexedDB, managed by the app.
 * - Nor photos (/media/...): their signed links change every few minutes and the browser's
 *   HTTP cache already keeps them as long as their Cache-Control allows.
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
  await cache.addAll([...assets, '/icon.svg', '/manifest.webmanifest']);
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

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = (event.notification.data && event.notification.data.url) || '/';
  event.waitUntil(
    (async () => {
      const all = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (const c of all) {
        if ('focus' in c) {
          await c.focus();
          if ('navigate' in c) c.postMessage({ type: 'open', url: target });
          return;
        }
      }
      await self.clients.openWindow(target);
    })(),
  );
});
