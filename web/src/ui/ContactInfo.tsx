import { lastSeenText } from '../core/presence';
import type { ImageInfo, User } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { Avatar } from './icons';
import { PhotoBubble } from './Photo';
import { SidePanel } from './SidePanel';
import './chatstate.css';

/**
 * The contact pane of a direct chat (a click on its header): who they are, when they were
 * last seen, the photos shared in the chat that this device holds, notifications (mute) and
 * block/unblock.
 */
export function ContactInfo({
  client,
  conversationId,
  peer,
  onClose,
  onOpenPhoto,
  onBlock,
  onMedia,
}: {
  client: ParleyClient;
  conversationId: number;
  peer: User;
  onClose: () => void;
  onOpenPhoto: (image: ImageInfo, caption: string) => void;
  /** Opens the block (or unblock) confirmation. */
  onBlock: () => void;
  /** Opens the chat's "media, links and docs". */
  onMedia: () => void;
}) {
  const name = client.nameOf(peer);
  const photos = client.store
    .messages(conversationId)
    .filter((m) => m.kind === 'image' && m.image && !m.deleted && !m.hidden)
    .reverse();
  const blocked = client.isBlocked(peer.id);
  const mutedUntil = client.store.conversation(conversationId)?.muted_until ?? 0;
  const muted = mutedUntil > Date.now();
  return (
    <SidePanel title="Contact info" onClose={onClose}>
      <div class="contact-card">
        <Avatar name={name} seed={`u${peer.id}`} size={96} />
        <p class="contact-name">{name}</p>
        <p class="muted">@{peer.username}</p>
        <p class="muted" data-slot="last-seen">{lastSeenText(client.presence.get(peer.id)) || 'Last seen unknown'}</p>
      </div>
      <section class="contact-section" aria-labelledby="contact-photos">
        <button type="button" class="media-entry" onClick={onMedia}>
          Media, links and docs
        </button>
        <h3 id="contact-photos">Photos in this chat ({photos.length})</h3>
        {photos.length === 0 ? (
          <p class="muted">No photos yet.</p>
        ) : (
          <div class="contact-photos">
            {photos.slice(0, 24).map((m) => (
              <PhotoBubble key={m.seq} client={client} image={m.image!} caption={m.text} onOpen={() => onOpenPhoto(m.image!, m.text)} />
            ))}
          </div>
        )}
      </section>
      <section class="contact-section" aria-labelledby="contact-notifications">
        <h3 id="contact-notifications">Notifications</h3>
        <label class="contact-mute">
          <span>{muted ? 'Muted' : 'On'}</span>
          <select
            aria-label="Mute notifications"
            value=""
            onChange={(e) => {
              const v = (e.currentTarget as HTMLSelectElement).value as '8h' | '1w' | 'always' | 'off' | '';
              if (v) void client.mute(conversationId, v).catch(() => undefined);
            }}
          >
            <option value="" disabled>
              {muted ? 'Change…' : 'Mute…'}
            </option>
            {muted && <option value="off">Unmute</option>}
            <option value="8h">Mute for 8 hours</option>
            <option value="1w">Mute for 1 week</option>
            <option value="always">Mute always</option>
          </select>
        </label>
      </section>
      <section class="contact-section" aria-label="Privacy">
        <button type="button" class="danger-button small" onClick={onBlock}>
          {blocked ? `Unblock ${name}` : `Block ${name}`}
        </button>
      </section>
    </SidePanel>
  );
}
