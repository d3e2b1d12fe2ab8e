import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { glob } from 'tinyglobby';
import type { Config } from '../config/schema.js';
import type { Problem } from '../errors.js';
import type { PostHeader } from '../post.js';
import { CACHE_VERSION, loadCache, saveCache } from './cache.js';
import type { Intern } from './header.js';
import { readHeader, type FileEntry } from './read.js';
import { detach } from './text.js';
import { problemFile } from './util.js';

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
}

export interface ContentResult {
  /** Published posts only (no drafts, none in the future), newest first (date desc, then sourcePath asc), unique ids. */
  headers: PostHeader[];
  /** Every error (the post was skipped) and warning, in file order. */
  problems: Problem[];
  stats: { files: number; published: number; drafts: number; future: number; skipped: number; cacheHits: number };
}

/** Files read between two yields to the event loop. */
const BATCH = 64;

/** Everything in the config a cached header depends on: change any of it and the cache is rebuilt. */
function fingerprint(config: Config): string {
  return JSON.stringify([CACHE_VERSION, config.site.url, config.site.timezone, config.site.author.name, config.permalink, config.content.endMarker ?? null]);
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

/** Post files under `contentDir` matching `content.include` minus `content.exclude`, sorted. */
export async function listPostFiles(config: Config, contentDir: string): Promise<string[]> {
  const files = await glob(config.content.include, { cwd: contentDir, ignore: config.content.exclude, onlyFiles: true, expandDirectories: false });
  return files.map((f) => f.split(path.sep).join('/')).sort();
}

export async function readPosts(options: ReadOptions): Promise<ContentResult> {
  const { config, contentDir, now, cacheFile } = options;
  const problems: Problem[] = [];
  const stats = { files: 0, published: 0, drafts: 0, future: 0, skipped: 0, cacheHits: 0 };

  try {
    if (!(await stat(contentDir)).isDirectory()) throw new Error('not a folder');
  } catch {
    problems.push({ file: config.content.dir, field: 'content.dir', message: 'the content folder does not exist', hint: 'create it, or set content.dir in the config', severity: 'error' });
    return { headers: [], problems, stats };
  }

  const intern = interner();
  const print = fingerprint(config);
  const [files, cached] = await Promise.all([
    listPostFiles(config, contentDir),
    cacheFile === undefined || !config.content.cache ? Promise.resolve(new Map<string, FileEntry>()) : loadCache(cacheFile, print, intern),
  ]);
  stats.files = files.length;

  let dirty = cached.size !== files.length;
  const readOne = (sourcePath: string): FileEntry => {
    const absolute = path.join(contentDir, sourcePath);
    const hit = cached.get(sourcePath);
    if (hit !== undefined) {
      const s = statSync(absolute, { throwIfNoEntry: false });
      if (s !== undefined && s.size === hit.size && s.mtimeMs === hit.mtimeMs) {
        stats.cacheHits++;
        return hit;
      }
    }
    dirty = true;
    try {
      return readHeader(absolute, sourcePath, config, intern);
    } catch (error) {
      return { sourcePath, size: -1, mtimeMs: -1, header: undefined, draft: false, problems: [{ message: `could not be read: ${(error as Error).message}`, hint: "check the file's permissions; if it reads fine, this is a feedletter bug worth reporting", severity: 'error' }] };
    }
  };
  // Synchronous reads (see readHeader) in batches, yielding between them so that a daemon's HTTP
  // server and timers are never held up for long.
  const entries: FileEntry[] = new Array<FileEntry>(files.length);
  for (let i = 0; i < files.length; i++) {
    entries[i] = readOne(files[i] as string);
    if (i % BATCH === BATCH - 1) await setImmediate();
  }

  if (cacheFile !== undefined && config.content.cache && dirty) {
    try {
      await saveCache(cacheFile, print, entries.filter((e) => e.size >= 0));
    } catch (error) {
      problems.push({ file: cacheFile, message: `the header cache could not be written: ${(error as Error).message}`, hint: 'check that the state folder is writable; posts were read without it', severity: 'warning' });
    }
  }

  // Entries are in sourcePath order: the first of two posts with one permalink keeps it.
  const owners = new Map<string, string>();
  const headers: PostHeader[] = [];
  for (const entry of entries) {
    if (entry.problems.length > 0) {
      const file = problemFile(config, contentDir, entry.sourcePath);
      for (const p of entry.problems) problems.push({ file, ...p });
    }
    const header = entry.header;
    if (header === undefined) {
      stats.skipped++;
      continue;
    }
    if (entry.draft) {
      stats.drafts++;
      continue;
    }
    const owner = owners.get(header.id);
    if (owner !== undefined) {
      problems.push({
        file: problemFile(config, contentDir, entry.sourcePath),
        field: 'permalink',
        message: `has the same permalink as ${problemFile(config, contentDir, owner)} (${header.url}); skipped`,
        hint: 'give one of the two posts another permalink, slug or date',
        severity: 'error',
      });
      stats.skipped++;
      continue;
    }
    owners.set(header.id, entry.sourcePath);
    if (header.date.getTime() > now.getTime()) {
      stats.future++;
      continue;
    }
    stats.published++;
    headers.push(header);
  }
  headers.sort((a, b) => b.date.getTime() - a.date.getTime() || (a.sourcePath < b.sourcePath ? -1 : a.sourcePath > b.sourcePath ? 1 : 0));
  return { headers, problems, stats };
}
