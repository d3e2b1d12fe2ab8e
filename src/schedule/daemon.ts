import { createTask, type ScheduledTask } from 'node-cron';
import { FeedletterError } from '../errors.js';
import type { Logger } from '../log.js';
import { missedSlot, nextRuns, validateCron } from './slots.js';

/**
 * The scheduler core of `feedletter daemon`: node-cron ticks, no overlapping runs, a job that
 * throws never stops the daemon, one catch-up run after downtime or a system sleep, work an
 * earlier run left unfinished run at start and retried with a capped backoff (not left to the
 * next slot), and a bounded, clean stop. The real jobs (build feeds, send the digest) are wired by the command;
 * here a job is any async function.
 */

export interface Job {
  name: string;
  /** Cron expression, 5 fields or 6 with seconds. */
  schedule: string;
  /** Resolves to a summary for the logs and /healthz. Should return soon after `signal` aborts (finish the message in flight, then stop). */
  run: (signal: AbortSignal) => Promise<unknown>;
  /** A job that never ran: 'run' catches up the latest slot at start, 'skip' waits for the next tick. @default 'skip' */
  neverRanPolicy?: 'run' | 'skip';
  /**
   * True when an earlier run left work unfinished (a digest interrupted by a stop, a kill or an
   * SMTP outage). Asked at start, where unfinished work runs at once, and after every run,
   * where it runs again after a backoff (see `DaemonOptions.retry`) instead of at the next slot.
   */
  unfinished?: () => boolean;
}

export interface RetryPolicy {
  /** Delay before the first retry of unfinished work; each further retry waits twice as long. */
  firstDelayMs: number;
  /** Longest delay between two retries: unfinished work is retried at least this often until it is done. */
  maxDelayMs: number;
}

/** The delay before retry number `attempt` (1-based): first × 2^(attempt−1), at most max. Pure. */
export function retryDelay(policy: RetryPolicy, attempt: number): number {
  const doubled = policy.firstDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40);
  return Math.min(doubled, policy.maxDelayMs);
}

export interface RunRecord {
  startedAt: Date;
  finishedAt: Date;
  ok: boolean;
  summary: unknown;
  error?: string;
}

export interface DaemonOptions {
  jobs: Job[];
  timeZone: string;
  /** The only clock the daemon reads for its decisions and records (node-cron reads the real one for its ticks). */
  clock: () => Date;
  logger: Logger;
  /** When the job last started (from the store; every run recorded through `recordRun`, ok or not). */
  lastRun: (job: string) => Date | undefined;
  recordRun: (job: string, run: RunRecord) => void;
  /** Run one catch-up per job at start and after a sleep when a slot was missed. @default true */
  catchUp?: boolean;
  /** `stop()` waits this long for running jobs. */
  shutdownTimeoutMs: number;
  /** How often to compare the wall clock with the monotonic clock to notice a system sleep or clock jump. @default 30000 */
  wakeCheckMs?: number;
  /** Retries of a job's unfinished work. @default { firstDelayMs: 60000, maxDelayMs: 3600000 } */
  retry?: RetryPolicy;
}

export interface JobStatus {
  name: string;
  schedule: string;
  running: boolean;
  nextRun: string | undefined;
  lastRun: { startedAt: string; finishedAt: string; ok: boolean; summary: unknown; error?: string } | undefined;
  /** When unfinished work is retried next, if it is waiting for a retry. */
  retryAt: string | undefined;
}

export interface Daemon {
  /** Run the job now unless it is running (then skip and log). Resolves when the run ends; never rejects. */
  trigger(job: string, reason: string): Promise<void>;
  /** Stop the schedules, abort the signal, wait for running jobs up to shutdownTimeoutMs. */
  stop(reason?: string): Promise<void>;
  /** Names of the jobs running now. */
  running(): string[];
  /** Per job: running, next run, last run in this process (for /healthz). */
  status(): JobStatus[];
}

/** A tick this much after its slot is one node-cron no longer runs itself (its tolerance is 1 s), so the catch-up check may. */
const CATCH_UP_GRACE_MS = 2_000;
/** Wall clock ahead of the monotonic clock by more than this between two checks: the machine slept or the clock was set. */
const WAKE_JUMP_MS = 10_000;

export function startDaemon(options: DaemonOptions): Daemon {
  const { jobs, timeZone, clock, logger } = options;
  const problems = jobs.flatMap((job) => {
    const checked = validateCron(job.schedule);
    return checked.ok ? [] : [`${job.name}: ${checked.message}`];
  });
  if (problems.length > 0) throw new FeedletterError('CONFIG_INVALID', `invalid schedule: ${problems.join('; ')}`, { hint: 'e.g. "0 8 * * *" (daily at 08:00) or "*/15 * * * *"' });
  const names = new Set<string>();
  for (const job of jobs) {
    if (names.has(job.name)) throw new FeedletterError('CONFIG_INVALID', `two jobs are named "${job.name}"`);
    names.add(job.name);
  }

  const controller = new AbortController();
  const inFlight = new Map<string, Promise<void>>();
  /** Start of the latest run in this process: guards against running a slot twice even if the store lags behind. */
  const startedHere = new Map<string, Date>();
  const lastHere = new Map<string, RunRecord>();
  let stopping: Promise<void> | undefined;
  const retryPolicy: RetryPolicy = options.retry ?? { firstDelayMs: 60_000, maxDelayMs: 3_600_000 };
  /** Per job waiting to retry its unfinished work: the timer, when it fires, and which retry it is. */
  const retries = new Map<string, { timer: NodeJS.Timeout; at: Date; attempt: number }>();
  /** Retries of the current stretch of unfinished work; reset when a run leaves nothing unfinished. */
  const attempts = new Map<string, number>();

  const isUnfinished = (job: Job): boolean => {
    if (!job.unfinished) return false;
    try {
      return job.unfinished();
    } catch (error) {
      logger.error({ job: job.name, err: error }, 'cannot tell whether the job left work unfinished');
      return false;
    }
  };

  const cancelRetry = (name: string): void => {
    const pending = retries.get(name);
    if (pending) clearTimeout(pending.timer);
    retries.delete(name);
  };

  /** After a run: unfinished work is retried with a growing delay, never left to the next slot. */
  const afterRun = (job: Job): void => {
    if (stopping) return;
    cancelRetry(job.name);
    if (!isUnfinished(job)) {
      if (attempts.has(job.name)) logger.info({ job: job.name, retries: attempts.get(job.name) }, 'unfinished work is done');
      attempts.delete(job.name);
      return;
    }
    const attempt = (attempts.get(job.name) ?? 0) + 1;
    attempts.set(job.name, attempt);
    const delayMs = retryDelay(retryPolicy, attempt);
    const at = new Date(clock().getTime() + delayMs);
    logger.warn({ job: job.name, retry: attempt, delayMs, retryAt: at.toISOString() }, 'the job left work unfinished: retrying it later');
    const timer = setTimeout(() => {
      retries.delete(job.name);
      void execute(job, `retry ${attempt} of unfinished work`);
    }, delayMs);
    retries.set(job.name, { timer, at, attempt });
  };

  const byName = new Map(jobs.map((job) => [job.name, job]));
  const lastStart = (name: string): Date | undefined => {
    let stored: Date | undefined;
    try {
      stored = options.lastRun(name);
    } catch (error) {
      logger.error({ job: name, err: error }, 'cannot read the last run of the job');
    }
    const here = startedHere.get(name);
    if (stored === undefined) return here;
    if (here === undefined) return stored;
    return here > stored ? here : stored;
  };

  const execute = (job: Job, reason: string): Promise<void> => {
    if (stopping) {
      logger.info({ job: job.name, reason }, 'daemon is stopping: run not started');
      return Promise.resolve();
    }
    if (inFlight.has(job.name)) {
      logger.warn({ job: job.name, reason }, 'job still running: this run is skipped');
      return Promise.resolve();
    }
    const startedAt = clock();
    startedHere.set(job.name, startedAt);
    logger.info({ job: job.name, reason }, 'job started');
    const run = (async () => {
      let record: RunRecord;
      try {
        const summary = await job.run(controller.signal);
        const finishedAt = clock();
        record = { startedAt, finishedAt, ok: true, summary };
        logger.info({ job: job.name, reason, durationMs: finishedAt.getTime() - startedAt.getTime(), summary }, 'job finished');
      } catch (error) {
        const finishedAt = clock();
        record = { startedAt, finishedAt, ok: false, summary: undefined, error: describe(error) };
        logger.error({ job: job.name, reason, durationMs: finishedAt.getTime() - startedAt.getTime(), err: error }, 'job failed; the daemon goes on');
      }
      lastHere.set(job.name, record);
      try {
        options.recordRun(job.name, record);
      } catch (error) {
        logger.error({ job: job.name, err: error }, 'cannot record the run of the job');
      }
    })().finally(() => {
      inFlight.delete(job.name);
      afterRun(job);
    });
    inFlight.set(job.name, run);
    return run;
  };

  const catchUp = (why: 'start' | 'missed' | 'clock jump'): void => {
    if (options.catchUp === false || stopping) return;
    const now = clock();
    for (const job of jobs) {
      if (inFlight.has(job.name)) continue;
      let slot: Date | undefined;
      try {
        slot = missedSlot({ expr: job.schedule, timeZone, lastRun: lastStart(job.name), now, neverRanPolicy: job.neverRanPolicy ?? 'skip' });
      } catch (error) {
        logger.error({ job: job.name, err: error }, 'cannot compute the missed slot');
        continue;
      }
      if (slot === undefined) continue;
      // After a clock jump, a slot of the last second may still be run by node-cron itself; after
      // `execution:missed` (and at start, before the first tick) node-cron will not run it.
      if (why === 'clock jump' && now.getTime() - slot.getTime() < CATCH_UP_GRACE_MS) continue;
      void execute(job, `catch-up (${why}) of the slot ${slot.toISOString()}`);
    }
  };

  // A burst of `execution:missed` events (node-cron sends one per missed slot: 672 after a week
  // asleep with a 15-minute schedule) becomes one log line per job and one check.
  const missedCounts = new Map<string, { count: number; latest: Date }>();
  let queued: 'missed' | 'clock jump' | undefined;
  const queueCheck = (why: 'missed' | 'clock jump'): void => {
    const first = queued === undefined;
    if (queued !== 'missed') queued = why;
    if (!first) return;
    setImmediate(() => {
      const reason = queued ?? why;
      queued = undefined;
      for (const [name, missed] of missedCounts) logger.warn({ job: name, missed: missed.count, latest: missed.latest.toISOString() }, 'ticks missed (system sleep or a blocked event loop)');
      missedCounts.clear();
      catchUp(reason);
    });
  };

  const tasks: ScheduledTask[] = jobs.map((job) => {
    const task = createTask(
      job.schedule,
      async (context) => {
        const slot = context.date;
        const last = lastStart(job.name);
        // A catch-up or manual run that started at or after this slot already covered it.
        if (last !== undefined && last.getTime() >= slot.getTime() && inFlight.has(job.name) === false) {
          logger.info({ job: job.name, slot: slot.toISOString() }, 'slot already covered by a run: tick skipped');
          return;
        }
        await execute(job, `tick ${slot.toISOString()}`);
      },
      { name: `feedletter:${job.name}`, timezone: timeZone, noOverlap: false, logger: cronLogger(logger, job.name) },
    );
    task.on('execution:missed', (context) => {
      const seen = missedCounts.get(job.name);
      missedCounts.set(job.name, { count: (seen?.count ?? 0) + 1, latest: context.date });
      queueCheck('missed');
    });
    return task;
  });

  // Timers run on the monotonic clock, which stops while the machine sleeps; the wall clock
  // does not. Comparing the two notices a sleep (or a clock set forward) right after it.
  let lastWall = clock().getTime();
  let lastMono = performance.now();
  const wakeTimer = setInterval(() => {
    const wall = clock().getTime();
    const mono = performance.now();
    const jump = wall - lastWall - (mono - lastMono);
    lastWall = wall;
    lastMono = mono;
    if (Math.abs(jump) > WAKE_JUMP_MS) {
      logger.warn({ jumpMs: Math.round(jump) }, 'the wall clock jumped (system sleep or clock change): checking for missed slots');
      queueCheck('clock jump');
    }
  }, options.wakeCheckMs ?? 30_000);
  wakeTimer.unref();

  for (const task of tasks) void task.start();
  for (const job of jobs) logger.info({ job: job.name, schedule: job.schedule, timeZone, next: nextRuns(job.schedule, timeZone, clock(), 1)[0]?.toISOString() }, 'job scheduled');
  catchUp('start');
  // Work an earlier process left unfinished (stopped or killed mid-send) is finished now, not at
  // the next slot; a job the catch-up just started finishes it itself.
  for (const job of jobs) {
    if (!inFlight.has(job.name) && isUnfinished(job)) void execute(job, 'resume unfinished work');
  }

  return {
    trigger(name, reason) {
      const job = byName.get(name);
      if (!job) throw new FeedletterError('USAGE', `no job named "${name}"`, { hint: `jobs: ${[...byName.keys()].join(', ')}` });
      return execute(job, reason);
    },
    stop(reason = 'stop requested') {
      stopping ??= (async () => {
        logger.info({ reason, running: [...inFlight.keys()] }, 'daemon stopping');
        clearInterval(wakeTimer);
        for (const name of [...retries.keys()]) cancelRetry(name);
        for (const task of tasks) void task.destroy();
        controller.abort(new Error(`daemon stopping: ${reason}`));
        if (inFlight.size === 0) return;
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          Promise.allSettled([...inFlight.values()]).then(() => false),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(() => resolve(true), options.shutdownTimeoutMs);
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) logger.warn({ running: [...inFlight.keys()], timeoutMs: options.shutdownTimeoutMs }, 'jobs still running at the shutdown timeout; stopping anyway');
      })();
      return stopping;
    },
    running() {
      return [...inFlight.keys()];
    },
    status() {
      const now = clock();
      return jobs.map((job) => {
        const last = lastHere.get(job.name);
        const retry = retries.get(job.name);
        return {
          name: job.name,
          schedule: job.schedule,
          running: inFlight.has(job.name),
          nextRun: stopping ? undefined : nextRuns(job.schedule, timeZone, now, 1)[0]?.toISOString(),
          lastRun: last && {
            startedAt: last.startedAt.toISOString(),
            finishedAt: last.finishedAt.toISOString(),
            ok: last.ok,
            summary: last.summary,
            ...(last.error === undefined ? {} : { error: last.error }),
          },
          retryAt: stopping ? undefined : retry?.at.toISOString(),
        };
      });
    },
  };
}

/** Message with its chain of causes, one line: what `recordRun` stores. */
function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    parts.push(current instanceof Error ? `${current.name === 'Error' ? '' : `${current.name}: `}${current.message}` : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(' ← caused by ');
}

/** node-cron's own messages go to our logger instead of the console. */
function cronLogger(logger: Logger, job: string): { info(m: string): void; warn(m: string): void; error(m: string | Error, e?: Error): void; debug(m: string | Error, e?: Error): void } {
  const child = logger.child({ job, component: 'node-cron' });
  return {
    info: (message) => child.debug(message),
    warn: (message) => child.warn(message),
    error: (message, err) => child.error({ err: err ?? message }, typeof message === 'string' ? message : message.message),
    debug: (message) => child.debug(typeof message === 'string' ? message : message.message),
  };
}
