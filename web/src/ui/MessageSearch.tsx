import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { conversationName, listTime } from '../core/format';
import { nameIn } from '../core/groups';
import { ApiError, type SearchResult, type SearchSegment } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { searchHeld } from '../core/localsearch';
import { SearchExtras } from './SearchExtras';
import './chatstate.css';

const PAGE = 20;

/** A snippet from the server: the segments with `match: true` in <mark>. */
export function Snippet({ segments }: { segments: readonly SearchSegment[] }) {
  return (
    <span class="snippet">
      {segments.map((s, i) => (s.match ? <mark key={i}>{s.text}</mark> : <span key={i}>{s.text}</span>))}
    </span>
  );
}

/**
 * Message search: across all chats (the chat list header) or inside one chat
 * (`conversationId`). Results come ranked from the server (GET /search), with highlighted
 * snippets and "More results" pages; picking one calls `onOpen(conversation, seq)`.
 */
export function MessageSearch({
  client,
  conversationId,
  onOpen,
  onActive,
  onOpenChat,
  autoFocus = false,
}: {
  client: ParleyClient;
  conversationId?: number;
  onOpen: (conversationId: number, seq: number) => void;
  /** Called with true while there is a query (the chat list hides itself then). */
  onActive?: (active: boolean) => void;
  /** The search over all chats also finds chats and people by name; picking one opens it. */
  onOpenChat?: (conversationId: number) => void;
  autoFocus?: boolean;
}) {
  const me = client.session.user.id;
  const [q, setQ] = useState('');
  const [results, setResults] = useState<SearchResult[]>([]);
  const [next, setNext] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [done, setDone] = useState(false);
  // Offline, messages come from this device's store and say so.
  const [offline, setOffline] = useState(false);
  const gen = useRef(0);
  const inputRef = useRef<HTMLInputElement>(null);
  const scope = conversationId === undefined ? 'all' : 'chat';
  const inputId = `search-${scope}`;

  // In the task that shows the box (the panel around it then leaves the focus here), so the
  // first keys typed land in it.
  useLayoutEffect(() => {
    if (autoFocus) inputRef.current?.focus({ preventScroll: true });
  }, []);

  useEffect(() => {
    const query = q.trim();
    onActive?.(query !== '');
    const g = ++gen.current;
    if (!query) {
      setResults([]);
      setNext(null);
      setError('');
      setDone(false);
      setBusy(false);
      return;
    }
    const t = setTimeout(() => void load(query, 0, g), 250);
    return () => clearTimeout(t);
  }, [q]);

  async function load(query: string, offset: number, g: number) {
    setBusy(true);
    setError('');
    try {
      const page = await client.search(query, { conversationId, offset, limit: PAGE });
      if (g !== gen.current) return;
      setOffline(false);
      setResults((r) => (offset === 0 ? page.results : [...r, ...page.results]));
      setNext(page.has_more && typeof page.next_offset === 'number' ? page.next_offset : null);
      setDone(true);
    } catch (e) {
      if (g !== gen.current) return;
      const code = e instanceof ApiError ? e.code : 'internal';
      if (code === 'network' && offset === 0) {
        const ids = conversationId === undefined ? client.store.conversations().map((c) => c.id) : [conversationId];
        setResults(searchHeld(ids.flatMap((id) => client.store.messages(id)), query));
        setNext(null);
        setOffline(true);
        setDone(true);
        return;
      }
      setError(
        code === 'network'
          ? 'Search needs a connection. Try again when you are back online.'
          : code === 'invalid_argument'
            ? 'Type a word to search for.'
            : 'Search did not work. Try again.',
      );
    } finally {
      if (g === gen.current) setBusy(false);
    }
  }

  function title(cid: number): string {
    const c = client.store.conversation(cid);
    if (!c) return 'Chat';
    const peer = client.directPeer(cid);
    return peer ? client.nameOf(peer) : conversationName(c, me);
  }

  function sender(cid: number, id: number): string {
    if (id === me) return 'You';
    const c = client.store.conversation(cid);
    const peer = client.directPeer(cid);
    if (peer && peer.id === id) return client.nameOf(peer);
    return nameIn(c, id);
  }

  const query = q.trim();
  return (
    <div class={`message-search ${scope}`}>
      <form
        class="search-box"
        role="search"
        aria-label={scope === 'all' ? 'Search all chats' : 'Search this chat'}
        onSubmit={(e) => {
          e.preventDefault();
          if (query) void load(query, 0, ++gen.current);
        }}
      >
        <label for={inputId} class="visually-hidden">
          {scope === 'all' ? 'Search messages' : 'Search in this chat'}
        </label>
        <input
          id={inputId}
          ref={inputRef}
          type="search"
          placeholder={scope === 'all' && onOpenChat ? 'Search chats, people and messages' : scope === 'all' ? 'Search messages' : 'Search in this chat'}
          autocomplete="off"
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape' && q) {
              e.preventDefault();
              e.stopPropagation();
              setQ('');
            }
          }}
        />
      </form>
      {query && (
        <div class="search-results" aria-live="polite">
          {scope === 'all' && onOpenChat && <SearchExtras client={client} query={query} onOpenChat={onOpenChat} />}
          {offline && (
            <p class="offline-note" role="note">
              Offline: showing messages saved on this device
            </p>
          )}
          {error && (
            <p class="form-error pad" role="alert">
              {error}
            </p>
          )}
          {!error && done && results.length === 0 && !busy && (
            <p class="muted pad" role="status">
              No messages found.
            </p>
          )}
          {results.length > 0 && (
            <ul aria-label="Search results">
              {results.map((r) => {
                const m = r.message;
                const who = sender(m.conversation_id, m.sender_id);
                return (
                  <li key={`${m.conversation_id}:${m.seq}`}>
                    <button
                      type="button"
                      class="search-result"
                      data-conversation={m.conversation_id}
                      data-seq={m.seq}
                      onClick={() => onOpen(m.conversation_id, m.seq)}
                    >
                      <span class="row-top">
                        <span class="row-name">{scope === 'all' ? title(m.conversation_id) : who}</span>
                        <span class="row-time">{listTime(m.ts)}</span>
                      </span>
                      <span class="result-text">
                        {scope === 'all' && <span class="result-sender">{who}: </span>}
                        <Snippet segments={r.snippet} />
                      </span>
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
          {busy && (
            <p class="muted pad" role="status">
              Searching…
            </p>
          )}
          {!busy && next !== null && (
            <div class="more">
              <button type="button" class="text-button" onClick={() => void load(query, next, gen.current)}>
                More results
              </button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
