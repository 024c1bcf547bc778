import { useRef, useState } from 'preact/hooks';
import { isValidUsername, normalizeUsername } from '../core/format';
import { ApiError, type User } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { Avatar } from './icons';
import { Modal } from './Modal';

export function errorText(err: unknown, fallback: string): string {
  const code = err instanceof ApiError ? err.code : '';
  if (code === 'network') return 'You are offline. Try again when the connection returns.';
  if (code === 'forbidden') return 'Only group admins can do that.';
  if (code === 'group_full') return 'The group is full.';
  if (code === 'not_found') return 'This group or user no longer exists, or you are no longer a member.';
  return err instanceof Error && err.message ? err.message : fallback;
}

/**
 * Field that adds people by username, checking each one with GET /users/{username}.
 * Used by "New group" and by "Add members" in the group info.
 */
export function MemberPicker({
  client,
  picked,
  onPick,
  exclude = [],
  idPrefix,
}: {
  client: ParleyClient;
  picked: User[];
  /** Receives an update of the list, never a copy of it: two lookups may finish in either order. */
  onPick: (update: (users: User[]) => User[]) => void;
  exclude?: number[];
  idPrefix: string;
}) {
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);

  async function add() {
    const u = normalizeUsername(name);
    setError('');
    if (!u) return;
    if (!isValidUsername(u)) {
      setError('Usernames have 3 to 32 letters, digits, _ or ., starting with a letter.');
      return;
    }
    if (u === client.session.user.username) {
      setError('You are in the group already.');
      return;
    }
    if (picked.some((p) => p.username === u)) {
      setError(`${u} is on the list already.`);
      return;
    }
    setBusy(true);
    try {
      const user = await client.lookupUser(u);
      if (exclude.includes(user.id)) {
        setError(`${user.display_name} is in the group already.`);
        return;
      }
      onPick((cur) => (cur.some((p) => p.id === user.id) ? cur : [...cur, user]));
      // Keep whatever was typed while the lookup ran.
      setName((cur) => (normalizeUsername(cur) === u ? '' : cur));
    } catch (err) {
      setError(err instanceof ApiError && err.code === 'not_found' ? `No user named “${u}”.` : errorText(err, 'Could not look up that user.'));
    } finally {
      setBusy(false);
      inputRef.current?.focus();
    }
  }

  return (
    <div class="picker">
      <label for={`${idPrefix}-user`}>Add members by username</label>
      <div class="picker-row">
        <input
          id={`${idPrefix}-user`}
          ref={inputRef}
          type="text"
          placeholder="Username"
          autocomplete="off"
          autocapitalize="none"
          spellcheck={false}
          value={name}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${idPrefix}-error` : undefined}
          onInput={(e) => setName(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              void add();
            }
          }}
        />
        <button type="button" class="secondary small" onClick={add} disabled={busy || !name.trim()}>
          Add
        </button>
      </div>
      {error && (
        <p id={`${idPrefix}-error`} class="form-error" role="alert">
          {error}
        </p>
      )}
      {picked.length > 0 && (
        <ul class="chips" aria-label="People to add">
          {picked.map((u) => (
            <li key={u.id} class="chip">
              <Avatar name={u.display_name} seed={`u${u.id}`} size={24} />
              <span>{u.display_name}</span>
              <button
                type="button"
                class="chip-remove"
                aria-label={`Remove ${u.display_name}`}
                onClick={() => {
                  onPick((cur) => cur.filter((p) => p.id !== u.id));
                  inputRef.current?.focus();
                }}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function NewGroup({ client, onClose, onOpen }: { client: ParleyClient; onClose: () => void; onOpen: (id: number) => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [members, setMembers] = useState<User[]>([]);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setError('');
    const n = name.trim();
    if (!n || [...n].length > 100) {
      setError('A group name has 1 to 100 characters.');
      return;
    }
    if ([...description].length > 512) {
      setError('A description has at most 512 characters.');
      return;
    }
    setBusy(true);
    try {
      const id = await client.createGroup(n, description.trim(), members.map((m) => m.username));
      onClose();
      onOpen(id);
    } catch (err) {
      setError(errorText(err, 'Could not create the group.'));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal labelledBy="new-group-title" onClose={onClose}>
      <form class="sheet-form" onSubmit={submit} aria-describedby={error ? 'new-group-error' : undefined}>
        <h2 id="new-group-title">New group</h2>
        <label for="new-group-name">Group name</label>
        <input id="new-group-name" type="text" maxLength={100} required value={name} onInput={(e) => setName(e.currentTarget.value)} autoFocus />
        <label for="new-group-description">
          Description <span class="muted">(optional)</span>
        </label>
        <textarea id="new-group-description" rows={2} maxLength={512} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        <MemberPicker client={client} picked={members} onPick={setMembers} idPrefix="new-group" />
        {error && (
          <p id="new-group-error" class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="sheet-actions">
          <button type="button" class="text-button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={busy || !name.trim()}>
            Create group
          </button>
        </div>
      </form>
    </Modal>
  );
}
