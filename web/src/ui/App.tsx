import { useState } from 'preact/hooks';
import type { Session } from '../platform/client';
import { AuthScreen } from './AuthScreen';
import { Messenger } from './Messenger';
import { loadSession, saveSession } from './session';

export function App() {
  const [session, setSession] = useState<Session | null>(loadSession);
  if (!session) {
    return (
      <AuthScreen
        onAuth={(s) => {
          saveSession(s);
          setSession(s);
        }}
      />
    );
  }
  return (
    <Messenger
      key={session.token}
      session={session}
      onSignedOut={() => {
        saveSession(null);
        history.replaceState(null, '', '/');
        setSession(null);
      }}
    />
  );
}
