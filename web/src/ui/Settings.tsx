import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { ApiError, type User } from '../core/types';
import type { GroupsAdd, ParleyClient } from '../platform/client';
import { BlockDialog, ContactDialog } from './ContactDialog';
import { DeleteAccountDialog } from './DeleteAccount';
import { NotificationSettings } from './NotificationSettings';
import { Avatar, BackIcon } from './icons';
import { loadTheme, saveTheme, type Theme } from './theme';
import { relayOnly, setRelayOnly } from '../platform/callprefs';

function errorText(err: unknown): string {
  if (err instanceof ApiError && err.code === 'network') return 'You are offline. Try again when the connection returns.';
  return err instanceof Error ? err.message : 'That did not work.';
}

/**
 * Settings, in place of the chat list (as in WhatsApp's drawer): privacy ("Hide my last
 * seen", who can add me to groups), contacts with their nicknames (rename, remove, message) and blocked users (unblock).
 */
export function Settings({
  client,
  onClose,
  onOpenChat,
  onAccountDeleted,
}: {
  client: ParleyClient;
  onClose: () => void;
  onOpenChat: (id: number) => void;
  onAccountDeleted: () => void;
}) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [theme, setTheme] = useState<Theme>(loadTheme);
  const [relay, setRelay] = useState(() => relayOnly(client.session.user.id));
  /** The switch's new position while the change is being saved. */
  const [hidePending, setHidePending] = useState<boolean | undefined>(undefined);
  const [editing, setEditing] = useState<User | null>(null);
  const [unblocking, setUnblocking] = useState<User | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [exporting, setExporting] = useState(false);

  async function exportData() {
    setExporting(true);
    setError('');
    try {
      const blob = await client.exportData();
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = 'parley-export.zip';
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (e) {
      setError(e instanceof ApiError && e.code === 'rate_limited' ? 'You exported recently. Try again later.' : errorText(e));
    } finally {
      setExporting(false);
    }
  }

  // The heading takes the focus in the task that shows the panel (see SidePanel).
  useLayoutEffect(() => {
    headingRef.current?.focus({ preventScroll: true });
  }, []);
  useEffect(() => {
    // Fresh lists when the panel opens (the cached ones show meanwhile).
    void Promise.allSettled([client.loadContacts(), client.loadBlocks(), client.loadPrivacy()]);
  }, []);

  async function toggleHide(hide: boolean) {
    setBusy(true);
    setHidePending(hide);
    setError('');
    try {
      await client.setHideLastSeen(hide);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
      setHidePending(undefined);
    }
  }

  async function changeGroupsAdd(value: GroupsAdd) {
    setError('');
    try {
      await client.setGroupsAdd(value);
    } catch (e) {
      setError(errorText(e));
    }
  }

  async function remove(userId: number) {
    setError('');
    try {
      await client.removeContact(userId);
    } catch (e) {
      setError(errorText(e));
    }
  }

  async function message(u: User) {
    setError('');
    try {
      const id = await client.startChat(u.username);
      onOpenChat(id);
    } catch (e) {
      setError(errorText(e));
    }
  }

  const contacts = client.contactList();

  return (
    <section
      class="settings"
      aria-labelledby="settings-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && !(e.target instanceof HTMLElement && e.target.closest('dialog'))) {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <header class="bar panel-bar">
        <button type="button" class="icon-button" onClick={onClose} aria-label="Close settings">
          <BackIcon />
        </button>
        <h2 id="settings-title" ref={headingRef} tabIndex={-1}>
          Settings
        </h2>
      </header>
      <div class="panel-body">
        {error && (
          <p class="form-error panel-error" role="alert">
            {error}
          </p>
        )}
        <section class="panel-section" aria-labelledby="appearance-title">
          <h3 class="section-title" id="appearance-title">
            Appearance
          </h3>
          <label class="switch-row">
            <span>Theme</span>
            <select
              value={theme}
              onChange={(e) => {
                const t = e.currentTarget.value as Theme;
                setTheme(t);
                saveTheme(t);
              }}
            >
              <option value="system">Same as the system</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
        </section>
        <NotificationSettings token={client.session.token} userId={client.session.user.id} />
        <section class="panel-section" aria-labelledby="privacy-title">
          <h3 class="section-title" id="privacy-title">
            Privacy
          </h3>
          <label class="switch-row">
            <input
              type="checkbox"
              role="switch"
              checked={hidePending ?? !!client.hideLastSeen}
              disabled={client.hideLastSeen === undefined}
              aria-busy={busy || undefined}
              aria-describedby="hide-last-seen-help"
              onChange={(e) => {
                if (!busy) void toggleHide(e.currentTarget.checked);
              }}
            />
            <span>Hide my last seen</span>
          </label>
          <p id="hide-last-seen-help" class="muted small-pad">
            Nobody sees when you were last online, and you don't see theirs. Whether you are online now still shows.
          </p>
          <label class="switch-row">
            <span>Who can add me to groups</span>
            <select
              value={client.groupsAdd ?? 'everyone'}
              disabled={client.groupsAdd === undefined}
              onChange={(e) => void changeGroupsAdd(e.currentTarget.value as GroupsAdd)}
            >
              <option value="everyone">Everyone</option>
              <option value="contacts">My contacts</option>
              <option value="nobody">Nobody</option>
            </select>
          </label>
          <label class="switch-row">
            <input
              type="checkbox"
              role="switch"
              checked={relay}
              aria-describedby="relay-calls-help"
              onChange={(e) => {
                setRelayOnly(client.session.user.id, e.currentTarget.checked);
                setRelay(e.currentTarget.checked);
              }}
            />
            <span>Protect IP address in calls</span>
          </label>
          <p id="relay-calls-help" class="muted small-pad">
            Calls on this device go through Parley's server, so the other person can't see your IP address. Call quality may be lower.
          </p>
        </section>
        <section class="panel-section" aria-labelledby="contacts-title">
          <h3 class="section-title" id="contacts-title">
            Contacts
          </h3>
          {contacts.length === 0 ? (
            <p class="muted small-pad">No contacts yet. Add someone from a chat's menu.</p>
          ) : (
            <ul class="people" aria-labelledby="contacts-title">
              {contacts.map((c) => (
                <li class="person contact" key={c.user.id} data-user={c.user.id}>
                  <Avatar name={client.nameOf(c.user)} seed={`u${c.user.id}`} size={36} />
                  <span class="person-main">
                    <span class="person-name">{client.nameOf(c.user)}</span>
                    <span class="person-sub">
                      {c.nickname?.trim() ? `${c.user.display_name} · ` : ''}@{c.user.username}
                    </span>
                  </span>
                  <span class="person-actions">
                    <button type="button" class="text-button small" onClick={() => void message(c.user)} aria-label={`Message ${client.nameOf(c.user)}`}>
                      Message
                    </button>
                    <button type="button" class="text-button small" onClick={() => setEditing(c.user)} aria-label={`Rename ${client.nameOf(c.user)}`}>
                      Rename
                    </button>
                    <button type="button" class="text-button small danger" onClick={() => void remove(c.user.id)} aria-label={`Remove ${client.nameOf(c.user)} from contacts`}>
                      Remove
                    </button>
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section class="panel-section" aria-labelledby="blocked-title">
          <h3 class="section-title" id="blocked-title">
            Blocked
          </h3>
          {client.blocked.length === 0 ? (
            <p class="muted small-pad">You have not blocked anyone.</p>
          ) : (
            <ul class="people" aria-labelledby="blocked-title">
              {client.blocked.map((u) => (
                <li class="person blocked" key={u.id} data-user={u.id}>
                  <Avatar name={client.nameOf(u)} seed={`u${u.id}`} size={36} />
                  <span class="person-main">
                    <span class="person-name">{client.nameOf(u)}</span>
                    <span class="person-sub">@{u.username}</span>
                  </span>
                  <span class="person-actions">
                    <button type="button" class="text-button small" onClick={() => setUnblocking(u)} aria-label={`Unblock ${client.nameOf(u)}`}>
                      Unblock
                    </button>
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section class="panel-section" aria-labelledby="account-title">
          <h3 class="section-title" id="account-title">
            Account
          </h3>
          <p class="muted small-pad">
            Signed in as @{client.session.user.username}.
          </p>
          <button type="button" class="text-button" onClick={() => void exportData()} disabled={exporting} aria-busy={exporting || undefined}>
            {exporting ? 'Preparing your data…' : 'Export my data'}
          </button>
          <button type="button" class="text-button danger" onClick={() => setDeleting(true)}>
            Delete account
          </button>
        </section>
      </div>
      {deleting && <DeleteAccountDialog client={client} onClose={() => setDeleting(false)} onDeleted={onAccountDeleted} />}
      {editing && <ContactDialog client={client} user={editing} onClose={() => setEditing(null)} />}
      {unblocking && <BlockDialog client={client} user={unblocking} unblock onClose={() => setUnblocking(null)} />}
    </section>
  );
}
