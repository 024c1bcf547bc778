import { useEffect, useState } from 'preact/hooks';
import { normalizeUsername } from '../core/format';
import { ApiError, type AuthResult } from '../core/types';
import { deviceName, http } from '../platform/api';
import type { Session } from '../platform/client';
import { firstScreenShown } from './startup';

const MESSAGES: Record<string, string> = {
  invalid_credentials: 'Wrong username or password.',
  account_disabled: 'This account has been disabled by the server\'s operator.',
  username_taken: 'That username is taken. Try another one.',
  weak_password: 'That password is too easy to guess. Choose a longer, less common one.',
  rate_limited: 'Too many attempts. Wait a minute and try again.',
  network: 'The server cannot be reached. Check your connection.',
};

export function AuthScreen({ onAuth }: { onAuth: (s: Session) => void }) {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => firstScreenShown(), []);

  async function submit(e: Event) {
    e.preventDefault();
    setError('');
    setBusy(true);
    // A user gesture: the right moment to ask for notification permission.
    if ('Notification' in window && Notification.permission === 'default') void Notification.requestPermission().catch(() => undefined);
    const u = normalizeUsername(username);
    try {
      const r =
        mode === 'register'
          ? await http<AuthResult>('POST', '/register', { username: u, display_name: displayName.trim() || u, password, device_name: deviceName() })
          : await http<AuthResult>('POST', '/login', { username: u, password, device_name: deviceName() });
      onAuth({ token: r.token, user: r.user, session_id: r.session_id });
    } catch (err) {
      const code = err instanceof ApiError ? err.code : '';
      setError(MESSAGES[code] ?? (err instanceof Error ? err.message : 'Something went wrong.'));
    } finally {
      setBusy(false);
    }
  }

  // An error belongs to the tab it happened on: a wrong password says nothing about a new account.
  function switchTo(next: 'login' | 'register') {
    if (next !== mode) setError('');
    setMode(next);
  }

  const isReg = mode === 'register';
  return (
    <main class="auth">
      <div class="auth-card">
        <div class="brand">
          <img src="/icon.svg" alt="" width="48" height="48" />
          <h1>Parley</h1>
        </div>
        <div class="tabs" role="tablist" aria-label="Account">
          <button role="tab" id="tab-login" aria-controls="auth-panel" type="button" aria-selected={!isReg} class={!isReg ? 'active' : ''} onClick={() => switchTo('login')}>
            Log in
          </button>
          <button role="tab" id="tab-register" aria-controls="auth-panel" type="button" aria-selected={isReg} class={isReg ? 'active' : ''} onClick={() => switchTo('register')}>
            Create account
          </button>
        </div>
        <form id="auth-panel" role="tabpanel" aria-labelledby={isReg ? 'tab-register' : 'tab-login'} onSubmit={submit}>
          <label for="auth-username">Username</label>
          <input
            id="auth-username"
            name="username"
            autocomplete="username"
            autocapitalize="none"
            spellcheck={false}
            required
            minLength={3}
            maxLength={32}
            pattern="@?[A-Za-z][A-Za-z0-9_.]{2,31}"
            title="3 to 32 letters, digits, _ or ., starting with a letter"
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
          {isReg && (
            <>
              <label for="auth-display">Your name</label>
              <input
                id="auth-display"
                name="display_name"
                autocomplete="name"
                maxLength={64}
                value={displayName}
                onInput={(e) => setDisplayName(e.currentTarget.value)}
              />
            </>
          )}
          <label for="auth-password">Password</label>
          <input
            id="auth-password"
            name="password"
            type="password"
            autocomplete={isReg ? 'new-password' : 'current-password'}
            required
            minLength={8}
            maxLength={256}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          {error && (
            <p class="form-error" role="alert">
              {error}
            </p>
          )}
          <button class="primary" type="submit" disabled={busy}>
            {busy ? 'Please wait…' : isReg ? 'Create account' : 'Log in'}
          </button>
        </form>
      </div>
    </main>
  );
}
