import { createReadStream, openSync, type ReadStream } from 'node:fs';
import path from 'node:path';
import type { ResolvedConfig } from '../config/schema.js';
import { FeedletterError, type Problem } from '../errors.js';
import { exportSubscribersCsv, readSubscribersCsv, type CsvSubscriberRow } from '../store/csv.js';
import { loadOrCreateSecret } from '../digest/token.js';
import { Store, type Subscriber, type SubscriberStatus } from '../store/index.js';
import { buildSubscriberMail, confirmUrl, lifecycleSettings, prune, reactivate, signup, type SignupAction } from '../subscribers/index.js';
import { createTransport, dkimOptions } from './digest.js';

/** A failure of the file system while reading (EISDIR, EIO, ...), not of the store or a bug. */
function isReadError(error: unknown): boolean {
  return error instanceof Error && 'syscall' in error && (error as NodeJS.ErrnoException).syscall === 'read';
}

/** `withStore` for an async `fn`. */
async function withStoreAsync<T>(resolved: ResolvedConfig, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = Store.open(resolved.paths.state);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

/** Run `fn` with the store open, and always close it. */
function withStore<T>(resolved: ResolvedConfig, fn: (store: Store) => T): T {
  const store = Store.open(resolved.paths.state);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

export function addSubscriber(resolved: ResolvedConfig, email: string, name: string | null, now: Date): { subscriber: Subscriber; created: boolean } {
  return withStore(resolved, (store) => store.addSubscriber(email, name, now, { source: 'cli' }));
}

/**
 * `subscribers add EMAIL --confirm`: for an address whose consent the owner cannot show, ask the
 * person: the address becomes pending and gets the same confirmation email as a form signup
 * (subject to subscribe.resendAfter). Sent at once through SMTP_URL (or into the outbox).
 */
export async function addWithConfirmation(resolved: ResolvedConfig, email: string, name: string | null, now: Date): Promise<{ action: SignupAction; email: string; sent: boolean }> {
  const secret = loadOrCreateSecret(resolved.paths.state, resolved.secrets.secret);
  const result = withStore(resolved, (store) =>
    signup(store, secret, { email, name, source: 'cli', sourceUrl: null, request: { ip: null, userAgent: null }, now }, lifecycleSettings(resolved.config)),
  );
  if (result.send === undefined) return { action: result.action, email, sent: false };
  const transport = createTransport(resolved);
  try {
    const message = buildSubscriberMail({
      config: resolved.config,
      kind: 'confirm',
      subscriberId: result.send.subscriberId,
      email: result.send.email,
      url: confirmUrl(resolved.config, result.send.token),
      now,
      dkim: dkimOptions(resolved),
    });
    try {
      await transport.send(message);
    } catch (cause) {
      // Not sent: the address may be asked again at once, not only after subscribe.resendAfter.
      const send = result.send;
      withStore(resolved, (store) => store.unmarkConfirmationSent(send.subscriberId, send.sentAt));
      throw new FeedletterError('SMTP_UNAVAILABLE', `the confirmation email to ${send.email} was not sent`, {
        cause,
        hint: 'check SMTP_URL, then run the same command again; the address stays pending until confirmed',
      });
    }
  } finally {
    await transport.close();
  }
  return { action: result.action, email: result.send.email, sent: true };
}

/** `subscribers prune`: forget pending addresses older than subscribe.pendingTtl (the daemon does it hourly). */
export function pruneSubscribers(resolved: ResolvedConfig, now: Date): { deleted: number; reverted: number } {
  return withStore(resolved, (store) => prune(store, now, lifecycleSettings(resolved.config)));
}

export function removeSubscriber(resolved: ResolvedConfig, email: string, now: Date): boolean {
  return withStore(resolved, (store) => store.removeSubscriber(email, now));
}

/**
 * `subscribers reactivate EMAIL`: a bounced or complained address back to active. An unknown
 * address is an input error (65); one in another state is left as it is (`changed` false).
 */
export function reactivateSubscriber(resolved: ResolvedConfig, email: string, now: Date): { email: string; status: SubscriberStatus; changed: boolean } {
  return withStore(resolved, (store) => {
    const result = reactivate(store, email, now);
    if (result === undefined) {
      throw new FeedletterError('INPUT_INVALID', `${email} is not in the subscriber list`, { hint: 'feedletter subscribers list --status bounced (or complained) shows the addresses that can be reactivated' });
    }
    return { email: result.subscriber.email, status: result.subscriber.status, changed: result.changed };
  });
}

export function listSubscribers(resolved: ResolvedConfig, status: SubscriberStatus | undefined): Subscriber[] {
  return withStore(resolved, (store) => store.listSubscribers(status ? { status } : undefined));
}

/**
 * Every subscriber as CSV (`exportSubscribersCsv`), streamed from the store a page at a time;
 * the store is closed when the stream is read to its end or abandoned.
 */
export async function* exportSubscribers(resolved: ResolvedConfig): AsyncGenerator<string | Buffer> {
  const store = Store.open(resolved.paths.state);
  try {
    for await (const chunk of exportSubscribersCsv(store.iterateSubscribers())) yield chunk as string | Buffer;
  } finally {
    store.close();
  }
}

export interface ImportResult {
  added: number;
  existing: number;
  problems: Problem[];
}

/** Rows per transaction of an import: a few milliseconds of write lock each. */
const IMPORT_BATCH = 1000;

/**
 * CSV with an `email` column and an optional `name` column, read as a stream and added in
 * batches (one transaction each). Bad rows are reported and skipped. An address already there
 * (also one that unsubscribed) is left as it is.
 */
export async function importSubscribers(resolved: ResolvedConfig, file: string, now: Date): Promise<ImportResult> {
  const full = path.resolve(resolved.cwd, file);
  let input: ReadStream;
  try {
    // Opened before the store, so that a wrong path creates no state folder.
    input = createReadStream('', { fd: openSync(full, 'r') });
  } catch (cause) {
    throw new FeedletterError('INPUT_INVALID', `${file}: cannot read the file`, { cause, hint: 'give the path of a CSV file with an "email" column' });
  }
  try {
    return await withStoreAsync(resolved, async (store) => {
      let added = 0;
      let existing = 0;
      let batch: CsvSubscriberRow[] = [];
      const flush = (): void => {
        const counts = store.addSubscribers(batch, now);
        added += counts.added;
        existing += counts.existing;
        batch = [];
      };
      let problems: Problem[];
      try {
        problems = await readSubscribersCsv(input, file, (row) => {
          batch.push(row);
          if (batch.length >= IMPORT_BATCH) flush();
        });
      } catch (cause) {
        if (!isReadError(cause)) throw cause;
        throw new FeedletterError('INPUT_INVALID', `${file}: cannot read the file`, { cause, hint: 'give the path of a CSV file with an "email" column' });
      }
      flush();
      return { added, existing, problems };
    });
  } finally {
    input.destroy();
  }
}
