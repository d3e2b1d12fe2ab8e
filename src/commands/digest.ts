import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedConfig } from '../config/schema.js';
import { renderPosts, scanPosts } from '../content/index.js';
import { FeedletterError, type Problem } from '../errors.js';
import { buildMessage, unsubscribeUrl } from '../digest/message.js';
import { compileDigest, preparePersonaliser, type CompiledDigest } from '../digest/render.js';
import { digestWindowStart, selectDigestPosts } from '../digest/select.js';
import { loadOrCreateSecret, signToken } from '../digest/token.js';
import { createOutboxTransport } from '../delivery/outbox.js';
import { deliverDigest, type DeliverReport } from '../delivery/send.js';
import { createSmtpTransport } from '../delivery/smtp.js';
import type { OutgoingMessage, Transport } from '../delivery/transport.js';
import { writeFileAtomic } from '../feeds/write.js';
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
}

export type DigestOutcome =
  | { kind: 'nothing-new'; problems: Problem[]; resumed: DeliverReport | undefined }
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
  const stateChanging = !options.dryRun && options.to === undefined;

  const store = Store.open(resolved.paths.state);
  const lock = stateChanging ? await acquireLock(resolved.paths.state, { purpose: 'digest', wait: options.lockWaitMs ?? 0, clock }) : undefined;
  let transport: Transport | undefined;
  try {
    const secret = loadOrCreateSecret(resolved.paths.state, resolved.secrets.secret);
    const toOutbox = options.dryRun === true || (options.transport === undefined && resolved.secrets.smtpUrl === undefined);
    transport = options.dryRun ? createOutboxTransport({ dir: resolved.paths.outbox }) : (options.transport ?? createTransport(resolved));
    const outbox = toOutbox ? resolved.paths.outbox : undefined;
    const dkim = dkimOptions(resolved);

    const makeBuilder = (record: Pick<DigestRecord, 'id' | 'createdAt'>, compiled: CompiledDigest, test: boolean) => {
      const personalise = preparePersonaliser(compiled);
      return (subscriber: Pick<Subscriber, 'id' | 'email' | 'name'>): OutgoingMessage => {
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
      });

    // 1. An unfinished digest (crash, kill, SMTP outage) is finished before anything new starts.
    let resumed: DeliverReport | undefined;
    if (stateChanging) {
      const unfinished = store.unfinishedDigest();
      if (unfinished) {
        options.logger?.info({ digestId: unfinished.id, ...store.deliveryCounts(unfinished.id) }, 'resuming unfinished digest');
        resumed = await deliver(unfinished);
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

    // 3. One compile per digest: Liquid and MJML run here, never per subscriber.
    const compiled = await compileDigest({ config, templatesDir: resolved.paths.templates, posts, now });
    if (outbox) await writePreview(outbox, compiled, makeBuilder({ id: 0, createdAt: now }, compiled, false));

    if (!stateChanging) {
      const build = makeBuilder({ id: 0, createdAt: now }, compiled, options.to !== undefined);
      let messages = 0;
      await transport.verify();
      if (options.to !== undefined) {
        await transport.send(build({ id: 0, email: options.to, name: null }));
        messages = 1;
      } else {
        for (const subscriber of store.iterateSubscribers({ status: 'active' })) {
          await transport.send(build(subscriber));
          messages++;
        }
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
    const report = await deliver(record);
    options.logger?.info({ job: 'digest', digestId: record.id, sent: report.sent, failed: report.failed.length, complete: report.complete }, 'digest delivered');
    return { kind: 'sent', digestId: record.id, posts: posts.length, report, problems, resumed, outbox };
  } finally {
    await transport?.close();
    lock?.release();
    store.close();
  }
}

/** SMTP when SMTP_URL is set, else the outbox folder: `npm start` works with no mail server. */
export function createTransport(resolved: ResolvedConfig): Transport {
  const { smtp } = resolved.config;
  if (resolved.secrets.smtpUrl === undefined) return createOutboxTransport({ dir: resolved.paths.outbox });
  if (!/^smtps?:\/\//.test(resolved.secrets.smtpUrl)) {
    throw new FeedletterError('CONFIG_INVALID', 'SMTP_URL must start with smtp:// or smtps://', { hint: 'e.g. SMTP_URL=smtps://user:password@mail.example.com:465' });
  }
  return createSmtpTransport({ url: resolved.secrets.smtpUrl, maxConnections: smtp.maxConnections, rateLimit: smtp.rateLimit, timeoutMs: smtp.timeoutMs });
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
  mkdirSync(dir, { recursive: true });
  const message = build({ id: 0, email: 'reader@example.com', name: null });
  await writeFileAtomic(path.join(dir, 'digest.html'), String(message.options.html ?? ''));
  await writeFileAtomic(path.join(dir, 'digest.txt'), String(message.options.text ?? ''));
}
