import os from 'node:os';
import { setImmediate } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { workerScript, type WorkerSpec } from '../workers/spec.js';
import type { Intern } from './header.js';
import type { FileEntry } from './read.js';

/**
 * Reading headers on more than one core. Parsing front matter and rendering titles is CPU work
 * (about 0.1 ms a post): when there is no header cache to lean on (the first build, or after a
 * config change) and many posts, worker threads take chunks of files while the main thread
 * reads chunks too. Entries are handed on strictly in file order, as a serial scan would, so
 * the result (headers, problems, the cache written) is the same either way.
 */

/** Below this many files a worker's start-up (about 50 ms) costs more than it saves. */
export const PARALLEL_MIN_FILES = 2000;
/** Files per chunk: small enough to balance the threads, large enough to amortise a message. */
const CHUNK = 64;
/** Chunks a worker holds at once, so it never waits for the main thread to hand it more. */
const IN_FLIGHT = 2;
/**
 * A worker's heap is kept small: parsing leaves much short-lived garbage, and V8 lets a heap
 * grow far beyond what is live before collecting it. A worker that runs out (a post of tens of
 * megabytes) stops, and its chunks are read on the main thread.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 8 };

export interface ParallelOptions {
  config: Config;
  contentDir: string;
  /** Worker threads besides the main thread; 0 reads serially. */
  workers: number;
  /** Strings shared by many headers (tags, authors) are kept once on the main thread. */
  intern: Intern;
  /** The worker script; default: src/workers/headers.ts as built. Tests pass failing ones. */
  script?: WorkerSpec;
}

/** How many header workers a scan of `files` files uses: one fewer than the cores, at most 3. */
export function headerWorkers(files: number): number {
  if (files < PARALLEL_MIN_FILES) return 0;
  return Math.max(0, Math.min(3, os.availableParallelism() - 1));
}

interface Helper {
  worker: Worker;
  /** Chunks sent and not answered yet. */
  assigned: Set<number>;
  alive: boolean;
}

type Reply = { ready: true } | { chunk: number; entries: FileEntry[] };

/**
 * Calls `emit` with the entry of every file of `files`, in order, and says how many chunks
 * workers read. `readLocal` reads one file on
 * the main thread (it may use a cache); workers read with `readFileEntry`. A worker that fails
 * or cannot start costs nothing but time: its chunks are read on the main thread.
 */
export async function readEntriesInOrder(files: readonly string[], readLocal: (sourcePath: string) => FileEntry, emit: (entry: FileEntry) => void, parallel?: ParallelOptions): Promise<{ byWorkers: number }> {
  const spec = parallel !== undefined && parallel.workers > 0 ? (parallel.script ?? workerScript('headers')) : undefined;
  if (parallel === undefined || spec === undefined) {
    for (let i = 0; i < files.length; i++) {
      emit(readLocal(files[i] as string));
      // Yield now and then, so that a daemon's HTTP server and timers are never held up for long.
      if (i % CHUNK === CHUNK - 1) await setImmediate();
    }
    return { byWorkers: 0 };
  }

  const chunks = Math.ceil(files.length / CHUNK);
  const slice = (chunk: number): string[] => files.slice(chunk * CHUNK, (chunk + 1) * CHUNK);
  let nextChunk = 0;
  let byWorkers = 0;
  /** Chunks of failed workers, to be read here. */
  const retry: number[] = [];
  const done = new Map<number, FileEntry[]>();
  let wake: (() => void) | undefined;
  const signal = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const adopt = (entry: FileEntry): FileEntry => {
    const header = entry.header;
    if (header !== undefined) {
      header.authors = header.authors.map(parallel.intern);
      header.categories = header.categories.map(parallel.intern);
      header.tags = header.tags.map(parallel.intern);
    }
    return entry;
  };
  const assign = (helper: Helper): void => {
    while (helper.alive && helper.assigned.size < IN_FLIGHT && nextChunk < chunks) {
      const chunk = nextChunk++;
      helper.assigned.add(chunk);
      helper.worker.postMessage({ chunk, files: slice(chunk) });
    }
  };
  const fail = (helper: Helper): void => {
    if (!helper.alive) return;
    helper.alive = false;
    retry.push(...helper.assigned);
    helper.assigned.clear();
    void helper.worker.terminate();
    signal();
  };

  const helpers: Helper[] = [];
  for (let i = 0; i < parallel.workers; i++) {
    let worker: Worker;
    try {
      worker = new Worker(spec.filename, { eval: spec.eval, workerData: { config: parallel.config, contentDir: parallel.contentDir }, resourceLimits: WORKER_LIMITS });
    } catch {
      break; // e.g. a config that cannot be cloned: read here
    }
    const helper: Helper = { worker, assigned: new Set(), alive: true };
    worker.on('message', (reply: Reply) => {
      if (!helper.alive) return;
      if ('ready' in reply) {
        assign(helper);
        return;
      }
      helper.assigned.delete(reply.chunk);
      done.set(reply.chunk, reply.entries.map(adopt));
      byWorkers++;
      assign(helper);
      signal();
    });
    worker.on('error', () => fail(helper));
    worker.on('exit', () => fail(helper));
    helpers.push(helper);
  }

  try {
    let emitted = 0;
    while (emitted < chunks) {
      const ready = done.get(emitted);
      if (ready !== undefined) {
        done.delete(emitted);
        for (const entry of ready) emit(entry);
        emitted++;
        continue;
      }
      const local = retry.shift() ?? (nextChunk < chunks ? nextChunk++ : undefined);
      if (local !== undefined) {
        done.set(local, slice(local).map(readLocal));
        await setImmediate();
        continue;
      }
      // Every chunk is taken and the next one to hand on is a worker's: wait for it (or its failure).
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    // Waited for, so that the workers' memory is given back before the feeds are rendered.
    await Promise.all(
      helpers.map((helper) => {
        helper.alive = false;
        return helper.worker.terminate();
      }),
    );
  }
  return { byWorkers };
}
