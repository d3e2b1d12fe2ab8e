import { statSync } from 'node:fs';
import { FeedletterError } from '../errors.js';

/**
 * What went wrong with the database, in words an owner can act on. SQLite's result codes
 * (better-sqlite3 puts the extended one in `code`, e.g. SQLITE_READONLY_DBMOVED) say whether the
 * file is damaged, busy, read-only or out of space; only the first is "unusable", and only for it
 * is "move it away" the advice: the others go away when their cause does, and an owner told to
 * throw away a healthy database full of subscribers might do it.
 */
export function databaseFailure(cause: unknown, file: string, doing: string): FeedletterError {
  const code = typeof cause === 'object' && cause !== null && typeof (cause as { code?: unknown }).code === 'string' ? (cause as { code: string }).code : '';
  const is = (base: string): boolean => code === base || code.startsWith(`${base}_`);
  if (is('SQLITE_BUSY') || is('SQLITE_LOCKED')) {
    return new FeedletterError('LOCKED', `the database ${file} is busy: another process kept it locked while ${doing}`, {
      cause,
      hint: 'run again in a moment; if it persists, look for a feedletter (or sqlite3) process holding it',
    });
  }
  if (is('SQLITE_READONLY') || is('SQLITE_PERM') || is('SQLITE_AUTH')) {
    return new FeedletterError('STATE_INVALID', `the database ${file} is read-only for this process (${doing})`, {
      cause,
      hint: 'make the file, its folder and any feedletter.db-wal/-shm beside it writable by the user feedletter runs as',
    });
  }
  if (is('SQLITE_FULL')) {
    return new FeedletterError('STATE_INVALID', `the disk holding ${file} is full (${doing})`, { cause, hint: 'free some space and run again; nothing was lost' });
  }
  if (is('SQLITE_CANTOPEN')) {
    return new FeedletterError('STATE_INVALID', `cannot open the database ${file} (${doing})`, { cause, hint: 'check that state.dir is a folder this user can write to' });
  }
  if (is('SQLITE_CORRUPT') || is('SQLITE_NOTADB')) {
    return new FeedletterError('STATE_INVALID', `the database ${file} is damaged or not a feedletter database (${doing})`, {
      cause,
      hint: 'restore it from a backup (see "Backups" in the README); to start with no subscribers instead, move it away',
    });
  }
  if (is('SQLITE_IOERR')) {
    return new FeedletterError('STATE_INVALID', `the disk failed while ${doing} on ${file}`, { cause, hint: 'check the disk (dmesg) and the free space, then run again' });
  }
  if (cause instanceof FeedletterError) return cause;
  return new FeedletterError('STATE_INVALID', `the database ${file} could not be used (${doing})`, { cause, hint: 'see the cause below' });
}

/**
 * A database file that exists but holds no byte was truncated: a full disk, a failed restore, a
 * copy cut short. SQLite would take it for a new, empty database, and the next digest would
 * record its posts as sent to nobody. feedletter's own database is never empty for long: the
 * first thing done after creating it is switching it to WAL, which writes its 4 KB header. So a
 * 0-byte file is looked at again a moment later (another process may be creating it right now)
 * and refused if it is still empty.
 */
export function truncatedDatabase(file: string): FeedletterError | undefined {
  const size = (): number | undefined => statSync(file, { throwIfNoEntry: false })?.size;
  if (size() !== 0) return undefined;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, CREATION_GRACE_MS);
  if (size() !== 0) return undefined;
  return new FeedletterError('STATE_INVALID', `the database ${file} is empty (0 bytes): it was truncated, and its subscribers and digests are not in it`, {
    hint: `restore it from a backup ("feedletter backup" makes them; see "Backups" in the README). Only if nothing was ever sent from this state folder, delete the empty file to start afresh`,
  });
}

/** How long a 0-byte database may be another process's brand-new one (it writes its header within microseconds). */
const CREATION_GRACE_MS = 200;
