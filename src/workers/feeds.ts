import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import type { FeedItem } from '../feeds/document.js';
import type { FeedSet } from '../feeds/plan.js';
import { FeedWriteError, writeSet } from '../feeds/set-writer.js';

/**
 * A feed worker (see src/feeds/parallel.ts): renders and writes the sets it is sent, and
 * answers with what it wrote or the file it could not write.
 */
interface WorkerData {
  config: Config;
  outputDir: string;
}

const { config, outputDir } = workerData as WorkerData;
const madeDirs = new Set<string>();
const port = parentPort!;
port.on('message', (job: { id: number; set: FeedSet; items: FeedItem[] }) => {
  try {
    port.postMessage({ id: job.id, files: writeSet(config, outputDir, job.set, job.items, madeDirs) });
  } catch (error) {
    const relative = error instanceof FeedWriteError ? error.relative : undefined;
    port.postMessage({ id: job.id, failed: { relative, message: (error as Error).message } });
  }
});
port.postMessage({ ready: true });
