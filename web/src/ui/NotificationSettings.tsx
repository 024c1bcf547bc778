import { useEffect, useState } from 'preact/hooks';
import { disablePush, enablePush, loadPreview, pushOn, pushSupported, savePreview, type Preview } from '../platform/push';

/**
 * Settings › Notifications: the opt-in for pushes on this device (the browser asks for
 * permission only when the switch is turned on) and what a push shows, for all devices.
 */
export function NotificationSettings({ token, userId }: { token: string; userId: number }) {
  const [on, setOn] = useState(() => pushOn(userId));
  const [busy, setBusy] = useState(false);
  const [preview, setPreview] = useState<Preview | undefined>(undefined);
  const [error, setError] = useState('');

  useEffect(() => {
    void loadPreview(token).then(setPreview, () => undefined);
  }, [token]);

  async function toggle(want: boolean) {
    setBusy(true);
    setError('');
    try {
      if (want) await enablePush(token, userId);
      else await disablePush(token, userId);
      setOn(want);
    } catch (e) {
      setError(e instanceof Error ? e.message : 'That did not work.');
      setOn(pushOn(userId));
    } finally {
      setBusy(false);
    }
  }

  async function changePreview(p: Preview) {
    setError('');
    try {
      setPreview(await savePreview(token, p));
    } catch (e) {
      setError(e instanceof Error ? e.message : 'That did not work.');
    }
  }

  return (
    <section class="panel-section" aria-labelledby="notifications-title">
      <h3 class="section-title" id="notifications-title">
        Notifications
      </h3>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <label class="switch-row">
        <input
          type="checkbox"
          role="switch"
          checked={on}
          disabled={!pushSupported() || busy}
          aria-busy={busy || undefined}
          aria-describedby="push-help"
          onChange={(e) => void toggle(e.currentTarget.checked)}
        />
        <span>Notifications on this device</span>
      </label>
      <p id="push-help" class="muted small-pad">
        {pushSupported()
          ? 'New messages notify you while Parley is closed. Muted chats stay quiet.'
          : 'This browser cannot receive notifications from Parley (it needs a secure connection and push support).'}
      </p>
      <label class="switch-row">
        <span>Notifications show</span>
        <select value={preview ?? 'full'} disabled={preview === undefined} onChange={(e) => void changePreview(e.currentTarget.value as Preview)}>
          <option value="full">Sender and message</option>
          <option value="hidden">Only "New message"</option>
        </select>
      </label>
    </section>
  );
}
