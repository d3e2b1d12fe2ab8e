import type Database from 'better-sqlite3';
import { FeedletterError } from '../errors.js';

/**
 * The schema, as an ordered list of steps. Step N brings the database to `user_version` N+1.
 * Never edit a step that has shipped: add a new one. Each step runs in its own transaction
 * together with the version bump, so a crash leaves the database at a whole version.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY,
    -- stored as given (domain lower-cased); NOCASE makes one address one row whatever its case
    email TEXT NOT NULL COLLATE NOCASE UNIQUE,
    name TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'unsubscribed')),
    created_at TEXT NOT NULL,
    unsubscribed_at TEXT
  );
  CREATE INDEX subscribers_status ON subscribers (status, id);

  CREATE TABLE digests (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'complete')),
    completed_at TEXT,
    subject TEXT NOT NULL,
    preheader TEXT NOT NULL DEFAULT '',
    -- the compiled email with per-subscriber placeholders: a resumed digest re-sends exactly this
    html TEXT NOT NULL,
    text TEXT NOT NULL,
    post_ids TEXT NOT NULL,
    post_count INTEGER NOT NULL
  );
  CREATE INDEX digests_status ON digests (status, id);

  CREATE TABLE digest_posts (
    digest_id INTEGER NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
    post_id TEXT NOT NULL,
    PRIMARY KEY (digest_id, post_id)
  );
  CREATE INDEX digest_posts_post ON digest_posts (post_id);

  CREATE TABLE deliveries (
    digest_id INTEGER NOT NULL REFERENCES digests (id) ON DELETE CASCADE,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers (id),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    message_id TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (digest_id, subscriber_id)
  ) WITHOUT ROWID;
  CREATE INDEX deliveries_subscriber ON deliveries (subscriber_id);

  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE job_runs (
    id INTEGER PRIMARY KEY,
    job TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    ok INTEGER NOT NULL,
    summary TEXT NOT NULL
  );
  CREATE INDEX job_runs_job ON job_runs (job, id);
  `,
  // 2: public signup (issue #12). The subscriber lifecycle gains `pending` (and, for the bounce
  // handling to come, `bounced` and `complained`) plus a consent record; SQLite cannot change a
  // CHECK constraint in place, so the table is rebuilt keeping every id, which the deliveries
  // point to. The rows are parked in a plain copy, the table dropped and created again under its
  // own name (no RENAME: with foreign keys on, renaming would rewrite the deliveries' REFERENCES),
  // and refilled. The drop leaves the deliveries dangling for a moment, so foreign keys are
  // checked at commit (defer_foreign_keys resets itself then), when every id is back; refilling
  // the parent table clears what the drop counted (sqlite.org/foreignkeys.html §5).
  // Rows from before have no known source: NULL, not a guess.
  `
  PRAGMA defer_foreign_keys = ON;
  CREATE TEMP TABLE subscribers_v1 AS SELECT * FROM subscribers;
  DROP TABLE subscribers;
  CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL COLLATE NOCASE UNIQUE,
    name TEXT,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced', 'complained')),
    created_at TEXT NOT NULL,
    unsubscribed_at TEXT,
    -- when the status last changed (pending since, active since, ...)
    status_at TEXT,
    -- consent (GDPR art. 7(1)): how the address came in and how it was confirmed
    source TEXT CHECK (source IN ('form', 'cli', 'import')),
    source_url TEXT,
    signup_ip TEXT,
    signup_user_agent TEXT,
    confirmed_at TEXT,
    confirm_ip TEXT,
    confirm_user_agent TEXT,
    -- the confirmation link's single-use part; NULL once used
    confirm_nonce TEXT,
    confirm_sent_at TEXT
  );
  INSERT INTO subscribers (id, email, name, status, created_at, unsubscribed_at, status_at)
    SELECT id, email, name, status, created_at, unsubscribed_at, COALESCE(unsubscribed_at, created_at) FROM temp.subscribers_v1 ORDER BY id;
  DROP TABLE temp.subscribers_v1;
  CREATE INDEX subscribers_status ON subscribers (status, id);
  CREATE INDEX subscribers_pending ON subscribers (status_at) WHERE status = 'pending';

  -- ALTCHA solutions already used, until they expire: a proof of work counts once
  CREATE TABLE spent_proofs (
    signature TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX spent_proofs_expiry ON spent_proofs (expires_at);
  `,
  // 3: bounces and complaints (issue #13). One row per event, whatever it changed. `fingerprint`
  // is unique so that a report read twice (the same file imported again, a mailbox re-read)
  // counts once. A row without subscriber_id is unmatched: recorded and reported, nothing changed.
  `
  CREATE TABLE bounces (
    id INTEGER PRIMARY KEY,
    received_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('hard', 'soft', 'complaint')),
    -- a refusal because of us (blocklist, policy, authentication, size): never held against the recipient
    sender_problem INTEGER NOT NULL DEFAULT 0 CHECK (sender_problem IN (0, 1)),
    status TEXT,
    diagnostic TEXT,
    source TEXT NOT NULL CHECK (source IN ('smtp', 'mailbox', 'file')),
    recipient TEXT,
    message_id TEXT,
    digest_id INTEGER REFERENCES digests (id) ON DELETE SET NULL,
    subscriber_id INTEGER REFERENCES subscribers (id) ON DELETE SET NULL,
    matched_by TEXT CHECK (matched_by IN ('smtp', 'verp', 'message-id', 'recipient')),
    -- what it did to the subscriber: bounced, complained, counted, none
    effect TEXT NOT NULL DEFAULT 'none',
    fingerprint TEXT NOT NULL UNIQUE
  );
  CREATE INDEX bounces_subscriber ON bounces (subscriber_id, received_at);
  CREATE INDEX bounces_received ON bounces (received_at);
  `,
];

/**
 * Brings the database up to the newest version; a no-op on an up-to-date one. Safe when several
 * processes open a fresh state folder at once: each step runs in a `BEGIN IMMEDIATE` transaction
 * (one writer at a time) that reads the version inside it, so a process that waited for another
 * one's step sees the version that step left and does not run it again. Bounded: every pass
 * either applies one step or ends.
 */
export function migrate(db: Database.Database, steps: readonly string[] = MIGRATIONS): { from: number; to: number } {
  const from = userVersion(db);
  checkKnown(from, steps);
  for (let pass = 0; pass <= steps.length; pass++) {
    const applied = db
      .transaction(() => {
        const version = userVersion(db);
        checkKnown(version, steps);
        if (version >= steps.length) return false;
        db.exec(steps[version] ?? '');
        // PRAGMA takes no bound parameters; `version` is our own integer.
        db.pragma(`user_version = ${version + 1}`);
        return true;
      })
      .immediate();
    if (!applied) break;
  }
  return { from, to: steps.length };
}

const userVersion = (db: Database.Database): number => Number(db.pragma('user_version', { simple: true }));

function checkKnown(version: number, steps: readonly string[]): void {
  if (version > steps.length) {
    throw new FeedletterError('STATE_INVALID', `the database is at schema version ${version}, newer than this feedletter knows (${steps.length})`, {
      hint: 'upgrade feedletter, or point state.dir at another folder',
    });
  }
}
