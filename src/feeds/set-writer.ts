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
 * How many of the newest items likely keep their body: each body is taken to cost its share of
 * (whole - summaries) in proportion to its length. Only a first guess (escaping differs by format).
 */
function estimate(items: readonly FeedItem[], whole: number, summaries: number, maxBytes: number): number {
  const lengths = items.map((item) => item.contentHtml?.length ?? 0);
  const total = lengths.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const perChar = (whole - summaries) / total;
  let used = summaries;
  let n = 0;
  while (n < items.length && used + (lengths[n] ?? 0) * perChar <= maxBytes) used += (lengths[n++] ?? 0) * perChar;
  return n;
}

/**
 * The largest n in [0, hi] with fits(n), given that fits is true up to some n and false after
 * (fits(0) is known true), starting from a guess: a step or two from a good guess, a binary
 * search otherwise. A month of a busy blog renders a few times, not a dozen.
 */
function largestFrom(guess: number, hi: number, fits: (n: number) => boolean): number {
  const g = Math.min(Math.max(guess, 0), hi);
  if (g === 0 || fits(g)) {
    if (g === hi || !fits(g + 1)) return g;
    return largest(g + 1, hi, fits);
  }
  if (fits(g - 1)) return g - 1;
  return largest(0, g - 2, fits);
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
    const keep = largestFrom(estimate(items, byteLength(whole), byteLength(summaries), maxBytes), items.length - 1, (n) => byteLength(renderFull(n)) <= maxBytes);
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
