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

/** Renders the call screens once the calls module is in. */
export function CallHost({ client }: { client: ParleyClient }) {
  const [Layer, setLayer] = useState<ComponentType<{ client: ParleyClient }> | null>(null);
  useEffect(() => {
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
  }, [client]);
  return Layer ? <Layer client={client} /> : null;
}
