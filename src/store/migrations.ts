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
