import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Write `content` (UTF-8) to `file` so that a reader never sees half of it: into a temp file
 * beside the target (same folder, hence same file system), then `rename` over it, which is
 * atomic on POSIX. When the file already holds exactly these bytes it is left alone, mtime and
 * all, so a warm build touches nothing and HTTP caches keep their validators.
 *
 * No fsync: an interrupted build leaves the old or the new file, and the next build rewrites it.
 */
export async function writeFileAtomic(file: string, content: string): Promise<'written' | 'unchanged'> {
  const bytes = Buffer.from(content, 'utf8');
  if (await holds(file, bytes)) return 'unchanged';

  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true });
  // Dot-prefixed so web servers that hide dotfiles never serve it; random so two builds never share one.
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, bytes, { flag: 'wx' });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return 'written';
}

async function holds(file: string, bytes: Buffer): Promise<boolean> {
  try {
    const info = await stat(file);
    if (!info.isFile() || info.size !== bytes.length) return false;
    return (await readFile(file)).equals(bytes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
