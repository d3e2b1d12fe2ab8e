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
  /** Items carried as summary + link to keep the file within `feeds.maxBytes` (ids, oldest last). */
  degraded?: ItemRef[] | undefined;
  /** Items left out altogether because even their summaries did not fit. */
  dropped?: ItemRef[] | undefined;
}

/** Which post an outcome speaks of: small enough to send back from a worker. */
export interface ItemRef {
  id: string;
  sourcePath: string | undefined;
}

const refOf = (item: FeedItem): ItemRef => ({ id: item.id, sourcePath: item.sourcePath });

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

/** The largest n in [lo, hi] with fits(n), given fits(lo) (binary search: a handful of renders). */
function largest(lo: number, hi: number, fits: (n: number) => boolean): number {
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * One file of a set within `maxBytes` (issue 14, "Bounded size"): the newest items keep their
 * full content while it fits, the older ones carry their summary and a link. Should even the
 * summaries not fit, the oldest items are left out (never the newest one). Pure.
 */
export function renderBounded(doc: FeedDocument, render: (d: FeedDocument) => string, maxBytes: number): { content: string; degraded: FeedItem[]; dropped: FeedItem[] } {
  const whole = render(doc);
  if (byteLength(whole) <= maxBytes) return { content: whole, degraded: [], dropped: [] };
  const items = doc.posts;
  const withFull = (n: number): FeedItem[] => items.map((item, i) => (i < n || item.contentHtml === undefined ? item : { ...item, contentHtml: undefined }));
  const renderFull = (n: number): string => render({ ...doc, posts: withFull(n) });
  // n = items.length rendered above and did not fit; n = 0 may not fit either.
  const summaries = renderFull(0);
  if (byteLength(summaries) <= maxBytes) {
    const keep = largest(0, items.length - 1, (n) => byteLength(renderFull(n)) <= maxBytes);
    const degraded = items.slice(keep).filter((item) => item.contentHtml !== undefined && doc.set.content === 'full');
    return { content: renderFull(keep), degraded, dropped: [] };
  }
  const all = withFull(0);
  const renderFirst = (n: number): string => render({ ...doc, posts: all.slice(0, n) });
  const count = largest(1, items.length, (n) => byteLength(renderFirst(n)) <= maxBytes);
  return { content: renderFirst(count), degraded: items.slice(0, count).filter((item) => item.contentHtml !== undefined && doc.set.content === 'full'), dropped: items.slice(count) };
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
    const { content, degraded, dropped } = renderBounded(doc, render, config.feeds.maxBytes);
    try {
      const outcome = writeFileAtomicSync(path.join(outputDir, ...relative.split('/')), content, madeDirs);
      return degraded.length === 0 && dropped.length === 0 ? { relative, outcome } : { relative, outcome, degraded: degraded.map(refOf), dropped: dropped.map(refOf) };
    } catch (cause) {
      throw new FeedWriteError(relative, (cause as Error).message);
    }
  });
}
