import path from 'node:path';
import type { Config } from '../config/schema.js';
import { renderAtom } from './atom.js';
import type { FeedDocument, FeedItem } from './document.js';
import { renderJsonFeed } from './json.js';
import type { FeedSet } from './plan.js';
import { renderRss } from './rss.js';
import { writeFileAtomicSync } from './write.js';

/** One file of a set as written: its path relative to the output folder and what happened. */
export interface FileOutcome {
  relative: string;
  outcome: 'written' | 'unchanged';
}

/** A file that could not be written (turned into a FeedletterError by the caller). */
export class FeedWriteError extends Error {
  readonly relative: string;
  constructor(relative: string, message: string) {
    super(message);
    this.relative = relative;
  }
}

/**
 * Renders a set's three files and writes each atomically (unchanged bytes are left alone).
 * Synchronous: for small files in the page cache, the system calls themselves cost a fraction
 * of a round trip through libuv's thread pool. Used on the main thread and by feed workers.
 */
export function writeSet(config: Config, outputDir: string, set: FeedSet, items: readonly FeedItem[], madeDirs: Set<string>): FileOutcome[] {
  const { rss, atom, json } = config.feeds;
  const doc: FeedDocument = { set, config, posts: items };
  const files: Array<[string, (d: FeedDocument) => string]> = [
    [rss, renderRss],
    [atom, renderAtom],
    [json, renderJsonFeed],
  ];
  return files.map(([name, render]) => {
    const relative = set.dir === '' ? name : `${set.dir}/${name}`;
    const content = render(doc);
    try {
      return { relative, outcome: writeFileAtomicSync(path.join(outputDir, ...relative.split('/')), content, madeDirs) };
    } catch (cause) {
      throw new FeedWriteError(relative, (cause as Error).message);
    }
  });
}
