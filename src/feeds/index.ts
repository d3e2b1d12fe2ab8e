import { readdir, rmdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { FeedletterError } from '../errors.js';
import type { Post } from '../post.js';
import type { FeedItem } from './document.js';
import { feedWorkers, writeSets, type SetJob } from './parallel.js';
import type { FeedSet } from './plan.js';
import { sanitizeFeedHtml } from './sanitize.js';
import { FeedWriteError } from './set-writer.js';

export { renderAtom } from './atom.js';
export type { FeedDocument, FeedItem } from './document.js';
export { renderJsonFeed } from './json.js';
export { FeedPlanner, planFeeds, postsNeedingContent, termSlug, type FeedSet } from './plan.js';
export { renderRss } from './rss.js';
export { writeFileAtomic } from './write.js';
export { currentSets, emptyManifest, filesUnchanged, fingerprintSet, loadManifest, saveManifest, setFiles, stampOf, type FeedManifest, type FileStamp } from './manifest.js';

/** Paths relative to the output folder, posix separators, sorted. */
export interface BuildFeedsResult {
  written: string[];
  unchanged: string[];
  removed: string[];
  /** Posts a feed file carries as summary + link, or leaves out, to stay within `feeds.maxBytes`. */
  trimmed: TrimmedPost[];
}

export interface TrimmedPost {
  /** The feed file, relative to the output folder. */
  file: string;
  id: string;
  sourcePath: string | undefined;
  how: 'summary' | 'dropped';
}

export interface WriteFeedsOptions {
  config: Config;
  /** Absolute output folder (`ResolvedConfig.paths.output`). */
  outputDir: string;
  sets: readonly FeedSet[];
  /** Rendered posts by id. A set's post missing here is written from its header (no body). */
  posts: ReadonlyMap<string, Post>;
  /**
   * Dirs of sets known to be current (see `currentSets` in manifest.ts): counted as unchanged
   * without rendering them. Their files are still protected from removal.
   */
  current?: ReadonlySet<string>;
  /** Worker threads rendering sets beside the main thread; default: by the number of sets and cores. */
  workers?: number;
}

/** The folders whose sub-folders feedletter owns: one per term, one per archived month. */
const TERM_FOLDERS = ['archive', 'categories', 'tags'] as const;
/**
 * Render and write every set's three files atomically, leaving files whose bytes did not change
 * untouched, then remove the feed files of terms that no longer have a set (or whose kind was
 * switched off). Only our three file names under `categories/*` and `tags/*` are ever removed,
 * and a term folder only when that leaves it empty.
 */
export async function writeFeeds(options: WriteFeedsOptions): Promise<BuildFeedsResult> {
  const { config, outputDir, sets, posts } = options;
  const { rss, atom, json } = config.feeds;
  const result: BuildFeedsResult = { written: [], unchanged: [], removed: [], trimmed: [] };
  const jobs: SetJob[] = [];
  // Bodies made safe once per post, whatever the number of sets and formats carrying it, and
  // only for the posts of sets being written with full content.
  const safe = new Map<string, FeedItem>();
  const itemOf = (header: FeedItem): FeedItem => {
    const post = posts.get(header.id);
    if (post === undefined || !config.feeds.sanitize) return post ?? header;
    let item = safe.get(post.id);
    if (item === undefined) safe.set(post.id, (item = { ...post, contentHtml: sanitizeFeedHtml(post.contentHtml, { embedHosts: config.feeds.embedHosts }) }));
    return item;
  };
  for (const set of sets) {
    if (options.current?.has(set.dir)) {
      for (const name of [rss, atom, json]) result.unchanged.push(set.dir === '' ? name : `${set.dir}/${name}`);
      continue;
    }
    jobs.push({ set, items: set.posts.map((header): FeedItem => (set.content === 'full' ? itemOf(header) : (posts.get(header.id) ?? header))) });
  }

  try {
    const { outcomes } = await writeSets(jobs, { config, outputDir, workers: options.workers ?? feedWorkers(jobs.length) });
    for (const { relative, outcome, degraded, dropped } of outcomes) {
      result[outcome].push(relative);
      for (const ref of degraded ?? []) result.trimmed.push({ file: relative, ...ref, how: 'summary' });
      for (const ref of dropped ?? []) result.trimmed.push({ file: relative, ...ref, how: 'dropped' });
    }
  } catch (cause) {
    if (!(cause instanceof FeedWriteError)) throw cause;
    throw new FeedletterError('IO_FAILED', `cannot write the feed ${cause.relative}: ${cause.message}`, {
      cause,
      hint: 'check that output.dir exists or can be created, and is writable',
    });
  }

  const live = new Set(sets.filter((s) => s.dir !== '').map((s) => s.dir));
  result.removed = await removeStale(outputDir, live, [rss, atom, json]);
  result.written.sort();
  result.unchanged.sort();
  result.trimmed.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return result;
}

async function removeStale(outputDir: string, live: ReadonlySet<string>, fileNames: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const folder of TERM_FOLDERS) {
    for (const entry of await listDirs(path.join(outputDir, folder))) {
      const dir = `${folder}/${entry}`;
      if (live.has(dir)) continue;
      const termDir = path.join(outputDir, folder, entry);
      for (const name of fileNames) {
        const file = path.join(termDir, ...name.split('/'));
        try {
          await unlink(file);
          removed.push(`${dir}/${name}`);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
        // A file name with folders (`feeds.rss: rss/feed.xml`): drop the folders it leaves empty.
        for (let parent = path.dirname(file); parent !== termDir && parent.startsWith(termDir); parent = path.dirname(parent)) {
          if (!(await removeIfEmpty(parent))) break;
        }
      }
      await removeIfEmpty(termDir);
    }
  }
  return removed.sort();
}

async function listDirs(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** rmdir, which only ever removes an empty folder; true when it did. */
async function removeIfEmpty(dir: string): Promise<boolean> {
  try {
    await rmdir(dir);
    return true;
  } catch {
    return false;
  }
}
