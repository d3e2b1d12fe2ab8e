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
  /** First digest only: how far back to look (`digest.firstRunLookback`; may be Infinity). */
  firstRunLookbackMs: number;
  /** `--since`: overrides the watermark and the lookback. */
  since?: Date | undefined;
}

/**
 * The posts the next digest carries: dated in (windowStart, now], not already sent. Pure.
 * windowStart is `since`, else the watermark, else `now - firstRunLookbackMs`.
 */
export function selectDigestPosts(input: SelectInput): Selection {
  const { now } = input;
  const windowStart = input.since ?? input.watermark ?? lookbackStart(now, input.firstRunLookbackMs);
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

function lookbackStart(now: Date, lookbackMs: number): Date {
  const t = now.getTime() - lookbackMs;
  // "all" (Infinity) and lookbacks past the range of Date both mean: from the beginning.
  return Number.isFinite(t) && t > BEGINNING_OF_TIME.getTime() ? new Date(t) : new Date(BEGINNING_OF_TIME);
}
