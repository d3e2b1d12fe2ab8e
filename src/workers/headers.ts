import { workerData } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { readFileEntry } from '../content/entry.js';
import { serveJobs } from './serve.js';

/**
 * A header worker (see src/content/parallel.ts): reads the chunks of post files it is sent and
 * answers with their entries. Stateless apart from the config; the main thread decides the order.
 */
const { config, contentDir } = workerData as { config: Config; contentDir: string };
serveJobs((files: string[]) => files.map((sourcePath) => readFileEntry(contentDir, sourcePath, config)));
