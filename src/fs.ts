import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * `mkdir -p` with a bound. Node's own `mkdir(dir, { recursive: true })` retries for ever when
 * mkdir(2) answers ENOENT for a folder whose parent exists, as it does everywhere under /proc:
 * a state folder configured there made `feedletter digest` spin at 100 % CPU in native code,
 * deaf to SIGTERM. Here every missing ancestor is created once, top down, and any answer but
 * success or EEXIST is thrown: at most one stat and one mkdir per path segment.
 */
export function ensureDirSync(dir: string, mode?: number): void {
  const missing: string[] = [];
  for (let current = path.resolve(dir); !existsSync(current); current = path.dirname(current)) {
    missing.push(current);
    if (path.dirname(current) === current) break;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder, { mode: mode ?? 0o777 });
    } catch (error) {
      if (code(error) !== 'EEXIST') throw error;
    }
  }
}

/** The same as `ensureDirSync`, without blocking the event loop. */
export async function ensureDir(dir: string, mode?: number): Promise<void> {
  const missing: string[] = [];
  for (let current = path.resolve(dir); !(await exists(current)); current = path.dirname(current)) {
    missing.push(current);
    if (path.dirname(current) === current) break;
  }
  for (const folder of missing.reverse()) {
    try {
      await mkdir(folder, { mode: mode ?? 0o777 });
    } catch (error) {
      if (code(error) !== 'EEXIST') throw error;
    }
  }
}

const code = (error: unknown): string | undefined => (error as NodeJS.ErrnoException).code;

/** Only ENOENT means missing: a file in the way is left for mkdir below it to refuse (ENOTDIR). */
function existsSync(candidate: string): boolean {
  try {
    statSync(candidate);
    return true;
  } catch (error) {
    if (code(error) === 'ENOENT') return false;
    throw error;
  }
}

async function exists(candidate: string): Promise<boolean> {
  try {
    await stat(candidate);
    return true;
  } catch (error) {
    if (code(error) === 'ENOENT') return false;
    throw error;
  }
}
