import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import path from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { glob } from 'tinyglobby';
import type { Config } from '../config/schema.js';

/**
 * Which post files there are, and a digest of their stamps. Kept apart from the header reader
 * (and its YAML, TOML and markdown parsers) so that a build that finds nothing changed loads
 * only this.
 */

/** Files only stat'ed between two yields to the event loop. */
const STAT_BATCH = 1024;

/**
 * Paths and stamps of post files, in listing order, hashed a piece at a time: the paths as text
 * (each ended by NUL, which no path contains), the sizes and mtimes as raw doubles. Formatting
 * the mtimes as text cost more than the stat calls' JavaScript side.
 */
export class StampHash {
  private readonly hash = createHash('sha256');
  private paths = '';
  private readonly numbers = new Float64Array(2048);
  private count = 0;

  add(sourcePath: string, size: number, mtimeMs: number): void {
    this.paths += sourcePath;
    this.paths += '\0';
    this.numbers[this.count++] = size;
    this.numbers[this.count++] = mtimeMs;
    if (this.count === this.numbers.length) this.flush();
  }

  private flush(): void {
    this.hash.update(this.paths);
    this.hash.update(new Uint8Array(this.numbers.buffer, 0, this.count * 8));
    this.paths = '';
    this.count = 0;
  }

  digest(): string {
    this.flush();
    return this.hash.digest('hex');
  }
}

/**
 * A digest of the post files as they are now: every listed path with its size and mtime, as
 * `scanPosts` records them in `inputs.posts`. Equal digests mean the same files with the same
 * stamps, which is all the header cache trusts too. Undefined when the content folder is
 * missing or a file vanished while listing. Costs the listing and one stat per post, nothing
 * is read.
 */
export async function postStamps(config: Config, contentDir: string): Promise<string | undefined> {
  try {
    if (!statSync(contentDir).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  const files = await listPostFiles(config, contentDir);
  const hash = new StampHash();
  // The listing's paths are relative and normal: concatenating is path.join without its cost.
  const prefix = contentDir.endsWith(path.sep) ? contentDir : `${contentDir}${path.sep}`;
  for (let i = 0; i < files.length; i++) {
    const sourcePath = files[i] as string;
    // Synchronous for the reason readHeader is (see read.ts): about 5 µs a file, against
    // several times that through the thread pool.
    let s;
    try {
      s = statSync(prefix + sourcePath, { throwIfNoEntry: false });
    } catch {
      return undefined;
    }
    if (s === undefined) return undefined;
    hash.add(sourcePath, s.size, s.mtimeMs);
    if (i % STAT_BATCH === STAT_BATCH - 1) await setImmediate();
  }
  return hash.digest();
}

/** Post files under `contentDir` matching `content.include` minus `content.exclude`, sorted. */
export async function listPostFiles(config: Config, contentDir: string): Promise<string[]> {
  const files = await glob(config.content.include, { cwd: contentDir, ignore: config.content.exclude, onlyFiles: true, expandDirectories: false });
  return (path.sep === '/' ? files : files.map((f) => f.split(path.sep).join('/'))).sort();
}
