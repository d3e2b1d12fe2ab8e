import type { ResolvedConfig } from '../config/schema.js';
import { publicServerUrl, scheduleTimeZone } from '../config/load.js';
import { loadOrCreateSecret, verifyToken } from '../digest/token.js';
import { FeedletterError } from '../errors.js';
import type { Logger } from '../log.js';
import { startDaemon, type Daemon, type Job } from '../schedule/daemon.js';
import { progressReporter } from '../schedule/progress.js';
import { nextRuns, validateCron } from '../schedule/slots.js';
import { watchContent } from '../schedule/watch.js';
import { startServer } from '../server/index.js';
import { Store } from '../store/index.js';
import { build } from './build.js';
import { createTransport, digest } from './digest.js';
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

/**
 * `feedletter daemon`: the same build and digest as the CLI, on cron schedules, plus the
 * unsubscribe/health server. Returns once started; `stop()` shuts everything down cleanly.
 */
export async function startDaemonCommand(options: DaemonCommandOptions): Promise<{ stop: (reason: string) => Promise<void>; serverUrl: string }> {
  const { resolved, clock, logger } = options;
  const { config } = resolved;
  const jobsConfig = schedules(resolved);
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
      const outcome = await digest({ resolved, now: clock(), clock, logger, signal, lockWaitMs: 0, onProgress });
      if (outcome.kind === 'sent') return { digestId: outcome.digestId, posts: outcome.posts, sent: outcome.report.sent, failed: outcome.report.failed.length, complete: outcome.report.complete };
      return { kind: outcome.kind };
    },
  };
  const jobs: Job[] = jobsConfig.map(({ name, schedule }) => ({ name, schedule, run: runners[name] }));

  const daemon: Daemon = startDaemon({
    jobs,
    timeZone: scheduleTimeZone(config),
    clock,
    logger,
    lastRun: (job) => store.lastSuccessfulRunStart(job),
    recordRun: (job, run) => store.recordJobRun({ job, startedAt: run.startedAt, finishedAt: run.finishedAt, ok: run.ok, summary: run.error ? { error: run.error } : run.summary }),
    shutdownTimeoutMs: config.schedule.shutdownTimeoutMs,
  });

  const watcher = config.feeds.watch
    ? watchContent(resolved.paths.content, { debounceMs: 1_000, onChange: () => void daemon.trigger('feeds', 'content changed') })
    : undefined;

  // The public signup: confirmation emails go out in the background on their own transport.
  const signupTransport = config.subscribe.enabled ? createTransport(resolved) : undefined;
  const signup = signupTransport ? createSignupService({ resolved, store, secret, transport: signupTransport, clock, logger }) : undefined;
  const pruneNow = (): void => {
    try {
      const pruned = signup?.prune();
      if (pruned && pruned.deleted + pruned.reverted > 0) logger.info({ job: 'prune', ...pruned }, 'unconfirmed addresses forgotten');
    } catch (error) {
      logger.error({ err: error, job: 'prune' }, 'pruning unconfirmed addresses failed');
    }
  };
  pruneNow();
  const pruneTimer = signup ? setInterval(pruneNow, PRUNE_EVERY_MS) : undefined;
  pruneTimer?.unref();

  const server = await startServer(
    {
      language: config.site.language,
      siteTitle: config.site.title,
      siteUrl: config.site.url,
      verifyToken: (token) => verifyToken(secret, token, clock(), config.server.tokenMaxAgeDays * DAY_MS),
      unsubscribe: (id) => {
        const subscriber = store.getSubscriber(id);
        if (!subscriber) return undefined;
        store.unsubscribeById(id, clock());
        logger.info({ subscriber: id }, 'unsubscribed');
        return { email: subscriber.email };
      },
      health: () => store.lastJobRuns(),
      logger,
      ...(signup ? { subscribe: signup.deps } : {}),
    },
    { host: config.server.host, port: config.server.port },
  );
  logger.info({ server: server.url, publicUrl: publicServerUrl(config), jobs: jobsConfig }, 'daemon started');

  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      // The scheduler logs "daemon stopping", with the jobs still running.
      watcher?.close();
      await daemon.stop(reason);
      await server.close();
      if (pruneTimer) clearInterval(pruneTimer);
      await signup?.mailer.close();
      await signupTransport?.close();
      store.close();
      logger.info('daemon stopped');
    })();
    return stopping;
  };
  return { stop, serverUrl: server.url };
}
