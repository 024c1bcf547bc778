import { useState } from 'preact/hooks';
import { ApiError, type User } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { Modal } from './Modal';

/** Adds a user to the contacts, or renames a contact: the nickname only this user sees. */
export function ContactDialog({ client, user, onClose }: { client: ParleyClient; user: User; onClose: () => void }) {
  const existing = client.contacts.get(user.id);
  const [nickname, setNickname] = useState(existing?.nickname ?? user.display_name);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  async function save(e: Event) {
    e.preventDefault();
    const n = nickname.trim();
    if ([...n].length > 64) {
      setError('A nickname has at most 64 characters.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      await client.saveContact(user, n);
      onClose();
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'network'
          ? 'You are offline. Try again when the connection returns.'
          : err instanceof Error
            ? err.message
            : 'Could not save the contact.',
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal labelledBy="contact-title" onClose={onClose}>
      <form class="sheet-form" onSubmit={save}>
        <h2 id="contact-title">{existing ? 'Edit contact' : 'Add to contacts'}</h2>
        <p class="muted small-pad">
          {user.display_name} · @{user.username}
        </p>
        <label for="contact-nickname">Nickname</label>
        <input
          id="contact-nickname"
          type="text"
          value={nickname}
          maxLength={64}
          autoFocus
          aria-describedby="contact-nickname-help"
          onInput={(e) => setNickname(e.currentTarget.value)}
        />
        <p id="contact-nickname-help" class="muted small-pad">
          Only you see it. Leave it empty to use their own name.
        </p>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="sheet-actions">
          <button type="button" class="text-button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary small" disabled={busy}>
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** "Block X?" / "Unblock X?" confirmation. */
export function BlockDialog({
  client,
  user,
  unblock,
  onClose,
}: {
  client: ParleyClient;
  user: User;
  unblock: boolean;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const name = client.nameOf(user);

  async function confirm() {
    setBusy(true);
    setError('');
    try {
      if (unblock) await client.unblock(user.id);
      else await client.block(user);
      onClose();
    } catch (err) {
      setError(
        err instanceof ApiError && err.code === 'network'
          ? 'You are offline. Try again when the connection returns.'
          : err instanceof Error
            ? err.message
            : 'That did not work.',
      );
      setBusy(false);
    }
  }

  return (
    <Modal labelledBy="block-title" onClose={onClose}>
      <div class="sheet-form">
        <h2 id="block-title">{unblock ? `Unblock ${name}?` : `Block ${name}?`}</h2>
        <p class="muted">
          {unblock
            ? 'They will be able to message you and see your online status again.'
            : "Blocked contacts can no longer message you or see when you're online. They will not be told."}
        </p>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="sheet-actions">
          <button type="button" class="text-button" onClick={onClose} autoFocus>
            Cancel
          </button>
          <button type="button" class={unblock ? 'primary small' : 'danger-button small'} onClick={confirm} disabled={busy}>
            {unblock ? 'Unblock' : 'Block'}
          </button>
        </div>
      </div>
    </Modal>
  );
}
