import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_TEMPLATES_DIR, type ResolvedConfig } from '../config/schema.js';
import { requireContentDir } from '../content/folder.js';
import { renderPosts, scanPosts } from '../content/index.js';
import { FeedletterError, type Problem } from '../errors.js';
import { buildMessage, unsubscribeUrl } from '../digest/message.js';
import { compileDigest, preparePersonaliser, type CompiledDigest } from '../digest/render.js';
import { chooseTemplates } from '../digest/templates.js';
import { digestWindowStart, selectDigestPosts } from '../digest/select.js';
import { loadOrCreateSecret, signToken } from '../digest/token.js';
import { createOutboxTransport, writePrivateFile } from '../delivery/outbox.js';
import { smtpBounce } from '../bounces/smtp.js';
import { signVerpToken, verpAddress } from '../bounces/verp.js';
import { applyBounce, bounceSettings } from '../subscribers/bounces.js';
import { deliverDigest, transportError, type DeliverReport } from '../delivery/send.js';
import { createSmtpTransport } from '../delivery/smtp.js';
import { classifySmtpError, type OutgoingMessage, type Transport } from '../delivery/transport.js';
import { normaliseEmail, normaliseName } from '../store/email.js';
import { digestPageUrl } from '../newsletter/page.js';
import type { Logger } from '../log.js';
import type { PostHeader } from '../post.js';
import { acquireLock } from '../store/lock.js';
import { Store, type DigestRecord, type Subscriber } from '../store/index.js';
import { headerCacheFile } from './build.js';

export interface DigestOptions {
  resolved: ResolvedConfig;
  now: Date;
  /** Clock for delivery timestamps; defaults to `() => now`. */
  clock?: () => Date;
  logger?: Logger | undefined;
  /** Render and write every message to the outbox; send nothing; change no state. */
  dryRun?: boolean;
  /** Send one test copy ("[TEST]" subject) to this address; change no state. */
  to?: string | undefined;
  /** Posts published after this date, instead of the watermark or the first-run lookback. */
  since?: Date | undefined;
  /** Replaces the transport chosen from the environment (tests, benchmarks). */
  transport?: Transport;
  signal?: AbortSignal;
  onProgress?: (counts: { pending: number; sending: number; sent: number; failed: number }) => void;
  /** How long to wait for another sender's lock before giving up (ms). */
  lockWaitMs?: number;
  /**
   * Send a finished digest again to the subscribers it failed for (still active ones only; never
   * to one it reached): `true` for the most recent digest, or a digest id. Nothing new is sent.
   */
  retryFailed?: true | number | undefined;
}

export type DigestOutcome =
  | { kind: 'nothing-new'; problems: Problem[]; resumed: DeliverReport | undefined }
  | { kind: 'retry'; digestId: number; requeued: number; report: DeliverReport | undefined; problems: Problem[]; resumed: undefined; outbox: string | undefined }
  /** No SMTP server configured (and the outbox not chosen as the transport): rendered into the outbox, nothing sent, no state changed. */
  | { kind: 'preview'; posts: number; messages: number; problems: Problem[]; outbox: string }
  | { kind: 'sent'; digestId: number; posts: number; report: DeliverReport; problems: Problem[]; resumed: DeliverReport | undefined; outbox: string | undefined }
  | { kind: 'dry-run' | 'test'; posts: number; messages: number; problems: Problem[]; outbox: string | undefined };

/**
 * `feedletter digest`: finish an unfinished digest first, then gather the posts published since
 * the last one, compile one email, and deliver it to every active subscriber exactly once.
 *
 * Exactly once rests on the store: the digest and one pending delivery per subscriber are
 * recorded in one transaction before the first message goes out, each delivery is marked before
 * and after its SMTP transaction, and the watermark moves only when the digest is complete.
 */
export async function digest(options: DigestOptions): Promise<DigestOutcome> {
  const { resolved, now } = options;
  const { config } = resolved;
  const clock = options.clock ?? (() => now);
  // Without an SMTP server, a digest is a preview unless the owner chose the outbox as the real
  // transport: a cron line or env file that lost SMTP_URL must not record everyone as sent.
  const hasTransport = options.transport !== undefined || config.digest.transport === 'outbox' || resolved.secrets.smtpUrl !== undefined;
  const preview = !options.dryRun && options.to === undefined && !hasTransport;
  if (preview && options.retryFailed !== undefined) {
    throw new FeedletterError('CONFIG_INVALID', '--retry-failed needs an SMTP server, and SMTP_URL is not set', { hint: 'set SMTP_URL (or digest.transport: outbox to deliver into the outbox folder)' });
  }
  const stateChanging = !options.dryRun && options.to === undefined && !preview;
  if (options.retryFailed !== undefined && !stateChanging) throw new FeedletterError('USAGE', '--retry-failed cannot be combined with --dry-run or --to');
  // Before the store is opened: from the wrong folder, nothing is created there.
  requireContentDir(resolved.paths.content, resolved.cwd);

  const store = Store.open(resolved.paths.state);
  let lock: Awaited<ReturnType<typeof acquireLock>> | undefined;
  let transport: Transport | undefined;
  try {
    lock = stateChanging ? await acquireLock(resolved.paths.state, { purpose: 'digest', wait: options.lockWaitMs ?? 0, clock }) : undefined;
    const secret = loadOrCreateSecret(resolved.paths.state, resolved.secrets.secret);
    const toOutbox = options.dryRun === true || preview || (options.transport === undefined && config.digest.transport === 'outbox');
    transport = toOutbox ? createOutboxTransport({ dir: resolved.paths.outbox }) : (options.transport ?? createTransport(resolved));
    const outbox = toOutbox ? resolved.paths.outbox : undefined;
    const dkim = dkimOptions(resolved);
    const bounces = bounceSettings(config);

    const makeBuilder = (record: Pick<DigestRecord, 'id' | 'createdAt'>, compiled: CompiledDigest, test: boolean) => {
      const personalise = preparePersonaliser(compiled);
      return (stored: Pick<Subscriber, 'id' | 'email' | 'name'>): OutgoingMessage => {
        // A name stored before names were cleaned on the way in (CR/LF, 200 KB) never reaches a header.
        const subscriber = { ...stored, name: displayName(stored.name) };
        // The token's issue time is the digest's: a re-sent message is byte-for-byte the same.
        const url = unsubscribeUrl(config, signToken(secret, subscriber.id, record.createdAt));
        const personal = personalise({ name: subscriber.name, email: subscriber.email, unsubscribeUrl: url });
        const message = buildMessage({
          config,
          digestId: record.id,
          digestCreatedAt: record.createdAt,
          subscriber,
          personal: test ? { ...personal, subject: `[TEST] ${personal.subject}` } : personal,
          unsubscribeUrl: url,
          ...(dkim ? { dkim } : {}),
          ...(config.bounces.address !== undefined ? { envelopeFrom: verpAddress(config.bounces.address, signVerpToken(secret, record.id, subscriber.id)) } : {}),
        });
        return message;
      };
    };

    // deliverDigest verifies the transport itself and turns a failure into SMTP_UNAVAILABLE.
    const deliver = async (record: DigestRecord): Promise<DeliverReport> =>
      deliverDigest({
        store,
        digestId: record.id,
        transport: transport!,
        build: makeBuilder(record, record, false),
        retries: config.smtp.retries,
        retryDelayMs: config.smtp.retryDelayMs,
        concurrency: config.smtp.maxConnections,
        clock,
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        // A refusal of one recipient is a bounce, under the same rules as a bounce report.
        onFailed: (subscriber, failure) => {
          const applied = applyBounce(store, smtpBounce({ digestId: record.id, subscriberId: subscriber.id, recipient: subscriber.email, ...failure, at: clock() }), bounces);
          if (applied.effect === 'bounced') options.logger?.warn({ digest: record.id, subscriber: subscriber.id }, 'address refused: marked bounced, not mailed again');
        },
      });

    // 0. --retry-failed: the failed deliveries of a finished digest go back to pending (in one
    // transaction that re-opens the digest), then that digest is delivered like an unfinished one.
    if (options.retryFailed !== undefined) {
      const target = options.retryFailed === true ? store.latestDigest() : store.getDigest(options.retryFailed);
      if (target === undefined) {
        throw new FeedletterError('INPUT_INVALID', options.retryFailed === true ? 'there is no digest yet to retry' : `there is no digest #${options.retryFailed}`, {
          hint: 'feedletter digest --retry-failed retries the most recent digest; give a number for an older one',
        });
      }
      const requeued = store.requeueFailed(target.id, clock());
      options.logger?.info({ digestId: target.id, requeued }, 'failed deliveries re-queued');
      const report = requeued > 0 || target.status === 'pending' ? await deliver(store.getDigest(target.id) ?? target) : undefined;
      return { kind: 'retry', digestId: target.id, requeued, report, problems: [], resumed: undefined, outbox };
    }

    // 1. An unfinished digest (crash, kill, SMTP outage) is finished before anything new starts.
    let resumed: DeliverReport | undefined;
    if (stateChanging) {
      const unfinished = store.unfinishedDigest();
      if (unfinished) {
        options.logger?.info({ digestId: unfinished.id, ...store.deliveryCounts(unfinished.id) }, 'resuming unfinished digest');
        resumed = await deliver(unfinished);
        if (resumed.complete) await publishNewsletter(resolved, store, unfinished.id, options.logger);
        if (!resumed.complete) {
          return { kind: 'sent', digestId: unfinished.id, posts: unfinished.postIds.length, report: resumed, problems: [], resumed: undefined, outbox };
        }
      }
    }

    // 2. What is new since the last digest.
    const window = {
      watermark: store.getWatermark(),
      now,
      firstRunLookbackMs: config.digest.firstRunLookback,
      ...(options.since ? { since: options.since } : {}),
    };
    // Only posts dated after the window start can be selected: keep those, not every header.
    const start = digestWindowStart(window).getTime();
    const candidates: PostHeader[] = [];
    const content = await scanPosts({ config, contentDir: resolved.paths.content, now, cacheFile: stateChanging ? headerCacheFile(resolved) : undefined }, (header) => {
      if (header.date.getTime() > start) candidates.push(header);
    });
    // A preview (--dry-run, --to) with an explicit --since shows those posts even if a digest
    // already carried them; anything that sends for real never repeats a post.
    const alreadySent = !stateChanging && options.since !== undefined ? new Set<string>() : store.sentPostIds();
    const selection = selectDigestPosts({ ...window, headers: candidates, alreadySent });
    const rendered = await renderPosts(selection.posts, { config, contentDir: resolved.paths.content });
    const problems = [...content.problems, ...rendered.problems];
    const posts = [...rendered.posts].sort((a, b) => b.date.getTime() - a.date.getTime());
    if (posts.length === 0) {
      options.logger?.info({ job: 'digest', since: selection.windowStart.toISOString() }, 'no new posts: no digest');
      return { kind: 'nothing-new', problems, resumed };
    }

    // 3. One compile per digest: Liquid and MJML run here, never per subscriber. The digest's
    // page in the archive gets the number the store gives it next (we hold the digest lock).
    const templates = chooseTemplates({ templatesDir: resolved.paths.templates, configured: config.digest.templates, defaultDir: DEFAULT_TEMPLATES_DIR });
    if (templates.builtin) options.logger?.info({ job: 'digest', templates: 'built-in' }, `no ${config.digest.templates}/ folder: using feedletter's built-in email templates`);
    const number = (store.listDigests().at(-1)?.id ?? 0) + 1;
    const webUrl = stateChanging && config.digest.archive ? digestPageUrl(config, number) : undefined;
    const compiled = await compileDigest({ config, templatesDir: templates.dir, posts, now, webUrl });
    if (outbox) await writePreview(outbox, compiled, makeBuilder({ id: 0, createdAt: now }, compiled, false));

    if (!stateChanging) {
      const build = makeBuilder({ id: 0, createdAt: now }, compiled, options.to !== undefined);
      const active = transport;
      // The same errors, and exit codes, as a real run: a server that is down is SMTP_UNAVAILABLE
      // (69), an outbox that cannot be written IO_FAILED (74), a test address refused INPUT_INVALID (65).
      const sendOne = async (message: OutgoingMessage): Promise<void> => {
        try {
          await active.send(message);
        } catch (error) {
          const classified = classifySmtpError(error);
          if (classified.kind === 'permanent' && options.to !== undefined) {
            throw new FeedletterError('INPUT_INVALID', `the server refused the test copy to ${options.to}: ${classified.message}`, { cause: classified, hint: 'check the address' });
          }
          throw transportError(classified, active);
        }
      };
      try {
        await active.verify();
      } catch (error) {
        throw transportError(classifySmtpError(error), active);
      }
      let messages = 0;
      if (options.to !== undefined) {
        await sendOne(build({ id: 0, email: normaliseEmail(options.to), name: null }));
        messages = 1;
      } else {
        for (const subscriber of store.iterateSubscribers({ status: 'active' })) {
          await sendOne(build(subscriber));
          messages++;
        }
      }
      if (preview) {
        options.logger?.info({ job: 'digest', posts: posts.length, messages }, 'no SMTP_URL: the digest was previewed into the outbox; nothing sent, no state changed');
        return { kind: 'preview', posts: posts.length, messages, problems, outbox: resolved.paths.outbox };
      }
      return { kind: options.to === undefined ? 'dry-run' : 'test', posts: posts.length, messages, problems, outbox };
    }

    // 4. Record the digest and every pending delivery, then send.
    const record = store.createDigest({
      createdAt: now,
      windowStart: selection.windowStart,
      windowEnd: selection.windowEnd,
      subject: compiled.subject,
      preheader: compiled.preheader,
      html: compiled.html,
      text: compiled.text,
      postIds: posts.map((post) => post.id),
    });
    options.logger?.info({ digestId: record.id, posts: posts.length, subscribers: store.deliveryCounts(record.id).pending }, 'digest recorded');
    if (webUrl !== undefined && record.id !== number) options.logger?.warn({ digestId: record.id, expected: number }, 'the digest got another number than its view-in-browser link says');
    const report = await deliver(record);
    options.logger?.info({ job: 'digest', digestId: record.id, sent: report.sent, failed: report.failed.length, complete: report.complete }, 'digest delivered');
    if (report.complete) problems.push(...(await publishNewsletter(resolved, store, record.id, options.logger)));
    return { kind: 'sent', digestId: record.id, posts: posts.length, report, problems, resumed, outbox };
  } finally {
    await transport?.close();
    lock?.release();
    store.close();
  }
}

/**
 * The newsletter archive on the site, after a digest went out to everyone. Never fails the
 * digest (it is sent): a problem writing the pages is a warning, and the next digest writes
 * them all again.
 */
async function publishNewsletter(resolved: ResolvedConfig, store: Store, sent: number, logger: Logger | undefined): Promise<Problem[]> {
  if (!resolved.config.digest.archive) return [];
  try {
    const { publishArchive } = await import('../newsletter/publish.js');
    const { written } = await publishArchive(resolved, store.listDigests(), (id) => store.getDigest(id), sent);
    logger?.info({ job: 'digest', archiveWritten: written.length }, 'newsletter archive published');
    return [];
  } catch (error) {
    return [{ file: resolved.config.output.dir, field: 'digest.archive', message: `the newsletter archive could not be written: ${(error as Error).message}`, hint: 'check that output.dir is writable; the digest itself was sent', severity: 'warning' }];
  }
}

/**
 * The transport of a real run: the outbox folder when `digest.transport: outbox` chose it, else
 * SMTP_URL's server. (Without either, `digest` previews and never gets here.)
 */
export function createTransport(resolved: ResolvedConfig): Transport {
  const { smtp } = resolved.config;
  if (resolved.config.digest.transport === 'outbox') return createOutboxTransport({ dir: resolved.paths.outbox });
  if (resolved.secrets.smtpUrl === undefined) {
    throw new FeedletterError('CONFIG_INVALID', 'SMTP_URL is not set', { hint: 'set SMTP_URL=smtps://user:password@mail.example.com:465, or digest.transport: outbox' });
  }
  return createSmtpTransport({ url: resolved.secrets.smtpUrl, maxConnections: smtp.maxConnections, rateLimit: smtp.rateLimit, timeouts: { connectionMs: smtp.connectionTimeoutMs, greetingMs: smtp.greetingTimeoutMs, socketMs: smtp.socketTimeoutMs } });
}

export function dkimOptions(resolved: ResolvedConfig): { domainName: string; keySelector: string; privateKey: string } | undefined {
  const dkim = resolved.config.smtp.dkim;
  if (!dkim) return undefined;
  let privateKey = resolved.secrets.dkimPrivateKey;
  if (privateKey === undefined && dkim.privateKeyFile !== undefined) {
    try {
      privateKey = readFileSync(path.resolve(resolved.cwd, dkim.privateKeyFile), 'utf8');
    } catch (cause) {
      throw new FeedletterError('CONFIG_INVALID', `smtp.dkim.privateKeyFile: cannot read ${dkim.privateKeyFile}`, { cause, hint: 'check the path, or set FEEDLETTER_DKIM_PRIVATE_KEY' });
    }
  }
  if (privateKey === undefined) {
    throw new FeedletterError('CONFIG_INVALID', 'smtp.dkim is set but there is no private key', { hint: 'set FEEDLETTER_DKIM_PRIVATE_KEY or smtp.dkim.privateKeyFile' });
  }
  return { domainName: dkim.domainName, keySelector: dkim.keySelector, privateKey };
}

/** digest.html / digest.txt in the outbox, personalised for a sample reader, to open in a browser. */
async function writePreview(dir: string, compiled: CompiledDigest, build: (s: Pick<Subscriber, 'id' | 'email' | 'name'>) => OutgoingMessage): Promise<void> {
  const message = build({ id: 0, email: 'reader@example.com', name: null });
  try {
    await writePrivateFile(dir, 'digest.html', String(message.options.html ?? ''));
    await writePrivateFile(dir, 'digest.txt', String(message.options.text ?? ''));
  } catch (cause) {
    throw new FeedletterError('IO_FAILED', `cannot write the digest preview into ${dir}: ${(cause as Error).message}`, { cause, hint: 'check free space and that digest.outbox is a folder the user running feedletter may write' });
  }
}

function displayName(name: string | null): string | null {
  try {
    return normaliseName(name);
  } catch {
    return null; // longer than a name may be: none rather than a clipped one
  }
}
