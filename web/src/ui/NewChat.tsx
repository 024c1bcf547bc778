import { useState } from 'preact/hooks';
import { isValidUsername, normalizeUsername } from '../core/format';
import { ApiError } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { GroupIcon } from './icons';
import { NewGroup } from './NewGroup';

export function NewChat({ client, onOpen }: { client: ParleyClient; onOpen: (id: number) => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [creating, setCreating] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    const u = normalizeUsername(name);
    setError('');
    if (!isValidUsername(u)) {
      setError('Usernames have 3 to 32 letters, digits, _ or ., starting with a letter.');
      return;
    }
    if (u === client.session.user.username) {
      setError('That is you. Type someone else’s username.');
      return;
    }
    setBusy(true);
    try {
      const id = await client.startChat(u);
      setName('');
      onOpen(id);
    } catch (err) {
      const code = err instanceof ApiError ? err.code : '';
      setError(
        code === 'not_found'
          ? `No user named “${u}”.`
          : code === 'network'
            ? 'You are offline. New chats can be started when the connection returns.'
            : err instanceof Error
              ? err.message
              : 'Could not start the chat.',
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
    <form class="new-chat" onSubmit={submit} role="search" aria-label="Start a chat">
      <label for="new-chat-user" class="visually-hidden">
        Start a chat with username
      </label>
      <input
        id="new-chat-user"
        type="text"
        placeholder="Start a chat: type a username"
        autocomplete="off"
        autocapitalize="none"
        spellcheck={false}
        value={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'new-chat-error' : undefined}
        onInput={(e) => setName(e.currentTarget.value)}
      />
      <button type="submit" class="primary small" disabled={busy || !name.trim()}>
        Chat
      </button>
      {error && (
        <p id="new-chat-error" class="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
    <button type="button" class="new-group-row" onClick={() => setCreating(true)} aria-haspopup="dialog">
      <span class="new-group-icon" aria-hidden="true">
        <GroupIcon />
      </span>
      New group
    </button>
    {creating && <NewGroup client={client} onClose={() => setCreating(false)} onOpen={onOpen} />}
    </>
  );
}
