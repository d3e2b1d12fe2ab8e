import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { readFileEntry } from '../content/entry.js';

/**
 * A header worker (see src/content/parallel.ts): reads the chunks of post files it is sent and
 * answers with their entries. Stateless apart from the config; the main thread decides the order.
 */
interface WorkerData {
  config: Config;
  contentDir: string;
}

const { config, contentDir } = workerData as WorkerData;
const port = parentPort!;
port.on('message', (job: { chunk: number; files: string[] }) => {
  port.postMessage({ chunk: job.chunk, entries: job.files.map((sourcePath) => readFileEntry(contentDir, sourcePath, config)) });
});
port.postMessage({ ready: true });
