import { useEffect, useState } from 'preact/hooks';
import { sortedRoster } from '../core/groups';
import type { Member, User } from '../core/types';
import type { ParleyClient } from '../platform/client';
import { Avatar } from './icons';
import { Modal } from './Modal';
import { errorText, MemberPicker } from './NewGroup';
import { SidePanel } from './SidePanel';

type Confirm = { type: 'leave' } | { type: 'remove'; member: Member } | null;

/**
 * Group info: name, description and members with their roles. Admins add and remove members,
 * make and dismiss admins, rename the group and change its description; everyone can leave.
 */
export function GroupInfo({ client, conversationId, onClose, onMedia }: { client: ParleyClient; conversationId: number; onClose: () => void; onMedia: () => void }) {
  const me = client.session.user.id;
  const conv = client.store.conversation(conversationId)!;
  const admin = conv.role === 'admin' && !conv.left;
  const roster = sortedRoster(conv.roster ?? [], me);
  const [editing, setEditing] = useState<'name' | 'description' | null>(null);
  const [value, setValue] = useState('');
  const [adding, setAdding] = useState(false);
  const [picked, setPicked] = useState<User[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [confirm, setConfirm] = useState<Confirm>(null);

  useEffect(() => {
    if (!conv.left) void client.refreshMembers(conversationId).catch(() => undefined);
  }, [conversationId]);

  async function run(action: () => Promise<void>, fallback: string): Promise<boolean> {
    setBusy(true);
    setError('');
    try {
      await action();
      return true;
    } catch (e) {
      setError(errorText(e, fallback));
      return false;
    } finally {
      setBusy(false);
    }
  }

  function startEdit(what: 'name' | 'description') {
    setEditing(what);
    setValue(what === 'name' ? (conv.name ?? '') : (conv.description ?? ''));
    setError('');
  }

  async function saveEdit(e: Event) {
    e.preventDefault();
    if (!editing) return;
    const v = value.trim();
    if (editing === 'name' && (!v || [...v].length > 100)) {
      setError('A group name has 1 to 100 characters.');
      return;
    }
    if (editing === 'description' && [...v].length > 512) {
      setError('A description has at most 512 characters.');
      return;
    }
    const ok = await run(() => client.updateGroup(conversationId, editing === 'name' ? { name: v } : { description: v }), 'Could not save.');
    if (ok) setEditing(null);
  }

  async function addPicked() {
    if (picked.length === 0) return;
    const ok = await run(() => client.addMembers(conversationId, picked.map((u) => u.username)), 'Could not add the members.');
    if (ok) {
      setPicked([]);
      setAdding(false);
    }
  }

  async function confirmed() {
    const c = confirm;
    setConfirm(null);
    if (!c) return;
    if (c.type === 'leave') await run(() => client.leaveGroup(conversationId), 'Could not leave the group.');
    else await run(() => client.removeMember(conversationId, c.member.user.id), 'Could not remove the member.');
  }

  const count = conv.left ? roster.length : (conv.member_count ?? roster.length);

  return (
    <SidePanel title="Group info" onClose={onClose}>
      <section class="group-head" aria-label="Group">
        <Avatar name={conv.name || 'Group'} seed={`c${conv.id}`} size={96} />
        {editing === 'name' ? (
          <form class="inline-edit" onSubmit={saveEdit}>
            <label for="group-name-input" class="visually-hidden">
              Group name
            </label>
            <input id="group-name-input" type="text" maxLength={100} value={value} onInput={(e) => setValue(e.currentTarget.value)} autoFocus />
            <button type="submit" class="primary small" disabled={busy || !value.trim()}>
              Save
            </button>
            <button type="button" class="text-button small" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </form>
        ) : (
          <div class="group-name-row">
            <h3 class="group-name">{conv.name}</h3>
            {admin && (
              <button type="button" class="text-button small" onClick={() => startEdit('name')} aria-label="Edit group name">
                Edit
              </button>
            )}
          </div>
        )}
        <p class="muted group-count">
          Group · {count} member{count === 1 ? '' : 's'}
        </p>
      </section>
      <section class="panel-section" aria-label="Shared in this group">
        <button type="button" class="media-entry" onClick={onMedia}>
          Media, links and docs
        </button>
      </section>

      <section class="panel-section" aria-labelledby="group-description-title">
        <div class="section-head">
          <h3 id="group-description-title" class="section-title">
            Description
          </h3>
          {admin && editing !== 'description' && (
            <button type="button" class="text-button small" onClick={() => startEdit('description')} aria-label="Edit group description">
              Edit
            </button>
          )}
        </div>
        {editing === 'description' ? (
          <form class="inline-edit column" onSubmit={saveEdit}>
            <label for="group-description-input" class="visually-hidden">
              Group description
            </label>
            <textarea id="group-description-input" rows={3} maxLength={512} value={value} onInput={(e) => setValue(e.currentTarget.value)} autoFocus />
            <div class="sheet-actions">
              <button type="button" class="text-button small" onClick={() => setEditing(null)}>
                Cancel
              </button>
              <button type="submit" class="primary small" disabled={busy}>
                Save
              </button>
            </div>
          </form>
        ) : (
          <p class={`group-description${conv.description ? '' : ' muted'}`}>{conv.description || 'No description'}</p>
        )}
      </section>

      {error && (
        <p class="form-error panel-error" role="alert">
          {error}
        </p>
      )}

      <section class="panel-section" aria-labelledby="group-members-title">
        <div class="section-head">
          <h3 id="group-members-title" class="section-title">
            {count} member{count === 1 ? '' : 's'}
          </h3>
          {admin && !adding && (
            <button type="button" class="text-button small" onClick={() => setAdding(true)}>
              Add members
            </button>
          )}
        </div>
        {admin && adding && (
          <div class="add-members">
            <MemberPicker client={client} picked={picked} onPick={setPicked} exclude={roster.map((m) => m.user.id)} idPrefix="add-members" />
            <div class="sheet-actions">
              <button
                type="button"
                class="text-button small"
                onClick={() => {
                  setAdding(false);
                  setPicked([]);
                }}
              >
                Cancel
              </button>
              <button type="button" class="primary small" disabled={busy || picked.length === 0} onClick={addPicked}>
                Add to group
              </button>
            </div>
          </div>
        )}
        {roster.length === 0 && !conv.left && (
          <p class="muted small-pad" role="status">
            Loading members…
          </p>
        )}
        <ul class="people" aria-label="Members">
          {roster.map((m) => {
            const self = m.user.id === me;
            const isAdmin = m.role === 'admin';
            return (
              <li key={m.user.id} class="person" data-user={m.user.username}>
                <Avatar name={m.user.display_name} seed={`u${m.user.id}`} size={40} />
                <span class="person-main">
                  <span class="person-name">{self ? 'You' : m.user.display_name}</span>
                  <span class="person-sub">@{m.user.username}</span>
                </span>
                {isAdmin && <span class="role-badge">Group admin</span>}
                {admin && !self && (
                  <span class="person-actions">
                    <button
                      type="button"
                      class="text-button small"
                      disabled={busy}
                      onClick={() => void run(() => client.setRole(conversationId, m.user.id, isAdmin ? 'member' : 'admin'), 'Could not change the role.')}
                      aria-label={isAdmin ? `Dismiss as admin: ${m.user.display_name}` : `Make admin: ${m.user.display_name}`}
                    >
                      {isAdmin ? 'Dismiss as admin' : 'Make admin'}
                    </button>
                    <button
                      type="button"
                      class="text-button small danger"
                      disabled={busy}
                      onClick={() => setConfirm({ type: 'remove', member: m })}
                      aria-label={`Remove ${m.user.display_name}`}
                    >
                      Remove
                    </button>
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      </section>

      <section class="panel-section">
        {conv.left ? (
          <p class="muted small-pad" role="note">
            You're no longer a member of this group.
          </p>
        ) : (
          <button type="button" class="danger-button" disabled={busy} onClick={() => setConfirm({ type: 'leave' })}>
            Leave group
          </button>
        )}
      </section>

      {confirm && (
        <Modal labelledBy="confirm-title" onClose={() => setConfirm(null)}>
          <div class="sheet-form">
            <h2 id="confirm-title">
              {confirm.type === 'leave' ? `Leave "${conv.name}"?` : `Remove ${confirm.member.user.display_name} from "${conv.name}"?`}
            </h2>
            {confirm.type === 'leave' && <p class="muted">You will keep the messages so far, but you won't get new ones.</p>}
            <div class="sheet-actions">
              <button type="button" class="text-button" onClick={() => setConfirm(null)} autoFocus>
                Cancel
              </button>
              <button type="button" class="danger-button small" onClick={confirmed}>
                {confirm.type === 'leave' ? 'Leave' : 'Remove'}
              </button>
            </div>
          </div>
        </Modal>
      )}
    </SidePanel>
  );
}
