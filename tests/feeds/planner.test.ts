import { describe, expect, test } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { FeedPlanner, planFeeds, termLabel, type FeedSet } from '../../src/feeds/plan.js';
import { foldKey, suffixedSlug, termKey, termSlug } from '../../src/feeds/slug.js';
import type { PostHeader } from '../../src/post.js';
import { makeConfig, makeHeader } from './helpers.js';
import { seededRandom } from '../helpers/random.js';

/**
 * `planFeeds` as it was before the planner streamed: every header held, sorted once, grouped.
 * Kept verbatim as the oracle the incremental planner must equal.
 */
function referencePlan(config: Config, headers: readonly PostHeader[]): FeedSet[] {
  const newestFirst = (a: PostHeader, b: PostHeader): number => b.date.getTime() - a.date.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const { limit } = config.feeds;
  const seen = new Set<string>();
  const sorted: PostHeader[] = [];
  for (const header of [...headers].filter((h) => Number.isFinite(h.date.getTime())).sort(newestFirst)) {
    if (seen.has(header.id)) continue;
    seen.add(header.id);
    sorted.push(header);
  }
  const sets: FeedSet[] = [{ kind: 'site', term: undefined, dir: '', title: config.site.title, content: config.feeds.content, posts: sorted.slice(0, limit) }];
  const kinds: Array<{ kind: 'category' | 'tag'; folder: string; enabled: boolean; terms: (h: PostHeader) => string[] }> = [
    { kind: 'category', folder: 'categories', enabled: config.feeds.categories, terms: (h) => h.categories },
    { kind: 'tag', folder: 'tags', enabled: config.feeds.tags, terms: (h) => h.tags },
  ];
  for (const { kind, folder, enabled, terms } of kinds) {
    if (!enabled) continue;
    // Case variants are one term, shown in its most used spelling (first in code-point order on a tie).
    const groups = new Map<string, { posts: PostHeader[]; counts: Map<string, number> }>();
    for (const header of sorted) {
      const joined = new Set<string>();
      for (const spelling of new Set(terms(header).map(termKey))) {
        if (spelling.trim() === '') continue;
        const key = foldKey(spelling);
        let group = groups.get(key);
        if (group === undefined) groups.set(key, (group = { posts: [], counts: new Map() }));
        group.counts.set(spelling, (group.counts.get(spelling) ?? 0) + 1);
        if (joined.has(key)) continue;
        joined.add(key);
        if (group.posts.length < limit) group.posts.push(header);
      }
    }
    const named = [...groups.values()].map((g) => {
      const [term] = [...g.counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]!;
      return { term, posts: g.posts };
    });
    named.sort((x, y) => (x.term < y.term ? -1 : 1));
    // The first term of a slug keeps it; a later one gets a suffix.
    const taken = new Set<string>();
    const label = termLabel(kind, config.site.language);
    for (const { term, posts } of named) {
      let slug = termSlug(term);
      if (taken.has(slug)) slug = suffixedSlug(slug, term);
      taken.add(slug);
      sets.push({ kind, term, dir: `${folder}/${slug}`, title: `${config.site.title} — ${label}: ${term}`, content: config.feeds.taxonomyContent, posts });
    }
  }
  return sets;
}

// Terms chosen to exercise NFC keys, blanks, case, hashed slugs and spaces.
const TERMS = ['AI', 'ai', 'C++', 'c#', 'タグ', 'タグ with space', ' ', '', 'Tech', 'Life', 'ｶﾀｶﾅ', 'e\u0301', '\u00e9', 'a/b', '..'];

function randomHeaders(rng: () => number, count: number, options: { duplicates: boolean }): PostHeader[] {
  const pick = <T,>(list: readonly T[]): T => list[Math.floor(rng() * list.length)] as T;
  const some = (): string[] => Array.from({ length: Math.floor(rng() * 4) }, () => pick(TERMS));
  const headers: PostHeader[] = [];
  for (let i = 0; i < count; i++) {
    // Few distinct days and times: many equal dates, so the tie-break by id matters.
    const day = 1 + Math.floor(rng() * 5);
    const slug = options.duplicates && rng() < 0.2 ? `p${Math.floor(rng() * count)}` : `p${i}`;
    const header = makeHeader({ slug, day, categories: some(), tags: some() });
    if (rng() < 0.3) header.date = new Date(header.date.getTime() + Math.floor(rng() * 3) * 1000);
    if (rng() < 0.03) header.date = new Date(Number.NaN);
    headers.push(header);
  }
  if (options.duplicates) return headers;
  const seen = new Set<string>();
  return headers.filter((h) => !seen.has(h.id) && seen.add(h.id));
}

function shuffle<T>(rng: () => number, list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [list[i], list[j]] = [list[j] as T, list[i] as T];
  }
  return list;
}

const configs: Config[] = [
  makeConfig({ feeds: { limit: 1 } }),
  makeConfig({ feeds: { limit: 3 } }),
  makeConfig({ feeds: { limit: 20, taxonomyContent: 'full' } }),
  makeConfig({ feeds: { limit: 5, categories: false }, site: { language: 'en' } }),
  makeConfig({ feeds: { limit: 2, tags: false, content: 'summary' } }),
];

describe('FeedPlanner', () => {
  test('equals the old planFeeds on random headers given in any order', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rng = seededRandom(seed);
      const headers = randomHeaders(rng, Math.floor(rng() * 80), { duplicates: false });
      for (const config of configs) {
        const expected = referencePlan(config, headers);
        const planner = new FeedPlanner(config);
        for (const header of shuffle(rng, [...headers])) planner.add(header);
        expect(planner.sets(), `seed ${seed}`).toEqual(expected);
      }
    }
  });

  test('planFeeds (the planner behind it) equals the old planFeeds, duplicate ids included', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const rng = seededRandom(1000 + seed);
      const headers = randomHeaders(rng, Math.floor(rng() * 80), { duplicates: true });
      for (const config of configs) expect(planFeeds(config, headers), `seed ${seed}`).toEqual(referencePlan(config, headers));
    }
  });

  test('keeps the sets it returned unchanged by later adds', () => {
    const planner = new FeedPlanner(makeConfig({ feeds: { limit: 1 } }));
    planner.add(makeHeader({ slug: 'a', day: 1, tags: ['AI'] }));
    const before = planner.sets();
    planner.add(makeHeader({ slug: 'b', day: 2, tags: ['AI'] }));
    expect(before.map((s) => s.posts.map((p) => p.slug))).toEqual([['a'], ['a']]);
    expect(planner.sets().map((s) => s.posts.map((p) => p.slug))).toEqual([['b'], ['b']]);
  });
});
