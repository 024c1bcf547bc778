import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import type { ParleyClient } from '../platform/client';
import type { Row } from './chatRows';

/** Rows added each time the user scrolls up to the top of what is drawn. */
export const RENDER_STEP = 100;
/**
 * Rows drawn in the task that opens a chat: more than a tall screen shows. The rest of the
 * first RENDER_STEP follow right after the first paint (opening the biggest chat with 100
 * rows at once was one long task, most of it their layout).
 */
export const FIRST_RENDER = 40;
/** How long a message jumped to (a search result, a quote) stays highlighted once on screen. */
const HIGHLIGHT_MS = 4000;

/**
 * Where `child` starts in the list's content (0: the top of what scrolls). Not offsetTop: rows
 * sit in blocks with layout containment, which offsetTop measures from.
 */
function contentTop(list: HTMLElement, child: HTMLElement): number {
  return child.getBoundingClientRect().top - list.getBoundingClientRect().top - list.clientTop + list.scrollTop;
}

/** The scroll state of an open chat's message list, as `useMessageScroll` hands it to the view. */
export interface MessageScroll {
  listRef: RefObject<HTMLDivElement>;
  onScroll: () => void;
  /** Draws more held rows, or loads older messages from the server. */
  showOlder: () => void;
  loadingOlder: boolean;
  olderError: string;
  /** Rows held but not drawn above the first drawn one. */
  hiddenAbove: number;
  /** Index of the first row that was unread when the chat was opened (-1: none). */
  firstUnread: number;
  unreadCount: number;
  /** Messages from others below the view (null: the view is at the bottom). */
  newBelow: number | null;
  jumpToNewest: () => void;
  /** The seq highlighted after a jump to it (null: none). */
  highlight: number | null;
  /** Scrolls to `seq`, loading history back to it, and highlights it. */
  focusOn: (seq: number) => void;
  /** Keeps the view at the bottom on the next render (the user sent something). */
  stickToBottom: () => void;
}

/**
 * The message list's scrolling: pinned to the bottom for new messages, steady (the oldest
 * drawn message keeps its place) while older ones are drawn or loaded above it, opening at
 * the first unread message, and jumping to a message asked for (`focusSeq`, new each `focusKey`).
 */
export function useMessageScroll(client: ParleyClient, conversationId: number, rows: Row[], focusSeq?: number, focusKey?: number): MessageScroll {
  const store = client.store;
  const listRef = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const anchor = useRef<{ seq: number; offset: number } | null>(null);
  /** The frame that puts the anchor back (0: none pending). */
  const restoreFrame = useRef(0);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState('');
  const [focus, setFocus] = useState<{ seq: number; key: number } | null>(null);
  const [highlight, setHighlight] = useState<number | null>(null);
  const highlightTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const scrollTo = useRef<number | null>(null);
  // How many of the newest rows are in the page. A chat can hold thousands of messages; only
  // the newest are drawn at first, and more as the user scrolls up (before asking the server).
  const [limit, setLimit] = useState(FIRST_RENDER);
  // Where the unread messages began when the chat was opened: the divider stays there while
  // the chat is open, even though opening it marks them read.
  const [unreadFrom] = useState(() => {
    const read = store.myMember(conversationId)?.read_seq ?? 0;
    return store.conversation(conversationId)!.last_seq > read ? read : null;
  });
  const openedAtUnread = useRef(false);
  // Scrolled up: the jump-to-bottom button shows, with the number of messages from others
  // that arrived since (those beyond the newest seq held when the user left the bottom).
  const [awayFrom, setAwayFrom] = useState<number | null>(null);

  const firstUnread = unreadFrom === null ? -1 : rows.findIndex((r) => r.seq !== undefined && r.seq > unreadFrom && !r.mine);
  let unreadCount = 0;
  if (firstUnread >= 0) for (let i = firstUnread; i < rows.length; i++) if (rows[i].seq !== undefined && !rows[i].mine) unreadCount++;
  let newBelow = 0;
  if (awayFrom !== null) for (let i = rows.length - 1; i >= 0 && (rows[i].seq === undefined || rows[i].seq! > awayFrom); i--) if (rows[i].seq !== undefined && !rows[i].mine) newBelow++;
  const hiddenAbove = Math.max(0, rows.length - Math.max(limit, firstUnread >= 0 && !openedAtUnread.current ? rows.length - firstUnread + 10 : 0));

  async function loadOlder() {
    if (loadingOlder || !client.hasOlder(conversationId)) return;
    // Remember where the oldest shown message is, to keep it in place when older ones arrive above.
    holdAnchor();
    setLoadingOlder(true);
    setOlderError('');
    try {
      const before = store.minSeq(conversationId);
      const held = store.messages(conversationId).length;
      await client.loadOlder(conversationId);
      if (store.minSeq(conversationId) === before) anchor.current = null;
      // What arrived is drawn (the limit counts from the newest row).
      const added = store.messages(conversationId).length - held;
      if (added > 0) setLimit((l) => l + added);
    } catch {
      setOlderError('Older messages cannot be loaded while offline.');
      anchor.current = null;
    } finally {
      setLoadingOlder(false);
    }
  }

  useEffect(() => {
    if (focusSeq !== undefined) setFocus((f) => ({ seq: focusSeq, key: (f?.key ?? 0) + 1 }));
  }, [focusKey]);

  // A message to show: load history back to it, then scroll to it and highlight it. The
  // highlight lasts HIGHLIGHT_MS from when the message is scrolled into view (below), not
  // from the request: loading history back to an old message can take longer than that.
  useEffect(() => {
    if (!focus) return;
    const seq = focus.seq;
    stick.current = false;
    scrollTo.current = seq;
    clearTimeout(highlightTimer.current);
    setHighlight(seq);
    // Loading emits a change, and the re-render scrolls to the message once it is there.
    void client.loadUntil(conversationId, seq).catch(() => undefined);
  }, [focus?.key]);
  useEffect(() => () => {
    clearTimeout(highlightTimer.current);
    cancelAnimationFrame(restoreFrame.current);
  }, []);

  // Keep the view pinned to the bottom for new messages, and steady when older ones are added above.
  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    if (scrollTo.current !== null) {
      const at = rows.findIndex((r) => r.seq === scrollTo.current);
      if (at >= 0 && at < hiddenAbove) {
        setLimit(rows.length - at + RENDER_STEP / 2); // draw down to it; scrolled to on the next render
        return;
      }
      const target = el.querySelector<HTMLElement>(`.msg[data-seq="${scrollTo.current}"]`);
      if (target) {
        const seq = scrollTo.current;
        target.scrollIntoView({ block: 'center' });
        scrollTo.current = null;
        anchor.current = null;
        clearTimeout(highlightTimer.current);
        highlightTimer.current = setTimeout(() => setHighlight((h) => (h === seq ? null : h)), HIGHLIGHT_MS);
        return;
      }
    }
    // (Once the first unread message is held: right after a login it may still be loading.)
    if (!openedAtUnread.current && (unreadFrom === null || firstUnread >= 0)) {
      openedAtUnread.current = true;
      const divider = el.querySelector<HTMLElement>('.unread-divider');
      const at = divider ? contentTop(el, divider) : 0;
      if (divider && at < el.scrollHeight - el.clientHeight) {
        // Open at the first unread message, under its divider, unless it is in view at the bottom anyway.
        el.scrollTop = at - 8;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
        return;
      }
    }
    const first = el.querySelector<HTMLElement>('.msg[data-seq]');
    if (anchor.current && first && Number(first.dataset.seq) !== anchor.current.seq) {
      // Put the anchor back in place at the start of the next frame, before it is painted:
      // reading its position here would lay out the rows just added in this task (the longest
      // part of a page of older messages); in the frame that layout is needed anyway.
      if (restoreFrame.current === 0) {
        restoreFrame.current = requestAnimationFrame(() => {
          restoreFrame.current = 0;
          const a = anchor.current;
          const list = listRef.current;
          if (!a || !list) return;
          const old = list.querySelector<HTMLElement>(`.msg[data-seq="${a.seq}"]`);
          if (old) list.scrollTop = contentTop(list, old) - a.offset;
          anchor.current = null;
        });
      }
    } else if (anchor.current) {
      // Older messages not rendered yet: keep the anchor.
    } else if (stick.current) {
      el.scrollTop = el.scrollHeight;
    }
  });

  // After the first paint: the rest of the first RENDER_STEP rows, above what is shown (kept
  // in place: the view may be at the first unread message, not at the bottom).
  useEffect(() => {
    if (limit >= RENDER_STEP || hiddenAbove === 0) return;
    holdAnchor();
    setLimit((l) => Math.max(l, RENDER_STEP));
  }, []);

  // If the first screen is not full, fetch older messages until it is (or there are none).
  useEffect(() => {
    const el = listRef.current;
    if (el && el.scrollHeight <= el.clientHeight + 40 && (hiddenAbove > 0 || (client.hasOlder(conversationId) && !loadingOlder && !olderError))) showOlder();
  });

  function onScroll() {
    const el = listRef.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (stick.current && awayFrom !== null) setAwayFrom(null);
    else if (!stick.current && awayFrom === null) setAwayFrom(store.maxSeq(conversationId));
    if (el.scrollTop < 120) showOlder();
  }

  /** Keeps the oldest shown message in place while rows are added above it. */
  function holdAnchor() {
    // Rows were added and the anchor is not back in place yet: it is still the one to keep.
    if (restoreFrame.current !== 0) return;
    const el = listRef.current;
    const first = el?.querySelector<HTMLElement>('.msg[data-seq]');
    if (el && first) anchor.current = { seq: Number(first.dataset.seq), offset: contentTop(el, first) - el.scrollTop };
  }

  function showOlder() {
    if (hiddenAbove > 0) {
      holdAnchor();
      setLimit((l) => l + RENDER_STEP);
    } else {
      void loadOlder();
    }
  }

  return {
    listRef,
    onScroll,
    showOlder,
    loadingOlder,
    olderError,
    hiddenAbove,
    firstUnread,
    unreadCount,
    newBelow: awayFrom === null ? null : newBelow,
    jumpToNewest: () => {
      const el = listRef.current;
      if (el) el.scrollTop = el.scrollHeight;
      stick.current = true;
      setAwayFrom(null);
    },
    highlight,
    focusOn: (seq) => setFocus((f) => ({ seq, key: (f?.key ?? 0) + 1 })),
    stickToBottom: () => {
      stick.current = true;
    },
  };
}
