import { FeedletterError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DeliveryCounts, Store, Subscriber } from '../store/index.js';
import { abortableSleep } from './rate-limit.js';
import { classifySmtpError, SendError, type OutgoingMessage, type Transport } from './transport.js';

export interface DeliverOptions {
  store: Store;
  digestId: number;
  transport: Transport;
  /**
   * One subscriber's message. Must be cheap and deterministic for one (digest, subscriber): a
   * re-send after a crash must carry the same Message-ID.
   */
  build: (subscriber: Subscriber) => OutgoingMessage;
  /** Retries of a transient failure per message. */
  retries: number;
  /** Delay before the first retry; doubles on each further one. */
  retryDelayMs: number;
  /** Messages in flight at once. @default transport.concurrency, else 1 */
  concurrency?: number;
  /** Abort: take no new message, let the ones in flight finish, return with the rest pending. */
  signal?: AbortSignal;
  clock: () => Date;
  logger?: Logger;
  /**
   * Called when a delivery is marked failed for its recipient alone (never for a refusal that
   * stopped the run: those stay pending): `permanent` for a 5xx refusal, false for a transient
   * failure that outlasted the retries. `reply` is the server's words. Bounce rules hang here.
   */
  onFailed?: (subscriber: Subscriber, failure: { permanent: boolean; reply: string }) => void;
  /** Called after each message reaches sent or failed. */
  onProgress?: (counts: DeliveryCounts) => void;
  /**
   * This many messages in a row giving up on transient errors, with no success in between,
   * means the server as a whole is not taking mail: stop with SMTP_UNAVAILABLE and leave them
   * pending rather than failing every subscriber. @default 3
   */
  giveUpStreak?: number;
  /**
   * This many different recipients in a row refused permanently with the same reply (addresses
   * aside), with no success in between, means the refusal is about the sender or the server
   * ("relay denied", a sending quota answered at RCPT TO), not the recipients: stop with
   * SMTP_UNAVAILABLE and leave them pending. Replies whose enhanced status code names the
   * recipient's mailbox (RFC 3463 X.1.1–X.1.3, X.1.6, X.1.10, X.2.x) never count. @default 3
   */
  refusalStreak?: number;
  /** Deliveries read from the store at a time. @default 200 */
  batchSize?: number;
}

export interface DeliverReport {
  sent: number;
  failed: { email: string; error: string }[];
  aborted: boolean;
  /** The digest is complete (and the watermark moved). */
  complete: boolean;
}

const describe = (error: SendError): string => error.message.split('\n')[0] ?? error.message;

/** RFC 3463 enhanced codes about the recipient's own mailbox: a refusal of that address alone. */
const MAILBOX_STATUS = /^\d{3}[ -]+[45]\.(1\.(1|2|3|6|10)|2\.\d{1,3})\b/;

/**
 * What makes two refusals "the same reply": the reply code and text with addresses, queue ids
 * and other numbers taken out, so "550 <a@x>: relay denied" and "550 <b@y>: relay denied" match.
 * Undefined for a refusal that only concerns its recipient.
 */
export function refusalSignature(error: SendError): string | undefined {
  const reply = (error.response ?? '').trim();
  if (reply === '' || MAILBOX_STATUS.test(reply)) return undefined;
  const code = reply.slice(0, 3);
  const text = reply
    .slice(3)
    .replace(/<[^>]*>|\S+@\S+/g, '')
    .replace(/\d+/g, '#')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
  return `${code} ${text}`;
}

/**
 * Sends one digest to every subscriber still to do, exactly once:
 * - each delivery is marked `sending` (attempts + 1) before the message goes to the transport,
 *   and `sent` only once the server accepted it: a crash leaves at most the messages in flight in
 *   `sending`, and the next run re-sends those with the same Message-ID;
 * - transient failures are retried with exponential backoff, then the delivery fails; permanent
 *   ones fail at once; the others go on;
 * - a server that is unavailable (or keeps deferring everything, see `giveUpStreak`) stops the run
 *   with SMTP_UNAVAILABLE, nothing more marked, the rest pending for the next run;
 * - when nothing is left to do, the digest is completed and the watermark moves.
 * Subscribers are streamed from the store a page at a time; only the messages in flight exist.
 */
export async function deliverDigest(options: DeliverOptions): Promise<DeliverReport> {
  const { store, digestId, transport, clock, logger, signal } = options;
  const digest = store.getDigest(digestId);
  if (digest === undefined) throw new FeedletterError('STATE_INVALID', `no digest ${digestId} in the store`);
  const report: DeliverReport = { sent: 0, failed: [], aborted: false, complete: digest.status === 'complete' };
  if (report.complete) return report;

  const counts = store.deliveryCounts(digestId);
  // Left `sending` by a run that died: to do again, like the pending ones.
  counts.pending += counts.sending;
  counts.sending = 0;
  if (counts.pending > 0) {
    try {
      await transport.verify();
    } catch (error) {
      throw transportError(classifySmtpError(error), transport);
    }
  }

  const concurrency = Math.max(1, options.concurrency ?? transport.concurrency ?? 1);
  const giveUpStreak = Math.max(1, options.giveUpStreak ?? 3);
  const refusalStreak = Math.max(1, options.refusalStreak ?? 3);
  const queue = store.pendingDeliveries(digestId, options.batchSize ?? 200);
  let fatal: SendError | undefined;
  // Deliveries that gave up on transient errors since the last success: failed only once another
  // message gets through (then it is these addresses, not the server), else left pending.
  let givenUp: { subscriber: Subscriber; error: string; reply: string }[] = [];
  // Deliveries refused permanently with one and the same reply since the last success: failed
  // once another message gets through or a different reply comes (then it was these
  // recipients), else left pending when `refusalStreak` of them show it is the server.
  let refused: { subscriber: Subscriber; error: string; signature: string; reply: string }[] = [];

  const progress = (from: keyof DeliveryCounts, to: keyof DeliveryCounts): void => {
    counts[from]--;
    counts[to]++;
    options.onProgress?.({ ...counts });
  };
  const fail = (subscriber: Subscriber, error: string, from: 'pending' | 'sending', permanent: boolean, reply: string): void => {
    store.markFailed(digestId, subscriber.id, error, clock());
    report.failed.push({ email: subscriber.email, error });
    progress(from, 'failed');
    logger?.warn({ digest: digestId, subscriber: subscriber.id, error }, 'delivery failed');
    options.onFailed?.(subscriber, { permanent, reply });
  };
  // An unexpected error (a bug in `build`, the database) stops the run like `fatal`, and is
  // rethrown once the messages in flight have settled.
  let crashed: { error: unknown } | undefined;
  const stopped = (): boolean => fatal !== undefined || crashed !== undefined || signal?.aborted === true;
  // Cuts retry backoffs short once the run is stopping for any reason.
  const halt = new AbortController();
  const onAbort = (): void => halt.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  const stop = (error: SendError): void => {
    fatal ??= error;
    halt.abort();
  };

  const deliverOne = async (subscriber: Subscriber): Promise<void> => {
    const message = options.build(subscriber);
    for (let attempt = 0; ; attempt++) {
      // Recorded before the SMTP transaction: if we die now, the next run re-sends this one.
      if (!store.markSending(digestId, subscriber.id, clock())) return;
      counts.pending--;
      counts.sending++;
      let error: SendError;
      try {
        await transport.send(message);
        store.markSent(digestId, subscriber.id, message.messageId, clock());
        report.sent++;
        progress('sending', 'sent');
        if (givenUp.length > 0) {
          for (const g of givenUp) fail(g.subscriber, g.error, 'pending', false, g.reply);
          givenUp = [];
        }
        if (refused.length > 0) {
          for (const r of refused) fail(r.subscriber, r.error, 'pending', true, r.reply);
          refused = [];
        }
        return;
      } catch (caught) {
        error = classifySmtpError(caught);
      }
      const text = describe(error);
      if (error.kind === 'uncertain') {
        // Maybe accepted: not retried now, not marked anything. It stays `sending`, so the next
        // run re-sends it once, with the same Message-ID, as after a crash in flight.
        stop(error);
        return;
      }
      if (error.kind === 'permanent') {
        const signature = refusalSignature(error);
        if (signature === undefined) {
          fail(subscriber, text, 'sending', true, error.response ?? text);
          return;
        }
        if (refused.length > 0 && refused[0]?.signature !== signature) {
          for (const r of refused) fail(r.subscriber, r.error, 'pending', true, r.reply);
          refused = [];
        }
        // Held back as pending until it is known whether the reply is about this recipient.
        store.markPending(digestId, subscriber.id, text, clock());
        counts.sending--;
        counts.pending++;
        refused.push({ subscriber, error: text, signature, reply: error.response ?? text });
        if (refused.length >= refusalStreak) {
          stop(new SendError('unavailable', `it refused ${refused.length} different recipients in a row with the same reply: ${error.response ?? text}`, { cause: error, responseCode: error.responseCode, code: error.code, command: error.command, response: error.response }));
        }
        return;
      }
      // Known not accepted: back to pending, so a crash during the backoff loses nothing.
      store.markPending(digestId, subscriber.id, text, clock());
      counts.sending--;
      counts.pending++;
      if (error.kind === 'unavailable') {
        stop(error);
        return;
      }
      if (attempt >= options.retries) {
        givenUp.push({ subscriber, error: `${text} (gave up after ${attempt + 1} attempts)`, reply: error.response ?? text });
        if (givenUp.length >= giveUpStreak) stop(error);
        return;
      }
      const delay = options.retryDelayMs * 2 ** attempt;
      logger?.info({ digest: digestId, subscriber: subscriber.id, error: text, delay }, 'transient failure, retrying');
      try {
        await abortableSleep(delay, halt.signal);
      } catch {
        return; // the run is stopping: stays pending
      }
    }
  };

  const worker = async (): Promise<void> => {
    while (!stopped()) {
      try {
        const next = queue.next();
        if (next.done === true) return;
        await deliverOne(next.value.subscriber);
      } catch (error) {
        crashed ??= { error };
        halt.abort();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, () => worker()));
  } finally {
    queue.return?.();
    signal?.removeEventListener('abort', onAbort);
  }
  if (crashed !== undefined) throw crashed.error;

  if (fatal !== undefined) throw transportError(fatal, transport);
  if (signal?.aborted === true) {
    // Cut short: too few messages to tell the server from these addresses. They stay pending.
    report.aborted = true;
    return report;
  }
  // Fewer than `giveUpStreak` in a row: these addresses keep deferring, not the whole server.
  for (const g of givenUp) fail(g.subscriber, g.error, 'pending', false, g.reply);
  // Fewer than `refusalStreak` alike: refusals of these recipients.
  for (const r of refused) fail(r.subscriber, r.error, 'pending', true, r.reply);
  const final = store.deliveryCounts(digestId);
  if (final.pending + final.sending === 0) {
    store.completeDigest(digestId, clock());
    report.complete = true;
  }
  return report;
}

/**
 * What stops a run, as the CLI reports it: SMTP_UNAVAILABLE (69) for the server, with its own
 * words; IO_FAILED (74) for an outbox folder that cannot be written.
 */
export function transportError(error: SendError, transport: Transport): FeedletterError {
  if (transport.name === 'outbox') {
    return new FeedletterError('IO_FAILED', `cannot write the outbox: ${describe(error)}`, {
      cause: error,
      hint: 'check free space and that digest.outbox is a folder the user running feedletter may write; the next run resumes where this one stopped',
    });
  }
  const what = 'the SMTP server';
  if (error.kind === 'uncertain') {
    return new FeedletterError('SMTP_UNAVAILABLE', `${what} stopped answering in the middle of a message (${describe(error)}); it may have accepted it, so it is not retried now`, {
      cause: error,
      hint: 'the next run re-sends that one message once, with the same Message-ID (a duplicate most mail systems drop), and resumes the rest; if the server is slow to answer the end of the data, raise smtp.socketTimeoutMs',
    });
  }
  const refusal = error.command === 'MAIL FROM' || error.command === 'RCPT TO' || error.command === 'DATA';
  if (refusal && error.response !== undefined && error.responseCode !== undefined && error.responseCode >= 500) {
    // A permanent refusal of the sender (quota, policy): the server's own words, the rest pending.
    const words = error.command === 'MAIL FROM' ? `it refuses mail from us: ${error.response}` : error.message;
    return new FeedletterError('SMTP_UNAVAILABLE', `${what} stopped taking the digest: ${words}`, {
      cause: error,
      hint: 'nothing more was marked failed; the rest of the digest stays pending and the next run resumes it (after a sending quota resets, or once the account is allowed to send)',
    });
  }
  return new FeedletterError('SMTP_UNAVAILABLE', `${what} is unavailable: ${describe(error)}`, {
    cause: error,
    hint: 'check SMTP_URL (host, port, credentials) and that the server is up; the next run resumes where this one stopped',
  });
}
