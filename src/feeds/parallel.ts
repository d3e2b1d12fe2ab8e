import os from 'node:os';
import type { Config } from '../config/schema.js';
import type { FeedReply } from '../workers/feeds.js';
import { shareWork } from '../workers/pool.js';
import { workerScript, type WorkerSpec } from '../workers/spec.js';
import type { FeedItem } from './document.js';
import type { FeedSet } from './plan.js';
import { FeedWriteError, writeSet, type FileOutcome } from './set-writer.js';

/**
 * Rendering and writing feed sets on more than one core. A blog with a few hundred tags has a
 * few hundred sets to write after a change of config or a first build: worker threads
 * (src/workers/feeds.ts) take sets from the same queue as the main thread. Which thread wrote a
 * file changes nothing in it.
 */

/** Below this many sets a worker's start-up costs more than it saves. */
export const PARALLEL_MIN_SETS = 64;
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

export interface WriteSetsResult {
  outcomes: FileOutcome[];
  /** Sets written by workers (the rest by the main thread). */
  byWorkers: number;
}

/** Feed workers for `sets` sets to write: one fewer than the cores, at most 3. */
export function feedWorkers(sets: number): number {
  if (sets < PARALLEL_MIN_SETS) return 0;
  return Math.max(0, Math.min(3, os.availableParallelism() - 1));
}

/** Writes every job's set; throws FeedWriteError (or the error of a render) for the first failure. */
export async function writeSets(jobs: readonly SetJob[], options: WriteSetsOptions): Promise<WriteSetsResult> {
  const { config, outputDir, workers } = options;
  const outcomes: FileOutcome[] = [];
  const madeDirs = new Set<string>();
  const { byWorkers } = await shareWork<FileOutcome[]>({
    count: jobs.length,
    workers,
    script: workers > 0 ? (options.script ?? workerScript('feeds')) : undefined,
    workerData: { config, outputDir },
    resourceLimits: WORKER_LIMITS,
    request: (index) => jobs[index],
    receive: (reply) => {
      const answer = reply as FeedReply;
      if ('files' in answer) return answer.files;
      throw answer.failed.relative === undefined ? new Error(answer.failed.message) : new FeedWriteError(answer.failed.relative, answer.failed.message);
    },
    local: (index) => writeSet(config, outputDir, jobs[index]!.set, jobs[index]!.items, madeDirs),
    consume: (files) => void outcomes.push(...files),
  });
  return { outcomes, byWorkers };
}
