import { workerData } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { cacheLine } from '../content/cache.js';
import { readFileEntry } from '../content/entry.js';
import type { ChunkReply } from '../content/parallel.js';
import { serveJobs } from './serve.js';

/**
 * A header worker (see src/content/parallel.ts): reads the chunks of post files it is sent and
 * answers with their entries, and with their header-cache lines when the scan writes a cache
 * (serialising them here is work the main thread would otherwise do alone). Stateless apart from
 * the config; the main thread decides the order.
 */
const { config, contentDir, cacheLines } = workerData as { config: Config; contentDir: string; cacheLines: boolean };
serveJobs((files: string[]): ChunkReply => {
  const entries = files.map((sourcePath) => readFileEntry(contentDir, sourcePath, config));
  return cacheLines ? { entries, lines: entries.map(cacheLine) } : { entries };
});
