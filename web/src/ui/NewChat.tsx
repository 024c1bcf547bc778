import { useEffect, useRef, useState } from 'preact/hooks';
import { isValidUsername, normalizeUsername } from '../core/format';
import { ApiError, type User } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { Avatar, GroupIcon } from './icons';
import { NewGroup } from './NewGroup';

export function NewChat({ client, onOpen }: { client: ParleyClient; onOpen: (id: number) => void }) {
  const [name, setName] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [creating, setCreating] = useState(false);
  const [suggestions, setSuggestions] = useState<User[]>([]);
  const [active, setActive] = useState(-1);
  const [listOpen, setListOpen] = useState(false);
  const query = useRef('');

  // Suggest people by username prefix while the user types (debounced).
  useEffect(() => {
    const prefix = normalizeUsername(name);
    query.current = prefix;
    if (!/^[a-z0-9_.]{1,32}$/.test(prefix)) {
      setSuggestions([]);
      setActive(-1);
      return;
    }
    const t = setTimeout(() => {
      client.searchUsers(prefix).then(
        (users) => {
          if (query.current !== prefix) return;
          setSuggestions(users);
          setActive(-1);
        },
        () => undefined, // offline: no suggestions, typing the whole name still works
      );
    }, 250);
    return () => clearTimeout(t);
  }, [name]);

  const shown = listOpen && suggestions.length > 0 && name.trim() !== '';

  function choose(u: User) {
    setName(u.username);
    setSuggestions([]);
    setActive(-1);
    void start(u.username);
  }

  function onKeyDown(e: KeyboardEvent) {
    if (!shown) {
      if (e.key === 'ArrowDown' && suggestions.length > 0) {
        e.preventDefault();
        setListOpen(true);
        setActive(0);
      }
      return;
    }
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((active + 1) % suggestions.length);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive(active <= 0 ? suggestions.length - 1 : active - 1);
    } else if (e.key === 'Enter' && active >= 0 && suggestions[active]) {
      e.preventDefault();
      choose(suggestions[active]);
    } else if (e.key === 'Escape') {
      e.preventDefault();
      setListOpen(false);
      setActive(-1);
    }
  }

  async function submit(e: Event) {
    e.preventDefault();
    await start(name);
  }

  async function start(typed: string) {
    const u = normalizeUsername(typed);
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
      setSuggestions([]);
      setListOpen(false);
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
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={shown}
        aria-controls="new-chat-suggestions"
        aria-activedescendant={shown && active >= 0 ? `suggestion-${suggestions[active]?.id}` : undefined}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? 'new-chat-error' : undefined}
        onInput={(e) => {
          setName(e.currentTarget.value);
          setListOpen(true);
        }}
        onKeyDown={onKeyDown}
        onFocus={() => setListOpen(true)}
        onBlur={() => setTimeout(() => setListOpen(false), 150)}
      />
      <button type="submit" class="primary small" disabled={busy || !name.trim()}>
        Chat
      </button>
      <ul id="new-chat-suggestions" role="listbox" aria-label="Suggested people" class="suggestions" hidden={!shown}>
        {shown &&
          suggestions.map((u, i) => (
            <li
              key={u.id}
              id={`suggestion-${u.id}`}
              role="option"
              aria-selected={i === active}
              class={`suggestion${i === active ? ' active' : ''}`}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => choose(u)}
            >
              <Avatar name={client.nameOf(u)} seed={`u${u.id}`} size={32} />
              <span class="person-main">
                <span class="person-name">{client.nameOf(u)}</span>
                <span class="person-sub">@{u.username}</span>
              </span>
            </li>
          ))}
      </ul>
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
