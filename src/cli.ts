#!/usr/bin/env node
/**
 * The only place that parses argv, prints, reads the clock and turns errors into exit codes.
 * Every command is a plain function in src/commands/ taking an options object; this file wires
 * flags to them.
 */
import { once } from 'node:events';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { loadConfig, ConfigError } from './config/load.js';
import type { ResolvedConfig } from './config/schema.js';
import { asKnownFailure, FeedletterError, formatProblem, type ErrorCode, type Problem } from './errors.js';
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
  noinput: 66,
  unavailable: 69,
  io: 74,
  tempfail: 75,
  config: 78,
} as const;

const EXIT_BY_CODE: Record<ErrorCode, number> = {
  CONFIG_INVALID: EXIT.config,
  CONTENT_INVALID: EXIT.partial,
  CONTENT_MISSING: EXIT.noinput,
  TEMPLATE_INVALID: EXIT.config,
  SMTP_UNAVAILABLE: EXIT.unavailable,
  // A taken port is a temporary condition, not a wrong config: systemd's Restart=on-failure retries it.
  ADDRESS_IN_USE: EXIT.unavailable,
  LOCKED: EXIT.tempfail,
  USAGE: EXIT.usage,
  INPUT_INVALID: EXIT.input,
  STATE_INVALID: EXIT.io,
  IO_FAILED: EXIT.io,
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

function parseDigestId(value: string): number {
  if (!/^[1-9]\d{0,15}$/.test(value)) throw new InvalidArgumentError('expected a digest number, e.g. 12');
  return Number(value);
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
    .addHelpText(
      'after',
      `
Exit codes: 0 done; 1 done, but posts were skipped or deliveries failed; 64 bad command line;
65 bad input; 66 content folder missing, or a build would empty feeds that have items;
69 SMTP server (or the daemon's port) unavailable, the rest resumes on the next run; 70 a bug;
74 state, output or outbox folder unusable; 75 another process holds the lock or the database;
78 bad config, template, SMTP_URL or FEEDLETTER_SECRET.`,
    )
    .exitOverride();

  const context = (): { resolved: ResolvedConfig; logger: Logger; now: Date } => {
    const opts = program.opts<GlobalOptions>();
    const { resolved, warnings } = loadConfig({ cwd, configFile: opts.config, env });
    printProblems(warnings);
    const logger = createLogger({ level: opts.verbose ? 'info' : (env.FEEDLETTER_LOG_LEVEL ?? 'warn') });
    return { resolved, logger, now: new Date() };
  };

  const allowEmpty = '--allow-empty';
  const allowEmptyHelp = 'write feeds with no item even though the feeds on disk have items (without it, such a build is refused: exit 66)';
  program
    .command('init [dir]')
    .description('write config/feedletter.yaml for the Jekyll or Hugo site in DIR (default: here), from its own config')
    .option('--force', 'replace an existing config/feedletter.yaml')
    .action(async (dir: string | undefined, opts: { force?: boolean }) => {
      const { init } = await import('./commands/init.js');
      const site = path.resolve(cwd, dir ?? '.');
      const result = init({ dir: site, force: opts.force === true });
      const shown = path.relative(cwd, site) || '.';
      const kind = result.kind === 'jekyll' ? 'a Jekyll site' : result.kind === 'hugo' ? 'a Hugo site' : 'no Jekyll or Hugo site (a plain folder of posts)';
      out(`${shown}: ${kind}${result.sources.length > 0 ? ` (read ${result.sources.join(', ')})` : ''}`);
      for (const file of result.written) out(`  wrote ${path.join(shown, file)}`);
      for (const note of result.notes) out(`  note: ${note}`);
      const inDir = shown === '.' ? '' : `cd ${shown} && `;
      out('');
      out('Next:');
      out(`  1. read ${path.join(shown, 'config/feedletter.yaml')}: every value says where it came from; check those marked "default"`);
      out(`  2. ${inDir}npx feedletter check      every problem in the posts and the config, nothing written`);
      out(`  3. ${inDir}npx feedletter build      the feeds, into ${result.outputDir}/${result.kind === 'plain' ? '' : ' (run it after your generator builds the site)'}`);
      out(`  4. link the feed from your pages: <link rel="alternate" type="application/rss+xml" href="${result.feedUrl}">`);
      out('  5. subscribers and the digest: npx feedletter subscribers add you@example.com, then npx feedletter digest --dry-run');
    });

  program
    .command('build')
    .description('write the feeds of every published post into the output folder')
    .option(allowEmpty, allowEmptyHelp)
    .action(async (opts: { allowEmpty?: boolean }) => {
      const { build } = await import('./commands/build.js');
      const { resolved, logger, now } = context();
      const result = await build({ resolved, now, logger, allowEmpty: opts.allowEmpty });
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
      .addOption(new Option('--since <date>', 'posts published after this date instead of since the last digest').argParser(parseDate))
      .addHelpText(
        'after',
        `
Without SMTP_URL (and without digest.transport: outbox in the config) a digest is a preview:
rendered into the outbox folder, nothing sent, no state changed, and it says so.
A server that refuses the sender (a sending quota, "relay denied"), is unreachable, or stops
answering mid-message stops the run with exit 69 and the rest pending: the next run resumes.`,
      );

  const runDigest = async (opts: { dryRun?: boolean; to?: string; since?: Date; retryFailed?: true | number; allowEmpty?: boolean }, withBuild: boolean): Promise<void> => {
    const { resolved, logger, now } = context();
    if (withBuild) {
      const { build } = await import('./commands/build.js');
      const built = await build({ resolved, now, logger, allowEmpty: opts.allowEmpty });
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
        retryFailed: opts.retryFailed,
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
        case 'preview':
          out(`digest (preview): ${outcome.posts} posts, ${outcome.messages} message${outcome.messages === 1 ? '' : 's'} written to ${shown(outcome.outbox)}/ (open digest.html); nothing sent, state unchanged`);
          err('SMTP_URL is not set, so this was only a preview: set SMTP_URL to send the digest (or digest.transport: outbox to deliver into the outbox for real)');
          break;
        case 'retry': {
          const { report } = outcome;
          if (report === undefined) {
            out(`digest #${outcome.digestId}: no failed deliveries to retry`);
            break;
          }
          out(`digest #${outcome.digestId}: retried ${outcome.requeued} failed deliver${outcome.requeued === 1 ? 'y' : 'ies'}: ${report.sent} sent, ${report.failed.length} failed`);
          for (const failure of report.failed) err(`  not delivered to ${failure.email}: ${failure.error}`);
          if (report.failed.length > 0 || !report.complete) setExit(EXIT.partial);
          if (!report.complete) err('the digest is not finished; run again to deliver the rest');
          break;
        }
        case 'dry-run':
        case 'test':
          out(`digest (${outcome.kind}): ${outcome.posts} posts, ${outcome.messages} message${outcome.messages === 1 ? '' : 's'}${outcome.outbox ? ` written to ${shown(outcome.outbox)}/` : ' sent'}; state unchanged`);
          break;
        case 'sent': {
          const { report } = outcome;
          out(`digest #${outcome.digestId}: ${outcome.posts} posts, ${report.sent} sent, ${report.failed.length} failed${outcome.outbox ? ` (into ${shown(outcome.outbox)}/, the transport chosen by digest.transport: outbox)` : ''}`);
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

  digestOptions(program.command('digest').description('send the posts published since the last digest to every subscriber, once'))
    .addOption(
      new Option(
        '--retry-failed [digest-id]',
        'send a digest again to the subscribers it failed for (still subscribed ones; never to one it reached), then stop; default: the most recent digest',
      ).argParser(parseDigestId),
    )
    .addHelpText('after', '--retry-failed is for deliveries an earlier run marked failed; it sends nothing new.')
    .action(async (opts) => runDigest(opts, false));
  digestOptions(program.command('run').description('the main job: build, then digest (what npm start runs)'))
    .option(allowEmpty, allowEmptyHelp)
    .action(async (opts) => runDigest(opts, true));

  program
    .command('backup <file>')
    .description('write a consistent copy of the state database to FILE (safe while the daemon runs); see "Backups" in the README')
    .option('--force', 'replace FILE if it exists')
    .action(async (file: string, opts: { force?: boolean }) => {
      const { backup } = await import('./commands/backup.js');
      const { resolved } = context();
      const result = await backup({ resolved, file, force: opts.force });
      out(`backup: ${path.relative(cwd, result.file) || result.file}: ${result.subscribers} subscribers, ${result.digests} digests, ${result.deliveries} deliveries (integrity checked)`);
      if (resolved.secrets.secret === undefined) out(`keep ${path.relative(cwd, path.join(resolved.paths.state, 'secret'))} with it: unsubscribe links are signed with it`);
    });

  program
    .command('daemon')
    .description('run build and digest on the cron schedules of the config, and serve one-click unsubscribe and the public signup')
    .option('--print-schedule', 'print the next runs of each job and exit')
    .addHelpText(
      'after',
      `
At start it listens on server.host:server.port first and exits before any job runs if it
cannot: 69 when the port is in use (another process; systemd's Restart=on-failure retries),
78 for a bad config, an address not of this machine or a FEEDLETTER_SECRET under 32 bytes.
A digest left unfinished (stopped, killed, SMTP down) is finished at start, and after a run
that leaves it unfinished it is retried after schedule.retryDelayMs (default 1 min), the delay
doubling up to schedule.retryMaxDelayMs (default 1 h), until it is done.
POST /unsubscribe takes exactly RFC 8058's List-Unsubscribe=One-Click (token in the URL) or
the confirmation page's own form; anything else gets 400. GET /healthz: the last run of each
job; a digest run's summary has kind "sent", "resumed" or "nothing-new", and retryAt
says when an unfinished digest is tried again.
SIGTERM or SIGINT: finish the message in flight, record state, exit 0 (a second signal exits at once).`,
    )
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

  const bounces = program.command('bounces').description('bounces and complaints: read reports, list what happened');
  bounces
    .command('import <paths...>')
    .description('read bounce reports from .eml files, mbox files and Maildir folders (safe to run again: a report counts once)')
    .addHelpText(
      'after',
      `
Each message is classified (RFC 3464 delivery reports, RFC 5965 abuse reports, Exim and qmail
bounces, auto-replies) and matched to its subscriber by the VERP token, our Message-ID, or the
address if it was sent a digest within bounces.matchWindow. Hard bounces and complaints stop
mail to the address at once; soft ones after bounces.softLimit. Unrecognised messages, reports
matching no delivery of ours and refusals because of the sender are listed and change nothing.`,
    )
    .action(async (paths: string[]) => {
      const { importBounces } = await import('./commands/bounces.js');
      const { resolved, now } = context();
      const report = await importBounces(resolved, paths, now);
      for (const m of report.messages) {
        const what = m.senderProblem === true ? `${m.kind} (SENDER PROBLEM: refused because of us, needs your attention)` : m.kind;
        const effect = m.effect === undefined ? '' : `\t${m.effect}`;
        out(`${m.origin}\t${what}${effect}\t${m.email ?? ''}\t${m.note ?? ''}`);
      }
      const c = report.counts;
      out(`${report.messages.length} messages: ${c.hard} hard, ${c.soft} soft, ${c.complaint} complaints, ${c['not-bounce']} not bounces, ${c.unknown} unrecognised, ${c.skipped} skipped; ${c.duplicate} already recorded, ${c.unmatched} unmatched`);
    });
  bounces
    .command('list')
    .description('list recorded bounces: time, kind, status, subscriber or recipient, effect, source, diagnostic')
    .option('--since <when>', 'only those received since a date (2026-01-31) or this long ago (7d, 48h)')
    .action(async (opts: { since?: string }) => {
      const { listBounces } = await import('./commands/bounces.js');
      const { resolved, now } = context();
      let since: Date | undefined;
      if (opts.since !== undefined) {
        const ago = /^(\d+)([dh])$/.exec(opts.since);
        since = ago ? new Date(now.getTime() - Number(ago[1]) * (ago[2] === 'd' ? 86_400_000 : 3_600_000)) : parseDate(opts.since);
      }
      for (const b of listBounces(resolved, since)) {
        const kind = b.senderProblem ? `${b.kind}/sender` : b.kind;
        const who = b.subscriberEmail ?? `${b.recipient ?? '?'} (unmatched)`;
        out(`${b.at.toISOString()}\t${kind}\t${b.status ?? ''}\t${who}\t${b.effect}\t${b.source}${b.digestId === null ? '' : ` #${b.digestId}`}\t${b.diagnostic ?? ''}`);
      }
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
    .command('reactivate <email>')
    .description('take back a bounced or complained address (the mailbox works again, the complaint was a mistake); it is mailed again from the next digest')
    .action(async (email: string) => {
      const { reactivateSubscriber } = await import('./commands/subscribers.js');
      const { resolved, now } = context();
      const result = reactivateSubscriber(resolved, email, now);
      out(result.changed ? `reactivated ${result.email}` : `${result.email} is ${result.status}; only bounced or complained addresses are reactivated (nothing changed)`);
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
    .addHelpText(
      'after',
      `
The header row names the columns (any order and case; others are ignored). Each bad row is
reported with its line and skipped; a repeated address is kept once; an address already there
stays as it is (an unsubscribed one is not re-subscribed). With a "status" column, a new
address that is unsubscribed, bounced, complained, cleaned or blocklisted is added as
unsubscribed (never mailed), a pending or unconfirmed one is not imported, and an unknown status
is an error for its row. One ' in front of a value that then
starts with =, +, -, @, a tab or a CR is removed: "subscribers export" adds it against formula
injection in spreadsheets.`,
    )
    .action(async (file: string) => {
      const { importSubscribers } = await import('./commands/subscribers.js');
      const { resolved, now } = context();
      const result = await importSubscribers(resolved, file, now);
      printProblems(result.problems);
      out(`imported: ${result.added} added, ${result.existing} already there, ${result.problems.length} rows with errors`);
      if (result.problems.length > 0) setExit(EXIT.partial);
    });
  subscribers
    .command('export')
    .description('print every subscriber as CSV, with the consent record (source, page, IPs, user agents, confirmation)')
    .addHelpText(
      'after',
      `
A name, address, page URL or user agent that starts with =, +, -, @, a tab or a CR (or a full-width ＝＋－＠) is written
with a ' in front ('=HYPERLINK(...)), so that a spreadsheet shows it as text instead of running it
as a formula (OWASP, CSV injection). "subscribers import" removes that one ', so an export
imports back to the same subscribers.`,
    )
    .action(async () => {
      const { exportSubscribers } = await import('./commands/subscribers.js');
      const { resolved } = context();
      try {
        for await (const chunk of exportSubscribers(resolved)) {
          if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
        }
      } catch (error) {
        // The reader went away (`export | head`): stop writing, as cat would. Any other write
        // error (a full disk behind `> file`) is reported.
        if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
      }
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
    return report(error, program.opts<GlobalOptions>().verbose === true);
  }
  return exitCode;
}

/**
 * The one place an error becomes a message and an exit code. A stack trace only for a bug
 * (an error that is neither ours nor a known failure of the disk or the database), and only
 * with --verbose.
 */
export function report(caught: unknown, verbose: boolean): number {
  const error = caught instanceof FeedletterError ? caught : (asKnownFailure(caught) ?? caught);
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
    printProblems(error.problems);
    err(`feedletter: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`);
    if (error.cause instanceof Error) err(`  cause: ${error.cause.message}`);
    return EXIT_BY_CODE[error.code];
  }
  // Not ours: a bug. The stack with --verbose, for the report.
  const message = error instanceof Error ? error.message : String(error);
  err(`feedletter: unexpected error: ${message}`);
  err(verbose && error instanceof Error && error.stack !== undefined ? error.stack : '  (a bug: run again with --verbose for the stack trace, and report it)');
  return 70;
}

// Run when executed (bin, `node dist/cli.js`), not when imported by tests.
if (process.argv[1] && import.meta.url === (await import('node:url')).pathToFileURL((await import('node:fs')).realpathSync(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2));
}
