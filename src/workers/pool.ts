import { setImmediate } from 'node:timers/promises';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { WorkerSpec } from './spec.js';

/**
 * Jobs 0…count−1 shared between this thread and worker threads, results handed on in job order.
 * Workers take jobs from the same queue as this thread (at most two in flight each, so none
 * waits for more), so a slow or late worker costs nothing but its own share. A worker that
 * cannot start, fails or dies gives its jobs back to this thread; a reply that `receive` rejects
 * (by throwing) stops everything, and the error is thrown once every worker has stopped.
 *
 * The worker side is `serveJobs` (serve.ts): it says `{ ready }`, then answers each
 * `{ index, job }` with `{ index, reply }`.
 */
export interface ShareOptions<R> {
  count: number;
  /** Worker threads besides this one; 0 (or no script) does every job here. */
  workers: number;
  script: WorkerSpec | undefined;
  workerData: unknown;
  resourceLimits: ResourceLimits;
  /** What a worker is sent for job `index`. */
  request: (index: number) => unknown;
  /** A worker's reply to a job, as a result. */
  receive: (reply: unknown) => R;
  /** Job `index` done on this thread. */
  local: (index: number) => R;
  /** Every result, in job order. */
  consume: (result: R, index: number) => void;
}

/** Jobs a worker holds at once. */
const IN_FLIGHT = 2;

interface Helper {
  worker: Worker;
  /** Jobs sent and not answered yet. */
  assigned: Set<number>;
  alive: boolean;
}

/** Does every job; says how many workers did. */
export async function shareWork<R>(options: ShareOptions<R>): Promise<{ byWorkers: number }> {
  const { count, local, consume } = options;
  if (options.workers <= 0 || options.script === undefined) {
    for (let index = 0; index < count; index++) {
      consume(local(index), index);
      // A daemon's HTTP server and timers are never held up for longer than a job.
      await setImmediate();
    }
    return { byWorkers: 0 };
  }

  let next = 0;
  let byWorkers = 0;
  /** Jobs of failed workers, to be done here. */
  const retry: number[] = [];
  const done = new Map<number, R>();
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const signal = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const assign = (helper: Helper): void => {
    while (helper.alive && failure === undefined && helper.assigned.size < IN_FLIGHT && next < count) {
      const index = next++;
      helper.assigned.add(index);
      helper.worker.postMessage({ index, job: options.request(index) });
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
      worker = new Worker(options.script.filename, { eval: options.script.eval, workerData: options.workerData, resourceLimits: options.resourceLimits });
    } catch {
      break; // e.g. data that cannot be cloned: everything is done here
    }
    const helper: Helper = { worker, assigned: new Set(), alive: true };
    worker.on('message', (message: { ready: true } | { index: number; reply: unknown }) => {
      if (!helper.alive) return;
      if ('ready' in message) {
        assign(helper);
        return;
      }
      helper.assigned.delete(message.index);
      try {
        done.set(message.index, options.receive(message.reply));
        byWorkers++;
      } catch (error) {
        failure ??= { error };
      }
      assign(helper);
      signal();
    });
    worker.on('error', () => fail(helper));
    worker.on('exit', () => fail(helper));
    helpers.push(helper);
  }

  try {
    let consumed = 0;
    while (consumed < count && failure === undefined) {
      if (done.has(consumed)) {
        const result = done.get(consumed) as R;
        done.delete(consumed);
        consume(result, consumed);
        consumed++;
        continue;
      }
      const here = retry.shift() ?? (next < count ? next++ : undefined);
      if (here !== undefined) {
        done.set(here, local(here));
        await setImmediate();
        continue;
      }
      // Every job is taken and the next one to hand on is a worker's: wait for it (or its failure).
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    // Waited for, so that the workers' memory is given back before the caller goes on.
    await Promise.all(
      helpers.map((helper) => {
        helper.alive = false;
        return helper.worker.terminate();
      }),
    );
  }
  if (failure !== undefined) throw failure.error;
  return { byWorkers };
}
