import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Problem } from '../errors.js';
import type { PostHeader } from '../post.js';
import { CACHE_VERSION, CacheReader, CacheWriter } from './cache.js';
import type { Intern } from './header.js';
import { readFileEntry } from './entry.js';
import { PermalinkOwners } from './owners.js';
import { headerWorkers, readEntriesInOrder } from './parallel.js';
import type { FileEntry } from './read.js';
import { listPostFiles, listPostFilesStamped, scanOrder, StampHash, type ListingStampResult } from './listing.js';
import { detach } from './text.js';
import { problemFile } from './util.js';

export { listPostFiles, postStamps, type ListingStamp, type ListingStampResult } from './listing.js';
export { renderPosts } from './render.js';

/**
 * The content stage: post files → headers of every post (cheap: first chunk of each file, or the
 * cache) and, for the few that go out, full posts (`renderPosts`). Rules: issue 2, "Content rules".
 */

export interface ReadOptions {
  config: Config;
  /** Absolute path of `content.dir`. */
  contentDir: string;
  /** Posts dated after `now` are not published yet. */
  now: Date;
  /** Absolute path of the header cache in the state folder; undefined = no cache. */
  cacheFile?: string;
  /** Also return `inputs`: what a build records to recognise an unchanged blog (see `postStamps`). */
  stamp?: boolean;
  /** Worker threads reading headers when there is no cache; default: by file count and cores (see parallel.ts). */
  workers?: number;
}

/**
 * The inputs a scan saw, for a caller that wants to know later whether a new scan would give
 * the same result without doing it: `postStamps` of the files as they were read, and the
 * interval of `now` over which the same posts are published (a post in the future becomes due
 * at `validUntil`; a clock set back before `validFrom` unpublishes one).
 */
export interface ScanInputs {
  /** `postStamps` of the files read (paths, sizes and mtimes when they were read). */
  posts: string;
  /** Date (ms) of the newest published post; null when none was. */
  validFrom: number | null;
  /** Date (ms) of the oldest post left out only for being in the future; null when none was. */
  validUntil: number | null;
  /** The listing with its folders' stamps, for `postStamps` to reuse, or why there is none. */
  listing: ListingStampResult;
}

export interface ScanResult {
  /** Every error (the post was skipped) and warning, in file order. */
  problems: Problem[];
  /** `expired`: Hugo pages past their expiryDate (not published). */
  stats: { files: number; published: number; drafts: number; future: number; expired: number; skipped: number; cacheHits: number };
  /**
   * With `stamp`: what the scan depended on. Undefined when the same files could give another
   * result next time without a change of stamp: a file could not be read (permissions change no
   * mtime), or the header cache could not be written (the next scan would try again).
   */
  inputs?: ScanInputs;
  /** Chunks of files read by worker threads (see parallel.ts); absent when none was started. */
  workerChunks?: number;
}

export interface ContentResult extends ScanResult {
  /** Published posts only (no drafts, none in the future), newest first (date desc, then sourcePath asc), unique ids. */
  headers: PostHeader[];
}

/** Everything in the config a cached header depends on: change any of it and the cache is rebuilt. */
function fingerprint(config: Config): string {
  return JSON.stringify([CACHE_VERSION, config.site.url, config.site.timezone, config.site.author.name, config.permalink, config.content.endMarker ?? null, config.site.generator, config.jekyll.defaults, config.hugo]);
}

function interner(): Intern {
  const seen = new Map<string, string>();
  return (s) => {
    const known = seen.get(s);
    if (known !== undefined) return known;
    const copy = detach(s);
    seen.set(copy, copy);
    return copy;
  };
}

/**
 * Every published post's header (no drafts, none in the future, unique ids), newest first (date
 * desc, then sourcePath asc). Holds every header at once: a caller that needs only some of them
 * (the newest few, those of a window) uses `scanPosts` and keeps only those.
 */
export async function readPosts(options: ReadOptions): Promise<ContentResult> {
  const headers: PostHeader[] = [];
  const result = await scanPosts(options, (header) => void headers.push(header));
  headers.sort((a, b) => b.date.getTime() - a.date.getTime() || (a.sourcePath < b.sourcePath ? -1 : a.sourcePath > b.sourcePath ? 1 : 0));
  return { headers, ...result };
}

/**
 * Reads every post's header and hands each published one (no drafts, none in the future, unique
 * ids) to `visit`, in scan order (`scanOrder`: descending sourcePath, newest first for dated
 * names), without keeping any: memory stays that of the headers the
 * caller keeps plus one id and path per post (for the duplicate-permalink check). Same problems
 * and stats as `readPosts`.
 */
export async function scanPosts(options: ReadOptions, visit: (header: PostHeader) => void): Promise<ScanResult> {
  const { config, contentDir, now, cacheFile } = options;
  const stats = { files: 0, published: 0, drafts: 0, future: 0, expired: 0, skipped: 0, cacheHits: 0 };

  try {
    if (!(await stat(contentDir)).isDirectory()) throw new Error('not a folder');
  } catch {
    const problem: Problem = { file: config.content.dir, field: 'content.dir', message: 'the content folder does not exist', hint: 'create it, or set content.dir in the config', severity: 'error' };
    return { problems: [problem], stats };
  }

  const intern = interner();
  const print = fingerprint(config);
  const useCache = cacheFile !== undefined && config.content.cache;
  const { files, stamp: listing } = options.stamp === true ? await listPostFilesStamped(config, contentDir) : { files: await listPostFiles(config, contentDir), stamp: 'never' as const };
  stats.files = files.length;
  const order = scanOrder(files);

  // The cache is merge-joined with the listing in scan order. While every file so far was the cache's
  // next entry, unchanged, nothing is written; at the first difference a new cache is started
  // with the unchanged lines copied over, and every entry from there on is added to it.
  const reader = useCache ? CacheReader.open(cacheFile, print, intern) : undefined;
  let writer: CacheWriter | undefined;
  let cacheProblem: Problem | undefined;
  let writing = useCache;
  const cacheFailed = (error: unknown): void => {
    writer?.abort();
    writer = undefined;
    writing = false;
    cacheProblem = { file: cacheFile!, message: `the header cache could not be written: ${(error as Error).message}`, hint: 'check that the state folder is writable; posts were read without it', severity: 'warning' };
  };
  const startWriting = (): void => {
    if (!writing || writer !== undefined) return;
    try {
      writer = CacheWriter.create(cacheFile!, print, reader === undefined ? undefined : { reader, entries: stats.cacheHits });
    } catch (error) {
      cacheFailed(error);
    }
  };

  const readOne = (sourcePath: string): FileEntry => {
    const absolute = path.join(contentDir, sourcePath);
    if (reader !== undefined) {
      const { entry: hit, skipped } = reader.find(sourcePath);
      if (skipped) startWriting();
      if (hit !== undefined) {
        const s = statSync(absolute, { throwIfNoEntry: false });
        if (s !== undefined && s.size === hit.size && s.mtimeMs === hit.mtimeMs) {
          stats.cacheHits++;
          return hit;
        }
      }
    }
    startWriting();
    return readFileEntry(contentDir, sourcePath, config, intern);
  };

  // Two posts with one permalink: a published post keeps it over one scheduled for later (which
  // would otherwise take it from the published one before it is even due); between two of the
  // same kind, the first read keeps it: the one whose path sorts last (for dated names the newer
  // post, as with Jekyll, which writes both and keeps the last). Never headers are remembered,
  // nor ids: a hash and a position (see owners.ts), and each file's size and mtime as read.
  const sizes = new Float64Array(order.length);
  const mtimes = new Float64Array(order.length);
  let position = 0;
  const owners = new PermalinkOwners((at) => {
    const again = readFileEntry(contentDir, order[at] as string, config, intern);
    return again.size === sizes[at] && again.mtimeMs === mtimes[at] ? again.header?.id : undefined;
  });
  /** Ids of posts scheduled for later, with their problems (a published post read after them takes their id). */
  const scheduled = new Map<string, { sourcePath: string; problems: Problem[] }>();
  // Each file's problems, in scan order; reported in file order (the reverse) at the end.
  const problemsByFile: Problem[][] = [];
  const stamps = options.stamp === true ? new StampHash() : undefined;
  let unreadable = false;
  let newestPublished = Number.NEGATIVE_INFINITY;
  let oldestFuture = Number.POSITIVE_INFINITY;
  const duplicate = (sourcePath: string, owner: string, url: string): Problem => ({
    file: problemFile(config, contentDir, sourcePath),
    field: 'permalink',
    message: `has the same permalink as ${problemFile(config, contentDir, owner)} (${url}); skipped`,
    hint: 'give one of the two posts another permalink, slug or date',
    severity: 'error',
  });
  const take = (entry: FileEntry): void => {
    const at = position++;
    sizes[at] = entry.size;
    mtimes[at] = entry.mtimeMs;
    if (entry.size < 0) unreadable = true;
    else stamps?.add(entry.sourcePath, entry.size, entry.mtimeMs);
    let problems: Problem[] | undefined;
    if (entry.problems.length > 0) {
      const file = problemFile(config, contentDir, entry.sourcePath);
      problems = entry.problems.map((p) => ({ file, ...p }));
      problemsByFile.push(problems);
    }
    const header = entry.header;
    if (header === undefined) {
      stats.skipped++;
      return;
    }
    if (entry.draft) {
      stats.drafts++;
      return;
    }
    // Hugo: out from its publishDate (when it has one) until its expiryDate.
    const date = entry.window?.from ?? header.date.getTime();
    const future = date > now.getTime() && !(config.site.generator === 'jekyll' && config.jekyll.future) && !(config.site.generator === 'hugo' && config.hugo.buildFuture);
    const until = entry.window?.until;
    if (until !== undefined && !(config.site.generator === 'hugo' && config.hugo.buildExpired)) {
      if (until < now.getTime()) {
        stats.expired++;
        return;
      }
      // Published now, gone at its expiry: the scan's result holds until then.
      if (until < oldestFuture) oldestFuture = until;
    }
    const held = owners.holder(header.id);
    const owner = held !== undefined ? order[held] : future ? scheduled.get(header.id)?.sourcePath : undefined;
    if (owner !== undefined) {
      if (problems === undefined) problemsByFile.push((problems = []));
      problems.push(duplicate(entry.sourcePath, owner, header.url));
      stats.skipped++;
      return;
    }
    if (future) {
      // Its group is placed now, in scan order, in case a published post takes its id later.
      if (problems === undefined) problemsByFile.push((problems = []));
      scheduled.set(header.id, { sourcePath: entry.sourcePath, problems });
      stats.future++;
      // Kept even if the post loses its id later: a validity that ends early only costs a build.
      if (date < oldestFuture) oldestFuture = date;
      return;
    }
    const loser = scheduled.get(header.id);
    if (loser !== undefined) {
      scheduled.delete(header.id);
      loser.problems.push(duplicate(loser.sourcePath, entry.sourcePath, header.url));
      stats.future--;
      stats.skipped++;
    }
    owners.add(header.id, at);
    stats.published++;
    if (date > newestPublished) newestPublished = date;
    visit(header);
  };

  let workerChunks: number | undefined;
  try {
    // Synchronous reads (see readHeader) in chunks, yielding between them so that a daemon's HTTP
    // server and timers are never held up for long. Without a cache, worker threads read too.
    const emit = (entry: FileEntry, line?: string): void => {
      if (writer !== undefined && entry.size >= 0) {
        try {
          writer.add(entry, line);
        } catch (error) {
          cacheFailed(error);
        }
      }
      take(entry);
    };
    const workers = reader === undefined ? (options.workers ?? headerWorkers(files.length, config.content.workers)) : 0;
    // Entries read by workers never pass through readOne: a cache written from scratch starts here.
    if (reader === undefined && files.length > 0) startWriting();
    const read = await readEntriesInOrder(order, readOne, emit, { config, contentDir, workers, intern, cacheLines: writing });
    if (workers > 0) workerChunks = read.byWorkers;
    // Entries left over (files deleted since) or a damaged end: the cache must be rewritten.
    if (reader !== undefined && !reader.complete) startWriting();
    if (writer !== undefined) {
      try {
        writer.commit();
      } catch (error) {
        cacheFailed(error);
      }
      writer = undefined;
    }
  } finally {
    writer?.abort();
    reader?.close();
  }

  // A failed cache write is reported first, as when the cache was written before the posts
  // were sorted out.
  const problems = problemsByFile.reverse().flat();
  const result: ScanResult = { problems: cacheProblem === undefined ? problems : [cacheProblem, ...problems], stats, ...(workerChunks === undefined ? {} : { workerChunks }) };
  if (stamps !== undefined && !unreadable && cacheProblem === undefined) {
    result.inputs = {
      posts: stamps.digest(),
      validFrom: Number.isFinite(newestPublished) ? newestPublished : null,
      validUntil: Number.isFinite(oldestFuture) ? oldestFuture : null,
      listing,
    };
  }
  return result;
}
