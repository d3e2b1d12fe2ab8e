import { describe, expect, it } from 'vitest';
import { digestWindowStart, selectDigestPosts } from '../../src/digest/select.js';
import { makeHeader } from './factory.js';

const DAY = 86_400_000;
const now = new Date('2026-02-01T00:00:00Z');
const daysAgo = (n: number): Date => new Date(now.getTime() - n * DAY);
const ids = (posts: { slug: string }[]): string[] => posts.map((p) => p.slug);

describe('selectDigestPosts', () => {
  it('first run: only posts within the lookback, newest first', () => {
    const headers = [makeHeader({ slug: 'old', date: daysAgo(10) }), makeHeader({ slug: 'new', date: daysAgo(1) }), makeHeader({ slug: 'mid', date: daysAgo(3) })];
    const selection = selectDigestPosts({ headers, watermark: undefined, alreadySent: new Set(), now, firstRunLookbackMs: 7 * DAY });
    expect(ids(selection.posts)).toEqual(['new', 'mid']);
    expect(selection.windowStart).toEqual(daysAgo(7));
    expect(selection.windowEnd).toEqual(now);
  });

  it('first run with lookback "all" (Infinity) takes every past post', () => {
    const headers = [makeHeader({ slug: 'ancient', date: new Date('1999-01-01T00:00:00Z') }), makeHeader({ slug: 'new', date: daysAgo(1) })];
    const selection = selectDigestPosts({ headers, watermark: undefined, alreadySent: new Set(), now, firstRunLookbackMs: Number.POSITIVE_INFINITY });
    expect(ids(selection.posts)).toEqual(['new', 'ancient']);
    expect(Number.isNaN(selection.windowStart.getTime())).toBe(false);
    expect(selection.windowStart.getTime()).toBeLessThan(new Date('1999-01-01T00:00:00Z').getTime());
  });

  it('after a digest: unsent posts dated up to the lookback before the watermark (exclusive), up to now (inclusive)', () => {
    const watermark = daysAgo(2);
    const headers = [
      makeHeader({ slug: 'sent-before', date: daysAgo(3) }),
      makeHeader({ slug: 'at-window-start', date: daysAgo(7) }),
      makeHeader({ slug: 'too-old', date: daysAgo(20) }),
      makeHeader({ slug: 'after', date: daysAgo(1) }),
      makeHeader({ slug: 'exactly-now', date: now }),
    ];
    const alreadySent = new Set([headers[0]!.id]);
    const selection = selectDigestPosts({ headers, watermark, alreadySent, now, firstRunLookbackMs: 5 * DAY });
    expect(ids(selection.posts)).toEqual(['exactly-now', 'after']);
    expect(selection.windowStart).toEqual(daysAgo(7));
  });

  it('a post that appears after a digest although dated before it is still sent, once', () => {
    // 08:00 digest; at noon the author pushes a post with date-only front matter (midnight).
    const digestAt = new Date('2026-02-01T08:00:00Z');
    const noon = new Date('2026-02-01T12:00:00Z');
    const early = makeHeader({ slug: 'early', date: new Date('2026-01-31T20:00:00Z') });
    const late = makeHeader({ slug: 'date-only', date: new Date('2026-02-01T00:00:00Z') });
    const first = selectDigestPosts({ headers: [early], watermark: undefined, alreadySent: new Set(), now: digestAt, firstRunLookbackMs: 7 * DAY });
    expect(ids(first.posts)).toEqual(['early']);
    const second = selectDigestPosts({ headers: [early, late], watermark: digestAt, alreadySent: new Set([early.id]), now: noon, firstRunLookbackMs: 7 * DAY });
    expect(ids(second.posts)).toEqual(['date-only']);
    const third = selectDigestPosts({ headers: [early, late], watermark: noon, alreadySent: new Set([early.id, late.id]), now: new Date('2026-02-02T08:00:00Z'), firstRunLookbackMs: 7 * DAY });
    expect(third.posts).toEqual([]);
  });

  it('never selects a post dated in the future; it comes once its date has passed', () => {
    const future = makeHeader({ slug: 'future', date: new Date(now.getTime() + 60_000) });
    const headers = [future, makeHeader({ slug: 'past', date: daysAgo(1) })];
    const first = selectDigestPosts({ headers, watermark: daysAgo(3), alreadySent: new Set(), now, firstRunLookbackMs: 7 * DAY });
    expect(ids(first.posts)).toEqual(['past']);
    const later = selectDigestPosts({ headers, watermark: now, alreadySent: new Set([headers[1]!.id]), now: new Date(now.getTime() + 120_000), firstRunLookbackMs: 7 * DAY });
    expect(ids(later.posts)).toEqual(['future']);
  });

  it('never selects a post an earlier digest carried, whatever its date', () => {
    const sent = makeHeader({ slug: 'sent', date: daysAgo(1) });
    const headers = [sent, makeHeader({ slug: 'fresh', date: daysAgo(1) })];
    const selection = selectDigestPosts({ headers, watermark: daysAgo(5), alreadySent: new Set([sent.id]), now, firstRunLookbackMs: 7 * DAY });
    expect(ids(selection.posts)).toEqual(['fresh']);
  });

  it('--since overrides the watermark and the lookback', () => {
    const headers = [makeHeader({ slug: 'a', date: daysAgo(30) }), makeHeader({ slug: 'b', date: daysAgo(15) }), makeHeader({ slug: 'c', date: daysAgo(1) })];
    const since = daysAgo(40);
    const selection = selectDigestPosts({ headers, watermark: daysAgo(2), alreadySent: new Set(), now, firstRunLookbackMs: 7 * DAY, since });
    expect(ids(selection.posts)).toEqual(['c', 'b', 'a']);
    expect(selection.windowStart).toEqual(since);
  });

  it('orders posts with the same date by id, so the order never depends on input order', () => {
    const date = daysAgo(1);
    const a = makeHeader({ id: 'https://x/a', slug: 'a', date });
    const b = makeHeader({ id: 'https://x/b', slug: 'b', date });
    const input = { watermark: undefined, alreadySent: new Set<string>(), now, firstRunLookbackMs: 7 * DAY };
    expect(ids(selectDigestPosts({ ...input, headers: [b, a] }).posts)).toEqual(['a', 'b']);
    expect(ids(selectDigestPosts({ ...input, headers: [a, b] }).posts)).toEqual(['a', 'b']);
  });

  it('selects the same from only the posts dated after digestWindowStart (what the digest command keeps)', () => {
    const headers = [-1, 0, 1, 2, 3, 6, 7, 8, 30].map((n) => makeHeader({ slug: `d${n}`, date: daysAgo(n) }));
    const cases = [
      { watermark: undefined, firstRunLookbackMs: 7 * DAY },
      { watermark: daysAgo(2), firstRunLookbackMs: 5 * DAY },
      { watermark: daysAgo(2), firstRunLookbackMs: Number.POSITIVE_INFINITY },
      { watermark: undefined, firstRunLookbackMs: 7 * DAY, since: daysAgo(3) },
    ];
    for (const input of cases) {
      const start = digestWindowStart({ ...input, now }).getTime();
      const full = selectDigestPosts({ ...input, headers, alreadySent: new Set(['https://blog.example.com/d1']), now });
      const kept = selectDigestPosts({ ...input, headers: headers.filter((h) => h.date.getTime() > start), alreadySent: new Set(['https://blog.example.com/d1']), now });
      expect(kept).toEqual(full);
      expect(full.windowStart.getTime()).toBe(start);
    }
  });
});
