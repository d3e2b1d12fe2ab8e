import { randomUUID } from 'node:crypto';
import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FeedletterError } from '../errors.js';
import { ensureDirSync } from '../fs.js';

/**
 * One sender at a time: a lock file `<state>/send.lock` shared by every feedletter process that
 * uses the state folder (two daemons, a daemon and a manual `feedletter digest`).
 *
 * - Created atomically and complete: the content is written to a private temp file first and
 *   then hard-linked to the lock name. link(2) fails with EEXIST when the name exists, like
 *   open(O_EXCL), but no other process can ever read a half-written lock.
 * - A lock whose process is dead on this host (`kill(pid, 0)` → ESRCH) is stale and is taken
 *   over. Removing it happens under a second, short-lived file (`send.lock.takeover`), so of two
 *   processes that find the same stale lock, only one removes it; the other then sees the
 *   winner's fresh lock and is refused. Without that, the slower one could delete the lock the
 *   faster one had just created.
 * - A lock from another host (a shared folder) cannot be checked and is never taken over: the
 *   message says how to remove it by hand.
 * - `release()` removes the file only while it is still ours (same random token).
 */

export interface LockInfo {
  pid: number;
  hostname: string;
  /** ISO 8601. */
  startedAt: string;
  /** What the holder is doing, e.g. "digest" or "daemon". */
  purpose: string;
  /** Random per acquisition: tells our lock from a later one at the same path. */
  token: string;
}

export interface Lock {
  readonly path: string;
  readonly info: LockInfo;
  /** Remove the lock if it is still ours. Safe to call twice. */
  release(): void;
}

export interface LockOptions {
  purpose: string;
  /** For `startedAt` in the lock file. */
  clock: () => Date;
  /** How long `acquireLock` keeps trying while another live process holds the lock. @default 0 */
  wait?: number;
  /** Pause between attempts while waiting. @default 250 */
  pollMs?: number;
}

export const LOCK_FILE = 'send.lock';

/** Tokens of the locks this process holds, so a lock naming our own pid is recognised as left over from an earlier process with the same pid (containers reuse pid 1). */
const held = new Set<string>();

/**
 * Take the lock now or throw FeedletterError('LOCKED') naming the holder. Synchronous: it does a
 * handful of file operations and, while another process is removing a stale lock, waits a few
 * milliseconds for it.
 */
export function tryAcquireLock(stateDir: string, options: Omit<LockOptions, 'wait' | 'pollMs'> & { /** Test seam: called after a stale lock was found, before it is removed. */ onStale?: () => void }): Lock {
  ensureDirSync(stateDir, 0o700);
  const lockPath = path.join(stateDir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, hostname: os.hostname(), startedAt: options.clock().toISOString(), purpose: options.purpose, token: randomUUID() };
  for (let attempt = 0; attempt < 100; attempt++) {
    if (linkNew(lockPath, JSON.stringify(info, null, 2) + '\n')) {
      held.add(info.token);
      return makeLock(lockPath, info);
    }
    const current = readLock(lockPath);
    if (current === 'missing') continue; // released between our link and our read: try again
    if (!isStale(current, lockPath)) throw lockedError(lockPath, current);
    options.onStale?.();
    if (!removeStale(lockPath, current)) sleepSync(5); // another process is taking it over
  }
  const current = readLock(lockPath);
  throw lockedError(lockPath, current === 'missing' ? undefined : current);
}

/**
 * Take the lock, waiting up to `wait` ms while a live process holds it (0: do not wait). Throws
 * FeedletterError('LOCKED') naming the holder when the time is up.
 */
export async function acquireLock(stateDir: string, options: LockOptions): Promise<Lock> {
  const pollMs = options.pollMs ?? 250;
  // Waiting is measured on the monotonic clock: `clock` may be frozen (a command's fixed "now").
  const deadline = performance.now() + (options.wait ?? 0);
  for (;;) {
    try {
      return tryAcquireLock(stateDir, options);
    } catch (error) {
      if (!(error instanceof FeedletterError && error.code === 'LOCKED') || performance.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.min(pollMs, deadline - performance.now()))));
  }
}

/** Who holds the lock now, if anyone (for `feedletter check` and /healthz). */
export function readLockInfo(stateDir: string): LockInfo | undefined {
  const current = readLock(path.join(stateDir, LOCK_FILE));
  return current === 'missing' || current === 'unreadable' ? undefined : current;
}

function makeLock(lockPath: string, info: LockInfo): Lock {
  let released = false;
  return {
    path: lockPath,
    info,
    release() {
      if (released) return;
      released = true;
      held.delete(info.token);
      const current = readLock(lockPath);
      // Only ever delete our own lock: if it was (wrongly) taken over, the new holder keeps it.
      if (typeof current === 'object' && current.token === info.token) unlinkQuiet(lockPath);
    },
  };
}

/** Create `target` with `content`, atomically and only if it does not exist. */
function linkNew(target: string, content: string): boolean {
  const temp = `${target}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temp, content, { mode: 0o644 });
  try {
    linkSync(temp, target);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new FeedletterError('STATE_INVALID', `cannot create the lock ${target}`, { cause: error, hint: 'check that the state folder is writable' });
  } finally {
    unlinkQuiet(temp);
  }
}

function readLock(lockPath: string): LockInfo | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw new FeedletterError('STATE_INVALID', `cannot read the lock ${lockPath}`, { cause: error });
  }
  try {
    const value = JSON.parse(text) as Partial<LockInfo>;
    if (typeof value.pid === 'number' && typeof value.hostname === 'string' && typeof value.token === 'string') {
      return { pid: value.pid, hostname: value.hostname, startedAt: String(value.startedAt ?? ''), purpose: String(value.purpose ?? ''), token: value.token };
    }
  } catch {
    // fall through
  }
  return 'unreadable';
}

/** Locks we write are complete from the moment they exist; an unreadable one was not written by us, or the disk failed. Give a manual one a grace period. */
const UNREADABLE_STALE_MS = 10_000;

function isStale(current: LockInfo | 'unreadable', lockPath: string): boolean {
  if (current === 'unreadable') {
    try {
      return Date.now() - statSync(lockPath).mtimeMs > UNREADABLE_STALE_MS;
    } catch {
      return true;
    }
  }
  if (current.hostname !== os.hostname()) return false;
  if (current.pid === process.pid) return !held.has(current.token);
  return !processAlive(current.pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Remove the stale lock `seen`, holding the takeover file meanwhile. Returns false when another
 * process holds the takeover file (it is removing the same stale lock right now).
 */
function removeStale(lockPath: string, seen: LockInfo | 'unreadable'): boolean {
  const guardPath = `${lockPath}.takeover`;
  const guard: LockInfo = { pid: process.pid, hostname: os.hostname(), startedAt: new Date().toISOString(), purpose: 'takeover', token: randomUUID() };
  if (!linkNew(guardPath, JSON.stringify(guard))) {
    // The guard is held for a few file operations only; one left by a process that died in
    // between is removed (rename first, so that of two processes doing this only one succeeds).
    const other = readLock(guardPath);
    if (other !== 'missing' && isStale(other, guardPath)) {
      const aside = `${guardPath}.${process.pid}.${randomUUID()}.stale`;
      try {
        renameSync(guardPath, aside);
        unlinkQuiet(aside);
      } catch {
        // someone else moved it
      }
    }
    return false;
  }
  try {
    // Under the guard nobody else removes the lock, and its dead owner cannot release it, so
    // what we read now is what we delete.
    const current = readLock(lockPath);
    if (current === 'missing') return true;
    const same = current === 'unreadable' ? seen === 'unreadable' : typeof seen === 'object' && current.token === seen.token;
    if (same && isStale(current, lockPath)) unlinkQuiet(lockPath);
    return true;
  } finally {
    const mine = readLock(guardPath);
    if (typeof mine === 'object' && mine.token === guard.token) unlinkQuiet(guardPath);
  }
}

function lockedError(lockPath: string, holder: LockInfo | 'unreadable' | undefined): FeedletterError {
  const who =
    holder === undefined || holder === 'unreadable'
      ? 'by an unknown process (unreadable lock file)'
      : `by pid ${holder.pid} on host ${holder.hostname} since ${holder.startedAt}${holder.purpose ? ` (${holder.purpose})` : ''}`;
  const foreign = typeof holder === 'object' && holder.hostname !== os.hostname();
  return new FeedletterError('LOCKED', `another feedletter is sending: the lock ${lockPath} is held ${who}`, {
    hint: foreign
      ? `it was taken on another machine and cannot be checked from here; if no feedletter runs there, delete ${lockPath}`
      : `wait for it to finish; if no feedletter process is running, delete ${lockPath}`,
  });
}

function unlinkQuiet(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
