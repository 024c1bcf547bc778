/**
 * Call settings kept on this device. "Protect IP address in calls": media goes only through
 * the server's TURN relay (iceTransportPolicy "relay"), so the other person never learns this
 * device's address, at some cost in quality.
 */
const key = (userId: number) => `parley.calls.relay.${userId}`;

export function relayOnly(userId: number): boolean {
  try {
    return localStorage.getItem(key(userId)) === '1';
  } catch {
    return false;
  }
}

export function setRelayOnly(userId: number, on: boolean): void {
  try {
    if (on) localStorage.setItem(key(userId), '1');
    else localStorage.removeItem(key(userId));
  } catch {
    /* storage unavailable: the setting lasts until reload */
  }
}
