import os from 'node:os';
import { setImmediate } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { workerScript, type WorkerSpec } from '../workers/spec.js';
import type { FeedItem } from './document.js';
import type { FeedSet } from './plan.js';
import { FeedWriteError, writeSet, type FileOutcome } from './set-writer.js';

/**
 * Rendering and writing feed sets on more than one core. A blog with a few hundred tags has a
 * few hundred sets to write after a change of config or a first build, about 1.5 ms of CPU
 * each: worker threads take sets from the same queue as the main thread. Which thread wrote a
 * file changes nothing in it.
 */

/** Below this many sets a worker's start-up costs more than it saves. */
export const PARALLEL_MIN_SETS = 64;
const IN_FLIGHT = 2;
const WORKER_LIMITS = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 };

export interface SetJob {
  set: FeedSet;
  items: readonly FeedItem[];
}

export interface WriteSetsOptions {
  config: Config;
  outputDir: string;
  /** Worker threads besides the main thread; 0 writes everything here. */
  workers: number;
  /** The worker script; default: src/workers/feeds.ts as built. For tests. */
  script?: WorkerSpec;
}

/** Feed workers for `sets` sets to write: one fewer than the cores, at most 3. */
export function feedWorkers(sets: number): number {
  if (sets < PARALLEL_MIN_SETS) return 0;
  return Math.max(0, Math.min(3, os.availableParallelism() - 1));
}

interface Helper {
  worker: Worker;
  assigned: Set<number>;
  alive: boolean;
}

type Reply = { ready: true } | { id: number; files: FileOutcome[] } | { id: number; failed: { relative: string | undefined; message: string } };

export interface WriteSetsResult {
  outcomes: FileOutcome[];
  /** Sets written by workers (the rest by the main thread). */
  byWorkers: number;
}

/** Writes every job's set; throws FeedWriteError (or the error of a render) for the first failure. */
export async function writeSets(jobs: readonly SetJob[], options: WriteSetsOptions): Promise<WriteSetsResult> {
  const { config, outputDir } = options;
  const outcomes: FileOutcome[] = [];
  const madeDirs = new Set<string>();
  const writeHere = (index: number): void => {
    const job = jobs[index]!;
    outcomes.push(...writeSet(config, outputDir, job.set, job.items, madeDirs));
  };
  const spec = options.workers > 0 ? (options.script ?? workerScript('feeds')) : undefined;
  if (spec === undefined) {
    for (let i = 0; i < jobs.length; i++) {
      writeHere(i);
      // Yield now and then so that a daemon's HTTP server and timers are never held up for long.
      if (i % 4 === 3) await setImmediate();
    }
    return { outcomes, byWorkers: 0 };
  }

  let next = 0;
  let completed = 0;
  let byWorkers = 0;
  const retry: number[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const assign = (helper: Helper): void => {
    while (helper.alive && failure === undefined && helper.assigned.size < IN_FLIGHT && next < jobs.length) {
      const id = next++;
      helper.assigned.add(id);
      const job = jobs[id]!;
      helper.worker.postMessage({ id, set: job.set, items: job.items });
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
  for (let i = 0; i < options.workers; i++) {
    let worker: Worker;
    try {
      worker = new Worker(spec.filename, { eval: spec.eval, workerData: { config, outputDir }, resourceLimits: WORKER_LIMITS });
    } catch {
      break;
    }
    const helper: Helper = { worker, assigned: new Set(), alive: true };
    worker.on('message', (reply: Reply) => {
      if (!helper.alive) return;
      if ('ready' in reply) {
        assign(helper);
        return;
      }
      helper.assigned.delete(reply.id);
      if ('failed' in reply) {
        failure ??= reply.failed.relative === undefined ? new Error(reply.failed.message) : new FeedWriteError(reply.failed.relative, reply.failed.message);
      } else {
        outcomes.push(...reply.files);
        completed++;
        byWorkers++;
      }
      assign(helper);
      signal();
    });
    worker.on('error', () => fail(helper));
    worker.on('exit', () => fail(helper));
    helpers.push(helper);
  }

  try {
    while (completed < jobs.length && failure === undefined) {
      const local = retry.shift() ?? (next < jobs.length ? next++ : undefined);
      if (local !== undefined) {
        writeHere(local);
        completed++;
        await setImmediate();
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    await Promise.all(
      helpers.map((helper) => {
        helper.alive = false;
        return helper.worker.terminate();
      }),
    );
  }
  if (failure !== undefined) throw failure;
  return { outcomes, byWorkers };
}
