import { Fragment } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { clockTime, conversationName, dayLabel, sameDay } from '../core/format';
import { pendingStatus, storedStatus } from '../core/status';
import type { MessageStatus } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { Avatar, BackIcon, SendIcon, StatusIcon } from './icons';

interface Row {
  key: string;
  text: string;
  kind: string;
  mine: boolean;
  sender: number;
  ts: number;
  seq?: number;
  status?: MessageStatus;
  clientId?: string;
}

export function ChatView({ client, conversationId, onBack }: { client: ParleyClient; conversationId: number; onBack: () => void }) {
  const { store, outbox } = client;
  const me = client.session.user.id;
  const conv = store.conversation(conversationId)!;
  const peer = store.peer(conversationId);
  const name = conversationName(conv, me);
  const direct = conv.members.length <= 2;
  const memberName = (id: number) => conv.members.find((m) => m.user.id === id)?.user.display_name ?? 'Unknown';
  const listRef = useRef<HTMLDivElement>(null);
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const [draft, setDraft] = useState('');
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [olderError, setOlderError] = useState('');
  const stick = useRef(true);
  const anchor = useRef<{ seq: number; offset: number } | null>(null);

  const rows: Row[] = store.messages(conversationId).map((m) => ({
    key: `s${m.seq}`,
    text: m.kind === 'text' ? m.text : 'Unsupported message',
    kind: m.kind,
    mine: m.sender_id === me,
    sender: m.sender_id,
    ts: m.ts,
    seq: m.seq,
    status: m.sender_id === me ? storedStatus(m.seq, conv.members, me) : undefined,
    clientId: m.client_id,
  }));
  const acked = new Set(rows.map((r) => r.clientId));
  for (const e of outbox.forConversation(conversationId)) {
    if (acked.has(e.client_id)) continue;
    rows.push({ key: `p${e.client_id}`, text: e.text, kind: 'text', mine: true, sender: me, ts: e.created_at, status: pendingStatus(e), clientId: e.client_id });
  }

  async function loadOlder() {
    if (loadingOlder || !client.hasOlder(conversationId)) return;
    const el = listRef.current;
    const first = el?.querySelector<HTMLElement>('.msg[data-seq]');
    // Remember where the oldest shown message is, to keep it in place when older ones arrive above.
    if (el && first) anchor.current = { seq: Number(first.dataset.seq), offset: first.offsetTop - el.scrollTop };
    setLoadingOlder(true);
    setOlderError('');
    try {
      const before = client.store.minSeq(conversationId);
      await client.loadOlder(conversationId);
      if (client.store.minSeq(conversationId) === before) anchor.current = null;
    } catch {
      setOlderError('Older messages cannot be loaded while offline.');
      anchor.current = null;
    } finally {
      setLoadingOlder(false);
    }
  }

  // Keep the view pinned to the bottom for new messages, and steady when older ones are added above.
  useLayoutEffect(() => {
    const el = listRef.current;
    if (!el) return;
    const first = el.querySelector<HTMLElement>('.msg[data-seq]');
    if (anchor.current && first && Number(first.dataset.seq) !== anchor.current.seq) {
      const old = el.querySelector<HTMLElement>(`.msg[data-seq="${anchor.current.seq}"]`);
      if (old) el.scrollTop = old.offsetTop - anchor.current.offset;
      anchor.current = null;
    } else if (anchor.current) {
      // Older messages not rendered yet: keep the anchor.
    } else if (stick.current) {
      el.scrollTop = el.scrollHeight;
    }
  });

  // If the first screen is not full, fetch older messages until it is (or there are none).
  useEffect(() => {
    const el = listRef.current;
    if (el && el.scrollHeight <= el.clientHeight + 40 && client.hasOlder(conversationId) && !loadingOlder && !olderError) void loadOlder();
  });

  useEffect(() => {
    inputRef.current?.focus({ preventScroll: true });
  }, [conversationId]);

  function onScroll() {
    const el = listRef.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    if (el.scrollTop < 120) void loadOlder();
  }

  function send() {
    const text = draft.trim();
    if (!text) return;
    if (new TextEncoder().encode(text).length > 16384) return;
    client.send(conversationId, text);
    setDraft('');
    stick.current = true;
    inputRef.current?.focus();
  }

  const tooLong = new TextEncoder().encode(draft).length > 16384;

  return (
    <section class="chat" aria-labelledby="chat-title">
      <header class="bar chat-bar">
        <button type="button" class="icon-button back" onClick={onBack} aria-label="Back to chats">
          <BackIcon />
        </button>
        <Avatar name={name} />
        <div class="chat-heading">
          <h2 id="chat-title">{name}</h2>
          {/* Presence and typing indicators will go here once the protocol carries them. */}
          <p class="chat-sub" id="chat-sub" data-slot="presence">
            {peer && direct ? `@${peer.username}` : `${conv.members.length} members`}
          </p>
        </div>
      </header>
      <div class="messages" ref={listRef} onScroll={onScroll} role="log" aria-live="polite" aria-label={`Messages with ${name}`} tabIndex={0}>
        {client.hasOlder(conversationId) && (
          <div class="older">
            {loadingOlder ? (
              <span role="status">Loading older messages…</span>
            ) : (
              <button type="button" class="text-button" onClick={loadOlder}>
                {olderError || 'Load older messages'}
              </button>
            )}
          </div>
        )}
        {rows.length === 0 && <p class="chat-empty">No messages yet. Say hello!</p>}
        {rows.map((r, i) => {
          const prev = rows[i - 1];
          const newDay = !prev || !sameDay(prev.ts, r.ts);
          const grouped = !!prev && !newDay && prev.sender === r.sender;
          return (
            <Fragment key={r.key}>
              {newDay && (
                <div class="day">
                  <span>{dayLabel(r.ts)}</span>
                </div>
              )}
              <div
                class={`msg ${r.mine ? 'out' : 'in'}${grouped ? ' grouped' : ''}${r.status === 'failed' ? ' failed' : ''}`}
                data-seq={r.seq}
                data-status={r.status}
              >
                <div class={`bubble${r.kind !== 'text' ? ' unsupported' : ''}`}>
                  {!direct && !r.mine && !grouped ? (
                    <span class="sender">{memberName(r.sender)}</span>
                  ) : (
                    <span class="visually-hidden">{r.mine ? 'You: ' : `${memberName(r.sender)}: `}</span>
                  )}
                  <span class="text">{r.text}</span>
                  <span class="meta">
                    <time dateTime={new Date(r.ts).toISOString()}>{clockTime(r.ts)}</time>
                    {r.status && <StatusIcon status={r.status} />}
                  </span>
                </div>
                {r.status === 'failed' && r.clientId && (
                  <div class="failed-actions">
                    <button type="button" class="retry" onClick={() => client.retry(r.clientId!)}>
                      Not sent. Tap to retry
                    </button>
                    <button type="button" class="text-button small" onClick={() => client.discard(r.clientId!)}>
                      Delete
                    </button>
                  </div>
                )}
              </div>
            </Fragment>
          );
        })}
      </div>
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <label for="composer-input" class="visually-hidden">
          Message {name}
        </label>
        <textarea
          id="composer-input"
          ref={inputRef}
          rows={1}
          placeholder="Type a message"
          value={draft}
          aria-invalid={tooLong ? true : undefined}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              send();
            }
          }}
        />
        <button type="submit" class="icon-button send" aria-label="Send" disabled={!draft.trim() || tooLong}>
          <SendIcon />
        </button>
      </form>
      {tooLong && (
        <p class="form-error composer-error" role="alert">
          This message is longer than 16 KB.
        </p>
      )}
    </section>
  );
}
