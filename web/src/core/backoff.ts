/**
 * Reconnect / retry delay: exponential from `base` doubling up to `max`, each wait
 * randomised by +-50% (jitter) so that many clients do not reconnect in lockstep.
 */
export interface BackoffOptions {
  base?: number;
  max?: number;
  random?: () => number;
}

export function backoffDelay(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.base ?? 500;
  const max = opts.max ?? 30_000;
  const random = opts.random ?? Math.random;
  const exp = Math.min(max, base * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.round(exp * (0.5 + random()));
}
