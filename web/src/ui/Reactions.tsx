import { useState } from 'preact/hooks';
import { ALL_REACTIONS, QUICK_REACTIONS, myReaction, reactorsText } from '../core/reactions';
import { ApiError, type Message } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { Modal } from './Modal';
import './reactions.css';

function errorText(code: string): string {
  if (code === 'rate_limited') return 'Too many reactions at once. Try again in a moment.';
  if (code === 'not_found' || code === 'invalid_argument') return 'You cannot react to this message.';
  return 'The reaction could not be saved. Check your connection.';
}

/**
 * The reactions under a bubble: one chip per emoji with its count; who reacted is in its
 * label and tooltip. Clicking a chip sets that emoji as the user's reaction, or removes it
 * when it is already theirs.
 */
export function ReactionChips({
  client,
  message,
  nameOf,
  disabled = false,
}: {
  client: ParleyClient;
  message: Message;
  nameOf: (id: number) => string;
  disabled?: boolean;
}) {
  const me = client.session.user.id;
  if (!message.reactions?.length) return null;
  const mine = myReaction(message, me);
  return (
    <div class="reactions" role="group" aria-label="Reactions">
      {message.reactions.map((g) => {
        const who = reactorsText(g.user_ids, me, nameOf);
        return (
          <button
            type="button"
            key={g.emoji}
            class={`reaction-chip${g.emoji === mine ? ' mine' : ''}`}
            aria-pressed={g.emoji === mine}
            title={who}
            disabled={disabled}
            onClick={() => void client.react(message.conversation_id, message.seq, g.emoji === mine ? null : g.emoji).catch(() => undefined)}
          >
            <span class="reaction-emoji">{g.emoji}</span>
            <span class="reaction-count">{g.user_ids.length}</span>
            <span class="visually-hidden">{`: ${who}`}</span>
          </button>
        );
      })}
    </div>
  );
}

/** "React": the quick-pick row, and the full set behind "More". Picking one's own again removes it. */
export function ReactionPicker({ client, message, onClose }: { client: ParleyClient; message: Message; onClose: () => void }) {
  const mine = myReaction(message, client.session.user.id);
  const [all, setAll] = useState(false);
  const [error, setError] = useState('');

  async function pick(emoji: string) {
    setError('');
    try {
      await client.react(message.conversation_id, message.seq, emoji === mine ? null : emoji);
      onClose();
    } catch (e) {
      setError(errorText(e instanceof ApiError ? e.code : 'internal'));
    }
  }

  const button = (e: string) => (
    <button type="button" key={e} class={`picker-emoji${e === mine ? ' mine' : ''}`} aria-pressed={e === mine} onClick={() => void pick(e)}>
      {e}
    </button>
  );

  return (
    <Modal labelledBy="react-title" onClose={onClose} class="reaction-modal">
      <div class="sheet-form">
        <h2 id="react-title">React to message</h2>
        <div class="picker-row" role="group" aria-label="Quick reactions">
          {QUICK_REACTIONS.map(button)}
          {!all && (
            <button type="button" class="text-button small" onClick={() => setAll(true)}>
              More
            </button>
          )}
        </div>
        {all &&
          ALL_REACTIONS.map((g) => (
            <div key={g.name} class="picker-group" role="group" aria-label={g.name}>
              <h3>{g.name}</h3>
              <div class="picker-grid">{g.emoji.map(button)}</div>
            </div>
          ))}
        {mine && <p class="muted small-pad">Pick {mine} again to remove your reaction.</p>}
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="sheet-actions">
          <button type="button" class="text-button" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
    </Modal>
  );
}
