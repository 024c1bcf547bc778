import type { MessageStatus } from '../core/types';
import { statusLabel } from '../core/status';

export function StatusIcon({ status }: { status: MessageStatus }) {
  const label = statusLabel(status);
  const common = { class: `tick tick-${status}`, role: 'img', 'aria-label': label, 'data-status': status } as const;
  switch (status) {
    case 'sending':
      return (
        <svg {...common} viewBox="0 0 16 16" width="16" height="16">
          <title>{label}</title>
          <circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-width="1.5" />
          <path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round" />
        </svg>
      );
    case 'sent':
      return (
        <svg {...common} viewBox="0 0 16 16" width="16" height="16">
          <title>{label}</title>
          <path d="M3 8.5l3 3 7-7" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" />
        </svg>
      );
    case 'delivered':
    case 'read':
      return (
        <svg {...common} viewBox="0 0 20 16" width="20" height="16">
          <title>{label}</title>
          <path d="M1.5 8.5l3 3 7-7" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" />
          <path d="M8.5 11.5l7-7" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" />
          <path d="M6.6 9.6l1.9 1.9" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" />
        </svg>
      );
    case 'failed':
      return (
        <svg {...common} viewBox="0 0 16 16" width="16" height="16">
          <title>{label}</title>
          <circle cx="8" cy="8" r="7" fill="currentColor" />
          <path d="M8 4v5" stroke="#fff" stroke-width="1.8" stroke-linecap="round" />
          <circle cx="8" cy="11.6" r="1.1" fill="#fff" />
        </svg>
      );
  }
}

export function BackIcon() {
  return (
    <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
      <path d="M15.5 5l-7 7 7 7" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

export function SendIcon() {
  return (
    <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
      <path d="M3.4 20.4l17.4-7.5c.8-.4.8-1.5 0-1.8L3.4 3.6c-.7-.3-1.4.3-1.3 1l1.2 6.1 9.2 1.3-9.2 1.3-1.2 6.1c-.1.7.6 1.3 1.3 1z" fill="currentColor" />
    </svg>
  );
}

export function AttachIcon() {
  return (
    <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
      <path d="M16.5 6.5v10.1a4.5 4.5 0 0 1-9 0V5.8a3 3 0 0 1 6 0v9.9a1.5 1.5 0 0 1-3 0V6.5H9v9.2a3 3 0 0 0 6 0V5.8a4.5 4.5 0 0 0-9 0v10.8a6 6 0 0 0 12 0V6.5h-1.5z" fill="currentColor" />
    </svg>
  );
}

/**
 * Initials on a coloured disc. The colour follows `seed` (a user or conversation id, so renaming
 * a group or a contact keeps it), else the name; all colours keep white text above 4.5:1.
 */
export function Avatar({ name, seed, size = 40 }: { name: string; seed?: string; size?: number }) {
  const palette = ['#00695c', '#1565c0', '#6a1b9a', '#ad1457', '#c62828', '#4e342e', '#37474f', '#2e7d32'];
  let h = 0;
  for (const ch of seed ?? name) h = (h * 31 + ch.codePointAt(0)!) >>> 0;
  const initials = name
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((p) => [...p][0])
    .slice(0, 2)
    .join('')
    .toUpperCase();
  return (
    <span class="avatar" aria-hidden="true" style={{ width: size, height: size, background: palette[h % palette.length], fontSize: size * 0.4 }}>
      {initials || '?'}
    </span>
  );
}

export function GroupIcon() {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
      <circle cx="9" cy="8" r="3.2" fill="currentColor" />
      <path d="M2.5 19c.4-3.6 3-5.6 6.5-5.6s6.1 2 6.5 5.6z" fill="currentColor" />
      <circle cx="17" cy="9" r="2.6" fill="currentColor" opacity="0.75" />
      <path d="M16.2 13.5c2.9-.2 5 1.5 5.3 4.6h-4.6c-.1-1.8-.3-3.3-.7-4.6z" fill="currentColor" opacity="0.75" />
    </svg>
  );
}

export function InfoIcon({ size = 22 }: { size?: number } = {}) {
  return (
    <svg viewBox="0 0 24 24" width={size} height={size} aria-hidden="true">
      <circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="2" />
      <path d="M12 11v6" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
      <circle cx="12" cy="7.6" r="1.3" fill="currentColor" />
    </svg>
  );
}

export function CloseIcon() {
  return (
    <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
      <path d="M6 6l12 12M18 6L6 18" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
    </svg>
  );
}

export function ChevronIcon() {
  return (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      <path d="M4 6l4 4 4-4" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

export function MenuIcon() {
  return (
    <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
      <circle cx="12" cy="5.5" r="1.8" fill="currentColor" />
      <circle cx="12" cy="12" r="1.8" fill="currentColor" />
      <circle cx="12" cy="18.5" r="1.8" fill="currentColor" />
    </svg>
  );
}

/** A cog (not a sun): eight square teeth around a hole. */
export function SettingsIcon() {
  return (
    <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
      <path
        fill="currentColor"
        fill-rule="evenodd"
        d="M19.23 10.41 L21.93 10.81 L21.93 13.19 L19.23 13.59 L18.23 15.99 L19.86 18.18 L18.18 19.86 L15.99 18.23 L13.59 19.23 L13.19 21.93 L10.81 21.93 L10.41 19.23 L8.01 18.23 L5.82 19.86 L4.14 18.18 L5.77 15.99 L4.77 13.59 L2.07 13.19 L2.07 10.81 L4.77 10.41 L5.77 8.01 L4.14 5.82 L5.82 4.14 L8.01 5.77 L10.41 4.77 L10.81 2.07 L13.19 2.07 L13.59 4.77 L15.99 5.77 L18.18 4.14 L19.86 5.82 L18.23 8.01Z M12 8.6 a3.4 3.4 0 1 0 0.001 0Z"
      />
    </svg>
  );
}

export function SearchIcon() {
  return (
    <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
      <circle cx="10.5" cy="10.5" r="6" fill="none" stroke="currentColor" stroke-width="2" />
      <path d="M15 15l5 5" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
    </svg>
  );
}

export function PhoneIcon({ size = 22 }: { size?: number }) {
  return (
    <svg viewBox="0 0 24 24" width={size} height={size} aria-hidden="true">
      <path
        d="M6.6 10.8a15.1 15.1 0 006.6 6.6l2.2-2.2c.3-.3.7-.4 1-.2 1.1.4 2.3.6 3.6.6.6 0 1 .4 1 1V20c0 .6-.4 1-1 1A17 17 0 013 4c0-.6.4-1 1-1h3.5c.6 0 1 .4 1 1 0 1.3.2 2.5.6 3.6.1.3 0 .7-.2 1z"
        fill="currentColor"
      />
    </svg>
  );
}

export function VideoIcon({ size = 22 }: { size?: number }) {
  return (
    <svg viewBox="0 0 24 24" width={size} height={size} aria-hidden="true">
      <rect x="2.5" y="6" width="13" height="12" rx="2" fill="currentColor" />
      <path d="M16.5 10.5l5-3v9l-5-3z" fill="currentColor" />
    </svg>
  );
}

/** The app's icon (public/icon.svg) drawn inline: an <img> of an SVG builds a document of its own. */
export function AppIcon({ size }: { size: number }) {
  return (
    <svg class="app-icon" viewBox="0 0 64 64" width={size} height={size} aria-hidden="true">
      <rect width="64" height="64" rx="14" fill="#008069" />
      <path d="M32 13c-11 0-20 8-20 18 0 4 1.4 7.6 3.8 10.5L13 51l10-3.3c2.7 1.4 5.8 2.3 9 2.3 11 0 20-8 20-18.5S43 13 32 13z" fill="#fff" />
      <circle cx="24" cy="32" r="3" fill="#008069" />
      <circle cx="32" cy="32" r="3" fill="#008069" />
      <circle cx="40" cy="32" r="3" fill="#008069" />
    </svg>
  );
}
