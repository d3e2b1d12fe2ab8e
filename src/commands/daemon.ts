import type { ResolvedConfig } from '../config/schema.js';
import { publicServerUrl, scheduleTimeZone } from '../config/load.js';
import { loadOrCreateSecret, verifyToken } from '../digest/token.js';
import { FeedletterError } from '../errors.js';
import type { Logger } from '../log.js';
import { startDaemon, type Daemon, type Job, type JobStatus } from '../schedule/daemon.js';
import { progressReporter } from '../schedule/progress.js';
import { nextRuns, validateCron } from '../schedule/slots.js';
import { concernsPosts, watchContent } from '../schedule/watch.js';
import { requireContentDir } from '../content/folder.js';
import { startServer, type RunningServer } from '../server/index.js';
import { Store } from '../store/index.js';
import { build } from './build.js';
import type { DeliverReport } from '../delivery/send.js';
import { createOutboxTransport } from '../delivery/outbox.js';
import { createTransport, digest, type DigestOutcome } from './digest.js';
import { createSignupService, PRUNE_EVERY_MS } from './signup.js';

const DAY_MS = 86_400_000;

export interface DaemonCommandOptions {
  resolved: ResolvedConfig;
  clock: () => Date;
  logger: Logger;
}

/** Schedules validated up front: a bad cron expression stops the daemon before it starts. */
export function schedules(resolved: ResolvedConfig): { name: 'feeds' | 'digest'; schedule: string }[] {
  const list = [
    { name: 'feeds' as const, schedule: resolved.config.feeds.schedule, key: 'feeds.schedule' },
    { name: 'digest' as const, schedule: resolved.config.digest.schedule, key: 'digest.schedule' },
  ];
  for (const item of list) {
    const verdict = validateCron(item.schedule);
    if (!verdict.ok) {
      throw new FeedletterError('CONFIG_INVALID', `${item.key}: "${item.schedule}" is not a valid cron expression: ${verdict.message}`, { hint: 'five fields (minute hour day month weekday), e.g. "0 8 * * *"; six with seconds first' });
    }
  }
  return list.map(({ name, schedule }) => ({ name, schedule }));
}

/** `feedletter daemon --print-schedule`: the next runs of each job, in the schedule's time zone. */
export function printSchedule(resolved: ResolvedConfig, now: Date, count = 5): { name: string; schedule: string; timeZone: string; next: Date[] }[] {
  const timeZone = scheduleTimeZone(resolved.config);
  return schedules(resolved).map(({ name, schedule }) => ({ name, schedule, timeZone, next: nextRuns(schedule, timeZone, now, count) }));
}

/** Counts of one delivery pass over a digest, as /healthz shows them. */
export interface DeliveryCounts {
  digestId: number;
  sent: number;
  failed: number;
  complete: boolean;
}

/**
 * What a digest run did, as recorded for the logs and /healthz:
 * - `sent`: a new digest (`digestId`, `posts`, counts); `resumed` too if an unfinished one was finished first;
 * - `resumed`: only an unfinished digest was worked on (`resumed` has its counts; `complete: false`
 *   if it is still not finished), nothing new went out;
 * - `nothing-new`: nothing to finish and no new post.
 * `unfinishedBefore` is the id of the digest that was unfinished when the run started: it tells
 * a run that only resumed it from one that sent a new digest. Pure.
 */
export function digestJobSummary(outcome: DigestOutcome, unfinishedBefore: number | undefined): Record<string, unknown> {
  const counts = (digestId: number, report: DeliverReport): DeliveryCounts => ({ digestId, sent: report.sent, failed: report.failed.length, complete: report.complete });
  if (outcome.kind === 'sent') {
    if (outcome.digestId === unfinishedBefore) return { kind: 'resumed', resumed: counts(outcome.digestId, outcome.report) };
    return {
      kind: 'sent',
      ...counts(outcome.digestId, outcome.report),
      posts: outcome.posts,
      ...(outcome.resumed && unfinishedBefore !== undefined ? { resumed: counts(unfinishedBefore, outcome.resumed) } : {}),
    };
  }
  if (outcome.kind === 'nothing-new' && outcome.resumed && unfinishedBefore !== undefined) return { kind: 'resumed', resumed: counts(unfinishedBefore, outcome.resumed) };
  return { kind: outcome.kind };
}

/** /healthz: the last recorded run of each job, plus `retryAt` while its unfinished work waits for a retry. Pure. */
export function withRetries(runs: Record<string, object>, status: readonly Pick<JobStatus, 'name' | 'retryAt'>[]): Record<string, object> {
  const jobs: Record<string, object> = { ...runs };
  for (const job of status) if (job.retryAt !== undefined) jobs[job.name] = { ...jobs[job.name], retryAt: job.retryAt };
  return jobs;
}

/**
 * `feedletter daemon`: the same build and digest as the CLI, on cron schedules, plus the
 * unsubscribe/health server. Returns once started; `stop()` shuts everything down cleanly.
 */
export async function startDaemonCommand(options: DaemonCommandOptions): Promise<{ stop: (reason: string) => Promise<void>; serverUrl: string }> {
  const { resolved, clock, logger } = options;
  const { config } = resolved;
  const jobsConfig = schedules(resolved);
  // A daemon started in the wrong folder stops here (66), before it creates anything there.
  requireContentDir(resolved.paths.content, resolved.cwd);
  const store = Store.open(resolved.paths.state);
  const secret = loadOrCreateSecret(resolved.paths.state, resolved.secrets.secret);

  const runners: Record<'feeds' | 'digest', Job['run']> = {
    feeds: async () => {
      const result = await build({ resolved, now: clock(), logger });
      return { published: result.published, skipped: result.skipped, written: result.feeds.written.length, problems: result.problems.length };
    },
    digest: async (signal) => {
      // A long send logs where it is every 10 s (readable lines on a terminal, JSON in the journal).
      const onProgress = progressReporter({ intervalMs: 10_000, clock: () => clock().getTime(), log: (counts) => logger.info({ job: 'digest', ...counts }, `sending: ${counts.done}/${counts.total}`) });
      const unfinished = store.unfinishedDigest()?.id;
      const outcome = await digest({ resolved, now: clock(), clock, logger, signal, lockWaitMs: 0, onProgress });
      return digestJobSummary(outcome, unfinished);
    },
  };
  // The digest job has unfinished work while a digest is not complete: interrupted by a stop or
  // a kill, or stopped by an SMTP outage. The scheduler finishes it at start and retries it.
  const unfinished: Partial<Record<'feeds' | 'digest', () => boolean>> = { digest: () => store.unfinishedDigest() !== undefined };
  const jobs: Job[] = jobsConfig.map(({ name, schedule }) => ({ name, schedule, run: runners[name], ...(unfinished[name] ? { unfinished: unfinished[name] } : {}) }));

  // The public signup: confirmation emails go out in the background on their own transport.
  // Without SMTP_URL (trying feedletter out) they are written into the outbox folder, like a
  // digest preview, and the log says that nobody receives them.
  const previewOnly = resolved.secrets.smtpUrl === undefined && config.digest.transport !== 'outbox';
  if (config.subscribe.enabled && previewOnly) logger.warn({ job: 'subscribe', outbox: config.digest.outbox }, 'no SMTP_URL: confirmation emails are written into the outbox folder, and nobody receives them');
  const signupTransport = config.subscribe.enabled ? (previewOnly ? createOutboxTransport({ dir: resolved.paths.outbox }) : createTransport(resolved)) : undefined;
  const signup = signupTransport ? createSignupService({ resolved, store, secret, transport: signupTransport, clock, logger }) : undefined;
  const pruneNow = (): void => {
    try {
      const pruned = signup?.prune();
      if (pruned && pruned.deleted + pruned.reverted > 0) logger.info({ job: 'prune', ...pruned }, 'unconfirmed addresses forgotten');
    } catch (error) {
      logger.error({ err: error, job: 'prune' }, 'pruning unconfirmed addresses failed');
    }
  };
  const closeSignup = async (): Promise<void> => {
    if (pruneTimer) clearInterval(pruneTimer);
    await signup?.mailer.close();
    await signupTransport?.close();
  };
  pruneNow();
  const pruneTimer = signup ? setInterval(pruneNow, PRUNE_EVERY_MS) : undefined;
  pruneTimer?.unref();

  // The server first: a daemon that cannot serve unsubscribe links must not send digests
  // carrying them. It fails here, before any job or catch-up ran, and the CLI exits non-zero.
  let daemon: Daemon | undefined;
  let server: RunningServer;
  try {
    server = await startServer(
      {
        language: config.site.language,
        siteTitle: config.site.title,
        siteUrl: config.site.url,
        verifyToken: (token) => verifyToken(secret, token, clock(), config.server.tokenMaxAgeDays * DAY_MS),
        unsubscribe: (id) => {
          const subscriber = store.getSubscriber(id);
          if (!subscriber) return undefined;
          store.unsubscribeById(id, clock());
          // The server logs it (once, with how: one-click or the page's form).
          return { email: subscriber.email };
        },
        health: () => withRetries(store.lastJobRuns(), daemon?.status() ?? []),
        logger,
        ...(signup ? { subscribe: signup.deps } : {}),
      },
      { host: config.server.host, port: config.server.port },
    );
  } catch (error) {
    await closeSignup();
    store.close();
    throw error;
  }

  // Then the watcher and the scheduler (whose catch-up may start a job at once). Whatever fails
  // here closes what is open: nothing may keep the process alive after a failed start.
  let watcher: { close(): void } | undefined;
  try {
    // Files the build itself writes (feeds, caches, the outbox: inside the content folder for a
    // Jekyll site whose output is _site/) must not trigger another build.
    const written = [resolved.paths.output, resolved.paths.state, resolved.paths.outbox];
    watcher = config.feeds.watch
      ? watchContent(resolved.paths.content, {
          debounceMs: 1_000,
          logger,
          onChange: (paths) => {
            if (paths.some((changed) => concernsPosts(changed, resolved.paths.content, written))) void daemon?.trigger('feeds', 'content changed');
          },
        })
      : undefined;
    daemon = startDaemon({
      jobs,
      timeZone: scheduleTimeZone(config),
      clock,
      logger,
      lastRun: (job) => store.lastSuccessfulRunStart(job),
      recordRun: (job, run) => store.recordJobRun({ job, startedAt: run.startedAt, finishedAt: run.finishedAt, ok: run.ok, summary: run.error ? { error: run.error } : run.summary }),
      shutdownTimeoutMs: config.schedule.shutdownTimeoutMs,
      retry: { firstDelayMs: config.schedule.retryDelayMs, maxDelayMs: config.schedule.retryMaxDelayMs },
    });
  } catch (error) {
    watcher?.close();
    await server.close();
    await closeSignup();
    store.close();
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      // Removed between the check at start and here.
      throw new FeedletterError('CONTENT_MISSING', `content.dir: cannot watch ${resolved.paths.content}: it does not exist`, { cause: error, hint: 'create it, fix content.dir, or set feeds.watch: false' });
    }
    throw error;
  }
  const scheduler: Daemon = daemon;
  logger.info({ server: server.url, publicUrl: publicServerUrl(config), jobs: jobsConfig }, 'daemon started');

  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      // The scheduler logs "daemon stopping", with the jobs still running.
      watcher?.close();
      await scheduler.stop(reason);
      await server.close();
      await closeSignup();
      store.close();
      logger.info('daemon stopped');
    })();
    return stopping;
  };
  return { stop, serverUrl: server.url };
}
