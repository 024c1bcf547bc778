import { useLayoutEffect, useRef, useState } from 'preact/hooks';
import { canDeleteForEveryone, canEdit, changeErrorText } from '../core/edits';
import { ApiError, type Message } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { ChevronIcon } from './icons';
import { useMenu } from './menu';
import { Modal } from './Modal';

/**
 * The menu of one message (the chevron next to its bubble, or a right click on it): "Reply",
 * "React", "Forward", "Copy text" when it has text, "Edit" for own text messages in the edit window, "Message
 * info" for own messages in groups, and "Delete".
 */
export function MessageActions({
  message,
  me,
  left = false,
  open,
  onOpenChange,
  onEdit,
  onDelete,
  onInfo,
  onReply,
  onReact,
  onForward,
}: {
  message: Message;
  me: number;
  /** The user left the group: only "delete for me" is possible. */
  left?: boolean;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onEdit: () => void;
  onDelete: () => void;
  /** Own messages in groups: "Message info" (who received and read it). */
  onInfo?: () => void;
  /** "Reply": quote this message in the next one (absent when the user cannot send). */
  onReply?: () => void;
  /** "React": opens the reaction picker (absent when the user cannot react). */
  onReact?: () => void;
  /** "Forward": copy it into other chats. */
  onForward?: () => void;
}) {
  const buttonRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLUListElement>(null);
  const editable = !left && canEdit(message, me, Date.now());
  const id = `msg-menu-${message.seq}`;

  const key = useMenu(open, () => onOpenChange(false), menuRef, buttonRef);

  function pick(fn: () => void) {
    onOpenChange(false);
    fn();
  }

  return (
    <>
      <button
        type="button"
        ref={buttonRef}
        class="msg-menu-button"
        aria-label="Open message menu"
        title="Edit or delete"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => onOpenChange(!open)}
      >
        <ChevronIcon />
      </button>
      {open && (
        <ul class="menu msg-menu" id={id} role="menu" aria-label="Actions for the message" ref={menuRef} onKeyDown={key}>
          {onReply && (
            <li role="none">
              <button type="button" role="menuitem" tabIndex={-1} onClick={() => pick(onReply)}>
                Reply
              </button>
            </li>
          )}
          {onReact && (
            <li role="none">
              <button type="button" role="menuitem" tabIndex={-1} onClick={() => pick(onReact)}>
                React
              </button>
            </li>
          )}
          {onForward && (
            <li role="none">
              <button type="button" role="menuitem" tabIndex={-1} onClick={() => pick(onForward)}>
                Forward
              </button>
            </li>
          )}
          {message.text && (
            <li role="none">
              <button type="button" role="menuitem" tabIndex={-1} onClick={() => pick(() => void navigator.clipboard?.writeText(message.text).catch(() => undefined))}>
                Copy text
              </button>
            </li>
          )}
          {onInfo && (
            <li role="none">
              <button type="button" role="menuitem" tabIndex={-1} onClick={() => pick(onInfo)}>
                Message info
              </button>
            </li>
          )}
          {editable && (
            <li role="none">
              <button type="button" role="menuitem" tabIndex={-1} onClick={() => pick(onEdit)}>
                Edit
              </button>
            </li>
          )}
          <li role="none">
            <button type="button" role="menuitem" tabIndex={-1} class="danger" onClick={() => pick(onDelete)}>
              Delete
            </button>
          </li>
        </ul>
      )}
    </>
  );
}

/** Inline editor that replaces a bubble's text: Enter saves, Shift+Enter adds a line, Escape cancels. */
export function MessageEditor({
  client,
  message,
  onDone,
}: {
  client: ParleyClient;
  message: Message;
  onDone: () => void;
}) {
  const [text, setText] = useState(message.text);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  const tooLong = new TextEncoder().encode(text).length > 16384;

  // Focus and caret at the end in the same task that shows the editor (a layout effect), not
  // after the next paint: a selection or typing that comes first (a quick Ctrl+A, a busy
  // machine delaying the frame) must not be undone by a caret jumping to the end later.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.focus({ preventScroll: true });
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);

  async function save() {
    const t = text.trim();
    if (!t || tooLong || busy) return;
    if (t === message.text) {
      onDone();
      return;
    }
    setBusy(true);
    setError('');
    try {
      await client.editMessage(message.conversation_id, message.seq, t);
      onDone();
    } catch (e) {
      setError(changeErrorText(e instanceof ApiError ? e.code : 'internal', 'edit'));
      setBusy(false);
    }
  }

  return (
    <form
      class="msg-editor"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <label for={`edit-${message.seq}`} class="visually-hidden">
        Edit message
      </label>
      <textarea
        id={`edit-${message.seq}`}
        ref={ref}
        value={text}
        rows={2}
        aria-invalid={tooLong || undefined}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void save();
          } else if (e.key === 'Escape') {
            e.preventDefault();
            onDone();
          }
        }}
      />
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="msg-editor-actions">
        <button type="button" class="text-button small" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" class="primary small" disabled={busy || !text.trim() || tooLong}>
          Save
        </button>
      </div>
    </form>
  );
}

/** "Delete message?": for me (any message), for everyone (own messages within 48 hours). */
export function DeleteDialog({
  client,
  message,
  onClose,
}: {
  client: ParleyClient;
  message: Message;
  onClose: () => void;
}) {
  const me = client.session.user.id;
  const everyone = canDeleteForEveryone(message, me, Date.now()) && !client.store.conversation(message.conversation_id)?.left;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  async function run(scope: 'me' | 'everyone') {
    setBusy(true);
    setError('');
    try {
      await client.deleteMessage(message.conversation_id, message.seq, scope);
      onClose();
    } catch (e) {
      setError(changeErrorText(e instanceof ApiError ? e.code : 'internal', 'delete'));
      setBusy(false);
    }
  }

  return (
    <Modal labelledBy="delete-title" onClose={onClose}>
      <div class="sheet-form">
        <h2 id="delete-title">Delete message?</h2>
        <p class="muted small-pad">
          {everyone
            ? '"Delete for everyone" replaces it with "This message was deleted" for everyone in the chat.'
            : 'It will be removed from your devices only.'}
        </p>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="sheet-actions delete-actions">
          <button type="button" class="text-button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" class="danger-button small" disabled={busy} onClick={() => void run('me')}>
            Delete for me
          </button>
          {everyone && (
            <button type="button" class="danger-button small" disabled={busy} onClick={() => void run('everyone')}>
              Delete for everyone
            </button>
          )}
        </div>
      </div>
    </Modal>
  );
}

/** The one press in progress (a re-render during it must not lose its timer). */
let press: { timer: ReturnType<typeof setTimeout>; x: number; y: number } | null = null;

/** The press in progress opened the menu: its touchend must not turn into a click. */
let fired = false;

function cancelPress() {
  if (press) clearTimeout(press.timer);
  press = null;
}

/**
 * Touch handlers that call `fire` after a press of half a second without moving (browsers
 * that do not turn a long press into `contextmenu`, like Safari on iOS).
 */
export function longPress(fire: () => void) {
  return {
    onTouchStart: (e: TouchEvent) => {
      cancelPress();
      fired = false;
      if (e.touches.length !== 1) return;
      const t = e.touches[0];
      press = {
        x: t.clientX,
        y: t.clientY,
        timer: setTimeout(() => {
          press = null;
          fired = true;
          fire();
        }, 500),
      };
    },
    onTouchMove: (e: TouchEvent) => {
      const t = e.touches[0];
      if (press && t && Math.hypot(t.clientX - press.x, t.clientY - press.y) > 10) cancelPress();
    },
    onTouchEnd: (e: TouchEvent) => {
      // The finger lifting after the menu opened must not become a click (the browser's
      // compatibility mouse events), which would close the menu at once as an outside click.
      if (fired) e.preventDefault();
      fired = false;
      cancelPress();
    },
    onTouchCancel: () => {
      fired = false;
      cancelPress();
    },
  };
}
