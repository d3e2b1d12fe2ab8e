import type { PostHeader } from '../post.js';

/** The earliest instant a Date can hold: the window start of "look back over everything". */
const BEGINNING_OF_TIME = new Date(-8_640_000_000_000_000);

export interface Selection {
  /** The posts due, newest first (ties broken by id, so the order is stable). */
  posts: PostHeader[];
  /** Exclusive start of the window: a post dated exactly here went out with the previous digest. */
  windowStart: Date;
  /** Inclusive end of the window: `now`. */
  windowEnd: Date;
}

export interface SelectInput {
  /** Published posts (no drafts) as the content stage read them; future ones are held back here. */
  headers: readonly PostHeader[];
  /** Date up to which the previous complete digest covered; undefined before the first digest. */
  watermark: Date | undefined;
  /** Ids of posts carried by any earlier digest: never sent twice, whatever their date says. */
  alreadySent: ReadonlySet<string>;
  now: Date;
  /**
   * `digest.firstRunLookback` (may be Infinity). The first digest takes posts this recent; later
   * digests reach back this far before the watermark for posts they have not carried yet.
   */
  firstRunLookbackMs: number;
  /** `--since`: overrides the watermark and the lookback. */
  since?: Date | undefined;
}

/**
 * The posts the next digest carries: dated in (windowStart, now], not already sent. Pure.
 * windowStart is `since`, else `watermark - firstRunLookbackMs`, else `now - firstRunLookbackMs`.
 *
 * Why not simply "after the watermark": a post can appear after a digest although it is dated
 * before it. Jekyll users write date-only front matter (midnight) and push at noon, after the
 * 08:00 digest; a CI deploy lags; a draft is published with its original date. Dated after the
 * watermark only, such a post would never be mailed. Reaching back is safe because `alreadySent`
 * holds every post an earlier digest carried, and it reaches back no further than the first
 * digest did, so posts that were already old then do not leak in later.
 */
export function selectDigestPosts(input: SelectInput): Selection {
  const { now } = input;
  const windowStart = digestWindowStart(input);
  const start = windowStart.getTime();
  const end = now.getTime();
  const posts = input.headers
    .filter((post) => {
      const t = post.date.getTime();
      return t > start && t <= end && !input.alreadySent.has(post.id);
    })
    .sort((a, b) => b.date.getTime() - a.date.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { posts, windowStart, windowEnd: now };
}

/**
 * The exclusive start of the next digest's window (see `selectDigestPosts`): posts dated at or
 * before it are never selected, so a caller reading posts needs to keep only those after it.
 */
export function digestWindowStart(input: Pick<SelectInput, 'watermark' | 'now' | 'firstRunLookbackMs' | 'since'>): Date {
  return input.since ?? lookbackStart(input.watermark ?? input.now, input.firstRunLookbackMs);
}

function lookbackStart(from: Date, lookbackMs: number): Date {
  const t = from.getTime() - lookbackMs;
  // "all" (Infinity) and lookbacks past the range of Date both mean: from the beginning.
  return Number.isFinite(t) && t > BEGINNING_OF_TIME.getTime() ? new Date(t) : new Date(BEGINNING_OF_TIME);
}
