import { ChevronIcon } from './icons';

/** "N unread messages" above the first message that was unread when the chat was opened. */
export function UnreadDivider({ count }: { count: number }) {
  return (
    <div class="unread-divider" role="separator">
      <span>
        {count} unread message{count === 1 ? '' : 's'}
      </span>
    </div>
  );
}

/**
 * The round button at the bottom of a chat scrolled up: brings the newest message into view;
 * `count` (0: no badge) messages from others arrived since the user scrolled away. Its
 * accessible name is its visible text plus what the chevron and the badge mean.
 */
export function JumpToNewest({ count, onJump }: { count: number; onJump: () => void }) {
  return (
    <button type="button" class="jump-bottom" onClick={onJump}>
      <span class="visually-hidden">Newest messages</span>
      <ChevronIcon />
      {count > 0 && (
        <span class="badge">
          <span class="visually-hidden">, </span>
          {count > 99 ? '99+' : count}
          <span class="visually-hidden"> new</span>
        </span>
      )}
    </button>
  );
}
