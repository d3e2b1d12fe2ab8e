import path from 'node:path';
import { domainToUnicode } from 'node:url';
import Database from 'better-sqlite3';
import { databaseFailure, FeedletterError } from '../errors.js';
import { ensureDirSync } from '../fs.js';
import { normaliseEmail, normaliseName } from './email.js';
import { truncatedDatabase } from './failure.js';
import { migrate } from './migrations.js';

/**
 * Where a subscriber is in its lifecycle. Only `active` ones get digests. `bounced` and
 * `complained` are reserved for the bounce handling (nothing sets them yet).
 */
export type SubscriberStatus = 'pending' | 'active' | 'unsubscribed' | 'bounced' | 'complained';
export const SUBSCRIBER_STATUSES: readonly SubscriberStatus[] = ['pending', 'active', 'unsubscribed', 'bounced', 'complained'];

/** How an address came in: the hosted or embedded `form`, `cli` (subscribers add), `import` (CSV). */
export type ConsentSource = 'form' | 'cli' | 'import';

/**
 * What can show the person's consent (GDPR art. 7(1)). IPs are stored as configured
 * (`subscribe.storeIp`: the address, a keyed hash, or nothing). Subscribers from before consent
 * was recorded have `source: null`.
 */
export interface Consent {
  source: ConsentSource | null;
  /** The page the form was posted from (Referer / the form's own field), for `form`. */
  sourceUrl: string | null;
  signupIp: string | null;
  signupUserAgent: string | null;
  confirmedAt: Date | null;
  confirmIp: string | null;
  confirmUserAgent: string | null;
}

export interface Subscriber {
  id: number;
  email: string;
  name: string | null;
  status: SubscriberStatus;
  createdAt: Date;
  unsubscribedAt: Date | null;
  /** When the status last changed (for `pending`: since when it waits for confirmation). */
  statusAt: Date;
  /** When the last confirmation email was handed to the transport. */
  confirmSentAt: Date | null;
  consent: Consent;
}

/** The consent details of one signup or confirmation request, as they are to be stored. */
export interface RequestInfo {
  ip: string | null;
  userAgent: string | null;
}

export interface DigestRecord {
  id: number;
  createdAt: Date;
  windowStart: Date;
  windowEnd: Date;
  status: 'pending' | 'complete';
  subject: string;
  /** The preview text shown after the subject in inbox lists. */
  preheader: string;
  /** The compiled HTML, per-subscriber placeholders still in it. */
  html: string;
  text: string;
  postIds: string[];
}

export type DigestSummary = Pick<DigestRecord, 'id' | 'createdAt' | 'status' | 'subject' | 'preheader'>;

export interface DeliveryCounts {
  pending: number;
  sending: number;
  sent: number;
  failed: number;
}

export interface JobRun {
  job: string;
  startedAt: Date;
  finishedAt: Date;
  ok: boolean;
  summary: unknown;
}

export interface SubscriberFilter {
  status?: Subscriber['status'];
}

export interface TableCounts {
  subscribers: number;
  digests: number;
  deliveries: number;
}

/** Rows in the main tables of a feedletter database (also of a backup opened read-only). */
export function tableCounts(db: Database.Database): TableCounts {
  const count = (table: string): number => db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n ?? 0;
  return { subscribers: count('subscribers'), digests: count('digests'), deliveries: count('deliveries') };
}

/** How long a statement waits for another process's lock before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

/** `fn`, again after a short random pause when SQLite refused it with SQLITE_BUSY without waiting for its busy timeout (deadlock avoidance); at most 20 times. */
function retryImmediateBusy(fn: () => void): void {
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    try {
      fn();
      return;
    } catch (error) {
      const immediate = performance.now() - started < BUSY_TIMEOUT_MS / 2;
      if (!(immediate && attempt < 20 && /^SQLITE_BUSY/.test(String((error as { code?: unknown }).code)))) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10 + Math.floor(Math.random() * 40));
    }
  }
}

export type BounceSource = 'smtp' | 'mailbox' | 'file';
export type BounceMatch = 'smtp' | 'verp' | 'message-id' | 'recipient';

/** A bounce as recorded (see migration 3). */
export interface NewBounce {
  at: Date;
  kind: 'hard' | 'soft' | 'complaint';
  senderProblem: boolean;
  status?: string | undefined;
  diagnostic?: string | undefined;
  source: BounceSource;
  recipient?: string | undefined;
  messageId?: string | undefined;
  digestId?: number | undefined;
  subscriberId?: number | undefined;
  /** How it was matched to its subscriber; undefined: unmatched. */
  matchedBy?: BounceMatch | undefined;
  fingerprint: string;
}

export interface BounceRecord {
  id: number;
  at: Date;
  kind: NewBounce['kind'];
  senderProblem: boolean;
  status: string | null;
  diagnostic: string | null;
  source: BounceSource;
  recipient: string | null;
  messageId: string | null;
  digestId: number | null;
  subscriberId: number | null;
  subscriberEmail: string | null;
  matchedBy: BounceMatch | null;
  effect: 'bounced' | 'complained' | 'counted' | 'none';
  fingerprint: string;
}

interface BounceRow {
  id: number;
  received_at: string;
  kind: NewBounce['kind'];
  sender_problem: number;
  status: string | null;
  diagnostic: string | null;
  source: BounceSource;
  recipient: string | null;
  message_id: string | null;
  digest_id: number | null;
  subscriber_id: number | null;
  subscriber_email: string | null;
  matched_by: BounceMatch | null;
  effect: BounceRecord['effect'];
  fingerprint: string;
}

/** File name of the database inside the state folder. */
export const DB_FILE = 'feedletter.db';
/** Meta key of the watermark: the end of the window of the last complete digest. */
const WATERMARK = 'watermark';
/** How many job runs per job are kept for /healthz and debugging. */
const JOB_RUNS_KEPT = 50;

interface SubscriberRow {
  id: number;
  email: string;
  name: string | null;
  status: SubscriberStatus;
  created_at: string;
  unsubscribed_at: string | null;
  status_at: string | null;
  source: ConsentSource | null;
  source_url: string | null;
  signup_ip: string | null;
  signup_user_agent: string | null;
  confirmed_at: string | null;
  confirm_ip: string | null;
  confirm_user_agent: string | null;
  confirm_nonce: string | null;
  confirm_sent_at: string | null;
}

const dateOrNull = (value: string | null): Date | null => (value === null ? null : new Date(value));

interface DigestRow {
  id: number;
  created_at: string;
  window_start: string;
  window_end: string;
  status: DigestRecord['status'];
  subject: string;
  preheader: string;
  html: string;
  text: string;
  post_ids: string;
}

const toSubscriber = (row: SubscriberRow): Subscriber => ({
  id: row.id,
  email: row.email,
  name: row.name,
  status: row.status,
  createdAt: new Date(row.created_at),
  unsubscribedAt: dateOrNull(row.unsubscribed_at),
  statusAt: new Date(row.status_at ?? row.created_at),
  confirmSentAt: dateOrNull(row.confirm_sent_at),
  consent: {
    source: row.source,
    sourceUrl: row.source_url,
    signupIp: row.signup_ip,
    signupUserAgent: row.signup_user_agent,
    confirmedAt: dateOrNull(row.confirmed_at),
    confirmIp: row.confirm_ip,
    confirmUserAgent: row.confirm_user_agent,
  },
});

const toDigest = (row: DigestRow): DigestRecord => ({
  id: row.id,
  createdAt: new Date(row.created_at),
  windowStart: new Date(row.window_start),
  windowEnd: new Date(row.window_end),
  status: row.status,
  subject: row.subject,
  preheader: row.preheader,
  html: row.html,
  text: row.text,
  postIds: JSON.parse(row.post_ids) as string[],
});

const iso = (date: Date): string => {
  if (Number.isNaN(date.getTime())) throw new FeedletterError('INPUT_INVALID', 'invalid date given to the store');
  return date.toISOString();
};

/**
 * The state of feedletter in one SQLite file (`<state>/feedletter.db`): subscribers, digests with
 * the posts they carried, one delivery row per (digest, subscriber), the watermark, job runs.
 *
 * Durability: WAL with `synchronous = NORMAL`. A committed transaction survives the process being
 * killed (kill -9), which is what exactly-once delivery relies on; after a power loss the last few
 * transitions may roll back, which at worst re-sends a message with the same Message-ID.
 * One process sends at a time (the send lock in `lock.ts`); `busy_timeout` lets a second reader or
 * the unsubscribe endpoint wait for a write instead of failing.
 */
export class Store {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly q;

  private constructor(file: string, db: Database.Database) {
    this.file = file;
    this.db = db;
    this.q = {
      subscriberById: db.prepare<[number], SubscriberRow>('SELECT * FROM subscribers WHERE id = ?'),
      subscriberByEmail: db.prepare<[string], SubscriberRow>('SELECT * FROM subscribers WHERE email = ? COLLATE NOCASE'),
      insertSubscriber: db.prepare<[string, string | null, string, string, ConsentSource], SubscriberRow>(
        "INSERT INTO subscribers (email, name, status, created_at, status_at, source) VALUES (?, ?, 'active', ?, ?, ?) RETURNING *",
      ),
      reactivate: db.prepare<[string, number]>("UPDATE subscribers SET status = 'active', unsubscribed_at = NULL, status_at = ? WHERE id = ?"),
      unsubscribe: db.prepare<[string, string, number]>(
        "UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = ?, status_at = ?, confirm_nonce = NULL WHERE id = ? AND status = 'active'",
      ),
      cancelDeliveries: db.prepare<[string, number]>(
        "UPDATE deliveries SET status = 'failed', last_error = 'unsubscribed', updated_at = ? WHERE subscriber_id = ? AND status IN ('pending', 'sending')",
      ),
      meta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare<[string, string]>('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      sentPostIds: db.prepare<[], { post_id: string }>('SELECT DISTINCT post_id FROM digest_posts'),
      digest: db.prepare<[number], DigestRow>('SELECT * FROM digests WHERE id = ?'),
      unfinished: db.prepare<[], DigestRow>("SELECT * FROM digests WHERE status = 'pending' ORDER BY id LIMIT 1"),
      insertDigest: db.prepare<[string, string, string, string, string, string, string, string, number], { id: number }>(
        'INSERT INTO digests (created_at, window_start, window_end, subject, preheader, html, text, post_ids, post_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
      ),
      insertDigestPost: db.prepare<[number, string]>('INSERT OR IGNORE INTO digest_posts (digest_id, post_id) VALUES (?, ?)'),
      insertDeliveries: db.prepare<[number, string]>(
        "INSERT INTO deliveries (digest_id, subscriber_id, status, attempts, updated_at) SELECT ?, id, 'pending', 0, ? FROM subscribers WHERE status = 'active'",
      ),
      pendingPage: db.prepare<[number, number, number], SubscriberRow>(
        // Ranges over the deliveries primary key (digest_id, subscriber_id): each page is an index seek.
        `SELECT s.* FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id
         WHERE d.digest_id = ? AND d.subscriber_id > ? AND d.status IN ('pending', 'sending') AND s.status = 'active'
         ORDER BY d.subscriber_id LIMIT ?`,
      ),
      markSending: db.prepare<[string, number, number]>(
        `UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ?
         WHERE digest_id = ? AND subscriber_id = ? AND status IN ('pending', 'sending')
           AND EXISTS (SELECT 1 FROM subscribers s WHERE s.id = deliveries.subscriber_id AND s.status = 'active')`,
      ),
      markSent: db.prepare<[string, string, number, number]>(
        "UPDATE deliveries SET status = 'sent', message_id = ?, last_error = NULL, updated_at = ? WHERE digest_id = ? AND subscriber_id = ?",
      ),
      markFailed: db.prepare<[string, string, number, number]>(
        "UPDATE deliveries SET status = 'failed', last_error = ?, updated_at = ? WHERE digest_id = ? AND subscriber_id = ? AND status <> 'sent'",
      ),
      markPending: db.prepare<[string, string, number, number]>(
        "UPDATE deliveries SET status = 'pending', last_error = ?, updated_at = ? WHERE digest_id = ? AND subscriber_id = ? AND status IN ('pending', 'sending')",
      ),
      counts: db.prepare<[number], { status: keyof DeliveryCounts; n: number }>('SELECT status, COUNT(*) AS n FROM deliveries WHERE digest_id = ? GROUP BY status'),
      completeDigest: db.prepare<[string, number]>("UPDATE digests SET status = 'complete', completed_at = ? WHERE id = ?"),
      insertJobRun: db.prepare<[string, string, string, number, string]>('INSERT INTO job_runs (job, started_at, finished_at, ok, summary) VALUES (?, ?, ?, ?, ?)'),
      pruneJobRuns: db.prepare<[string, string, number]>(
        'DELETE FROM job_runs WHERE job = ? AND id NOT IN (SELECT id FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT ?)',
      ),
      lastJobRuns: db.prepare<[], { job: string; started_at: string; finished_at: string; ok: number; summary: string }>(
        'SELECT job, started_at, finished_at, ok, summary FROM job_runs WHERE id IN (SELECT MAX(id) FROM job_runs GROUP BY job) ORDER BY job',
      ),
    };
  }

  /**
   * Opens (creating the folder with mode 0700 and the file if needed) and migrates the database.
   * Refuses a truncated database (see `truncatedDatabase`) rather than starting a new one in its
   * place, and says what kind of failure any other is (busy, read-only, full, damaged).
   */
  static open(stateDir: string): Store {
    const file = path.join(stateDir, DB_FILE);
    let db: Database.Database;
    try {
      // 0700: the folder also holds the unsubscribe signing secret.
      ensureDirSync(stateDir, 0o700);
    } catch (cause) {
      throw new FeedletterError('STATE_INVALID', `cannot create the state folder ${stateDir}`, {
        cause,
        hint: 'set state.dir to a folder this user can create and write (on a real file system)',
      });
    }
    const truncated = truncatedDatabase(file);
    if (truncated) throw truncated;
    try {
      db = new Database(file);
    } catch (cause) {
      throw databaseFailure(cause, file, 'opening it') ?? cause;
    }
    try {
      // First, so that every statement below waits for another process's write instead of
      // failing: two processes opening a fresh state folder at once both get there.
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      // SQLite answers SQLITE_BUSY at once, without waiting, where waiting could deadlock: two
      // processes that both read a fresh file and both want to switch it to WAL, or to write.
      // Each step here is idempotent (a failed migration step was rolled back), so the loser
      // simply tries again a moment later, a bounded number of times.
      retryImmediateBusy(() => {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
        migrate(db);
      });
      return new Store(file, db);
    } catch (cause) {
      db.close();
      if (cause instanceof FeedletterError) throw cause;
      throw databaseFailure(cause, file, 'opening and migrating it') ?? cause;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** For tests and `check`: a pragma's value. */
  pragma(name: string): unknown {
    return this.db.pragma(name, { simple: true });
  }

  /**
   * A consistent copy of the whole database into `file` while others may be reading and writing
   * it (SQLite's online backup API: pages are copied in steps, and restarted if a write lands in
   * between). The copy is a plain SQLite file, in rollback-journal mode, openable by any sqlite3.
   */
  async backup(file: string): Promise<void> {
    await this.db.backup(file);
  }

  /** Rows per table: what `backup` and `check` report, and what a restore can be compared with. */
  tableCounts(): TableCounts {
    return tableCounts(this.db);
  }

  // ── subscribers ──────────────────────────────────────────────────────────────

  /**
   * Adds an address (validated and normalised). Adding an address that is already there changes
   * nothing and returns `created: false`. An address that unsubscribed stays unsubscribed unless
   * `reactivate` is set: a bulk import of an old list must never re-subscribe someone who asked
   * to leave (consent); only an explicit request of that person should pass `reactivate`.
   */
  addSubscriber(
    email: string,
    name: string | null,
    now: Date,
    options: { reactivate?: boolean; source?: Extract<ConsentSource, 'cli' | 'import'> } = {},
  ): { subscriber: Subscriber; created: boolean } {
    const address = normaliseEmail(email);
    const cleanName = normaliseName(name);
    return this.db
      .transaction(() => {
        const existing = this.q.subscriberByEmail.get(address) ?? this.storedBeforePunycode(address);
        if (existing !== undefined) {
          // The owner adding a pending address vouches for it, as for any address they add.
          const revive = existing.status === 'pending' ? options.source === 'cli' : existing.status === 'unsubscribed' && options.reactivate === true;
          if (revive) {
            this.q.reactivate.run(iso(now), existing.id);
            return { subscriber: toSubscriber({ ...existing, status: 'active', unsubscribed_at: null, status_at: iso(now) }), created: false };
          }
          return { subscriber: toSubscriber(existing), created: false };
        }
        const row = this.q.insertSubscriber.get(address, cleanName, iso(now), iso(now), options.source ?? 'cli');
        if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
        return { subscriber: toSubscriber(row), created: true };
      })
      .immediate();
  }

  /**
   * `addSubscriber` for each row, all in one transaction: a bulk import commits once per batch
   * instead of once per address (a 100,000-row list in seconds, not minutes), and a batch is
   * there entirely or not at all. Same rules as `addSubscriber` (no reactivation); a new row
   * marked `optedOut` is stored unsubscribed. An invalid
   * row throws and rolls the batch back, so callers validate first.
   */
  addSubscribers(rows: Iterable<{ email: string; name: string | null; optedOut?: true }>, now: Date): { added: number; existing: number } {
    return this.db
      .transaction(() => {
        let added = 0;
        let existing = 0;
        for (const row of rows) {
          const { subscriber, created } = this.addSubscriber(row.email, row.name, now, { source: 'import' });
          if (!created) {
            existing++;
            continue;
          }
          added++;
          // A new address the list says left: kept, as unsubscribed, so it is never mailed.
          if (row.optedOut === true) this.q.unsubscribe.run(iso(now), iso(now), subscriber.id);
        }
        return { added, existing };
      })
      .immediate();
  }

  /**
   * Marks the address unsubscribed. The row stays, so the address is never mailed again (and a
   * later import does not bring it back); its pending deliveries are cancelled. True when this
   * call unsubscribed an active subscriber; false when unknown or already unsubscribed.
   */
  removeSubscriber(email: string, now: Date): boolean {
    const row = this.q.subscriberByEmail.get(email.trim());
    if (row === undefined) {
      let normalised: string;
      try {
        normalised = normaliseEmail(email);
      } catch {
        return false;
      }
      const again = this.q.subscriberByEmail.get(normalised);
      return again === undefined ? false : this.unsubscribeById(again.id, now);
    }
    return this.unsubscribeById(row.id, now);
  }

  unsubscribeById(id: number, now: Date): boolean {
    return this.db
      .transaction(() => {
        const changed = this.q.unsubscribe.run(iso(now), iso(now), id).changes > 0;
        if (changed) this.q.cancelDeliveries.run(iso(now), id);
        return changed;
      })
      .immediate();
  }

  getSubscriber(id: number): Subscriber | undefined {
    const row = this.q.subscriberById.get(id);
    return row === undefined ? undefined : toSubscriber(row);
  }

  findSubscriber(email: string): Subscriber | undefined {
    const row = this.q.subscriberByEmail.get(email.trim()) ?? this.q.subscriberByEmail.get(email.trim().toLowerCase()) ?? this.byNormalisedEmail(email);
    return row === undefined ? undefined : toSubscriber(row);
  }

  private subscriberQuery(select: string, filter: SubscriberFilter | undefined): { sql: string; params: string[] } {
    return filter?.status === undefined
      ? { sql: `SELECT ${select} FROM subscribers`, params: [] }
      : { sql: `SELECT ${select} FROM subscribers WHERE status = ?`, params: [filter.status] };
  }

  listSubscribers(filter?: SubscriberFilter): Subscriber[] {
    const { sql, params } = this.subscriberQuery('*', filter);
    return this.db.prepare<string[], SubscriberRow>(`${sql} ORDER BY id`).all(...params).map(toSubscriber);
  }

  /**
   * Streams subscribers in id order, one page at a time, so 100,000 of them never sit in memory
   * and the connection stays free for writes between pages (an open better-sqlite3 iterator
   * would block every other statement).
   */
  *iterateSubscribers(filter?: SubscriberFilter, pageSize = 500): IterableIterator<Subscriber> {
    const where = filter?.status === undefined ? '' : 'AND status = ?';
    const stmt = this.db.prepare<unknown[], SubscriberRow>(`SELECT * FROM subscribers WHERE id > ? ${where} ORDER BY id LIMIT ?`);
    let after = 0;
    for (;;) {
      const rows = filter?.status === undefined ? stmt.all(after, pageSize) : stmt.all(after, filter.status, pageSize);
      for (const row of rows) yield toSubscriber(row);
      const last = rows.at(-1);
      if (last === undefined || rows.length < pageSize) return;
      after = last.id;
    }
  }

  countSubscribers(filter?: SubscriberFilter): number {
    const { sql, params } = this.subscriberQuery('COUNT(*) AS n', filter);
    return this.db.prepare<string[], { n: number }>(sql).get(...params)?.n ?? 0;
  }

  // ── bounces and complaints (the rules are in src/subscribers/bounces.ts) ─────

  /** Records one bounce; undefined when its fingerprint is already there (read twice: counts once). */
  recordBounce(input: NewBounce): number | undefined {
    const row = this.db
      .prepare<unknown[], { id: number }>(
        `INSERT INTO bounces (received_at, kind, sender_problem, status, diagnostic, source, recipient, message_id, digest_id, subscriber_id, matched_by, effect, fingerprint)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'none', ?) ON CONFLICT (fingerprint) DO NOTHING RETURNING id`,
      )
      .get(
        iso(input.at), input.kind, input.senderProblem ? 1 : 0, input.status ?? null, input.diagnostic ?? null, input.source,
        input.recipient ?? null, input.messageId ?? null, input.digestId ?? null, input.subscriberId ?? null, input.matchedBy ?? null, input.fingerprint,
      );
    return row?.id;
  }

  setBounceEffect(id: number, effect: BounceRecord['effect']): void {
    this.db.prepare<[string, number]>('UPDATE bounces SET effect = ? WHERE id = ?').run(effect, id);
  }

  /**
   * Soft bounces of the subscriber (sender problems aside) received since `since`, one per digest,
   * that came after the last digest the subscriber was sent without a bounce: a delivery that went
   * through starts the count again.
   */
  softBounceCount(subscriberId: number, since: Date): number {
    const row = this.db
      .prepare<[number, string, number], { n: number }>(
        `SELECT COUNT(DISTINCT COALESCE(b.digest_id, -b.id)) AS n FROM bounces b
         WHERE b.subscriber_id = ? AND b.kind = 'soft' AND b.sender_problem = 0 AND b.received_at >= ?
           AND (b.digest_id IS NULL OR b.digest_id > COALESCE((
             SELECT MAX(d.digest_id) FROM deliveries d WHERE d.subscriber_id = ? AND d.status = 'sent'
               AND NOT EXISTS (SELECT 1 FROM bounces x WHERE x.subscriber_id = d.subscriber_id AND x.digest_id = d.digest_id)), 0))`,
      )
      .get(subscriberId, iso(since), subscriberId);
    return row?.n ?? 0;
  }

  /**
   * Sets a bounce state and cancels the subscriber's deliveries still to do. `from` lists the
   * states it may change; true when it changed.
   */
  setBounceStatus(subscriberId: number, status: 'bounced' | 'complained', from: readonly SubscriberStatus[], now: Date): boolean {
    return this.atomically(() => {
      const marks = from.map(() => '?').join(', ');
      const changed =
        this.db.prepare<unknown[]>(`UPDATE subscribers SET status = ?, status_at = ?, confirm_nonce = NULL WHERE id = ? AND status IN (${marks})`).run(status, iso(now), subscriberId, ...from).changes > 0;
      if (changed) {
        this.db
          .prepare<[string, string, number]>("UPDATE deliveries SET status = 'failed', last_error = ?, updated_at = ? WHERE subscriber_id = ? AND status IN ('pending', 'sending')")
          .run(status, iso(now), subscriberId);
      }
      return changed;
    });
  }

  /** The owner's `subscribers reactivate`: bounced or complained → active. False for any other state. */
  reactivateBounced(subscriberId: number, now: Date): boolean {
    return this.db.prepare<[string, number]>("UPDATE subscribers SET status = 'active', status_at = ? WHERE id = ? AND status IN ('bounced', 'complained')").run(iso(now), subscriberId).changes > 0;
  }

  /** The (digest, subscriber) a stored Message-ID belongs to, when we sent it. */
  deliveryByMessageId(messageId: string): { digestId: number; subscriberId: number } | undefined {
    const row = this.db
      .prepare<[string], { digest_id: number; subscriber_id: number }>("SELECT digest_id, subscriber_id FROM deliveries WHERE message_id = ? AND status IN ('sent', 'failed') LIMIT 1")
      .get(messageId);
    return row === undefined ? undefined : { digestId: row.digest_id, subscriberId: row.subscriber_id };
  }

  /** The newest digest handed to the server for this subscriber since `since`, if any. */
  lastDigestSentTo(subscriberId: number, since: Date): number | undefined {
    return this.db
      .prepare<[number, string], { digest_id: number }>(
        "SELECT digest_id FROM deliveries WHERE subscriber_id = ? AND status IN ('sent', 'failed') AND attempts > 0 AND updated_at >= ? ORDER BY digest_id DESC LIMIT 1",
      )
      .get(subscriberId, iso(since))?.digest_id;
  }

  /** Whether this (digest, subscriber) delivery exists (a VERP token names one). */
  hasDelivery(digestId: number, subscriberId: number): boolean {
    return this.db.prepare<[number, number], { one: number }>('SELECT 1 AS one FROM deliveries WHERE digest_id = ? AND subscriber_id = ?').get(digestId, subscriberId) !== undefined;
  }

  listBounces(filter: { since?: Date } = {}): BounceRecord[] {
    const rows = this.db
      .prepare<[string], BounceRow>('SELECT b.*, s.email AS subscriber_email FROM bounces b LEFT JOIN subscribers s ON s.id = b.subscriber_id WHERE b.received_at >= ? ORDER BY b.id')
      .all(filter.since === undefined ? '' : iso(filter.since));
    return rows.map((r) => ({
      id: r.id, at: new Date(r.received_at), kind: r.kind, senderProblem: r.sender_problem === 1, status: r.status, diagnostic: r.diagnostic, source: r.source,
      recipient: r.recipient, messageId: r.message_id, digestId: r.digest_id, subscriberId: r.subscriber_id, subscriberEmail: r.subscriber_email,
      matchedBy: r.matched_by, effect: r.effect, fingerprint: r.fingerprint,
    }));
  }

  // ── signup and confirmation (the rules are in src/subscribers/) ─────────────

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE): a read-decide-write that no other writer interleaves. */
  atomically<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** The single-use part of the subscriber's confirmation link, NULL when there is none to use. */
  confirmNonce(id: number): string | null {
    return this.db.prepare<[number], { confirm_nonce: string | null }>('SELECT confirm_nonce FROM subscribers WHERE id = ?').get(id)?.confirm_nonce ?? null;
  }

  /** A new address asking to join: `pending`, with its consent record and confirmation nonce. */
  insertPending(input: { email: string; name: string | null; source: ConsentSource; sourceUrl: string | null; request: RequestInfo; nonce: string; now: Date }): Subscriber {
    const row = this.db
      .prepare<unknown[], SubscriberRow>(
        `INSERT INTO subscribers (email, name, status, created_at, status_at, source, source_url, signup_ip, signup_user_agent, confirm_nonce)
         VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(normaliseEmail(input.email), input.name, iso(input.now), iso(input.now), input.source, input.sourceUrl, input.request.ip, input.request.userAgent, input.nonce);
    if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
    return toSubscriber(row);
  }

  /**
   * An existing (unsubscribed) address asking to join again: back to `pending` with the new
   * request's consent record and a new nonce; the earlier confirmation is kept until replaced.
   */
  reopenPending(id: number, input: { name: string | null; source: ConsentSource; sourceUrl: string | null; request: RequestInfo; nonce: string; now: Date }): void {
    this.db
      .prepare<unknown[]>(
        `UPDATE subscribers SET status = 'pending', status_at = ?, name = COALESCE(?, name), source = ?, source_url = ?, signup_ip = ?, signup_user_agent = ?, confirm_nonce = ?
         WHERE id = ?`,
      )
      .run(iso(input.now), input.name, input.source, input.sourceUrl, input.request.ip, input.request.userAgent, input.nonce, id);
  }

  /** Records that a confirmation email for this subscriber was handed to the transport. */
  markConfirmationSent(id: number, now: Date): void {
    this.db.prepare<[string, number]>('UPDATE subscribers SET confirm_sent_at = ? WHERE id = ?').run(iso(now), id);
  }

  /**
   * Undoes `markConfirmationSent` when that email was dropped or refused, so that the person can
   * ask again at once instead of waiting out subscribe.resendAfter for an email that never came.
   * Only if no later confirmation was recorded since (`sentAt` is the one being undone).
   */
  unmarkConfirmationSent(id: number, sentAt: Date): void {
    this.db.prepare<[number, string]>('UPDATE subscribers SET confirm_sent_at = NULL WHERE id = ? AND confirm_sent_at = ?').run(id, iso(sentAt));
  }

  /**
   * pending → active when `nonce` is still the subscriber's confirmation nonce; the nonce is used
   * up. False when it was not (already confirmed, reopened since, unknown).
   */
  activatePending(id: number, nonce: string, request: RequestInfo, now: Date): boolean {
    return (
      this.db
        .prepare<unknown[]>(
          `UPDATE subscribers SET status = 'active', status_at = ?, unsubscribed_at = NULL, confirmed_at = ?, confirm_ip = ?, confirm_user_agent = ?, confirm_nonce = NULL
           WHERE id = ? AND status = 'pending' AND confirm_nonce = ?`,
        )
        .run(iso(now), iso(now), request.ip, request.userAgent, id, nonce).changes > 0
    );
  }

  /**
   * Ends every wait for confirmation that began before `before`. An address seen for the first
   * time is deleted (nothing about it is kept); one that had been a subscriber before (it has
   * deliveries, or had unsubscribed) goes back to `unsubscribed`, its history kept.
   */
  prunePending(before: Date, now: Date): { deleted: number; reverted: number } {
    return this.atomically(() => {
      const reverted = this.db
        .prepare<[string, string]>(
          `UPDATE subscribers SET status = 'unsubscribed', status_at = ?, confirm_nonce = NULL
           WHERE status = 'pending' AND status_at < ? AND (unsubscribed_at IS NOT NULL OR EXISTS (SELECT 1 FROM deliveries d WHERE d.subscriber_id = subscribers.id))`,
        )
        .run(iso(now), iso(before)).changes;
      const deleted = this.db.prepare<[string]>("DELETE FROM subscribers WHERE status = 'pending' AND status_at < ?").run(iso(before)).changes;
      return { deleted, reverted };
    });
  }

  /**
   * Records a proof of work as used until it expires (epoch ms). False when it was used already:
   * an ALTCHA solution counts once. Expired entries are swept on the way.
   */
  spendProof(signature: string, expiresAt: number, now: Date): boolean {
    return this.atomically(() => {
      this.db.prepare<[number]>('DELETE FROM spent_proofs WHERE expires_at < ?').run(now.getTime());
      return this.db.prepare<[string, number]>('INSERT OR IGNORE INTO spent_proofs (signature, expires_at) VALUES (?, ?)').run(signature, expiresAt).changes > 0;
    });
  }

  // ── digests ──────────────────────────────────────────────────────────────────

  getWatermark(): Date | undefined {
    const value = this.getMeta(WATERMARK);
    return value === undefined ? undefined : new Date(value);
  }

  /** Ids of the posts carried by any digest, complete or still being sent: never send them again. */
  sentPostIds(): Set<string> {
    return new Set(this.q.sentPostIds.all().map((r) => r.post_id));
  }

  getDigest(id: number): DigestRecord | undefined {
    const row = this.q.digest.get(id);
    return row === undefined ? undefined : toDigest(row);
  }

  /** Every digest without its bodies, oldest first: what the newsletter archive lists. */
  listDigests(): DigestSummary[] {
    const rows = this.db.prepare('SELECT id, created_at, status, subject, preheader FROM digests ORDER BY id').all() as Array<{ id: number; created_at: string; status: DigestRecord['status']; subject: string; preheader: string }>;
    return rows.map((row) => ({ id: row.id, createdAt: new Date(row.created_at), status: row.status, subject: row.subject, preheader: row.preheader }));
  }

  /** The oldest digest not yet complete: a run finishes it before it starts a new one. */
  unfinishedDigest(): DigestRecord | undefined {
    const row = this.q.unfinished.get();
    return row === undefined ? undefined : toDigest(row);
  }

  /**
   * Records a digest, its posts and one pending delivery per subscriber active at this moment,
   * all in one transaction: either the whole digest is there to be sent, or nothing is.
   */
  createDigest(input: { createdAt: Date; windowStart: Date; windowEnd: Date; subject: string; preheader?: string; html: string; text: string; postIds: string[] }): DigestRecord {
    return this.db
      .transaction(() => {
        const row = this.q.insertDigest.get(
          iso(input.createdAt),
          iso(input.windowStart),
          iso(input.windowEnd),
          input.subject,
          input.preheader ?? '',
          input.html,
          input.text,
          JSON.stringify(input.postIds),
          input.postIds.length,
        );
        if (row === undefined) throw new Error('INSERT … RETURNING returned no row');
        for (const postId of input.postIds) this.q.insertDigestPost.run(row.id, postId);
        this.q.insertDeliveries.run(row.id, iso(input.createdAt));
        const digest = this.getDigest(row.id);
        if (digest === undefined) throw new Error('digest vanished inside its own transaction');
        return digest;
      })
      .immediate();
  }

  /**
   * The deliveries of a digest still to do (pending, or `sending` when a previous run died with
   * them in flight), for active subscribers, in subscriber id order. Reads one page of
   * `batchSize` at a time, resuming after the last id seen, so it holds at most one page and the
   * caller may write to the store between items.
   */
  *pendingDeliveries(digestId: number, batchSize = 500): IterableIterator<{ subscriber: Subscriber }> {
    let after = 0;
    for (;;) {
      const rows = this.q.pendingPage.all(digestId, after, batchSize);
      for (const row of rows) yield { subscriber: toSubscriber(row) };
      const last = rows.at(-1);
      if (last === undefined || rows.length < batchSize) return;
      after = last.id;
    }
  }

  /**
   * Records that the message is about to be handed to the server (attempts + 1). Returns false,
   * and the message must not be sent, when the delivery is no longer to do (sent, failed, or the
   * subscriber unsubscribed in the meantime).
   */
  markSending(digestId: number, subscriberId: number, now: Date): boolean {
    return this.q.markSending.run(iso(now), digestId, subscriberId).changes > 0;
  }

  /** Only after the server accepted the message (250). */
  markSent(digestId: number, subscriberId: number, messageId: string, now: Date): void {
    this.q.markSent.run(messageId, iso(now), digestId, subscriberId);
  }

  markFailed(digestId: number, subscriberId: number, error: string, now: Date): void {
    this.q.markFailed.run(error, iso(now), digestId, subscriberId);
  }

  /** A transient failure: known not delivered, back to pending with the error, to be retried. */
  markPending(digestId: number, subscriberId: number, error: string, now: Date): void {
    this.q.markPending.run(error, iso(now), digestId, subscriberId);
  }

  deliveryCounts(digestId: number): DeliveryCounts {
    const counts: DeliveryCounts = { pending: 0, sending: 0, sent: 0, failed: 0 };
    for (const row of this.q.counts.all(digestId)) counts[row.status] = row.n;
    return counts;
  }

  /** The last error of one delivery, for reports and tests. */
  delivery(digestId: number, subscriberId: number): { status: keyof DeliveryCounts; attempts: number; lastError: string | null; messageId: string | null } | undefined {
    const row = this.db
      .prepare<[number, number], { status: keyof DeliveryCounts; attempts: number; last_error: string | null; message_id: string | null }>(
        'SELECT status, attempts, last_error, message_id FROM deliveries WHERE digest_id = ? AND subscriber_id = ?',
      )
      .get(digestId, subscriberId);
    return row === undefined ? undefined : { status: row.status, attempts: row.attempts, lastError: row.last_error, messageId: row.message_id };
  }

  /**
   * Marks the digest complete and moves the watermark to the end of its window, in one
   * transaction. Refuses (STATE_INVALID) while any delivery is pending or sending: the watermark
   * moves only when every subscriber got the digest or definitely failed.
   */
  completeDigest(digestId: number, now: Date): void {
    this.db
      .transaction(() => {
        const digest = this.q.digest.get(digestId);
        if (digest === undefined) throw new FeedletterError('STATE_INVALID', `no digest ${digestId}`);
        const counts = this.deliveryCounts(digestId);
        if (counts.pending + counts.sending > 0) {
          throw new FeedletterError('STATE_INVALID', `digest ${digestId} still has ${counts.pending + counts.sending} deliveries to do`, {
            hint: 'run the digest again to finish it',
          });
        }
        if (digest.status === 'complete') return;
        this.q.completeDigest.run(iso(now), digestId);
        const current = this.getWatermark();
        // Never move back: an older digest finished late must not re-open a window already sent.
        if (current === undefined || current.getTime() < new Date(digest.window_end).getTime()) {
          this.q.setMeta.run(WATERMARK, digest.window_end);
        }
      })
      .immediate();
  }

  // ── retrying failed deliveries (digest --retry-failed) ───────────────────────

  /** The most recent digest, finished or not. */
  latestDigest(): DigestRecord | undefined {
    const row = this.db.prepare<[], DigestRow>('SELECT * FROM digests ORDER BY id DESC LIMIT 1').get();
    return row === undefined ? undefined : toDigest(row);
  }

  /**
   * Puts the failed deliveries of a digest back to pending, for subscribers still active (an
   * unsubscribed one stays failed), and re-opens the digest when any went back, all in one
   * transaction. A delivery that was sent is never touched: a retry can only reach those the
   * digest did not. The watermark stays where it is (it never moves back). Returns how many.
   */
  requeueFailed(digestId: number, now: Date): number {
    return this.db
      .transaction(() => {
        const changed = this.db
          .prepare<[string, number]>(
            `UPDATE deliveries SET status = 'pending', updated_at = ?
             WHERE digest_id = ? AND status = 'failed'
               AND EXISTS (SELECT 1 FROM subscribers s WHERE s.id = deliveries.subscriber_id AND s.status = 'active')`,
          )
          .run(iso(now), digestId).changes;
        if (changed > 0) this.db.prepare<[number]>("UPDATE digests SET status = 'pending', completed_at = NULL WHERE id = ?").run(digestId);
        return changed;
      })
      .immediate();
  }

  /**
   * The row of an address stored before domains were kept as punycode (`user@例え.jp` for what is
   * now `user@xn--r8jz45g.jp`): the same mailbox, so adding it again must not make a second row.
   */
  private storedBeforePunycode(address: string): SubscriberRow | undefined {
    const at = address.lastIndexOf('@');
    const domain = address.slice(at + 1);
    if (!domain.includes('xn--')) return undefined;
    const unicode = domainToUnicode(domain);
    return unicode === domain || unicode === '' ? undefined : this.q.subscriberByEmail.get(`${address.slice(0, at)}@${unicode}`);
  }

  /** The row of an address as the store keeps it (`user@例え.jp` is stored `user@xn--r8jz45g.jp`). */
  private byNormalisedEmail(email: string): SubscriberRow | undefined {
    try {
      return this.q.subscriberByEmail.get(normaliseEmail(email));
    } catch {
      return undefined;
    }
  }

  // ── jobs and meta ────────────────────────────────────────────────────────────

  recordJobRun(run: JobRun): void {
    this.db
      .transaction(() => {
        this.q.insertJobRun.run(run.job, iso(run.startedAt), iso(run.finishedAt), run.ok ? 1 : 0, JSON.stringify(run.summary ?? null));
        this.q.pruneJobRuns.run(run.job, run.job, JOB_RUNS_KEPT);
      })
      .immediate();
  }

  /** The latest run of each job, by job name. */
  lastJobRuns(): Record<string, Omit<JobRun, 'job'>> {
    const result: Record<string, Omit<JobRun, 'job'>> = {};
    for (const row of this.q.lastJobRuns.all()) {
      result[row.job] = { startedAt: new Date(row.started_at), finishedAt: new Date(row.finished_at), ok: row.ok === 1, summary: JSON.parse(row.summary) as unknown };
    }
    return result;
  }

  /**
   * Start of the latest successful run of a job: what the daemon's catch-up compares with the
   * schedule. A failed run (SMTP down at 08:00) does not count, so a restart catches it up.
   */
  lastSuccessfulRunStart(job: string): Date | undefined {
    const row = this.db.prepare<[string], { started_at: string }>('SELECT started_at FROM job_runs WHERE job = ? AND ok = 1 ORDER BY id DESC LIMIT 1').get(job);
    return row ? new Date(row.started_at) : undefined;
  }

  getMeta(key: string): string | undefined {
    return this.q.meta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.q.setMeta.run(key, value);
  }
}
