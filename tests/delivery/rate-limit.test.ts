import { afterEach, describe, expect, it } from 'vitest';
import { createRateLimiter, createSmtpTransport, nextSlot, type OutgoingMessage } from '../../src/delivery/index.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';

/**
 * Virtual time: `sleep` registers a timer; `run` fires the earliest timer (moving the clock to it)
 * whenever everything else is waiting, until the work is done. Concurrent sleepers overlap, as
 * they do in real time.
 */
function virtualTime() {
  let now = 1_000_000;
  const timers: { at: number; resolve: () => void }[] = [];
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    now: () => now,
    sleep: (ms: number) => new Promise<void>((resolve) => timers.push({ at: now + ms, resolve })),
    advance: (ms: number) => (now += ms),
    async run<T>(work: Promise<T>): Promise<T> {
      let done = false;
      const result = work.finally(() => (done = true));
      for (;;) {
        await settle();
        if (done) return result;
        timers.sort((a, b) => a.at - b.at);
        const next = timers.shift();
        if (next === undefined) continue;
        now = Math.max(now, next.at);
        next.resolve();
      }
    },
  };
}

describe('rate limiter (pure, injected clock)', () => {
  it('nextSlot spaces starts by the interval and never schedules in the past', () => {
    expect(nextSlot(Number.NEGATIVE_INFINITY, 100, 50)).toEqual({ start: 100, nextFree: 150 });
    expect(nextSlot(150, 120, 50)).toEqual({ start: 150, nextFree: 200 });
    expect(nextSlot(150, 400, 50)).toEqual({ start: 400, nextFree: 450 });
  });

  it('never lets more than perSecond messages start in any one-second window, over concurrent callers', async () => {
    const clock = virtualTime();
    const limiter = createRateLimiter({ perSecond: 7, now: clock.now, sleep: clock.sleep });
    const starts: number[] = [];
    // Three "connections" asking at once, 10 messages each.
    const work = Promise.all(
      [0, 1, 2].map(async () => {
        for (let i = 0; i < 10; i++) {
          await limiter.acquire();
          starts.push(clock.now());
        }
      }),
    );
    await clock.run(work);
    starts.sort((a, b) => a - b);
    expect(starts).toHaveLength(30);
    // 30 messages at 7/s: the last starts about 29/7 s after the first, not earlier.
    expect((starts.at(-1) ?? 0) - (starts[0] ?? 0)).toBeGreaterThanOrEqual(Math.floor((29 * 1000) / 7));
    for (const t of starts) expect(starts.filter((s) => s >= t && s < t + 1000).length).toBeLessThanOrEqual(7);
  });

  it('after an idle spell starts at once, without a burst of saved-up tokens', async () => {
    const clock = virtualTime();
    const limiter = createRateLimiter({ perSecond: 2, now: clock.now, sleep: clock.sleep });
    const t0 = clock.now();
    await clock.run(limiter.acquire());
    expect(clock.now()).toBe(t0);
    clock.advance(10_000);
    const t1 = clock.now();
    await clock.run(limiter.acquire());
    expect(clock.now()).toBe(t1);
    await clock.run(limiter.acquire());
    expect(clock.now()).toBe(t1 + 500);
  });

  it('0 means unlimited; an aborted signal rejects', async () => {
    await expect(createRateLimiter({ perSecond: 0 }).acquire()).resolves.toBeUndefined();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(createRateLimiter({ perSecond: 5 }).acquire(controller.signal)).rejects.toThrow('stop');
  });
});

describe('rate limit in front of the SMTP pool', () => {
  let smtp: TestSmtpServer | undefined;
  afterEach(async () => smtp?.close());

  it('spreads messages over all connections: the n-th cannot reach the server before n-1 intervals', async () => {
    smtp = await startSmtpServer();
    const perSecond = 40;
    const transport = createSmtpTransport({ url: smtp.url, maxConnections: 3, rateLimit: perSecond, timeouts: { connectionMs: 10_000, greetingMs: 10_000, socketMs: 10_000 } });
    const message = (n: number): OutgoingMessage => ({
      to: { name: null, address: `r${n}@example.org` },
      messageId: `<rate-${n}@blog.example.com>`,
      options: { from: 'newsletter@blog.example.com', subject: 'rate', text: 'x' },
    });
    try {
      const t0 = Date.now();
      await Promise.all(Array.from({ length: 9 }, (_, n) => transport.send(message(n))));
      // Lower bound only: a slow machine makes it later, never earlier.
      const last = Math.max(...smtp.messages.map((m) => m.at));
      expect(smtp.messages).toHaveLength(9);
      expect(last - t0).toBeGreaterThanOrEqual(8 * (1000 / perSecond) - 2);
    } finally {
      await transport.close();
    }
  });
});
