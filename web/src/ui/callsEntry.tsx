import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { CallMedia } from '../core/calls';
import type { ParleyClient } from '../platform/client';

/**
 * The door to the calls module (call screens, WebRTC, ring), which is a chunk of its own so
 * the first screen does not carry it: it loads once the app is up (so an incoming call can
 * ring at once) or when the user calls, whichever comes first.
 */
type CallsModule = typeof import('./CallScreen');

let loading: Promise<CallsModule> | null = null;

export function loadCalls(): Promise<CallsModule> {
  loading ??= import('./CallScreen').catch((e) => {
    loading = null; // offline before the chunk was cached: try again next time
    throw e;
  });
  return loading;
}

/** Calls the other member of a direct conversation. */
export function startCall(client: ParleyClient, conversationId: number, peerId: number, media: CallMedia): void {
  void loadCalls().then(
    (m) => m.controllerFor(client).start(conversationId, peerId, media),
    () => undefined,
  );
}

/** The calls module loads this long after the app started at the latest, even without a sync done. */
const CALLS_LOAD_LATEST_MS = 10_000;

/**
 * Renders the call screens once the calls module is in. It is loaded once the first sync is
 * done (or CALLS_LOAD_LATEST_MS after start): before that it would take the main thread from
 * drawing the chat list. Call events that arrive meanwhile wait in the client.
 */
export function CallHost({ client }: { client: ParleyClient }) {
  const [Layer, setLayer] = useState<ComponentType<{ client: ParleyClient }> | null>(null);
  const [late, setLate] = useState(false);
  const due = late || (client.connState === 'online' && !client.syncing);
  useEffect(() => {
    const t = setTimeout(() => setLate(true), CALLS_LOAD_LATEST_MS);
    return () => clearTimeout(t);
  }, [client]);
  useEffect(() => {
    if (!due) return;
    let live = true;
    const load = () =>
      loadCalls().then(
        (m) => live && setLayer(() => m.CallLayer),
        () => live && setTimeout(load, 30_000),
      );
    void load();
    return () => {
      live = false;
    };
  }, [client, due]);
  return Layer ? <Layer client={client} /> : null;
}
