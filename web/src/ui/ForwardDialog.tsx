import { useState } from 'preact/hooks';
import { conversationName } from '../core/format';
import { ApiError, type Message } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { Modal } from './Modal';
import './reactions.css';

/** The server's limit of target chats per forward (docs/protocol.md, "Limits"). */
export const MAX_FORWARD_TARGETS = 5;

function errorText(code: string): string {
  if (code === 'rate_limited') return 'Too many messages at once. Try again in a moment.';
  if (code === 'not_found') return 'One of the chats no longer accepts your messages. Nothing was sent.';
  if (code === 'invalid_argument') return 'This message cannot be forwarded.';
  return 'Forwarding needs a connection. Nothing was sent.';
}

/** "Forward to…": pick up to five chats; all of them get a copy, or none. */
export function ForwardDialog({ client, message, onClose }: { client: ParleyClient; message: Message; onClose: () => void }) {
  const me = client.session.user.id;
  const chats = client.store.sortedConversations().filter((c) => !c.left);
  const [picked, setPicked] = useState<number[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  function toggle(id: number) {
    setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : p.length < MAX_FORWARD_TARGETS ? [...p, id] : p));
  }

  async function send() {
    if (!picked.length || busy) return;
    setBusy(true);
    setError('');
    try {
      await client.forward(message.conversation_id, message.seq, picked);
      onClose();
    } catch (e) {
      setError(errorText(e instanceof ApiError ? e.code : 'internal'));
      setBusy(false);
    }
  }

  return (
    <Modal labelledBy="forward-title" onClose={onClose} class="reaction-modal">
      <div class="sheet-form">
        <h2 id="forward-title">Forward message to…</h2>
        <p class="muted small-pad" id="forward-count" aria-live="polite">
          {picked.length} of {MAX_FORWARD_TARGETS} chats selected
        </p>
        <ul class="forward-list" aria-describedby="forward-count">
          {chats.map((c) => {
            const on = picked.includes(c.id);
            return (
              <li key={c.id}>
                <label class="forward-row">
                  <input type="checkbox" checked={on} disabled={!on && picked.length >= MAX_FORWARD_TARGETS} onChange={() => toggle(c.id)} />
                  <span>{c.kind === 'direct' && c.peer ? client.nameOf(c.peer) : conversationName(c, me)}</span>
                </label>
              </li>
            );
          })}
        </ul>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="sheet-actions">
          <button type="button" class="text-button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" class="primary small" disabled={!picked.length || busy} onClick={() => void send()}>
            Forward
          </button>
        </div>
      </div>
    </Modal>
  );
}
