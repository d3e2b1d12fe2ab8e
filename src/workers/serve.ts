import { parentPort } from 'node:worker_threads';

/** The worker side of `shareWork` (pool.ts): answers each job with `handle`'s reply. */
export function serveJobs<J, R>(handle: (job: J) => R): void {
  const port = parentPort;
  if (port === null) throw new Error('not running in a worker thread');
  port.on('message', ({ index, job }: { index: number; job: J }) => {
    port.postMessage({ index, reply: handle(job) });
  });
  port.postMessage({ ready: true });
}
