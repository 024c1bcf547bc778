import { useEffect } from 'preact/hooks';

/** What the favicon's badge says: '' (no badge), '1'..'99', '99+'. */
export function badgeText(unread: number): string {
  if (!(unread > 0)) return '';
  return unread > 99 ? '99+' : String(Math.floor(unread));
}

let generation = 0;

/**
 * The tab's icon (index.html) and the picture the badge is drawn on: a PNG, not the SVG, because
 * the browser decodes a page's favicon in the page's own renderer, and an SVG builds an image
 * document of its own there (~45 ms of a CPU slowed 4x, during a cold start).
 */
const ICON = '/icon-192.png';

/** Draws the unread count on the app icon and makes it the tab's favicon; 0 restores the plain icon. */
async function showBadge(unread: number): Promise<void> {
  const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) return;
  const mine = ++generation;
  const text = badgeText(unread);
  if (!text) {
    if (link.getAttribute('href') !== ICON) {
      link.type = 'image/png';
      link.href = ICON; // set only when it changes: each change makes the browser fetch and decode it again
    }
    return;
  }
  const img = new Image();
  img.src = ICON;
  try {
    await img.decode();
  } catch {
    return; // offline before the icon was cached: the title still has the count
  }
  if (mine !== generation) return; // a newer count is being drawn
  const size = 64;
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.drawImage(img, 0, 0, size, size);
  const r = text.length > 2 ? 22 : 19;
  ctx.fillStyle = '#d32f2f';
  ctx.beginPath();
  ctx.arc(size - r, r, r, 0, 2 * Math.PI);
  ctx.fill();
  ctx.fillStyle = '#fff';
  ctx.font = `bold ${text.length > 2 ? 20 : 26}px sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, size - r, r + 1);
  link.type = 'image/png';
  link.href = canvas.toDataURL('image/png');
}

/** Keeps the favicon's badge at `unread` (the title says it too, for screen readers and tabs). */
export function useFaviconBadge(unread: number): void {
  useEffect(() => {
    void showBadge(unread);
  }, [unread]);
  useEffect(() => () => void showBadge(0), []); // signed out: the plain icon again
}
