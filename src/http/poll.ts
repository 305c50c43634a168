import { abortError, defaultSleep, type Sleep } from './retry';

export interface PollOptions<T> {
  /** Reads the current state. Errors propagate: retrying transient ones is the HTTP pipeline's job. */
  read: () => Promise<T>;
  done: (state: T) => boolean;
  /** Called with each state read, before deciding whether to go on. */
  onState?: (state: T) => void | Promise<void>;
  /** Delay before the n-th re-read (n starts at 1). */
  interval: (n: number) => number;
  /** Give up after this many milliseconds; undefined or 0 = never. */
  timeoutMs?: number;
  signal?: AbortSignal;
  sleep?: Sleep;
  now?: () => number;
}

export type PollResult<T> = { state: T; timedOut: false } | { state: T; timedOut: true };

/** Re-reads a remote state until it is done, the time is up, or the signal aborts (which rejects). */
export async function pollUntil<T>(o: PollOptions<T>): Promise<PollResult<T>> {
  const sleep = o.sleep ?? defaultSleep;
  const now = o.now ?? Date.now;
  const started = now();
  for (let n = 1; ; n++) {
    if (o.signal?.aborted) throw abortError();
    const state = await o.read();
    await o.onState?.(state);
    if (o.done(state)) return { state, timedOut: false };
    let delay = o.interval(n);
    if (o.timeoutMs) {
      const left = started + o.timeoutMs - now();
      if (left <= 0) return { state, timedOut: true };
      delay = Math.min(delay, left);
    }
    await sleep(delay, o.signal);
  }
}

/**
 * Polling interval that starts quick (jobs often fail in their first seconds) and settles at a slow
 * pace for long runs, so an hours-long training does not hammer the service.
 */
export function adaptiveInterval(minMs = 2_000, maxMs = 30_000, growthPerPoll = 1.3): (n: number) => number {
  return (n) => Math.min(maxMs, Math.round(minMs * growthPerPoll ** (n - 1)));
}
