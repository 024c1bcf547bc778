import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { RefObject } from 'preact';
import type { MutableRef } from 'preact/hooks';
import type { ParleyClient } from '../platform/client';
import type { Row } from './chatRows';
import { afterNextPaint } from '../platform/frames';

/** Rows added each time the user scrolls up to the top of what is drawn. */
export const RENDER_STEP = 100;
/**
 * Rows drawn in the task that opens a chat: more than a tall screen shows. The rest of the
 * first RENDER_STEP follow right after the first paint (opening the biggest chat with 100
 * rows at once was one long task, most of it their layout).
 */
export const FIRST_RENDER = 40;
/** Messages per block of the list, by seq: the unit the list draws or leaves out (ChatView). */
export const ROWS_PER_BLOCK = 10;
/**
 * Rows drawn per frame when rows go in above the view (a page of older messages, or held rows
 * the user scrolled up to): two blocks' worth. A page of 50 drawn in one go was one task of
 * 40-80 ms (style, layout and paint); 20 rows a frame keep each frame under 50 ms on this
 * project's heavy-user bench, and the page is all there two frames later (bench/RESULTS.md).
 */
export const REVEAL_STEP = 2 * ROWS_PER_BLOCK;
/** The block of rows without a seq (the outbox, uploads): after every stored one. */
export const TAIL_BLOCK = Number.MAX_SAFE_INTEGER;
/** The list's gap between its children (styles.css, `.messages`). */
export const GAP = 2;
/** The block a stored message sits in. */
export const blockOf = (seq: number) => Math.floor(seq / ROWS_PER_BLOCK);

/** A block of the list as last rendered: its number and how many rows it holds. */
export interface BlockInfo {
  n: number;
  rows: number;
}

/** The blocks drawn, by block number (inclusive; -Infinity / Infinity: to that end of the list). */
export interface ListWindow {
  lo: number;
  hi: number;
}

const ALL: ListWindow = { lo: -Infinity, hi: Infinity };

/** Scrolled this close to the top of what is drawn (px), older rows are drawn or loaded. */
const OLDER_AT = 120;

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
  /** Older rows are being loaded or drawn above (the list's aria-busy). */
  busy: boolean;
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
  /** The blocks drawn; the others are spacers of their height (blockHeight). */
  win: ListWindow;
  /** The list's blocks as rendered, oldest first: the view sets it on each render. */
  blocks: MutableRef<BlockInfo[]>;
  /** The height a block takes while it is not drawn: as last measured, or estimated from its rows. */
  blockHeight: (b: BlockInfo) => number;
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
  // The list is windowed: only the blocks within a few screens of the view are in the DOM, the
  // others are spacers of their measured height (their rows stay in memory). `keep` is the
  // block at the top of the view and where it was (in the list's content): when anything above
  // it changes (older rows drawn, blocks drawn or left out, a spacer's estimate replaced by the
  // real height), the view moves with it. Checked once a frame, reading layout there (the
  // frame lays out anyway), never in the task that changed the rows.
  const [win, setWin] = useState<ListWindow>(ALL);
  const winRef = useRef(win);
  const blocks = useRef<BlockInfo[]>([]);
  const heights = useRef(new Map<number, number>()).current;
  const perRow = useRef(48);
  const keep = useRef<{ n: number; seq?: number; y: number } | null>(null);
  /** The part of the last move of the view that scrollTop could not take (under a pixel), and where that move left it. */
  const carry = useRef(0);
  const restoredTop = useRef(-1);
  /** The window changed in the frame: the render puts the view back before that frame is painted. */
  const winPending = useRef(false);
  /** The frame that places the view (0: none pending). */
  const frame = useRef(0);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState('');
  const [focus, setFocus] = useState<{ seq: number; key: number } | null>(null);
  const [highlight, setHighlight] = useState<number | null>(null);
  const highlightTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const scrollTo = useRef<number | null>(null);
  // How many of the newest rows are in the page. A chat can hold thousands of messages; only
  // the newest are drawn at first, and more as the user scrolls up (before asking the server).
  const [limit, setLimit] = useState(FIRST_RENDER);
  // Rows still to be drawn above, a slice per frame (reveal), and whether the hook is mounted.
  const unrevealed = useRef(0);
  const [revealing, setRevealing] = useState(false);
  const revealDone = useRef<Promise<void> | null>(null);
  const mounted = useRef(true);
  const fetching = useRef<Promise<void> | null>(null);
  /** As of the last render: rows held, and those of them not drawn (hiddenAbove). */
  const rowsHeld = useRef(0);
  const hidden = useRef(0);
  const showOlderNow = useRef(() => {});
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
  rowsHeld.current = rows.length;
  hidden.current = hiddenAbove;

  /**
   * Fetches the next page of older messages into the store, where it waits to be drawn
   * (reveal): one request at a time, shared by loadOlder and the prefetch.
   */
  function fetchOlder(): Promise<void> {
    if (!fetching.current) {
      // The limit may exceed the rows held (a short chat just opened): down to them, so that
      // what arrives is drawn by reveal, not all at once by the store's change.
      setLimit((l) => Math.min(l, rowsHeld.current));
      fetching.current = client.loadOlder(conversationId).then(
        () => { fetching.current = null; },
        (e) => { fetching.current = null; throw e; },
      );
    }
    return fetching.current;
  }

  async function loadOlder() {
    if (loadingOlder || !client.hasOlder(conversationId)) return;
    setLoadingOlder(true);
    setOlderError('');
    let ok = false;
    try {
      const held = store.messages(conversationId).length;
      await fetchOlder();
      // What arrived is drawn (the limit counts from the newest row), a slice per frame.
      const added = store.messages(conversationId).length - held;
      if (added > 0) await reveal(added);
      ok = true;
    } catch {
      setOlderError('Older messages cannot be loaded while offline.');
    } finally {
      setLoadingOlder(false);
      if (ok) void afterNextPaint().then(olderIfAtTop);
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
    mounted.current = false;
    clearTimeout(highlightTimer.current);
    cancelAnimationFrame(frame.current);
  }, []);

  /** Scrolled to the top while older rows were drawn or loaded (that scroll asked for nothing): more now. */
  function olderIfAtTop() {
    const el = listRef.current;
    if (mounted.current && el && !stick.current && el.scrollTop < OLDER_AT) showOlderNow.current();
  }

  /**
   * Draws `n` more rows above those drawn: REVEAL_STEP now, as many after each frame painted
   * (the view is kept in place under them, onFrame). Resolves when all are drawn.
   */
  function reveal(n: number): Promise<void> {
    unrevealed.current += n;
    if (revealDone.current) return revealDone.current;
    setRevealing(true);
    const run = async () => {
      while (mounted.current) {
        const k = Math.min(REVEAL_STEP, unrevealed.current);
        if (k <= 0) break;
        unrevealed.current -= k;
        setLimit((l) => l + k);
        await afterNextPaint();
      }
      revealDone.current = null;
      if (mounted.current) setRevealing(false);
      // All drawn: the next older page is fetched now, so that it is held (not drawn) when
      // the user scrolls up to it and goes in without waiting for the server.
      if (mounted.current && hidden.current === 0 && client.hasOlder(conversationId)) void fetchOlder().catch(() => undefined);
      olderIfAtTop();
    };
    return (revealDone.current = run());
  }

  /** A block's height while it is not drawn; an estimate, once made, stays until it is drawn and measured. */
  function blockHeight(b: BlockInfo): number {
    let bh = heights.get(b.n);
    if (bh === undefined) heights.set(b.n, (bh = b.rows * perRow.current));
    return bh;
  }
  function show(next: ListWindow) {
    winRef.current = next;
    setWin(next);
  }

  /** Where block `n` starts in the list's content: as laid out, or inside the spacer that stands for it. */
  function blockTop(list: HTMLElement, n: number): number | null {
    const info = blocks.current;
    const i = info.findIndex((b) => b.n === n);
    if (i < 0) return null;
    const drawn = new Map<string, HTMLElement>();
    for (const c of list.children as HTMLCollectionOf<HTMLElement>) {
      const key = c.dataset.block ?? c.dataset.gap;
      if (key !== undefined) drawn.set(key, c);
    }
    let dy = 0;
    for (let j = i; j >= 0; j--) {
      if (j < i) dy += blockHeight(info[j]) + GAP;
      const e = drawn.get(String(info[j].n));
      if (e) return contentTop(list, e) + dy;
    }
    return null;
  }

  /** Moves the view with the kept message or block, if what is above it changed since it was seen. */
  function restore(list: HTMLElement) {
    const k = keep.current;
    if (!k || stick.current) return;
    let y: number | null;
    if (k.seq !== undefined) {
      const m = list.querySelector<HTMLElement>(`:scope > .msg-block > .msg[data-seq="${k.seq}"]`);
      y = m ? contentTop(list, m) : null;
    } else {
      y = blockTop(list, k.n);
    }
    if (y === null) return;
    if (y !== k.y) {
      // scrollTop takes whole pixels here and rows have fractional heights: what the last
      // move could not apply is added to this one, so that moves do not drift (a page of older
      // rows goes in over several frames, each moving the view).
      const want = list.scrollTop + (y - k.y) + carry.current;
      list.scrollTop = want;
      restoredTop.current = list.scrollTop;
      carry.current = Math.abs(want - restoredTop.current) < 1 ? want - restoredTop.current : 0;
    }
    k.y = y;
  }

  function scheduleFrame() {
    if (frame.current === 0) frame.current = requestAnimationFrame(onFrame);
  }

  /**
   * Once a frame after a render or a scroll: keeps the view in place, measures the drawn
   * blocks, and draws the blocks within two screens of the view (leaving out those beyond
   * five; between the two, nothing changes, so scrolling does not redraw in every frame).
   */
  function onFrame() {
    frame.current = 0;
    const list = listRef.current;
    if (!list) return;
    restore(list);
    const info = blocks.current;
    const n = info.length;
    const drawn = new Map<number, HTMLElement>();
    for (const b of list.querySelectorAll<HTMLElement>(':scope > .msg-block')) drawn.set(Number(b.dataset.block), b);
    const first = list.querySelector<HTMLElement>(':scope > .msg-block, :scope > .msg-gap');
    if (!first || n === 0) {
      keep.current = null;
      return;
    }
    const top = list.scrollTop;
    const h = Math.max(list.clientHeight, 200);
    const origin = list.getBoundingClientRect().top + list.clientTop - top;
    // Where each block is (content coordinates): drawn ones as laid out, the others from their heights.
    const a: number[] = [];
    const z: number[] = [];
    let y = contentTop(list, first);
    let sumH = 0;
    let sumRows = 0;
    for (const b of info) {
      const e = drawn.get(b.n);
      let bh: number;
      if (e) {
        const r = e.getBoundingClientRect();
        y = r.top - origin;
        bh = r.height;
        heights.set(b.n, bh);
        sumH += bh;
        sumRows += b.rows;
      } else {
        bh = blockHeight(b);
      }
      a.push(y);
      z.push(y + bh);
      y += bh + GAP;
    }
    if (sumRows > 0) perRow.current = sumH / sumRows;
    const range = (from: number, to: number): [number, number] => {
      let lo = 0;
      while (lo < n - 1 && z[lo] < from) lo++;
      let hi = n - 1;
      while (hi > lo && a[hi] > to) hi--;
      return [lo, hi];
    };
    const [needLo, needHi] = range(top - h, top + 2 * h);
    const [wantLo, wantHi] = range(top - 2 * h, top + 3 * h);
    const [farLo, farHi] = range(top - 5 * h, top + 6 * h);
    const w = winRef.current;
    let curLo = 0;
    while (curLo < n - 1 && info[curLo].n < w.lo) curLo++;
    let curHi = n - 1;
    while (curHi > curLo && info[curHi].n > w.hi) curHi--;
    const change = curLo > needLo || curHi < needHi || curLo < farLo || curHi > farHi;
    // What is kept in place: the first message in view, or the block at the top of the view
    // if it is not drawn. (Not a drawn block: older rows may go in at its top.)
    let k = 0;
    while (k < n - 1 && z[k] <= top) k++;
    keep.current = { n: info[k].n, y: a[k] };
    const e = drawn.get(info[k].n);
    if (e) {
      for (const m of e.querySelectorAll<HTMLElement>(':scope > .msg[data-seq]')) {
        const r = m.getBoundingClientRect();
        if (r.bottom - origin > top) {
          keep.current = { n: info[k].n, seq: Number(m.dataset.seq), y: r.top - origin };
          break;
        }
      }
    }
    if (change) {
      const next = { lo: wantLo === 0 ? -Infinity : info[wantLo].n, hi: wantHi === n - 1 ? Infinity : info[wantHi].n };
      if (next.lo !== w.lo || next.hi !== w.hi) {
        winPending.current = true;
        show(next);
      }
    }
  }

  // Keep the view pinned to the bottom for new messages, and steady when older ones are added above.
  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    scheduleFrame();
    // Blocks were drawn or left out in this frame (onFrame): put the view back before it is painted.
    if (winPending.current) {
      winPending.current = false;
      restore(el);
    }
    if (scrollTo.current !== null) {
      const at = rows.findIndex((r) => r.seq === scrollTo.current);
      if (at >= 0 && at < hiddenAbove) {
        setLimit(rows.length - at + RENDER_STEP / 2); // draw down to it; scrolled to on the next render
        return;
      }
      const target = el.querySelector<HTMLElement>(`.msg[data-seq="${scrollTo.current}"]`);
      if (!target && at >= 0) {
        // Held but its block is not drawn: draw the blocks around it, scrolled to on the next render.
        const n = blockOf(scrollTo.current);
        const w = winRef.current;
        if (n < w.lo || n > w.hi) {
          keep.current = null;
          show({ lo: n - 2, hi: n + 2 });
          return;
        }
      }
      if (target) {
        const seq = scrollTo.current;
        target.scrollIntoView({ block: 'center' });
        keep.current = null;
        scrollTo.current = null;
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
        keep.current = null;
        el.scrollTop = at - 8;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
        return;
      }
    }
    // Rows drawn or changed above the view: the view is kept in place in the next frame (onFrame).
    if (stick.current) {
      el.scrollTop = el.scrollHeight;
    }
  });

  // After the first paint: the rest of the first RENDER_STEP rows, above what is shown (kept
  // in place: the view may be at the first unread message, not at the bottom).
  useEffect(() => {
    if (limit >= RENDER_STEP || hiddenAbove === 0) return;
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
    if (el.scrollTop !== restoredTop.current) carry.current = 0; // the user moved the view
    if (stick.current && awayFrom !== null) setAwayFrom(null);
    else if (!stick.current && awayFrom === null) setAwayFrom(store.maxSeq(conversationId));
    scheduleFrame();
    if (el.scrollTop < OLDER_AT) showOlder();
  }

  /** The newest blocks may not be drawn: draws the last few (onFrame adds those above them). */
  function drawNewest() {
    const info = blocks.current;
    if (winRef.current.hi !== Infinity && info.length > 0) show({ lo: info[Math.max(0, info.length - 6)].n, hi: Infinity });
    keep.current = null;
  }

  function showOlder() {
    if (revealDone.current) return; // still drawing the last rows asked for
    if (hiddenAbove > 0) {
      void reveal(Math.min(RENDER_STEP, hiddenAbove));
    } else {
      void loadOlder();
    }
  }
  showOlderNow.current = showOlder;

  return {
    listRef,
    onScroll,
    showOlder,
    loadingOlder,
    busy: loadingOlder || revealing,
    olderError,
    hiddenAbove,
    firstUnread,
    unreadCount,
    newBelow: awayFrom === null ? null : newBelow,
    jumpToNewest: () => {
      const el = listRef.current;
      drawNewest();
      if (el) el.scrollTop = el.scrollHeight;
      stick.current = true;
      setAwayFrom(null);
    },
    highlight,
    focusOn: (seq) => setFocus((f) => ({ seq, key: (f?.key ?? 0) + 1 })),
    stickToBottom: () => {
      stick.current = true;
      drawNewest();
    },
    win,
    blocks,
    blockHeight,
  };
}
