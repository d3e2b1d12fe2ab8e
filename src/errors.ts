/**
 * The few error classes feedletter throws on purpose. Each carries a stable `code` and, where
 * there is one, the `cause`. Only the CLI turns them into messages and exit codes
 * (see `src/cli.ts`); anything that is not a FeedletterError is a bug and keeps its stack.
 */

export type ErrorCode =
  /** The config file is missing a value, has a wrong one, or has unknown keys. */
  | 'CONFIG_INVALID'
  /** One or more posts could not be read; the others were still processed. */
  | 'CONTENT_INVALID'
  /** The content folder is missing, or a build would empty feeds that have items: nothing was written. */
  | 'CONTENT_MISSING'
  /** An email template does not parse or render (names file and line). */
  | 'TEMPLATE_INVALID'
  /** The SMTP server could not be reached or refused us as a whole (not one recipient). */
  | 'SMTP_UNAVAILABLE'
  /** The daemon's HTTP port is taken by another process (often a previous instance still stopping). */
  | 'ADDRESS_IN_USE'
  /** Another process holds the send lock. */
  | 'LOCKED'
  /** The command line or its arguments are wrong. */
  | 'USAGE'
  /** A value given by the user (address, token, file) is not acceptable. */
  | 'INPUT_INVALID'
  /** The state folder or database is unusable. */
  | 'STATE_INVALID'
  /** A file or folder could not be read or written (disk full, permissions, read-only file system). */
  | 'IO_FAILED';

export class FeedletterError extends Error {
  readonly code: ErrorCode;
  /** One line telling the user what to do about it, when we know. */
  readonly hint: string | undefined;
  /** The problems behind the error (every bad config key, every post that failed), printed before it. */
  readonly problems: readonly Problem[];

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; hint?: string; problems?: readonly Problem[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FeedletterError';
    this.code = code;
    this.hint = options.hint;
    this.problems = options.problems ?? [];
  }
}

export function isFeedletterError(error: unknown): error is FeedletterError {
  return error instanceof FeedletterError;
}

/**
 * One problem found in one input file. Content and config checks collect these and report them
 * all at once instead of stopping at the first.
 */
export interface Problem {
  /** Path of the file, relative to the working directory where possible. */
  file: string;
  /** 1-based line in the file, when known. */
  line?: number;
  /** The field (front-matter key, config path) at fault, when there is one. */
  field?: string;
  message: string;
  /** How to fix it. */
  hint?: string;
  /** `error` skips the post (or fails the config); `warning` is reported and the post goes on. */
  severity: 'error' | 'warning';
}

/** `file:line: field: message (hint)` — the one format every problem is printed in. */
export function formatProblem(problem: Problem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  const field = problem.field === undefined ? '' : ` ${problem.field}:`;
  const hint = problem.hint === undefined ? '' : ` (${problem.hint})`;
  const level = problem.severity === 'warning' ? ' warning:' : '';
  return `${where}:${level}${field} ${problem.message}${hint}`;
}

/** System errors of the disk and the file system: the machine's trouble, not a bug of ours. */
const IO_CODES: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exhausted',
  EFBIG: 'the file is too large for the file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  EIO: 'the disk failed',
  EBUSY: 'the file is busy',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files on the system',
  ENOENT: 'a folder on the way does not exist or cannot be created there',
  ENOTDIR: 'a file stands where a folder should be',
  EISDIR: 'a folder stands where a file should be',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/**
 * A failed file-system call as IO_FAILED (74), saying what was being done, where and why;
 * undefined for anything else.
 */
export function ioFailure(error: unknown, doing?: string): FeedletterError | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || IO_CODES[code] === undefined) return undefined;
  const where = (error as NodeJS.ErrnoException).path;
  const what = doing === undefined ? (where ?? 'a file') : `cannot ${doing}${where ? ` (${where})` : ''}`;
  return new FeedletterError('IO_FAILED', `${what}: ${IO_CODES[code]}`, {
    cause: error,
    hint: code === 'ENOSPC' || code === 'EDQUOT' ? 'free some disk space and run again' : 'check that the folder exists and that the user running feedletter may write it',
  });
}

/**
 * What went wrong with the database, in words an owner can act on; undefined when `error` is not
 * SQLite's. Its result codes (better-sqlite3 puts the extended one in `code`, e.g.
 * SQLITE_READONLY_DBMOVED) say whether the file is damaged, busy, read-only or out of space;
 * only the first is "damaged", and only for it is "restore or move it away" the advice: the
 * others go away when their cause does, and an owner told to throw away a healthy database full
 * of subscribers might do it.
 */
export function databaseFailure(error: unknown, file?: string, doing = 'using it'): FeedletterError | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_')) return undefined;
  const is = (base: string): boolean => code === base || code.startsWith(`${base}_`);
  const db = file === undefined ? 'the database in the state folder' : `the database ${file}`;
  if (is('SQLITE_BUSY') || is('SQLITE_LOCKED')) {
    return new FeedletterError('LOCKED', `${db} is busy: another process kept it locked while ${doing}`, {
      cause: error,
      hint: 'run again in a moment; if it persists, look for a feedletter (or sqlite3, or backup) process holding it',
    });
  }
  if (is('SQLITE_READONLY') || is('SQLITE_PERM') || is('SQLITE_AUTH')) {
    return new FeedletterError('STATE_INVALID', `${db} is read-only for this process (${doing})`, {
      cause: error,
      hint: 'the user running feedletter must be able to write the state folder, the database file and its -wal and -shm files',
    });
  }
  if (is('SQLITE_FULL')) return new FeedletterError('STATE_INVALID', `the disk holding ${db} is full (${doing})`, { cause: error, hint: 'free some space and run again; nothing half-written was kept, the next run resumes' });
  if (is('SQLITE_CANTOPEN')) return new FeedletterError('STATE_INVALID', `cannot open ${db} (${doing})`, { cause: error, hint: 'check that state.dir is a folder this user can write to' });
  if (is('SQLITE_CORRUPT') || is('SQLITE_NOTADB')) {
    return new FeedletterError('STATE_INVALID', `${db} is damaged or not a feedletter database (${doing})`, {
      cause: error,
      hint: 'restore it from a backup (see "Backups" in the README); to start with no subscribers instead, move it away',
    });
  }
  if (is('SQLITE_IOERR')) return new FeedletterError('STATE_INVALID', `the disk failed while ${doing} ${db}`, { cause: error, hint: 'check the disk (dmesg) and the free space, then run again' });
  return new FeedletterError('STATE_INVALID', `${db} could not be used (${doing}): ${error instanceof Error ? error.message : code}`, { cause: error, hint: 'see the cause below' });
}

/**
 * The failures of the disk and of SQLite that can reach the CLI from any command, with their
 * documented codes (74, and 75 for a database locked past the busy timeout); undefined for
 * anything else, which is then a bug.
 */
export function asKnownFailure(error: unknown): FeedletterError | undefined {
  return databaseFailure(error) ?? ioFailure(error);
}
