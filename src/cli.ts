#!/usr/bin/env node
/**
 * The only place that parses argv, prints, reads the clock and turns errors into exit codes.
 * Every command is a plain function in src/commands/ taking an options object; this file wires
 * flags to them.
 */
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { loadConfig, ConfigError } from './config/load.js';
import type { ResolvedConfig } from './config/schema.js';
import { FeedletterError, formatProblem, type ErrorCode, type Problem } from './errors.js';
import { tuneHeap } from './heap.js';
import { createLogger, type Logger } from './log.js';
import type { SubscriberStatus } from './store/index.js';

/**
 * Exit codes. 1 means "done, but not everything": posts skipped, deliveries failed. The others
 * follow sysexits(3) so that cron and systemd can tell a config error from a mail outage.
 */
export const EXIT = {
  ok: 0,
  partial: 1,
  usage: 64,
  input: 65,
  unavailable: 69,
  io: 74,
  tempfail: 75,
  config: 78,
} as const;

const EXIT_BY_CODE: Record<ErrorCode, number> = {
  CONFIG_INVALID: EXIT.config,
  CONTENT_INVALID: EXIT.partial,
  TEMPLATE_INVALID: EXIT.config,
  SMTP_UNAVAILABLE: EXIT.unavailable,
  LOCKED: EXIT.tempfail,
  USAGE: EXIT.usage,
  INPUT_INVALID: EXIT.input,
  STATE_INVALID: EXIT.io,
};

interface GlobalOptions {
  config?: string;
  verbose?: boolean;
}

const out = (line: string): void => void process.stdout.write(`${line}\n`);
const err = (line: string): void => void process.stderr.write(`${line}\n`);

function printProblems(problems: readonly Problem[]): void {
  for (const problem of problems) err(formatProblem(problem));
}

function parseDate(value: string): Date {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError('expected a date like 2026-01-31 or 2026-01-31T08:00:00+09:00');
  return date;
}

export interface MainContext {
  env?: NodeJS.ProcessEnv;
  /** Working directory every relative path is resolved against. */
  cwd?: string;
}

export async function main(argv: readonly string[], { env = process.env, cwd = process.cwd() }: MainContext = {}): Promise<number> {
  tuneHeap();
  let exitCode: number = EXIT.ok;
  const setExit = (code: number): void => {
    exitCode = Math.max(exitCode, code);
  };
  const program = new Command('feedletter')
    .description('Feeds (RSS 2.0, Atom 1.0, JSON Feed 1.1) and an email digest for a markdown blog.')
    .option('-c, --config <file>', 'config file (default: config/feedletter.yaml, else embedded defaults)')
    .option('-v, --verbose', 'log every step (JSON lines when not on a terminal)')
    .showHelpAfterError()
    .exitOverride();

  const context = (): { resolved: ResolvedConfig; logger: Logger; now: Date } => {
    const opts = program.opts<GlobalOptions>();
    const { resolved, warnings } = loadConfig({ cwd, configFile: opts.config, env });
    printProblems(warnings);
    const logger = createLogger({ level: opts.verbose ? 'info' : (env.FEEDLETTER_LOG_LEVEL ?? 'warn') });
    return { resolved, logger, now: new Date() };
  };

  program
    .command('build')
    .description('write the feeds of every published post into the output folder')
    .action(async () => {
      const { build } = await import('./commands/build.js');
      const { resolved, logger, now } = context();
      const result = await build({ resolved, now, logger });
      printProblems(result.problems);
      out(`feeds: ${result.published} posts, ${result.feeds.written.length} files written, ${result.feeds.unchanged.length} unchanged${result.feeds.removed.length ? `, ${result.feeds.removed.length} removed` : ''} in ${resolved.config.output.dir}/`);
      if (result.skipped > 0) {
        err(`${result.skipped} post${result.skipped === 1 ? '' : 's'} skipped because of the errors above`);
        setExit(EXIT.partial);
      }
    });

  program
    .command('check')
    .description('report every problem in the posts and the config, write nothing')
    .action(async () => {
      const { check } = await import('./commands/check.js');
      const { resolved, now } = context();
      const result = await check({ resolved, now });
      printProblems(result.problems);
      out(`${result.files} files: ${result.published} published, ${result.drafts} drafts, ${result.future} scheduled, ${result.skipped} with errors`);
      if (result.skipped > 0) setExit(EXIT.partial);
    });

  const digestOptions = (command: Command): Command =>
    command
      .option('--dry-run', 'render every message into the outbox folder; send nothing, change no state')
      .option('--to <address>', 'send one test copy ("[TEST]" subject) to this address; change no state')
      .addOption(new Option('--since <date>', 'posts published after this date instead of since the last digest').argParser(parseDate));

  const runDigest = async (opts: { dryRun?: boolean; to?: string; since?: Date }, withBuild: boolean): Promise<void> => {
    const { resolved, logger, now } = context();
    if (withBuild) {
      const { build } = await import('./commands/build.js');
      const built = await build({ resolved, now, logger });
      printProblems(built.problems);
      out(`feeds: ${built.published} posts, ${built.feeds.written.length} files written, ${built.feeds.unchanged.length} unchanged in ${resolved.config.output.dir}/`);
      if (built.skipped > 0) {
        err(`${built.skipped} post${built.skipped === 1 ? '' : 's'} skipped because of the errors above`);
        setExit(EXIT.partial);
      }
    }
    const { digest } = await import('./commands/digest.js');
    const progress = process.stderr.isTTY
      ? (counts: { pending: number; sending: number; sent: number; failed: number }) => {
          const total = counts.pending + counts.sending + counts.sent + counts.failed;
          process.stderr.write(`\rsending: ${counts.sent + counts.failed}/${total}${counts.failed ? ` (${counts.failed} failed)` : ''}`);
        }
      : undefined;
    const controller = new AbortController();
    const onSignal = (): void => {
      err('\nstopping after the messages in flight (again to exit at once; the digest resumes on the next run)');
      controller.abort();
      process.once('SIGINT', () => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const shown = (dir: string): string => path.relative(cwd, dir) || '.';
    try {
      const outcome = await digest({
        resolved,
        now,
        clock: () => new Date(),
        logger,
        dryRun: opts.dryRun === true,
        to: opts.to,
        since: opts.since,
        signal: controller.signal,
        ...(progress ? { onProgress: progress } : {}),
      });
      if (progress) process.stderr.write('\n');
      if (!withBuild) printProblems(outcome.problems);
      if ('resumed' in outcome && outcome.resumed) out(`resumed an unfinished digest: ${outcome.resumed.sent} sent, ${outcome.resumed.failed.length} failed`);
      switch (outcome.kind) {
        case 'nothing-new':
          out('digest: no new posts since the last digest; nothing sent');
          break;
        case 'dry-run':
        case 'test':
          out(`digest (${outcome.kind}): ${outcome.posts} posts, ${outcome.messages} message${outcome.messages === 1 ? '' : 's'}${outcome.outbox ? ` written to ${shown(outcome.outbox)}/` : ' sent'}; state unchanged`);
          break;
        case 'sent': {
          const { report } = outcome;
          out(`digest #${outcome.digestId}: ${outcome.posts} posts, ${report.sent} sent, ${report.failed.length} failed${outcome.outbox ? ` (written to ${shown(outcome.outbox)}/; set SMTP_URL to send for real)` : ''}`);
          for (const failure of report.failed) err(`  not delivered to ${failure.email}: ${failure.error}`);
          if (report.failed.length > 0) setExit(EXIT.partial);
          if (!report.complete) {
            err('the digest is not finished; run again to deliver the rest');
            setExit(EXIT.partial);
          }
          break;
        }
      }
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  };

  digestOptions(program.command('digest').description('send the posts published since the last digest to every subscriber, once')).action(async (opts) => runDigest(opts, false));
  digestOptions(program.command('run').description('the main job: build, then digest (what npm start runs)')).action(async (opts) => runDigest(opts, true));

  program
    .command('daemon')
    .description('run build and digest on the cron schedules of the config, and serve one-click unsubscribe and the public signup')
    .option('--print-schedule', 'print the next runs of each job and exit')
    .action(async (opts: { printSchedule?: boolean }) => {
      const { printSchedule, startDaemonCommand } = await import('./commands/daemon.js');
      if (opts.printSchedule) {
        const { resolved, now } = context();
        for (const job of printSchedule(resolved, now)) {
          out(`${job.name}: "${job.schedule}" (${job.timeZone})`);
          const format = new Intl.DateTimeFormat('sv-SE', { timeZone: job.timeZone, dateStyle: 'short', timeStyle: 'medium' });
          for (const time of job.next) out(`  ${format.format(time)}  (${time.toISOString()})`);
        }
        return;
      }
      const opts0 = program.opts<GlobalOptions>();
      const { resolved, warnings } = loadConfig({ cwd, configFile: opts0.config, env });
      printProblems(warnings);
      const logger = createLogger({ level: opts0.verbose ? 'debug' : (env.FEEDLETTER_LOG_LEVEL ?? 'info') });
      const daemon = await startDaemonCommand({ resolved, clock: () => new Date(), logger });
      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals): void => {
          // A second signal exits at once; nothing is lost: deliveries in `sending` are resumed on the next start.
          process.once('SIGINT', () => process.exit(130));
          process.once('SIGTERM', () => process.exit(143));
          void daemon.stop(signal).then(resolve, (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            setExit(EXIT.partial);
            resolve();
          });
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
      });
    });

  const subscribers = program.command('subscribers').description('manage the subscribers');
  subscribers
    .command('add <email>')
    .description('add a subscriber (adding twice is harmless)')
    .option('--name <name>', 'display name')
    .option('--confirm', 'ask the person first: send a confirmation email; the address is pending until they confirm')
    .action(async (email: string, opts: { name?: string; confirm?: boolean }) => {
      const { addSubscriber, addWithConfirmation } = await import('./commands/subscribers.js');
      const { resolved, now } = context();
      if (opts.confirm) {
        const result = await addWithConfirmation(resolved, email, opts.name ?? null, now);
        out(
          result.sent
            ? `confirmation sent to ${result.email}; pending until confirmed`
            : result.action === 'throttled'
              ? `${email}: a confirmation was sent less than subscribe.resendAfter ago; nothing sent`
              : `${email} is already a subscriber (or can no longer be mailed); nothing sent`,
        );
        return;
      }
      const { subscriber, created } = addSubscriber(resolved, email, opts.name ?? null, now);
      out(created ? `added ${subscriber.email}` : `${subscriber.email} is already a subscriber (${subscriber.status})`);
    });
  subscribers
    .command('remove <email>')
    .description('unsubscribe an address; it is never mailed again')
    .action(async (email: string) => {
      const { removeSubscriber } = await import('./commands/subscribers.js');
      const { resolved, now } = context();
      out(removeSubscriber(resolved, email, now) ? `removed ${email}` : `${email} is not an active subscriber`);
    });
  subscribers
    .command('list')
    .description('list subscribers: address, name, status, added, confirmed')
    .addOption(new Option('--status <status>', 'only these').choices(['pending', 'active', 'unsubscribed', 'bounced', 'complained']))
    .action(async (opts: { status?: SubscriberStatus }) => {
      const { listSubscribers } = await import('./commands/subscribers.js');
      const { resolved } = context();
      const list = listSubscribers(resolved, opts.status);
      for (const s of list) out(`${s.email}\t${s.name ?? ''}\t${s.status}\t${s.createdAt.toISOString()}\t${s.consent.confirmedAt?.toISOString() ?? ''}`);
      err(`${list.length} subscriber${list.length === 1 ? '' : 's'}`);
    });
  subscribers
    .command('prune')
    .description('forget addresses that did not confirm within subscribe.pendingTtl (the daemon does it every hour)')
    .action(async () => {
      const { pruneSubscribers } = await import('./commands/subscribers.js');
      const { resolved, now } = context();
      const result = pruneSubscribers(resolved, now);
      out(`pruned: ${result.deleted} unconfirmed addresses deleted, ${result.reverted} returned to unsubscribed`);
    });
  subscribers
    .command('import <file>')
    .description('add the addresses of a CSV file with an "email" column (and optional "name")')
    .action(async (file: string) => {
      const { importSubscribers } = await import('./commands/subscribers.js');
      const { resolved, now } = context();
      const result = importSubscribers(resolved, file, now);
      printProblems(result.problems);
      out(`imported: ${result.added} added, ${result.existing} already there, ${result.problems.length} rows with errors`);
      if (result.problems.length > 0) setExit(EXIT.partial);
    });
  subscribers
    .command('export')
    .description('print every subscriber as CSV, with the consent record (source, page, IPs, user agents, confirmation)')
    .action(async () => {
      const { exportSubscribers } = await import('./commands/subscribers.js');
      const { resolved } = context();
      process.stdout.write(exportSubscribers(resolved));
    });

  program
    .command('snippet')
    .description('print the HTML to paste into the blog: feed autodiscovery links and the signup form')
    .action(async () => {
      const { snippet } = await import('./commands/snippet.js');
      const { resolved } = context();
      process.stdout.write(snippet(resolved.config));
    });

  program
    .command('unsubscribe <token>')
    .description('honour an unsubscribe token from a digest link')
    .action(async (token: string) => {
      const { unsubscribeToken } = await import('./commands/unsubscribe.js');
      const { resolved, now } = context();
      out(`unsubscribed ${unsubscribeToken(resolved, token, now).email}`);
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    return report(error);
  }
  return exitCode;
}

/** The one place an error becomes a message and an exit code. */
function report(error: unknown): number {
  if (error instanceof CommanderError) {
    // --help and --version end here too, with exit code 0.
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof ConfigError) {
    printProblems(error.problems);
    err(`feedletter: ${error.message}${error.hint ? ` (${error.hint})` : ''}`);
    return EXIT.config;
  }
  if (error instanceof FeedletterError) {
    err(`feedletter: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`);
    if (error.cause instanceof Error) err(`  cause: ${error.cause.message}`);
    return EXIT_BY_CODE[error.code];
  }
  // Not ours: a bug. Keep the stack.
  err(`feedletter: unexpected error\n${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return 70;
}

// Run when executed (bin, `node dist/cli.js`), not when imported by tests.
if (process.argv[1] && import.meta.url === (await import('node:url')).pathToFileURL((await import('node:fs')).realpathSync(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
