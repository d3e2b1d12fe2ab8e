import os from 'node:os';
import { setImmediate } from 'node:timers/promises';
import type { Config } from '../config/schema.js';
import { shareWork } from '../workers/pool.js';
import { workerScript, type WorkerSpec } from '../workers/spec.js';
import type { Intern } from './header.js';
import type { FileEntry } from './read.js';

/**
 * Reading headers on more than one core. Parsing front matter and titles is CPU work: when
 * there is no header cache to lean on (the first build, or after a config change) and many
 * posts, worker threads (src/workers/headers.ts) read chunks of files while the main thread
 * reads chunks too. Entries are handed on strictly in file order, as a serial scan would, so the
 * result (headers, problems, the cache written) is the same either way.
 */

/**
 * Below this many files a worker costs more than it saves: it starts in about 80 ms and needs as
 * long again to load the YAML parser, and every entry it reads is cloned to the main thread.
 * Measured on a 2-core machine (scan times, serial against one worker): 10,000 posts 1.0 s
 * against 1.15 s, 21,000 posts 2.0 s against 2.0 s, 32,000 posts 3.2 s against 2.6 s,
 * 100,000 posts 6.8 s against 4.4 s. `content.workers` overrides it.
 */
export const PARALLEL_MIN_FILES = 20_000;
/** Files per chunk: small enough to balance the threads, large enough to amortise a message. */
const CHUNK = 64;
/**
 * A worker's heap is kept small: parsing leaves much short-lived garbage, and V8 lets a heap
 * grow far beyond what is live before collecting it. A worker that runs out (a post of tens of
 * megabytes) stops, and its chunks are read on the main thread.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 };

/** A header worker's answer: the chunk's entries, and their `cacheLine`s when asked for. */
export interface ChunkReply {
  entries: FileEntry[];
  lines?: string[];
}

export interface ParallelOptions {
  config: Config;
  contentDir: string;
  /** Worker threads besides the main thread; 0 reads serially. */
  workers: number;
  /** Strings shared by many headers (tags, authors) are kept once on the main thread. */
  intern: Intern;
  /** Workers also send each entry's header-cache line (see `emit`). */
  cacheLines?: boolean;
  /** The worker script; default: src/workers/headers.ts as built. Tests pass failing ones. */
  script?: WorkerSpec;
}

/**
 * How many header workers a scan of `files` files uses: `content.workers` when it is a number;
 * for "auto", none below PARALLEL_MIN_FILES, else one fewer than the cores, at most 3.
 */
export function headerWorkers(files: number, setting: Config['content']['workers'] = 'auto'): number {
  if (setting !== 'auto') return files > 0 ? setting : 0;
  if (files < PARALLEL_MIN_FILES) return 0;
  return Math.max(0, Math.min(3, os.availableParallelism() - 1));
}

/**
 * Calls `emit` with the entry of every file of `files`, in order, and says how many chunks
 * workers read. With `cacheLines`, entries read by workers come with their `cacheLine`. `readLocal` reads one file on the main thread (it may use a cache); workers read
 * with `readFileEntry`. With workers, the main thread reads whole chunks before handing them on:
 * callers use workers only without a header cache (scanPosts).
 */
export async function readEntriesInOrder(files: readonly string[], readLocal: (sourcePath: string) => FileEntry, emit: (entry: FileEntry, line?: string) => void, parallel?: ParallelOptions): Promise<{ byWorkers: number }> {
  const workers = parallel?.workers ?? 0;
  if (workers <= 0) {
    // One file after the other, each handed on as soon as it is read: the caller's header cache
    // relies on it (a cache rewrite that starts mid-way copies the entries handed on so far).
    for (let i = 0; i < files.length; i++) {
      emit(readLocal(files[i] as string));
      if (i % CHUNK === CHUNK - 1) await setImmediate();
    }
    return { byWorkers: 0 };
  }
  const chunk = (index: number): string[] => files.slice(index * CHUNK, (index + 1) * CHUNK);
  const intern = parallel?.intern ?? ((s: string) => s);
  const adopt = (entry: FileEntry): FileEntry => {
    const header = entry.header;
    if (header !== undefined) {
      header.authors = header.authors.map(intern);
      header.categories = header.categories.map(intern);
      header.tags = header.tags.map(intern);
    }
    return entry;
  };
  return shareWork<ChunkReply>({
    count: Math.ceil(files.length / CHUNK),
    workers,
    script: parallel?.script ?? workerScript('headers'),
    workerData: { config: parallel?.config, contentDir: parallel?.contentDir, cacheLines: parallel?.cacheLines === true },
    resourceLimits: WORKER_LIMITS,
    request: chunk,
    receive: (reply) => {
      const { entries, lines } = reply as ChunkReply;
      return lines === undefined ? { entries: entries.map(adopt) } : { entries: entries.map(adopt), lines };
    },
    local: (index) => ({ entries: chunk(index).map(readLocal) }),
    consume: ({ entries, lines }) => {
      for (let i = 0; i < entries.length; i++) emit(entries[i] as FileEntry, lines?.[i]);
    },
  });
}
