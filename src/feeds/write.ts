import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ensureDirSync } from '../fs.js';

/**
 * Write `content` (UTF-8) to `file` so that a reader never sees half of it: into a temp file
 * beside the target (same folder, hence same file system), then `rename` over it, which is
 * atomic on POSIX. When the file already holds exactly these bytes it is left alone, mtime and
 * all, so a warm build touches nothing and HTTP caches keep their validators.
 *
 * No fsync: an interrupted build leaves the old or the new file, and the next build rewrites it.
 */
export async function writeFileAtomic(file: string, content: string): Promise<'written' | 'unchanged'> {
  return writeFileAtomicSync(file, content);
}

/**
 * `writeFileAtomic` in system calls of its own, without libuv's thread pool: for the few hundred
 * small files of a build that is several times cheaper (the caller yields between files).
 * `madeDirs` remembers the folders already created during one build, so each is made once.
 */
export function writeFileAtomicSync(file: string, content: string, madeDirs?: Set<string>): 'written' | 'unchanged' {
  const bytes = Buffer.from(content, 'utf8');
  if (holds(file, bytes)) return 'unchanged';

  const dir = path.dirname(file);
  if (madeDirs === undefined || !madeDirs.has(dir)) {
    ensureDirSync(dir);
    madeDirs?.add(dir);
  }
  // Dot-prefixed so web servers that hide dotfiles never serve it; random so two builds never share one.
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx');
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return 'written';
}

function holds(file: string, bytes: Buffer): boolean {
  const info = statSync(file, { throwIfNoEntry: false });
  if (info === undefined || !info.isFile() || info.size !== bytes.length) return false;
  const fd = openSync(file, 'r');
  try {
    // The size could change between stat and read: compare what the open file holds now.
    if (fstatSync(fd).size !== bytes.length) return false;
    const existing = Buffer.allocUnsafe(bytes.length);
    let filled = 0;
    while (filled < existing.length) {
      const n = readSync(fd, existing, filled, existing.length - filled, filled);
      if (n === 0) return false;
      filled += n;
    }
    return existing.equals(bytes);
  } finally {
    closeSync(fd);
  }
}
