/**
 * One Intl.DateTimeFormat per locale and format, made on first use and reused: building a
 * formatter costs ~100x formatting with one (toLocale*String builds one per call), and a chat
 * list formats a time per row on every render.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
const CLOCK: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', hour12: false };
const WEEKDAY: Intl.DateTimeFormatOptions = { weekday: 'long' };
const SHORT_DATE: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit' };
const LONG_DATE: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'long', day: 'numeric' };

export function dateFormatter(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, f);
  }
  return f;
}

/**
 * Makes the chat list's formatters ahead of time. The first Intl formatter of a page costs far
 * more than later ones (~70 ms with the CPU slowed 4x, the date library's start-up): made while
 * the page waits for the network, it is not in the task that first draws the list.
 */
export function prepareListFormatters(locale?: string): void {
  for (const o of LIST_FORMATS) dateFormatter(locale, o);
}

/** The formats the chat list uses (listTime): what prepareListFormatters and platform/localeWarm make early. */
export const LIST_FORMATS: readonly Intl.DateTimeFormatOptions[] = [CLOCK, WEEKDAY, SHORT_DATE];

/** "12/11/2026" in the user's locale. */
export function shortDate(ts: number, locale?: string): string {
  return dateFormatter(locale, SHORT_DATE).format(ts);
}

/** Time shown in the chat list: today "14:05", yesterday "Yesterday", this week the weekday, else a date. */
export function listTime(ts: number, now: number = Date.now(), locale?: string): string {
  const d = new Date(ts);
  const n = new Date(now);
  const startOfToday = new Date(n.getFullYear(), n.getMonth(), n.getDate()).getTime();
  const day = 24 * 60 * 60 * 1000;
  if (ts >= startOfToday) return clockTime(ts, locale);
  if (ts >= startOfToday - day) return 'Yesterday';
  if (ts >= startOfToday - 6 * day) return dateFormatter(locale, WEEKDAY).format(d);
  return shortDate(ts, locale);
}

export function clockTime(ts: number, locale?: string): string {
  return dateFormatter(locale, CLOCK).format(ts);
}

/** Day separator label inside a chat. */
export function dayLabel(ts: number, now: number = Date.now(), locale?: string): string {
  const n = new Date(now);
  const startOfToday = new Date(n.getFullYear(), n.getMonth(), n.getDate()).getTime();
  const day = 24 * 60 * 60 * 1000;
  if (ts >= startOfToday) return 'Today';
  if (ts >= startOfToday - day) return 'Yesterday';
  return dateFormatter(locale, LONG_DATE).format(ts);
}

export function sameDay(a: number, b: number): boolean {
  const x = new Date(a);
  const y = new Date(b);
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() && x.getDate() === y.getDate();
}

/** "(3) Parley" when there are unread messages, "Parley" otherwise. */
export function titleFor(unread: number, base = 'Parley'): string {
  return unread > 0 ? `(${unread}) ${base}` : base;
}

/** Username rule of the protocol: 3-32 of a-z 0-9 _ . starting with a letter (lower-cased). */
export function normalizeUsername(s: string): string {
  return s.trim().toLowerCase().replace(/^@/, '');
}

export function isValidUsername(s: string): boolean {
  return /^[a-z][a-z0-9_.]{2,31}$/.test(s);
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  if (parts.length === 0) return '?';
  const first = [...parts[0]][0] ?? '';
  const second = parts.length > 1 ? [...parts[parts.length - 1]][0] ?? '' : '';
  return (first + second).toUpperCase();
}

interface NamedConversation {
  kind: string;
  name?: string;
  peer?: { display_name: string } | null;
  members: { user: { id: number; display_name: string } }[];
}

/** Name shown for a conversation: a group's name, the peer of a direct chat, otherwise the other members. */
export function conversationName(c: NamedConversation, me: number): string {
  if (c.kind === 'group') return c.name || 'Group';
  if (c.peer) return c.peer.display_name;
  const others = c.members.filter((m) => m.user.id !== me).map((m) => m.user.display_name);
  if (others.length === 0) return 'Unknown';
  if (others.length <= 3) return others.join(', ');
  return `${others.slice(0, 3).join(', ')} +${others.length - 3}`;
}
