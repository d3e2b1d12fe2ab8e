import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { retryDelay, startDaemon, type Daemon, type DaemonOptions, type Job, type RunRecord } from '../../src/schedule/daemon.js';

/** A logger whose lines the test can read. */
function captureLogger(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      out.push(String(chunk));
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A promise and its resolver, to wait for "the job ran" without sleeping. */
function signal<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const sleep = (ms: number, abort?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    abort?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

const daemons: Daemon[] = [];
afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop('test over')));
});

function start(jobs: Job[], overrides: Partial<DaemonOptions> = {}): { daemon: Daemon; records: Array<{ job: string; run: RunRecord }>; lines: () => Array<Record<string, unknown>> } {
  const { logger, lines } = captureLogger();
  const records: Array<{ job: string; run: RunRecord }> = [];
  const daemon = startDaemon({
    jobs,
    timeZone: 'UTC',
    clock: () => new Date(),
    logger,
    lastRun: () => undefined,
    recordRun: (job, run) => records.push({ job, run }),
    shutdownTimeoutMs: 10_000,
    ...overrides,
  });
  daemons.push(daemon);
  return { daemon, records, lines };
}

const EVERY_SECOND = '* * * * * *';

describe('daemon', () => {
  it('refuses an invalid schedule at start, naming the job', () => {
    expect(() => start([{ name: 'digest', schedule: '0 25 * * *', run: async () => 'x' }])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('digest') }));
  });

  it('runs a job on its ticks and records each run with its summary', async () => {
    const twice = signal();
    let calls = 0;
    const { records } = start([
      {
        name: 'feeds',
        schedule: EVERY_SECOND,
        run: async () => {
          calls++;
          if (calls === 2) twice.resolve();
          return { feedsWritten: 3 };
        },
      },
    ]);
    await twice.promise;
    await sleep(0);
    expect(records.length).toBeGreaterThanOrEqual(1);
    expect(records[0]).toMatchObject({ job: 'feeds', run: { ok: true, summary: { feedsWritten: 3 } } });
    expect(records[0]!.run.finishedAt.getTime()).toBeGreaterThanOrEqual(records[0]!.run.startedAt.getTime());
  });

  it('skips (and logs) a tick while the previous run is still going', async () => {
    let active = 0;
    let maxActive = 0;
    const firstDone = signal();
    let calls = 0;
    const { lines } = start([
      {
        name: 'digest',
        schedule: EVERY_SECOND,
        run: async (abort) => {
          calls++;
          active++;
          maxActive = Math.max(maxActive, active);
          await sleep(2500, abort);
          active--;
          if (calls === 1) firstDone.resolve();
          return 'sent';
        },
      },
    ]);
    await firstDone.promise;
    expect(maxActive).toBe(1);
    expect(lines().filter((l) => l.msg === 'job still running: this run is skipped' && l.job === 'digest').length).toBeGreaterThanOrEqual(1);
  });

  it('keeps running after a job throws, logging the cause', async () => {
    const recovered = signal();
    let calls = 0;
    const { records, lines } = start([
      {
        name: 'digest',
        schedule: EVERY_SECOND,
        run: async () => {
          calls++;
          if (calls === 1) throw new Error('SMTP said no', { cause: new Error('connect ECONNREFUSED 127.0.0.1:2525') });
          recovered.resolve();
          return 'ok';
        },
      },
    ]);
    await recovered.promise;
    await sleep(0);
    expect(records[0]!.run).toMatchObject({ ok: false, error: expect.stringContaining('ECONNREFUSED') });
    expect(records[0]!.run.error).toContain('SMTP said no');
    expect(records.some((r) => r.run.ok)).toBe(true);
    const failure = lines().find((l) => l.msg === 'job failed; the daemon goes on');
    expect(JSON.stringify(failure)).toContain('ECONNREFUSED');
  });

  it('stop() aborts the signal, waits for the running job and stops the ticks', async () => {
    const started = signal<AbortSignal>();
    let finished = false;
    let calls = 0;
    const { daemon, records } = start([
      {
        name: 'digest',
        schedule: EVERY_SECOND,
        run: async (abort) => {
          calls++;
          started.resolve(abort);
          // A send loop: finish the message in flight, then stop at the abort.
          await new Promise<void>((resolve) => abort.addEventListener('abort', () => resolve(), { once: true }));
          await sleep(100);
          finished = true;
          return 'stopped after the message in flight';
        },
      },
    ]);
    const abort = await started.promise;
    expect(daemon.running()).toEqual(['digest']);
    await daemon.stop('SIGTERM');
    expect(abort.aborted).toBe(true);
    expect(finished).toBe(true);
    expect(daemon.running()).toEqual([]);
    expect(records).toHaveLength(1);
    expect(records[0]!.run).toMatchObject({ ok: true, summary: 'stopped after the message in flight' });
    const callsAtStop = calls;
    await sleep(1200);
    expect(calls).toBe(callsAtStop);
    await daemon.trigger('digest', 'manual');
    expect(calls).toBe(callsAtStop);
  });

  it('stop() gives up on a job that ignores the signal after shutdownTimeoutMs', async () => {
    const started = signal();
    const { daemon, lines } = start([{ name: 'stuck', schedule: EVERY_SECOND, run: () => (started.resolve(), new Promise(() => undefined)) }], { shutdownTimeoutMs: 50 });
    await started.promise;
    await daemon.stop('SIGTERM');
    expect(daemon.running()).toEqual(['stuck']);
    expect(lines().some((l) => l.msg === 'jobs still running at the shutdown timeout; stopping anyway')).toBe(true);
  });

  it('catches up once at start when the last run is older than the latest slot', async () => {
    let calls = 0;
    const done = signal();
    const threeDaysAgo = new Date(Date.now() - 3 * 86_400_000);
    const { daemon, records } = start(
      [
        { name: 'digest', schedule: '0 8 * * *', run: async () => (calls++, done.resolve(), 'caught up') },
        { name: 'feeds', schedule: '0 8 * * *', run: async () => 'should not run' },
      ],
      { lastRun: (job) => (job === 'digest' ? threeDaysAgo : new Date()) },
    );
    // The catch-up starts synchronously inside startDaemon; the up-to-date job does not run.
    expect(daemon.running()).toEqual(['digest']);
    await done.promise;
    await daemon.stop();
    expect(calls).toBe(1);
    expect(records.map((r) => r.job)).toEqual(['digest']);
  });

  it('does not catch up when catchUp is off, or a job never ran and its policy is skip', () => {
    const old = new Date(Date.now() - 3 * 86_400_000);
    expect(start([{ name: 'digest', schedule: '0 8 * * *', run: async () => 'x' }], { lastRun: () => old, catchUp: false }).daemon.running()).toEqual([]);
    expect(start([{ name: 'digest', schedule: '0 8 * * *', run: async () => 'x' }]).daemon.running()).toEqual([]);
    expect(start([{ name: 'feeds', schedule: '0 8 * * *', neverRanPolicy: 'run', run: async () => 'x' }]).daemon.running()).toEqual(['feeds']);
  });

  it('catches up after the wall clock jumps forward (system sleep)', async () => {
    let offset = 0;
    const clock = (): Date => new Date(Date.now() + offset);
    const startedAt = clock();
    const ran = signal<string>();
    const { daemon } = start([{ name: 'digest', schedule: '0 8 * * *', run: async () => (ran.resolve('ran'), 'caught up') }], { clock, lastRun: () => startedAt, wakeCheckMs: 20 });
    expect(daemon.running()).toEqual([]);
    offset = 2 * 86_400_000; // the machine slept for two days
    expect(await ran.promise).toBe('ran');
  });

  it('trigger() runs a job now, and skips it while it runs', async () => {
    let calls = 0;
    const release = signal();
    const { daemon } = start([{ name: 'digest', schedule: '0 8 * * *', run: async () => (calls++, await release.promise, 'done') }]);
    const first = daemon.trigger('digest', 'manual');
    await daemon.trigger('digest', 'second click');
    expect(calls).toBe(1);
    release.resolve();
    await first;
    expect(daemon.status()[0]).toMatchObject({ name: 'digest', running: false, lastRun: { ok: true, summary: 'done' } });
    expect(() => daemon.trigger('nope', 'x')).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  // A slot that never comes during a test: unfinished work must be picked up without it.
  const YEARLY = '0 0 0 1 1 *';

  it('finishes unfinished work at start, even when no slot was missed and the job never ran', async () => {
    let left = true;
    const done = signal();
    const { daemon, records } = start([
      { name: 'digest', schedule: YEARLY, unfinished: () => left, run: async () => ((left = false), done.resolve(), 'resumed') },
      { name: 'feeds', schedule: YEARLY, unfinished: () => false, run: async () => 'should not run' },
    ]);
    expect(daemon.running()).toEqual(['digest']);
    await done.promise;
    await sleep(0);
    expect(records.map((r) => r.job)).toEqual(['digest']);
    expect(daemon.status()[0]).toMatchObject({ name: 'digest', running: false, retryAt: undefined });
  });

  it('a catch-up at start that also finds unfinished work runs the job once, not twice', async () => {
    let calls = 0;
    const done = signal();
    let left = true;
    const { daemon, lines } = start([{ name: 'digest', schedule: '0 8 * * *', unfinished: () => left, run: async () => (calls++, (left = false), done.resolve(), 'caught up and resumed') }], {
      lastRun: () => new Date(Date.now() - 3 * 86_400_000),
    });
    expect(daemon.running()).toEqual(['digest']);
    await done.promise;
    await sleep(50);
    expect(calls).toBe(1);
    expect(lines().filter((l) => l.msg === 'job started').map((l) => l.reason)).toEqual([expect.stringMatching(/^catch-up \(start\)/)]);
  });

  it('retries unfinished work with a doubling delay up to the maximum, and stops retrying once it is done', async () => {
    let calls = 0;
    const done = signal();
    const { lines, records } = start([
      {
        name: 'digest',
        schedule: YEARLY,
        unfinished: () => calls < 5,
        run: async () => {
          calls++;
          if (calls === 2) throw new Error('SMTP is down');
          if (calls === 5) done.resolve();
          return { call: calls };
        },
      },
    ], { retry: { firstDelayMs: 20, maxDelayMs: 50 } });
    await done.promise;
    await sleep(100);
    expect(calls).toBe(5);
    const reasons = lines().filter((l) => l.msg === 'job started').map((l) => l.reason);
    expect(reasons).toEqual(['resume unfinished work', 'retry 1 of unfinished work', 'retry 2 of unfinished work', 'retry 3 of unfinished work', 'retry 4 of unfinished work']);
    // a failed run (SMTP down) is retried like an incomplete one
    expect(records.map((r) => r.run.ok)).toEqual([true, false, true, true, true]);
    expect(lines().filter((l) => l.msg === 'the job left work unfinished: retrying it later').map((l) => l.delayMs)).toEqual([20, 40, 50, 50]);
    expect(lines().some((l) => l.msg === 'unfinished work is done' && l.retries === 4)).toBe(true);
  });

  it('retryDelay doubles from the first delay and is capped', () => {
    const policy = { firstDelayMs: 60_000, maxDelayMs: 3_600_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 1000].map((n) => retryDelay(policy, n))).toEqual([60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000, 3_600_000]);
  });

  it('a pending retry shows in status() and is cancelled by stop(); a run stopped by stop() schedules none', async () => {
    const first = signal();
    let calls = 0;
    const { daemon, lines } = start([{ name: 'digest', schedule: YEARLY, unfinished: () => true, run: async () => (calls++, first.resolve(), 'incomplete') }], { retry: { firstDelayMs: 200, maxDelayMs: 200 } });
    await first.promise;
    await sleep(0);
    const retryAt = daemon.status()[0]?.retryAt;
    expect(retryAt).toEqual(expect.any(String));
    expect(Date.parse(retryAt!)).toBeGreaterThan(Date.now());
    await daemon.stop('SIGTERM');
    await sleep(400);
    expect(calls).toBe(1);
    expect(daemon.status()[0]?.retryAt).toBeUndefined();

    // stopped mid-run: the run ends with work unfinished, and no retry is scheduled
    const running = signal();
    const second = start([{ name: 'digest', schedule: YEARLY, unfinished: () => true, run: async (abort) => (running.resolve(), await sleep(10_000, abort), 'aborted') }], { retry: { firstDelayMs: 10, maxDelayMs: 10 } });
    await running.promise;
    await second.daemon.stop('SIGTERM');
    await sleep(100);
    expect(second.lines().filter((l) => l.msg === 'job started')).toHaveLength(1);
    expect(second.lines().some((l) => l.msg === 'the job left work unfinished: retrying it later')).toBe(false);
    expect(lines().filter((l) => l.msg === 'job started')).toHaveLength(1);
  });
});
