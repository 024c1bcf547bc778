import { useEffect, useRef, useState } from 'preact/hooks';
import { formatDuration, formatSize } from '../core/media';
import { linkify } from '../core/richtext';
import type { Message } from '../core/types';
import type { MediaCategory, ParleyClient } from '../platform/client';
import { SidePanel } from './SidePanel';

const TABS: { id: MediaCategory; label: string; empty: string }[] = [
  { id: 'media', label: 'Media', empty: 'No photos or videos yet.' },
  { id: 'docs', label: 'Docs', empty: 'No documents yet.' },
  { id: 'links', label: 'Links', empty: 'No links yet.' },
  { id: 'voice', label: 'Voice', empty: 'No voice messages yet.' },
];

/** A photo's thumbnail or a video's poster, square, loaded through a signed link. */
function Tile({ client, m, onOpen }: { client: ParleyClient; m: Message; onOpen: () => void }) {
  const media = m.image ?? m.video;
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    if (!media) return;
    let live = true;
    client.photoLinks(media.media_id).then(
      (l) => live && setSrc((m.video ? l.poster : l.thumbnail) ?? null),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [media?.media_id]);
  if (!media) return null;
  const label = m.video ? `Video, ${formatDuration(m.video.duration_ms)}` : 'Photo';
  return (
    <button type="button" class="media-tile" onClick={onOpen} aria-label={`${label}${m.text ? `: ${m.text}` : ''}. Show in chat`} data-seq={m.seq}>
      <img src={src ?? media.placeholder} alt="" />
      {m.video && <span class="video-duration">{formatDuration(m.video.duration_ms)}</span>}
    </button>
  );
}

function Row({ m, category, onOpen }: { m: Message; category: MediaCategory; onOpen: () => void }) {
  const when = new Date(m.ts).toLocaleDateString();
  let title = '';
  let detail = '';
  let context = '';
  if (category === 'docs' && m.file) {
    title = m.file.name;
    detail = `${formatSize(m.file.size)} · ${when}`;
  } else if (category === 'voice' && m.voice) {
    title = `Voice message, ${formatDuration(m.voice.duration_ms)}`;
    detail = when;
  } else {
    const links = linkify(m.text).filter((p): p is { text: string; href: string } => 'href' in p);
    title = links.map((l) => l.text).join(' ') || m.text;
    context = m.text;
    detail = when;
  }
  return (
    <li>
      <button type="button" class="media-row" onClick={onOpen} data-seq={m.seq}>
        <span class="media-row-title" dir="auto">{title}</span>
        {context && context !== title && (
          <span class="media-row-context" dir="auto">
            {context}
          </span>
        )}
        <span class="media-row-detail muted">{detail}</span>
      </button>
    </li>
  );
}

/**
 * A chat's "media, links and docs": tabs of photos and videos (a grid), documents, links
 * and voice messages (lists), fetched from the server a page at a time as the list is
 * scrolled to its end; a click shows the message in the chat.
 */
export function ChatMedia({ client, conversationId, onClose, onOpen }: { client: ParleyClient; conversationId: number; onClose: () => void; onOpen: (seq: number) => void }) {
  const [tab, setTab] = useState<MediaCategory>('media');
  const [items, setItems] = useState<Message[]>([]);
  const [more, setMore] = useState(true);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState('');
  const endRef = useRef<HTMLDivElement>(null);
  const generation = useRef(0);

  function load(reset: boolean) {
    const gen = reset ? ++generation.current : generation.current;
    const before = reset ? undefined : items.at(-1)?.seq;
    setLoading(true);
    client.conversationMedia(conversationId, tab, before).then(
      (page) => {
        if (gen !== generation.current) return;
        setItems((prev) => (reset ? page.messages : [...prev, ...page.messages]));
        setMore(page.has_more);
        setLoading(false);
        setError('');
      },
      () => {
        if (gen !== generation.current) return;
        setLoading(false);
        setError('Could not load. Check your connection.');
      },
    );
  }

  useEffect(() => {
    setItems([]);
    setMore(true);
    load(true);
  }, [tab, conversationId]);

  // Paging on scroll: the next page once the end of the list comes into view.
  useEffect(() => {
    const end = endRef.current;
    if (!end || !more || loading || typeof IntersectionObserver === 'undefined') return;
    const o = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && load(false));
    o.observe(end);
    return () => o.disconnect();
  }, [items, more, loading]);

  const current = TABS.find((t) => t.id === tab)!;
  return (
    <SidePanel title="Media, links and docs" onClose={onClose}>
      <div class="media-tabs" role="tablist" aria-label="Categories">
        {TABS.map((t) => (
          <button key={t.id} type="button" role="tab" id={`media-tab-${t.id}`} aria-selected={t.id === tab} aria-controls="media-tabpanel" class={t.id === tab ? 'selected' : ''} onClick={() => setTab(t.id)}>
            {t.label}
          </button>
        ))}
      </div>
      <div id="media-tabpanel" role="tabpanel" aria-labelledby={`media-tab-${tab}`} class="media-panel" data-category={tab}>
        {tab === 'media' ? (
          <div class="media-grid">
            {items.map((m) => (
              <Tile key={m.seq} client={client} m={m} onOpen={() => onOpen(m.seq)} />
            ))}
          </div>
        ) : (
          <ul class="media-list">
            {items.map((m) => (
              <Row key={m.seq} m={m} category={tab} onOpen={() => onOpen(m.seq)} />
            ))}
          </ul>
        )}
        {!loading && !error && items.length === 0 && <p class="muted media-empty">{current.empty}</p>}
        {error && (
          <p class="upload-error" role="alert">
            {error}{' '}
            <button type="button" class="link-button" onClick={() => load(items.length === 0)}>
              Retry
            </button>
          </p>
        )}
        {loading && <p class="muted" role="status">Loading…</p>}
        <div ref={endRef} class="media-end" aria-hidden="true" />
      </div>
    </SidePanel>
  );
}
