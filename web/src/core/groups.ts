import { callHistoryText } from './callhistory';
import { DELETED_TEXT } from './edits';
import { formatDuration } from './media';
import type { Conversation, Member, Message, MessageStatus, SystemEvent, User } from './types';

/** Group chats (kind "group"): names, system-event wording, membership and ticks. */

export function isGroup(c: { kind: string } | undefined): boolean {
  return c?.kind === 'group';
}

/** The system object of a `kind: "system"` message (or its JSON copy in `text`), else null. */
export function systemEvent(m: Pick<Message, 'kind' | 'text' | 'system'>): SystemEvent | null {
  if (m.kind !== 'system') return null;
  if (m.system && typeof m.system.event === 'string') return m.system;
  try {
    const o = JSON.parse(m.text);
    if (o && typeof o === 'object' && typeof o.event === 'string') return o as SystemEvent;
  } catch {
    /* not JSON */
  }
  return null;
}

/** Display name of a user as a group knows it: its members, then anyone its messages named. */
export function nameIn(c: Conversation | undefined, id: number): string {
  if (!c) return 'Unknown';
  const m = c.roster?.find((x) => x.user.id === id) ?? c.members.find((x) => x.user.id === id);
  if (m) return m.user.display_name;
  if (c.peer?.id === id) return c.peer.display_name;
  return c.people?.[String(id)]?.display_name ?? 'Unknown';
}

/** "Bob", "Bob and Carol", "Bob, Carol and Dave". */
export function joinNames(names: readonly string[]): string {
  if (names.length <= 1) return names[0] ?? '';
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * The line a system message shows, in words, with "You"/"you" for the viewer:
 * "Alice created the group "X"", "Alice added Bob and Carol", "Alice removed you", "Bob left",
 * "Carol is now an admin", "Alice changed the group name to "Y""...
 */
export function systemText(ev: SystemEvent, me: number, nameOf: (id: number) => string): string {
  const users = ev.users ?? [];
  const actor = ev.actor_id;
  const subject = (id: number | null | undefined, fallback?: User) =>
    id === me ? 'You' : (fallback?.display_name ?? (id != null ? nameOf(id) : 'Someone'));
  const object = (u: User) => (u.id === me ? 'you' : u.display_name || nameOf(u.id));
  const first = users[0];
  const who = subject(actor);
  switch (ev.event) {
    case 'group_created':
      return `${who} created the group "${ev.name ?? ''}"`;
    case 'members_added': {
      // The viewer first ("Alice added you and Bob").
      const sorted = [...users].sort((a, b) => Number(b.id === me) - Number(a.id === me));
      return `${who} added ${joinNames(sorted.map(object))}`;
    }
    case 'member_removed':
      return first ? `${who} removed ${object(first)}` : `${who} removed a member`;
    case 'member_left': {
      const id = first?.id ?? actor;
      return `${subject(id, first?.id === me ? undefined : first)} left`;
    }
    case 'admin_promoted': {
      if (!first) return 'A member is now an admin';
      if (actor === null || actor === undefined || actor === first.id) {
        return first.id === me ? "You're now an admin" : `${first.display_name} is now an admin`;
      }
      return `${who} made ${object(first)} an admin`;
    }
    case 'admin_demoted':
      if (!first) return 'A member is no longer an admin';
      return first.id === me ? "You're no longer an admin" : `${first.display_name} is no longer an admin`;
    case 'group_renamed':
      return `${who} changed the group name to "${ev.name ?? ''}"`;
    case 'description_changed':
      return ev.description ? `${who} changed the group description` : `${who} removed the group description`;
    case 'call':
      return callHistoryText(ev, me);
    default:
      return 'Unsupported message';
  }
}

/** Preview of a conversation's last message in the chat list ("Bob: hi", system lines in words). */
export function previewText(c: Conversation, m: Message, me: number): string {
  const ev = systemEvent(m);
  if (m.kind === 'system') return ev ? systemText(ev, me, (id) => nameIn(c, id)) : 'Unsupported message';
  if (m.deleted) return m.sender_id === me ? 'You deleted this message' : DELETED_TEXT;
  const text =
    m.kind === 'text'
      ? m.text
      : m.kind === 'image'
        ? photoPreview(m.text)
        : m.kind === 'file' && m.file
          ? `📄 ${m.file.name}${m.text ? `: ${m.text}` : ''}`
          : m.kind === 'voice' && m.voice
            ? `Voice message (${formatDuration(m.voice.duration_ms)})`
            : m.kind === 'video' && m.video
              ? `🎬 Video (${formatDuration(m.video.duration_ms)})${m.text ? `: ${m.text}` : ''}`
              : 'Unsupported message';
  if (isGroup(c) && m.sender_id !== me) return `${nameIn(c, m.sender_id)}: ${text}`;
  return text;
}

function raise(m: Member, delivered: number, read: number): boolean {
  const d = Math.max(m.delivered_seq, delivered, read);
  const r = Math.max(m.read_seq, read);
  if (d === m.delivered_seq && r === m.read_seq) return false;
  m.delivered_seq = d;
  m.read_seq = r;
  return true;
}

/** How a photo message reads in the chat list. */
export function photoPreview(caption: string): string {
  return caption ? `Photo: ${caption}` : 'Photo';
}

/** Raises one member's watermarks in a roster. Returns "changed", "same" or "unknown" (not in it). */
export function applyWatermarks(roster: Member[], userId: number, delivered: number, read: number): 'changed' | 'same' | 'unknown' {
  const m = roster.find((x) => x.user.id === userId);
  if (!m) return 'unknown';
  return raise(m, delivered, read) ? 'changed' : 'same';
}

/**
 * The lowest watermarks over the active members other than the viewer who were in the group
 * when a message with time `ts` was written (a later member never holds it back). null when
 * there is nobody else.
 */
export function minWatermarks(roster: readonly Member[], me: number, ts?: number): { delivered: number; read: number } | null {
  let delivered = Infinity;
  let read = Infinity;
  for (const m of roster) {
    if (m.user.id === me) continue;
    if (ts !== undefined && m.joined_at !== undefined && m.joined_at > ts) continue;
    delivered = Math.min(delivered, Math.max(m.delivered_seq, m.read_seq));
    read = Math.min(read, m.read_seq);
  }
  if (delivered === Infinity) return null;
  return { delivered, read };
}

/**
 * Status of the viewer's own stored message in a group: read when every other active member
 * read it, delivered when it reached all of them, else sent. Uses the local roster's
 * watermarks (GET members + receipts frames) and the server's min_* from sync; either one
 * saying "all" is enough, as both only ever under-report.
 */
export function groupStatus(seq: number, ts: number | undefined, c: Conversation, me: number): MessageStatus {
  const local = c.roster ? minWatermarks(c.roster, me, ts) : null;
  if (c.roster && !local && c.roster.length > 0) return 'sent'; // nobody else is in the group
  const minRead = Math.max(local?.read ?? 0, c.min_read_seq ?? 0);
  const minDelivered = Math.max(local?.delivered ?? 0, c.min_delivered_seq ?? 0, minRead);
  if (minRead >= seq) return 'read';
  if (minDelivered >= seq) return 'delivered';
  return 'sent';
}

/** Effects of a system message on the group's own fields. Returns true if anything changed. */
export function applySystemToGroup(c: Conversation, ev: SystemEvent, me: number): boolean {
  const users = ev.users ?? [];
  const before = JSON.stringify([c.name, c.description, c.member_count, c.role, c.left, c.members.map((m) => m.role)]);
  const mine = c.members.find((m) => m.user.id === me);
  const count = c.member_count ?? 0;
  switch (ev.event) {
    case 'group_created':
      if (ev.name !== undefined) c.name = ev.name;
      break;
    case 'members_added':
      c.member_count = count + users.length;
      if (users.some((u) => u.id === me)) {
        c.left = false;
        c.role = 'member';
        if (mine) mine.role = 'member';
      }
      break;
    case 'member_removed':
    case 'member_left':
      c.member_count = Math.max(0, count - 1);
      if (users[0]?.id === me) {
        c.left = true;
        c.role = 'member';
        if (mine) mine.role = 'member';
      }
      break;
    case 'admin_promoted':
    case 'admin_demoted':
      if (users[0]?.id === me) {
        c.role = ev.event === 'admin_promoted' ? 'admin' : 'member';
        if (mine) mine.role = c.role;
      }
      break;
    case 'group_renamed':
      if (ev.name !== undefined) c.name = ev.name;
      break;
    case 'description_changed':
      c.description = ev.description ?? '';
      break;
  }
  return before !== JSON.stringify([c.name, c.description, c.member_count, c.role, c.left, c.members.map((m) => m.role)]);
}

/** Effects of a system message on a roster (idempotent: adding someone present or removing someone absent is a no-op). */
export function applySystemToRoster(roster: Member[], ev: SystemEvent, ts: number, seq: number): boolean {
  const users = ev.users ?? [];
  let changed = false;
  switch (ev.event) {
    case 'members_added':
      for (const u of users) {
        if (roster.some((m) => m.user.id === u.id)) continue;
        // A new member holds nothing before their join.
        roster.push({ user: { ...u }, role: 'member', delivered_seq: seq - 1, read_seq: seq - 1, joined_at: ts });
        changed = true;
      }
      break;
    case 'member_removed':
    case 'member_left': {
      const i = users[0] ? roster.findIndex((m) => m.user.id === users[0].id) : -1;
      if (i >= 0) {
        roster.splice(i, 1);
        changed = true;
      }
      break;
    }
    case 'admin_promoted':
    case 'admin_demoted': {
      const m = users[0] && roster.find((x) => x.user.id === users[0].id);
      const role = ev.event === 'admin_promoted' ? 'admin' : 'member';
      if (m && m.role !== role) {
        m.role = role;
        changed = true;
      }
      break;
    }
  }
  return changed;
}

/** Roster sorted for display: the viewer first, then admins, then by name. */
export function sortedRoster(roster: readonly Member[], me: number): Member[] {
  return [...roster].sort(
    (a, b) =>
      Number(b.user.id === me) - Number(a.user.id === me) ||
      Number(b.role === 'admin') - Number(a.role === 'admin') ||
      a.user.display_name.localeCompare(b.user.display_name),
  );
}

/** Stable colour per sender for their name above bubbles; all keep 4.5:1 on white. */
export const SENDER_COLOURS = ['#00695c', '#c62828', '#1565c0', '#ad1457', '#2e7d32', '#6a1b9a', '#bf360c', '#283593', '#4e342e', '#37474f'];

/** Neighbouring entries differ in hue, so users who joined one after another get distinct colours. */
export function senderColour(userId: number): string {
  const n = SENDER_COLOURS.length;
  return SENDER_COLOURS[((userId % n) + n) % n];
}

/** The same colour as a CSS variable (`--sender-0`..`--sender-9`), which the dark theme lightens. */
export function senderColourVar(userId: number): string {
  const n = SENDER_COLOURS.length;
  return `var(--sender-${((userId % n) + n) % n})`;
}
