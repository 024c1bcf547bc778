import { useState } from 'preact/hooks';
import { ApiError } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { Modal } from './Modal';

function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'invalid_credentials') return 'That is not your password.';
    if (err.code === 'rate_limited') return 'Too many attempts. Wait a minute and try again.';
    if (err.code === 'network') return 'You are offline. Try again when the connection returns.';
  }
  return err instanceof Error ? err.message : 'That did not work.';
}

/**
 * "Delete account": a confirmation that says what goes and what stays, and asks for the
 * password again. On success the user is signed out on this device (and every other).
 */
export function DeleteAccountDialog({ client, onClose, onDeleted }: { client: ParleyClient; onClose: () => void; onDeleted: () => void }) {
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  async function submit(e: Event) {
    e.preventDefault();
    if (busy || !password) return;
    setBusy(true);
    setError('');
    try {
      await client.deleteAccount(password);
      onDeleted();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }

  return (
    <Modal labelledBy="delete-account-title" onClose={onClose}>
      <form class="sheet-form" onSubmit={submit}>
        <h2 id="delete-account-title">Delete your account?</h2>
        <p id="delete-account-help" class="muted small-pad">
          This cannot be undone. You leave your groups, your profile, contacts and blocks are erased and every device is
          signed out. Messages you sent stay with the people who received them, shown as from "Deleted account". Your
          username stays reserved.
        </p>
        <label for="delete-account-password">Your password</label>
        <input
          id="delete-account-password"
          type="password"
          autoComplete="current-password"
          value={password}
          autoFocus
          required
          aria-describedby="delete-account-help"
          aria-invalid={error ? true : undefined}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="sheet-actions">
          <button type="button" class="text-button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary small danger" disabled={busy || !password} aria-busy={busy || undefined}>
            Delete account
          </button>
        </div>
      </form>
    </Modal>
  );
}
