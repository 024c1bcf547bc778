import { quoteOf } from '../core/replies';
import { senderColourVar } from '../core/groups';
import type { ParleyClient } from '../platform/client';
import { CloseIcon } from './icons';
import './replies.css';

/** Who wrote the quoted message, as the chat shows names ("You" for oneself). */
function senderLabel(client: ParleyClient, senderId: number | undefined, nameOf: (id: number) => string): string {
  if (senderId === undefined) return '';
  return senderId === client.session.user.id ? 'You' : nameOf(senderId);
}

/**
 * The quote at the top of a reply's bubble: the original's sender and the start of its text,
 * as this device knows it now (edits and deletions show through). Clicking it scrolls to the
 * original, loading history back to it if needed (`onOpen`).
 */
export function ReplyQuote({
  client,
  conversationId,
  seq,
  nameOf,
  onOpen,
}: {
  client: ParleyClient;
  conversationId: number;
  seq: number;
  nameOf: (id: number) => string;
  onOpen: (seq: number) => void;
}) {
  const q = quoteOf(client.quoted(conversationId, seq));
  const who = senderLabel(client, q.senderId, nameOf);
  return (
    <button
      type="button"
      class={`reply-quote ${q.state}`}
      style={q.senderId !== undefined ? { borderLeftColor: senderColourVar(q.senderId) } : undefined}
      onClick={(e) => {
        e.stopPropagation();
        onOpen(seq);
      }}
      title="Show the original message"
    >
      <span class="visually-hidden">In reply to: </span>
      {who && <span class="reply-sender">{who}</span>}
      <span class="reply-snippet">{q.snippet}</span>
    </button>
  );
}

/** Above the composer while writing a reply: what is being answered, and a way out. */
export function ReplyBar({
  client,
  conversationId,
  seq,
  nameOf,
  onCancel,
}: {
  client: ParleyClient;
  conversationId: number;
  seq: number;
  nameOf: (id: number) => string;
  onCancel: () => void;
}) {
  const q = quoteOf(client.quoted(conversationId, seq));
  const who = senderLabel(client, q.senderId, nameOf);
  return (
    <div class="reply-bar" role="group" aria-label="Replying to a message">
      <div class="reply-quote static" style={q.senderId !== undefined ? { borderLeftColor: senderColourVar(q.senderId) } : undefined}>
        <span class="reply-sender">{who ? `Replying to ${who}` : 'Replying'}</span>
        <span class="reply-snippet">{q.snippet}</span>
      </div>
      <button type="button" class="icon-button" aria-label="Cancel reply" title="Cancel reply" onClick={onCancel}>
        <CloseIcon />
      </button>
    </div>
  );
}
