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
  /** The daemon's HTTP port is taken by another process (often a previous instance still stopping). */
  | 'ADDRESS_IN_USE'
  /** Another process holds the send lock. */
  | 'LOCKED'
  /** The command line or its arguments are wrong. */
  | 'USAGE'
  /** A value given by the user (address, token, file) is not acceptable. */
  | 'INPUT_INVALID'
  /** The state folder or database is unusable. */
  | 'STATE_INVALID';

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
