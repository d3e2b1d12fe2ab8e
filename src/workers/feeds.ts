import { workerData } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import type { FeedItem } from '../feeds/document.js';
import type { FeedSet } from '../feeds/plan.js';
import { FeedWriteError, writeSet, type FileOutcome } from '../feeds/set-writer.js';
import { serveJobs } from './serve.js';

/**
 * A feed worker (see src/feeds/parallel.ts): renders and writes the sets it is sent, and
 * answers with what it wrote or the file it could not write.
 */
export type FeedReply = { files: FileOutcome[] } | { failed: { relative: string | undefined; message: string } };

const { config, outputDir } = workerData as { config: Config; outputDir: string };
const madeDirs = new Set<string>();
serveJobs(({ set, items }: { set: FeedSet; items: FeedItem[] }): FeedReply => {
  try {
    return { files: writeSet(config, outputDir, set, items, madeDirs) };
  } catch (error) {
    return { failed: { relative: error instanceof FeedWriteError ? error.relative : undefined, message: (error as Error).message } };
  }
});
