import { isNewerMessage } from './edits';
import { applySystemToGroup, applySystemToRoster, applyWatermarks, isGroup, systemEvent } from './groups';
import type { Conversation, Member, Message, ReceiptEvent, ReceiptsEvent, User } from './types';

export interface AddResult {
  /** Messages that were new to the store (duplicates by conversation_id+seq are dropped). */
  added: Message[];
  /** Conversations where a message arrived beyond local max seq + 1: fetch `after` to fill. */
  gaps: { conversation_id: number; after: number }[];
  /** Conversation ids the store does not know yet (fetch them). */
  unknown: number[];
  /** Held messages replaced by a newer state of themselves (an edit, a deletion, a hide). */
  replaced: Message[];
}

export interface StoreChanges {
  conversations: Conversation[];
  messages: Message[];
}

function cloneMember(m: Member): Member {
  const c: Member = { user: { ...m.user }, delivered_seq: m.delivered_seq, read_seq: m.read_seq };
  if (m.role !== undefined) c.role = m.role;
  if (m.joined_at !== undefined) c.joined_at = m.joined_at;
  return c;
}

/** Group fields the server's conversation object carries (taken when it is at least as new). */
const GROUP_FIELDS = ['name', 'description', 'member_count', 'role', 'left'] as const;

/**
 * The local copy of the user's chats: conversations and their messages, merged from sync,
 * history pages and live events. All merges are idempotent and monotonic: applying the same
 * (or an older) piece of information twice changes nothing, so events that repeat what sync
 * already said are harmless.
 */
export class ChatStore {
  private convs = new Map<number, Conversation>();
  private msgs = new Map<number, Map<number, Message>>();
  /**
   * messages() answers per conversation, until its messages change: an open chat's rows are
   * computed on every render, and sorting thousands of messages each time showed in profiles.
   */
  private sortedCache = new Map<number, Message[]>();
  /** Messages added to a conversation since its sortedCache entry was made: merged in, not sorted again. */
  private sortedAdded = new Map<number, Message[]>();
  private changedConvs = new Set<number>();
  private changedMsgs: Message[] = [];

  constructor(public readonly me: number) {}

  // ---- reading ----

  conversation(id: number): Conversation | undefined {
    return this.convs.get(id);
  }

  /** How many chats are held. */
  conversationCount(): number {
    return this.convs.size;
  }

  conversations(): Conversation[] {
    return [...this.convs.values()];
  }

  /** Conversations, most recent activity first (ties: higher id first). */
  sortedConversations(extraActivity?: (id: number) => number | undefined): Conversation[] {
    const act = (c: Conversation) => Math.max(c.last_activity, extraActivity?.(c.id) ?? 0);
    return this.conversations().sort((a, b) => act(b) - act(a) || b.id - a.id);
  }

  /**
   * Messages of a conversation in seq order. The same array is returned until the
   * conversation's messages change: callers must not modify it.
   */
  messages(conversationId: number): readonly Message[] {
    const m = this.msgs.get(conversationId);
    if (!m) return [];
    let sorted = this.sortedCache.get(conversationId);
    const added = this.sortedAdded.get(conversationId);
    if (sorted && added) sorted = mergeBySeq(sorted, added.sort((a, b) => a.seq - b.seq));
    else if (!sorted) sorted = [...m.values()].sort((a, b) => a.seq - b.seq);
    if (added || !this.sortedCache.has(conversationId)) {
      // Not frozen: a frozen array of thousands of elements can be slower to read.
      this.sortedCache.set(conversationId, sorted);
      this.sortedAdded.delete(conversationId);
    }
    return sorted;
  }

  hasMessage(conversationId: number, seq: number): boolean {
    return this.msgs.get(conversationId)?.has(seq) ?? false;
  }

  /** Highest seq held locally (0 when none). */
  maxSeq(conversationId: number): number {
    const m = this.msgs.get(conversationId);
    let max = 0;
    if (m) for (const s of m.keys()) if (s > max) max = s;
    return max;
  }

  /**
   * Highest seq held locally that counts for the conversation's last message and unread: not
   * hidden from this user (a message withheld from them arrives hidden, see docs/protocol.md
   * "Blocking"). 0 when none.
   */
  maxCountedSeq(conversationId: number): number {
    const m = this.msgs.get(conversationId);
    let max = 0;
    if (m) for (const [s, msg] of m) if (s > max && !msg.hidden) max = s;
    return max;
  }

  /** Lowest seq held locally (0 when none). */
  minSeq(conversationId: number): number {
    const m = this.msgs.get(conversationId);
    let min = 0;
    if (m) for (const s of m.keys()) if (min === 0 || s < min) min = s;
    return min;
  }

  myMember(conversationId: number): Member | undefined {
    return this.convs.get(conversationId)?.members.find((m) => m.user.id === this.me);
  }

  /** Messages after the last one the user read. */
  unread(conversationId: number): number {
    const c = this.convs.get(conversationId);
    if (!c) return 0;
    const read = this.myMember(conversationId)?.read_seq ?? 0;
    return Math.max(0, c.last_seq - read);
  }

  totalUnread(): number {
    let n = 0;
    for (const id of this.convs.keys()) n += this.unread(id);
    return n;
  }

  /** The other member of a direct conversation. */
  peer(conversationId: number) {
    const c = this.convs.get(conversationId);
    if (!c) return undefined;
    return c.peer ?? c.members.find((m) => m.user.id !== this.me)?.user;
  }

  // ---- merging ----

  /** Merges a conversation object from the server (sync, list, event). Returns true if anything changed. */
  /** Sets the viewer's mute of a known conversation (the `muted` event, or the answer to a mute). */
  setMuted(id: number, mutedUntil: number): boolean {
    const cur = this.convs.get(id);
    if (!cur || cur.muted_until === mutedUntil) return false;
    cur.muted_until = mutedUntil;
    this.changedConvs.add(id);
    return true;
  }

  upsertConversation(incoming: Conversation): boolean {
    const cur = this.convs.get(incoming.id);
    const localMax = this.maxCountedSeq(incoming.id);
    if (!cur) {
      const c: Conversation = structuredClone(incoming);
      delete c.unread;
      if (isGroup(c)) {
        c.state_seq ??= c.last_seq;
        for (const m of c.members) this.remember(c, m.user);
        for (const m of c.roster ?? []) this.remember(c, m.user);
        for (const m of [...(c.last_message ? [c.last_message] : []), ...(this.msgs.get(c.id)?.values() ?? [])]) {
          for (const u of systemEvent(m)?.users ?? []) this.remember(c, u);
        }
      }
      if (localMax > c.last_seq) {
        c.last_seq = localMax;
        const lm = this.msgs.get(c.id)!.get(localMax)!;
        c.last_message = { ...lm };
        c.last_activity = Math.max(c.last_activity, lm.ts);
      }
      for (const m of c.members) m.delivered_seq = Math.max(m.delivered_seq, m.read_seq);
      this.convs.set(c.id, c);
      this.changedConvs.add(c.id);
      return true;
    }
    let changed = false;
    // The mute is the viewer's own setting: a newer server object carries the current value.
    if (typeof incoming.muted_until === 'number' && incoming.version >= cur.version && incoming.muted_until !== cur.muted_until) {
      cur.muted_until = incoming.muted_until;
      changed = true;
    }
    const groupFresh = isGroup(incoming) && incoming.last_seq >= (cur.state_seq ?? 0);
    for (const im of incoming.members) {
      const m = cur.members.find((x) => x.user.id === im.user.id);
      if (!m) {
        cur.members.push(cloneMember(im));
        changed = true;
        continue;
      }
      changed = this.raiseWatermarks(m, im.delivered_seq, im.read_seq) || changed;
      if (im.user.display_name !== m.user.display_name) {
        m.user = { ...im.user };
        changed = true;
      }
      if (im.role !== undefined && im.role !== m.role && (groupFresh || !isGroup(incoming))) {
        m.role = im.role;
        changed = true;
      }
    }
    // A direct conversation's peer object changes when they delete their account.
    if (incoming.peer && (!cur.peer || incoming.peer.display_name !== cur.peer.display_name || incoming.peer.deleted !== cur.peer.deleted)) {
      cur.peer = { ...incoming.peer };
      changed = true;
    }
    if (isGroup(incoming)) {
      if (cur.kind !== incoming.kind) {
        cur.kind = incoming.kind;
        changed = true;
      }
      if (groupFresh) {
        for (const k of GROUP_FIELDS) {
          if (incoming[k] !== undefined && incoming[k] !== cur[k]) {
            (cur as any)[k] = incoming[k];
            changed = true;
          }
        }
        cur.state_seq = incoming.last_seq;
      }
      // The minimum watermarks can only be judged by recency of the whole object.
      if (incoming.version >= cur.version) {
        for (const k of ['min_delivered_seq', 'min_read_seq'] as const) {
          if (incoming[k] !== undefined && incoming[k] !== cur[k]) {
            cur[k] = incoming[k];
            changed = true;
          }
        }
      }
    }
    if (incoming.version >= cur.version && this.applyChatState(cur.id, incoming)) changed = true;
    if (incoming.last_seq > cur.last_seq) {
      cur.last_seq = incoming.last_seq;
      cur.last_message = incoming.last_message ? { ...incoming.last_message } : cur.last_message;
      changed = true;
    } else if (incoming.last_message && cur.last_message && incoming.last_message.seq === cur.last_message.seq) {
      // The same last message, maybe edited, deleted or hidden since.
      if (this.hasMessage(cur.id, incoming.last_message.seq)) this.replaceMessage(incoming.last_message);
      else if (isNewerMessage(incoming.last_message, cur.last_message)) cur.last_message = { ...incoming.last_message };
      if (this.changedConvs.has(cur.id)) changed = true;
    }
    if (incoming.last_activity > cur.last_activity) {
      cur.last_activity = incoming.last_activity;
      changed = true;
    }
    if (incoming.version > cur.version) {
      cur.version = incoming.version;
      changed = true;
    }
    if (incoming.peer && !cur.peer) {
      cur.peer = { ...incoming.peer };
      changed = true;
    }
    if (changed) this.changedConvs.add(cur.id);
    return changed;
  }

  private raiseWatermarks(m: Member, delivered: number, read: number): boolean {
    const d = Math.max(m.delivered_seq, delivered, read);
    const r = Math.max(m.read_seq, read);
    if (d === m.delivered_seq && r === m.read_seq) return false;
    m.delivered_seq = d;
    m.read_seq = r;
    return true;
  }

  /**
   * Adds messages (history pages, events, acks). Idempotent on conversation_id+seq. Updates the
   * conversation's last message, and for the user's own messages their read/delivered
   * watermark (sending marks everything before it read).
   */
  addMessages(list: readonly Message[], opts: { detectGaps?: boolean } = {}): AddResult {
    const detectGaps = opts.detectGaps ?? true;
    const sorted = [...list].sort((a, b) => a.conversation_id - b.conversation_id || a.seq - b.seq);
    const added: Message[] = [];
    const gaps = new Map<number, number>();
    const unknown = new Set<number>();
    const maxBefore = new Map<number, number>();
    const replaced: Message[] = [];
    for (const msg of sorted) {
      const cid = msg.conversation_id;
      if (!maxBefore.has(cid)) maxBefore.set(cid, this.maxSeq(cid));
      let bucket = this.msgs.get(cid);
      if (!bucket) {
        bucket = new Map();
        this.msgs.set(cid, bucket);
      }
      if (bucket.has(msg.seq)) {
        // The same message again, maybe in a newer state (edited, deleted, hidden).
        const r = this.replaceMessage(msg);
        if (r) replaced.push(r);
        continue;
      }
      const prevMax = maxBefore.get(cid)!;
      if (detectGaps && prevMax > 0 && msg.seq > prevMax + 1 && !gaps.has(cid)) {
        // Only a gap if the seqs in between are not in this same batch.
        let missing = false;
        for (let s = prevMax + 1; s < msg.seq; s++) {
          if (!bucket.has(s) && !sorted.some((x) => x.conversation_id === cid && x.seq === s)) {
            missing = true;
            break;
          }
        }
        if (missing) gaps.set(cid, prevMax);
      }
      const copy = { ...msg };
      bucket.set(msg.seq, copy);
      if (this.sortedCache.has(cid)) {
        const added = this.sortedAdded.get(cid);
        if (added) added.push(copy);
        else this.sortedAdded.set(cid, [copy]);
      }
      added.push(copy);
      this.changedMsgs.push(copy);
      const c = this.convs.get(cid);
      if (!c) {
        unknown.add(cid);
        continue;
      }
      let changed = false;
      // A message that arrives already hidden (withheld from this user, or hidden on
      // another device) moves neither the last message nor the unread count.
      if (!msg.hidden && (msg.seq > c.last_seq || (msg.seq === c.last_seq && !c.last_message))) {
        c.last_seq = msg.seq;
        c.last_message = copy;
        changed = true;
      }
      if (!msg.hidden && msg.ts > c.last_activity && msg.seq >= c.last_seq) {
        c.last_activity = msg.ts;
        changed = true;
      }
      if (msg.sender_id === this.me) {
        const me = c.members.find((m) => m.user.id === this.me);
        if (me) changed = this.raiseWatermarks(me, msg.seq, msg.seq) || changed;
        const rm = c.roster?.find((m) => m.user.id === this.me);
        if (rm) changed = this.raiseWatermarks(rm, msg.seq, msg.seq) || changed;
      } else if (c.roster) {
        // Writing a message implies having everything before it.
        const rm = c.roster.find((m) => m.user.id === msg.sender_id);
        if (rm) changed = this.raiseWatermarks(rm, msg.seq, msg.seq) || changed;
      }
      const ev = systemEvent(msg);
      if (ev) changed = this.applySystem(c, copy, ev) || changed;
      if (changed) this.changedConvs.add(cid);
    }
    return {
      added,
      gaps: [...gaps].map(([conversation_id, after]) => ({ conversation_id, after })),
      unknown: [...unknown],
      replaced,
    };
  }

  /**
   * Replaces the held message with the same conversation_id + seq when `msg` is a newer state
   * of it, and the conversation's last message when it is that one. Returns the stored copy,
   * or undefined when nothing changed.
   */
  private replaceMessage(msg: Message): Message | undefined {
    const cid = msg.conversation_id;
    const held = this.msgs.get(cid)?.get(msg.seq);
    let stored: Message | undefined;
    if (held && isNewerMessage(msg, held)) {
      stored = { ...msg };
      this.msgs.get(cid)!.set(msg.seq, stored);
      this.sortedCache.delete(cid);
      this.sortedAdded.delete(cid);
      this.changedMsgs.push(stored);
    }
    const c = this.convs.get(cid);
    const lm = c?.last_message;
    if (c && lm && lm.seq === msg.seq && isNewerMessage(msg, lm)) {
      c.last_message = stored ?? { ...msg };
      this.changedConvs.add(cid);
    }
    return stored;
  }

  /**
   * Applies new and changed messages: a `message_changed` event, a page of `changes`, or the
   * answer to an own edit or deletion. Held messages are replaced when the incoming state is
   * newer (so repeating a change, or an older one arriving late, changes nothing). Messages
   * beyond the newest one held are new: they are added. Changed messages older than what is
   * held are not stored (that would leave a hole in the local history; history pages bring
   * them in their current state), but may still update the chat-list preview.
   */
  applyChanges(list: readonly Message[], opts: { detectGaps?: boolean } = {}): AddResult {
    const replaced: Message[] = [];
    const fresh: Message[] = [];
    const maxBefore = new Map<number, number>();
    for (const m of list) {
      if (!m || typeof m.conversation_id !== 'number' || typeof m.seq !== 'number') continue;
      const cid = m.conversation_id;
      if (!maxBefore.has(cid)) maxBefore.set(cid, this.maxSeq(cid));
      if (this.hasMessage(cid, m.seq)) {
        const r = this.replaceMessage(m);
        if (r) replaced.push(r);
      } else if (m.seq > maxBefore.get(cid)! || (m.seq > this.minSeq(cid) && this.minSeq(cid) > 0)) {
        fresh.push(m);
      } else {
        this.replaceMessage(m); // not held: only the preview may follow
      }
    }
    const r = this.addMessages(fresh, opts);
    r.replaced.push(...replaced);
    return r;
  }

  /**
   * The user's pin/archive state of a conversation (a `chat_state_changed` event, an answer,
   * or a newer conversation object). Returns true when it changed.
   */
  applyChatState(id: number, s: { pinned_at?: number | null; archived?: boolean }): boolean {
    const c = this.convs.get(id);
    if (!c) return false;
    const pinnedAt = s.pinned_at ?? null;
    const archived = !!s.archived;
    if ((c.pinned_at ?? null) === pinnedAt && !!c.archived === archived) return false;
    c.pinned_at = pinnedAt;
    c.pinned = pinnedAt !== null;
    c.archived = archived;
    this.changedConvs.add(id);
    return true;
  }

  /** A `message_hidden` event (or an own "delete for me"): the message disappears for this user. */
  applyHidden(conversationId: number, seq: number, version?: number): boolean {
    const held = this.msgs.get(conversationId)?.get(seq);
    const lm = this.convs.get(conversationId)?.last_message;
    const base = held ?? (lm && lm.seq === seq ? lm : undefined);
    if (!base || base.hidden) return false;
    const hidden: Message = { ...base, text: '', hidden: true };
    if (version !== undefined) hidden.version = Math.max(version, base.version ?? 0);
    delete hidden.system;
    if (held) return !!this.replaceMessage(hidden);
    this.replaceMessage(hidden);
    return true;
  }

  /**
   * The message the chat list previews: the last one, or when the user hid it, the newest
   * held one before it that is not hidden (null when there is none).
   */
  previewMessage(conversationId: number): Message | null {
    const c = this.convs.get(conversationId);
    if (!c) return null;
    const bucket = this.msgs.get(conversationId);
    const last = bucket?.get(c.last_seq) ?? c.last_message;
    if (!last || !last.hidden) return last ?? null;
    for (let s = Math.min(c.last_seq, this.maxSeq(conversationId)); s >= 1; s--) {
      const m = bucket?.get(s);
      if (!m) break;
      if (!m.hidden) return m;
    }
    return null;
  }

  /** One held message. */
  message(conversationId: number, seq: number): Message | undefined {
    return this.msgs.get(conversationId)?.get(seq);
  }

  /**
   * Applies a receipt event (direct chats, and groups of two). Returns true if a watermark
   * moved. In a group the watermarks go to the roster; a member the roster does not know
   * marks it stale (to fetch again).
   */
  applyReceipt(ev: Omit<ReceiptEvent, 'type'>): boolean {
    const c = this.convs.get(ev.conversation_id);
    if (!c) return false;
    let changed = false;
    const m = c.members.find((x) => x.user.id === ev.user_id);
    if (m) changed = this.raiseWatermarks(m, ev.delivered_seq, ev.read_seq);
    if (isGroup(c)) {
      const r = c.roster ? applyWatermarks(c.roster, ev.user_id, ev.delivered_seq, ev.read_seq) : 'unknown';
      if (r === 'changed') changed = true;
      if (r === 'unknown' && !m && !c.roster_stale) {
        c.roster_stale = true;
        changed = true;
      }
    } else if (!m) {
      return false;
    }
    if (ev.version !== undefined && ev.version > c.version) {
      c.version = ev.version;
      changed = true;
    }
    if (changed) this.changedConvs.add(c.id);
    return changed;
  }

  /** Applies a coalesced `receipts` frame of a group. Idempotent; returns true if anything moved. */
  applyReceipts(ev: Omit<ReceiptsEvent, 'type'>): boolean {
    let changed = false;
    for (const r of ev.receipts ?? []) {
      if (typeof r?.user_id !== 'number') continue;
      changed = this.applyReceipt({ conversation_id: ev.conversation_id, ...r }) || changed;
    }
    return changed;
  }

  /**
   * Replaces a group's roster with GET members' answer (watermarks never go back), as of local
   * seq `atSeq`: system messages up to it are taken as already reflected.
   */
  setRoster(conversationId: number, members: readonly Member[], atSeq = this.maxSeq(conversationId)): boolean {
    const c = this.convs.get(conversationId);
    if (!c) return false;
    const old = new Map((c.roster ?? []).map((m) => [m.user.id, m]));
    c.roster = members.map((im) => {
      const m = cloneMember(im);
      const o = old.get(m.user.id);
      if (o) this.raiseWatermarks(m, o.delivered_seq, o.read_seq);
      this.remember(c, m.user);
      return m;
    });
    c.roster_seq = Math.max(c.roster_seq ?? 0, atSeq);
    c.roster_stale = false;
    const mine = c.roster.find((m) => m.user.id === this.me);
    const me = c.members.find((m) => m.user.id === this.me);
    if (mine && me) {
      this.raiseWatermarks(me, mine.delivered_seq, mine.read_seq);
      me.role = mine.role;
    }
    if (atSeq >= (c.state_seq ?? 0)) {
      c.member_count = c.roster.length;
      if (mine) {
        c.role = mine.role;
        c.left = false;
      }
    }
    this.changedConvs.add(c.id);
    return true;
  }

  private remember(c: Conversation, u: User): void {
    const people = (c.people ??= {});
    const k = String(u.id);
    const p = people[k];
    if (!p || p.display_name !== u.display_name || p.username !== u.username) people[k] = { ...u };
  }

  /** A system message's effects on the group, applied once and only when newer than what is known. */
  private applySystem(c: Conversation, m: Message, ev: NonNullable<ReturnType<typeof systemEvent>>): boolean {
    let changed = false;
    const peopleBefore = JSON.stringify(c.people ?? {});
    for (const u of ev.users ?? []) this.remember(c, u);
    if (JSON.stringify(c.people ?? {}) !== peopleBefore) changed = true;
    if (!isGroup(c)) return changed;
    if (m.seq > (c.state_seq ?? 0)) {
      applySystemToGroup(c, ev, this.me);
      c.state_seq = m.seq;
      changed = true;
    }
    if (c.roster && m.seq > (c.roster_seq ?? 0)) {
      applySystemToRoster(c.roster, ev, m.ts, m.seq);
      c.roster_seq = m.seq;
      changed = true;
    }
    return changed;
  }

  /** Local, optimistic move of the user's own watermarks (after sending delivered/read). */
  markOwn(conversationId: number, kind: 'delivered' | 'read', seq: number): boolean {
    const m = this.myMember(conversationId);
    if (!m) return false;
    const changed =
      kind === 'read' ? this.raiseWatermarks(m, seq, seq) : this.raiseWatermarks(m, seq, 0);
    if (changed) this.changedConvs.add(conversationId);
    return changed;
  }

  /** What changed since the last call (for persisting). */
  takeChanges(): StoreChanges {
    const conversations = [...this.changedConvs]
      .map((id) => this.convs.get(id))
      .filter((c): c is Conversation => !!c)
      .map((c) => structuredClone(c));
    const messages = this.changedMsgs;
    this.changedConvs = new Set();
    this.changedMsgs = [];
    return { conversations, messages };
  }
}

/** Two lists in seq order (no seq in both) merged into one. */
function mergeBySeq(a: readonly Message[], b: readonly Message[]): Message[] {
  const out: Message[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = a[i].seq < b[j].seq ? a[i++] : b[j++];
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out;
}
