/**
 * Spaces messages evenly: at most `perSecond` starts in any one-second window, over every
 * connection together. nodemailer's own `rateLimit` counts per pool but lets each connection
 * finish its current message and releases waiting connections all at once, so with several
 * connections it overshoots; this sits in front of it instead.
 */
export interface RateLimiter {
  /** Resolves when the next message may start. Rejects with the signal's reason when aborted. */
  acquire(signal?: AbortSignal): Promise<void>;
}

/**
 * The pure part: given the earliest time the next message may start and the time now, when this
 * one starts and when the one after it may. `interval` = 1000 / perSecond ms. No bursts: a
 * limiter that was idle starts at once, then one message per interval.
 */
export function nextSlot(nextFree: number, now: number, interval: number): { start: number; nextFree: number } {
  const start = Math.max(nextFree, now);
  return { start, nextFree: start + interval };
}

export function createRateLimiter(options: {
  perSecond: number;
  /** @default Date.now — injected in tests. */
  now?: () => number;
  /** @default a setTimeout-based sleep — injected in tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}): RateLimiter {
  if (!(options.perSecond > 0)) return { acquire: () => Promise.resolve() };
  const interval = 1000 / options.perSecond;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  let nextFree = Number.NEGATIVE_INFINITY;
  return {
    async acquire(signal) {
      signal?.throwIfAborted();
      const slot = nextSlot(nextFree, now(), interval);
      nextFree = slot.nextFree;
      const wait = slot.start - now();
      if (wait > 0) await sleep(wait, signal);
    },
  };
}

/** setTimeout as a promise that an AbortSignal cuts short (rejecting with its reason). */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
