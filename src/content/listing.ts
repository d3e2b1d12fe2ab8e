import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { setImmediate } from 'node:timers/promises';
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
 * A listing, and the folders it was read from: while none of them changed, the listing is the
 * same. A folder's mtime and ctime move whenever an entry is added, removed or renamed in it
 * (and the ctime also when someone sets the mtime back), its inode when it is replaced.
 */
export interface ListingStamp {
  /** Every folder under the patterns' fixed prefixes: path relative to the content folder ('' for itself), inode, ctime, mtime. */
  dirs: Array<[string, number, number, number]>;
  /** The sorted listing, paths joined by NUL. */
  files: string;
}

/**
 * A folder changed this close to (or after) the start of the listing is not trusted: its next
 * change may fall in the same tick of the file system's clock and leave its stamps as they are
 * (git's "racily clean" entries). 3 s also covers FAT's 2 s mtimes.
 */
const RACY_MS = 3_000;
/** More folders than this under the patterns' prefixes (a content folder holding a whole site, say): not worth stamping. */
const MAX_DIRS = 2_000;

/**
 * The folders (relative, posix) that every match of `include` lies under: each pattern's
 * leading segments without glob syntax. Undefined when a pattern can reach outside the
 * content folder or is negated.
 */
function fixedPrefixes(include: readonly string[]): string[] | undefined {
  const roots = new Set<string>();
  for (const pattern of include) {
    const segments = pattern.split('/');
    if (pattern.startsWith('/') || pattern.startsWith('!') || segments.includes('..')) return undefined;
    const fixed: string[] = [];
    for (const segment of segments.slice(0, -1)) {
      if (/[*?[\]{}()!+@\\]/.test(segment)) break;
      if (segment !== '' && segment !== '.') fixed.push(segment);
    }
    roots.add(fixed.join('/'));
  }
  return [...roots];
}

/**
 * What a listing's stamp can be: the stamp; "later" when a folder changed too recently to be
 * trusted (a later listing may be); "never" when the patterns or the folders do not allow one
 * (a pattern negated or leaving the content folder, a link, a missing folder, too many).
 */
export type ListingStampResult = ListingStamp | 'later' | 'never';

/** Stamps of every folder under `roots`, each older than `since` - slack. */
function folderStamps(contentDir: string, roots: readonly string[], since: number, slackMs: number): ListingStamp['dirs'] | 'later' | 'never' {
  const dirs = new Map<string, [number, number, number]>();
  let failure: 'later' | 'never' = 'never';
  const visit = (relative: string): boolean => {
    if (dirs.has(relative)) return true;
    const absolute = relative === '' ? contentDir : path.join(contentDir, ...relative.split('/'));
    let entries;
    try {
      const info = statSync(absolute);
      if (!info.isDirectory()) return false;
      if (info.ctimeMs >= since - slackMs || info.mtimeMs >= since - slackMs) {
        failure = 'later';
        return false;
      }
      dirs.set(relative, [info.ino, info.ctimeMs, info.mtimeMs]);
      if (dirs.size > MAX_DIRS) return false;
      entries = readdirSync(absolute, { withFileTypes: true });
    } catch {
      return false;
    }
    for (const entry of entries) {
      // The glob follows links; their targets' folders are not stamped here, so no reuse.
      if (entry.isSymbolicLink()) return false;
      if (entry.isDirectory() && !visit(relative === '' ? entry.name : `${relative}/${entry.name}`)) return false;
    }
    return true;
  };
  for (const root of roots) if (!visit(root)) return failure;
  return [...dirs].map(([relative, [ino, ctimeMs, mtimeMs]]) => [relative, ino, ctimeMs, mtimeMs]);
}

/** `listPostFiles`, and a stamp to reuse it by (see `reuseListing`). `slackMs` is for tests. */
export async function listPostFilesStamped(config: Config, contentDir: string, slackMs = RACY_MS): Promise<{ files: string[]; stamp: ListingStampResult }> {
  const since = Date.now();
  const files = await listPostFiles(config, contentDir);
  // Stamped after listing: a folder that changed meanwhile has a stamp after `since`.
  const roots = fixedPrefixes(config.content.include);
  const dirs = roots === undefined ? 'never' : folderStamps(contentDir, roots, since, slackMs);
  return { files, stamp: typeof dirs === 'string' ? dirs : { dirs, files: files.join('\0') } };
}

/** The stamped listing when every folder is as stamped; undefined otherwise. One stat per folder. */
export function reuseListing(contentDir: string, stamp: ListingStamp): string[] | undefined {
  for (const [relative, ino, ctimeMs, mtimeMs] of stamp.dirs) {
    try {
      const info = statSync(relative === '' ? contentDir : path.join(contentDir, ...relative.split('/')), { throwIfNoEntry: false });
      if (info === undefined || !info.isDirectory() || info.ino !== ino || info.ctimeMs !== ctimeMs || info.mtimeMs !== mtimeMs) return undefined;
    } catch {
      return undefined;
    }
  }
  return stamp.files === '' ? [] : stamp.files.split('\0');
}

/** Whether `value` has the shape of a `ListingStamp` (it comes from a file anyone can edit). */
export function isListingStamp(value: unknown): value is ListingStamp {
  if (typeof value !== 'object' || value === null) return false;
  const { dirs, files } = value as Partial<ListingStamp>;
  return (
    typeof files === 'string' &&
    Array.isArray(dirs) &&
    dirs.every((d: unknown) => Array.isArray(d) && d.length === 4 && typeof d[0] === 'string' && typeof d[1] === 'number' && typeof d[2] === 'number' && typeof d[3] === 'number')
  );
}

/**
 * A digest of the post files as they are now: every listed path with its size and mtime, as
 * `scanPosts` records them in `inputs.posts`. Equal digests mean the same files with the same
 * stamps, which is all the header cache trusts too. Undefined when the content folder is
 * missing or a file vanished while listing. Costs the listing (or, with a `listing` stamp
 * whose folders did not change, one stat per folder) and one stat per post; nothing is read.
 */
export async function postStamps(config: Config, contentDir: string, listing?: ListingStamp): Promise<string | undefined> {
  return (await stampPosts(config, contentDir, listing, false))?.digest;
}

/**
 * `postStamps`, and with `restamp` (when `listing` is not a usable stamp) what
 * `listPostFilesStamped` says of the listing now; `listing` when it was reused.
 */
export async function stampPosts(config: Config, contentDir: string, listing: ListingStamp | undefined, restamp: boolean): Promise<{ digest: string; listing: ListingStampResult } | undefined> {
  try {
    if (!statSync(contentDir).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  let files = listing === undefined ? undefined : reuseListing(contentDir, listing);
  let next: ListingStampResult = files === undefined || listing === undefined ? 'never' : listing;
  if (files === undefined) {
    if (restamp) ({ files, stamp: next } = await listPostFilesStamped(config, contentDir));
    else files = await listPostFiles(config, contentDir);
  }
  const hash = new StampHash();
  // The listing's paths are relative and normal: concatenating is path.join without its cost.
  const prefix = contentDir.endsWith(path.sep) ? contentDir : `${contentDir}${path.sep}`;
  // In scan order (scanOrder: last path first), as scanPosts hashes them.
  for (let i = files.length - 1, n = 0; i >= 0; i--, n++) {
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
    if (n % STAT_BATCH === STAT_BATCH - 1) await setImmediate();
  }
  return { digest: hash.digest(), listing: next };
}

/**
 * The order posts are scanned in: descending sourcePath. Jekyll's names start with the date, so
 * this is newest first, and a planner that keeps the newest few posts of each feed set turns
 * most older posts away as soon as they are read: their headers die young instead of being held
 * until newer ones push them out (a cold build of 100,000 posts peaked 30 MB lower, and ran 15%
 * faster). The header cache is kept in this order too, and `postStamps` hashes in it.
 */
export function scanOrder(files: readonly string[]): string[] {
  return files.slice().reverse();
}

/** Post files under `contentDir` matching `content.include` minus `content.exclude`, sorted. */
export async function listPostFiles(config: Config, contentDir: string): Promise<string[]> {
  // Loaded here: a build that reuses a stamped listing does without it.
  const { glob } = await import('tinyglobby');
  const files = await glob(config.content.include, { cwd: contentDir, ignore: config.content.exclude, onlyFiles: true, expandDirectories: false });
  const listed = (path.sep === '/' ? files : files.map((f) => f.split(path.sep).join('/'))).sort();
  return config.site.generator === 'hugo' ? hugoPages(listed) : listed;
}

/**
 * Hugo's pages among content files: not the list pages (`_index.md`), and of a leaf bundle
 * (a folder with an `index.md`) only that file: the rest of the folder is its resources.
 */
export function hugoPages(files: readonly string[]): string[] {
  const bundles = new Set<string>();
  for (const file of files) {
    const slash = file.lastIndexOf('/');
    if (/^index\.[^./]+$/.test(file.slice(slash + 1))) bundles.add(file.slice(0, slash + 1));
  }
  return files.filter((file) => {
    const slash = file.lastIndexOf('/');
    const name = file.slice(slash + 1);
    if (/^_index\./.test(name)) return false;
    for (let i = file.indexOf('/'); i !== -1; i = file.indexOf('/', i + 1)) {
      const folder = file.slice(0, i + 1);
      if (bundles.has(folder) && !(i === slash && /^index\./.test(name))) return false;
    }
    return true;
  });
}
