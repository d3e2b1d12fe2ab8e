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
  /** An email template does not parse or render (names file and line). */
  | 'TEMPLATE_INVALID'
  /** The SMTP server could not be reached or refused us as a whole (not one recipient). */
  | 'SMTP_UNAVAILABLE'
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

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FeedletterError';
    this.code = code;
    this.hint = options.hint;
  }
}

export function isFeedletterError(error: unknown): error is FeedletterError {
  return error instanceof FeedletterError;
}

/** System errors of the disk and the file system: the machine's trouble, not a bug of ours. */
const IO_CODES = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EIO', 'EMFILE', 'ENFILE', 'ENOTDIR', 'EISDIR', 'ELOOP', 'ENAMETOOLONG', 'ENOENT', 'EFBIG', 'EBUSY']);

/**
 * Recognises the failures of the disk and of SQLite that can reach the CLI from any command
 * (a read-only or full disk, a database file made read-only, a database locked past the busy
 * timeout) and gives each its documented code: IO_FAILED or STATE_INVALID (74), LOCKED (75).
 * Undefined for anything else, which is then a bug.
 */
export function asKnownFailure(error: unknown): FeedletterError | undefined {
  if (typeof error !== 'object' || error === null || !(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return undefined;
  if (error.name === 'SqliteError' || code.startsWith('SQLITE_')) {
    if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_LOCKED_')) {
      return new FeedletterError('LOCKED', `the database is locked by another process: ${error.message}`, { cause: error, hint: 'another feedletter (or a backup tool) holds it; try again in a moment' });
    }
    if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_') || code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_CANTOPEN_') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
      return new FeedletterError('STATE_INVALID', `the database cannot be written: ${error.message}`, { cause: error, hint: 'the user running feedletter must be able to write the state folder and the database file in it (and its -wal and -shm files)' });
    }
    if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR')) {
      return new FeedletterError('STATE_INVALID', `the database could not be written to disk: ${error.message}`, { cause: error, hint: 'check free space and the health of the disk of the state folder; nothing half-written was kept, the next run resumes' });
    }
    return undefined;
  }
  if (IO_CODES.has(code)) {
    const file = (error as { path?: unknown }).path;
    return new FeedletterError('IO_FAILED', `${typeof file === 'string' ? `${file}: ` : ''}${error.message}`, { cause: error, hint: code === 'ENOSPC' || code === 'EDQUOT' ? 'free some disk space and run again' : 'check that the folder exists and that the user running feedletter may write it' });
  }
  return undefined;
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
