import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { ResolvedConfig } from '../config/schema.js';
import { FeedletterError } from '../errors.js';
import { ensureDirSync } from '../fs.js';
import { Store, tableCounts, type TableCounts } from '../store/index.js';

export interface BackupOptions {
  resolved: ResolvedConfig;
  /** Where to write the copy, relative to the working directory. */
  file: string;
  /** Replace an existing file. */
  force?: boolean;
}

export interface BackupResult extends TableCounts {
  file: string;
}

/**
 * `feedletter backup FILE`: a consistent copy of the state database, safe to take while the
 * daemon runs and sends. Written beside the target and renamed into place only once SQLite's
 * own integrity check passes and it holds as many rows as the live database had, so FILE is
 * either a good backup or left as it was. Mode 0600: it holds every subscriber's address.
 */
export async function backup(options: BackupOptions): Promise<BackupResult> {
  const { resolved } = options;
  const target = path.resolve(resolved.cwd, options.file);
  if (existsSync(target) && options.force !== true) {
    throw new FeedletterError('INPUT_INVALID', `${options.file} exists already`, { hint: 'name a new file, or add --force to replace it' });
  }
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  const store = Store.open(resolved.paths.state);
  try {
    const expected = store.tableCounts();
    try {
      ensureDirSync(path.dirname(target), 0o700);
      await store.backup(temp);
      chmodSync(temp, 0o600);
    } catch (cause) {
      throw new FeedletterError('STATE_INVALID', `cannot write the backup ${options.file}`, { cause, hint: 'check that its folder exists, is writable and has free space' });
    }
    const copy = verifyCopy(temp, options.file);
    // Rows added after the copy was taken are not in it; rows are never deleted, so fewer in the
    // copy than before it was taken means a bad copy.
    if (copy.subscribers < expected.subscribers || copy.digests < expected.digests || copy.deliveries < expected.deliveries) {
      throw new FeedletterError('STATE_INVALID', `the backup ${options.file} holds fewer rows than the database`, { hint: 'run the backup again' });
    }
    renameSync(temp, target);
    return { file: target, ...copy };
  } finally {
    store.close();
    for (const leftover of [temp, `${temp}-wal`, `${temp}-shm`, `${temp}-journal`]) {
      try {
        rmSync(leftover, { force: true });
      } catch {
        // nothing was made there (a file stands where the folder should be)
      }
    }
  }
}

/**
 * Turns the copy into a single self-contained file (the backup API copies the WAL flag of the
 * live database; a backup should not need a -wal beside it), runs SQLite's integrity check and
 * counts its rows.
 */
function verifyCopy(file: string, display: string): TableCounts {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: true });
    db.pragma('journal_mode = DELETE');
    const verdict = db.pragma('integrity_check', { simple: true });
    if (verdict !== 'ok') throw new Error(`integrity_check: ${String(verdict)}`);
    return tableCounts(db);
  } catch (cause) {
    throw new FeedletterError('STATE_INVALID', `the backup ${display} did not pass SQLite's integrity check`, { cause, hint: 'check the disk it was written to, and run the backup again' });
  } finally {
    db?.close();
  }
}
