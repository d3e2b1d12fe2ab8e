import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureDir } from '../fs.js';
import type { Config } from '../config/schema.js';
import type { FeedSet } from './plan.js';

/**
 * What the last build wrote: per feed set, a fingerprint of everything its files are made of,
 * and the size and mtime of each file. A set whose fingerprint is unchanged and whose files are
 * still exactly as written is neither rendered nor compared, and its posts' bodies are not even
 * rendered: a warm build of an unchanged blog costs little more than listing the posts.
 *
 * Bump VERSION whenever the renderers' output changes, so an upgrade rewrites every feed.
 */
const VERSION = 2;

export interface FileStamp {
  size: number;
  mtimeMs: number;
}

export interface FeedManifest {
  version: number;
  /** By set dir ('' for the site feeds). */
  sets: Record<string, { fingerprint: string; files: Record<string, FileStamp> }>;
  /**
   * What the build that wrote this manifest depended on and reported, when a later build can
   * trust it (see `build` in commands/build.ts, which writes and checks it). Kept in this file
   * so that it is never out of step with `sets`.
   */
  snapshot?: unknown;
}

export function emptyManifest(): FeedManifest {
  return { version: VERSION, sets: {} };
}

/** Relative paths (posix) of a set's three files. */
export function setFiles(config: Config, set: Pick<FeedSet, 'dir'>): string[] {
  const { rss, atom, json } = config.feeds;
  return [rss, atom, json].map((name) => (set.dir === '' ? name : `${set.dir}/${name}`));
}

/**
 * Everything the set's files depend on: the site and feed config, the set itself, and for each
 * post its identity, dates and source file stamp (a changed body changes the file's size or
 * mtime). Pure.
 */
export function fingerprintSet(config: Config, set: FeedSet): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([VERSION, config.site, config.feeds, config.permalink, config.jekyll, config.hugo, config.content.endMarker ?? null, set.kind, set.term ?? null, set.dir, set.title, set.content, set.archive ?? null]));
  for (const post of set.posts) {
    hash.update(JSON.stringify([post.id, post.sourcePath, post.size, post.mtimeMs, post.date.getTime(), post.updated.getTime()]));
  }
  return hash.digest('hex');
}

export async function loadManifest(file: string): Promise<FeedManifest> {
  try {
    // Synchronous: one small file, read before anything else can run in parallel.
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as FeedManifest;
    // An old or damaged manifest only costs one full build.
    return parsed.version === VERSION && typeof parsed.sets === 'object' && parsed.sets !== null ? parsed : emptyManifest();
  } catch {
    return emptyManifest();
  }
}

export async function saveManifest(file: string, manifest: FeedManifest): Promise<void> {
  // 0700: the state folder also holds the signing secret and the database.
  await ensureDir(path.dirname(file), 0o700);
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(manifest));
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Size and mtime of a file; undefined when it is missing or not a file. Synchronous: a build
 * stamps every feed file (about 940 at 10,000 posts), and for files in the page cache a stat
 * through libuv's thread pool costs several times the system call itself (see read.ts).
 */
export function stampOf(file: string): FileStamp | undefined {
  try {
    const info = statSync(file, { throwIfNoEntry: false });
    return info?.isFile() ? { size: info.size, mtimeMs: info.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether every file of `files` (relative, posix) is still there with the recorded size and mtime. */
export function filesUnchanged(outputDir: string, files: Readonly<Record<string, FileStamp>>, relatives: readonly string[] = Object.keys(files)): boolean {
  // Relative paths from setFiles are normal (fileName refuses ".." and leading slashes), and
  // every platform's file system calls take "/": concatenating is path.join without its cost.
  const prefix = outputDir.endsWith(path.sep) ? outputDir : `${outputDir}${path.sep}`;
  for (const relative of relatives) {
    const recorded = files[relative];
    const now = stampOf(prefix + relative);
    if (!recorded || !now || now.size !== recorded.size || now.mtimeMs !== recorded.mtimeMs) return false;
  }
  return true;
}

/**
 * The dirs of the sets that need no work: same fingerprint as in the manifest, and every file
 * still there with the size and mtime recorded (someone deleting or editing an output file
 * gets it rewritten).
 */
export function currentSets(options: { config: Config; outputDir: string; sets: readonly FeedSet[]; manifest: FeedManifest; fingerprints: ReadonlyMap<string, string> }): Set<string> {
  const { config, outputDir, sets, manifest, fingerprints } = options;
  const current = new Set<string>();
  for (const set of sets) {
    const previous = manifest.sets[set.dir];
    if (!previous || previous.fingerprint !== fingerprints.get(set.dir)) continue;
    if (filesUnchanged(outputDir, previous.files, setFiles(config, set))) current.add(set.dir);
  }
  return current;
}
