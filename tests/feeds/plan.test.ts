import { describe, expect, test } from 'vitest';
import { FeedPlanner, planFeeds, postsNeedingContent, termSlug, type FeedSet } from '../../src/feeds/plan.js';
import { suffixedSlug } from '../../src/feeds/slug.js';
import { makeConfig, makeHeader } from './helpers.js';

const slugsOf = (set: FeedSet | undefined): string[] => (set?.posts ?? []).map((p) => p.slug);
const find = (sets: FeedSet[], kind: FeedSet['kind'], term?: string): FeedSet | undefined => sets.find((s) => s.kind === kind && s.term === term);

describe('planFeeds', () => {
  test('the site set holds the newest posts first, at most feeds.limit', () => {
    const headers = [3, 9, 1, 7, 5, 8].map((day) => makeHeader({ slug: `d${day}`, day }));
    const sets = planFeeds(makeConfig({ feeds: { limit: 4 } }), headers);
    const site = sets[0];
    expect(site).toMatchObject({ kind: 'site', term: undefined, dir: '', title: 'ALLFORCES', content: 'full' });
    expect(slugsOf(site)).toEqual(['d9', 'd8', 'd7', 'd5']);
  });

  test('equal dates are ordered by id, whatever order the files came in', () => {
    const make = () => ['b', 'c', 'a'].map((slug) => makeHeader({ slug, day: 2 }));
    const forward = planFeeds(makeConfig(), make());
    const backward = planFeeds(makeConfig(), make().reverse());
    expect(slugsOf(forward[0])).toEqual(['a', 'b', 'c']);
    expect(forward).toEqual(backward);
  });

  test('never carries one id twice, and leaves out posts with an invalid date', () => {
    const headers = [
      makeHeader({ slug: 'a', day: 1 }),
      { ...makeHeader({ slug: 'a', day: 1 }), title: 'duplicate' },
      makeHeader({ slug: 'bad', date: new Date(Number.NaN) }),
      makeHeader({ slug: 'b', day: 2 }),
    ];
    const site = planFeeds(makeConfig(), headers)[0];
    expect(slugsOf(site)).toEqual(['b', 'a']);
  });

  test('one set per category and per tag, sorted by term, each newest first and limited', () => {
    const headers = [
      makeHeader({ slug: 'p1', day: 1, categories: ['Tech'], tags: ['AI', 'C++'] }),
      makeHeader({ slug: 'p2', day: 2, categories: ['Life'], tags: ['AI'] }),
      makeHeader({ slug: 'p3', day: 3, categories: ['Tech'], tags: ['AI', 'AI'] }),
      makeHeader({ slug: 'p4', day: 4, categories: ['Tech'], tags: [] }),
    ];
    const sets = planFeeds(makeConfig({ feeds: { limit: 2 } }), headers);
    expect(sets.map((s) => `${s.kind}:${s.term ?? ''}`)).toEqual(['site:', 'category:Life', 'category:Tech', 'tag:AI', 'tag:C++']);
    expect(slugsOf(find(sets, 'category', 'Tech'))).toEqual(['p4', 'p3']);
    expect(slugsOf(find(sets, 'tag', 'AI'))).toEqual(['p3', 'p2']); // the duplicate tag on p3 counts once
    expect(slugsOf(find(sets, 'tag', 'C++'))).toEqual(['p1']);
    expect(find(sets, 'tag', 'C++')).toMatchObject({ dir: `tags/${termSlug('C++')}`, title: 'ALLFORCES — タグ: C++', content: 'summary' });
    expect(find(sets, 'category', 'Tech')).toMatchObject({ dir: `categories/${termSlug('Tech')}`, title: 'ALLFORCES — カテゴリ: Tech' });
  });

  test('labels follow the site language', () => {
    const sets = planFeeds(makeConfig({ site: { language: 'en-GB' } }), [makeHeader({ slug: 'p', categories: ['News'], tags: ['AI'] })]);
    expect(find(sets, 'category', 'News')?.title).toBe('ALLFORCES — Category: News');
    expect(find(sets, 'tag', 'AI')?.title).toBe('ALLFORCES — Tag: AI');
  });

  test('category and tag sets can be switched off separately', () => {
    const headers = [makeHeader({ slug: 'p', categories: ['News'], tags: ['AI'] })];
    expect(planFeeds(makeConfig({ feeds: { categories: false } }), headers).map((s) => s.kind)).toEqual(['site', 'tag']);
    expect(planFeeds(makeConfig({ feeds: { tags: false } }), headers).map((s) => s.kind)).toEqual(['site', 'category']);
    expect(planFeeds(makeConfig({ feeds: { categories: false, tags: false } }), headers).map((s) => s.kind)).toEqual(['site']);
  });

  test('content modes come from feeds.content and feeds.taxonomyContent', () => {
    const headers = [makeHeader({ slug: 'p', tags: ['AI'] })];
    const sets = planFeeds(makeConfig({ feeds: { content: 'summary', taxonomyContent: 'full' } }), headers);
    expect(sets.map((s) => s.content)).toEqual(['summary', 'full']);
  });

  test('composed and decomposed spellings of a term are one set; blank terms none', () => {
    const headers = [makeHeader({ slug: 'a', day: 1, tags: ['Cafe\u0301', ' '] }), makeHeader({ slug: 'b', day: 2, tags: ['Caf\u00e9', ''] })];
    const tagSets = planFeeds(makeConfig(), headers).filter((s) => s.kind === 'tag');
    expect(tagSets).toHaveLength(1);
    expect(tagSets[0]?.term).toBe('Caf\u00e9');
    expect(slugsOf(tagSets[0])).toEqual(['b', 'a']);
  });

  test('terms that differ only by case are one set, named by the most used spelling', () => {
    const headers = [
      makeHeader({ slug: 'a', day: 1, tags: ['ai'] }),
      makeHeader({ slug: 'b', day: 2, tags: ['AI'] }),
      makeHeader({ slug: 'c', day: 3, tags: ['AI', 'ai'] }),
      makeHeader({ slug: 'd', day: 4, tags: ['Ai'] }),
      makeHeader({ slug: 'e', day: 5, tags: ['ai'] }),
    ];
    const planner = new FeedPlanner(makeConfig());
    for (const header of headers) planner.add(header);
    const tagSets = planner.sets().filter((s) => s.kind === 'tag');
    expect(tagSets).toHaveLength(1);
    // `ai` on a, c, e; `AI` on b, c; `Ai` on d. The set carries each post once.
    expect(tagSets[0]).toMatchObject({ term: 'ai', dir: 'tags/ai', title: 'ALLFORCES — タグ: ai' });
    expect(slugsOf(tagSets[0])).toEqual(['e', 'd', 'c', 'b', 'a']);
    expect(planner.notices).toEqual([]);
    // A tie goes to the first spelling in code-point order, whatever order the posts come in.
    const tie = [makeHeader({ slug: 'x', tags: ['Go'] }), makeHeader({ slug: 'y', day: 2, tags: ['GO'] })];
    expect(planFeeds(makeConfig(), tie).find((s) => s.kind === 'tag')?.term).toBe('GO');
    expect(planFeeds(makeConfig(), [...tie].reverse()).find((s) => s.kind === 'tag')?.term).toBe('GO');
  });

  test('a true collision suffixes the term that sorts later, stably, with a notice', () => {
    const headers = [makeHeader({ slug: 'p', day: 1, tags: ['a/b'] }), makeHeader({ slug: 'q', day: 2, tags: ['a b', 'A B'] })];
    const planner = new FeedPlanner(makeConfig());
    for (const header of headers) planner.add(header);
    const tags = planner.sets().filter((s) => s.kind === 'tag');
    // 'a b' < 'a/b': the first keeps `a-b`; `a/b` gets a hash of itself.
    expect(tags.map((s) => [s.term, s.dir])).toEqual([
      ['A B', 'tags/a-b'],
      ['a/b', `tags/${suffixedSlug('a-b', 'a/b')}`],
    ]);
    expect(suffixedSlug('a-b', 'a/b')).toMatch(/^a-b-[0-9a-f]{8}$/);
    expect(planner.notices).toEqual([expect.objectContaining({ kind: 'tag', term: 'a/b', other: 'A B', slug: suffixedSlug('a-b', 'a/b'), post: headers[0] })]);
    // The suffix depends on the term alone: the same in a build that has more terms.
    const more = planFeeds(makeConfig(), [...headers, makeHeader({ slug: 'r', tags: ['zzz'] })]);
    expect(more.find((s) => s.term === 'a/b')?.dir).toBe(`tags/${suffixedSlug('a-b', 'a/b')}`);
  });

  test('a term spelled like another term\'s suffixed slug still gets a folder of its own', () => {
    const taken = suffixedSlug('a-b', 'a/b');
    const sets = planFeeds(makeConfig(), [makeHeader({ slug: 'p', tags: ['a b', 'a/b', taken] })]);
    const dirs = sets.filter((s) => s.kind === 'tag').map((s) => s.dir);
    expect(new Set(dirs).size).toBe(3);
  });

  test('with no posts there is still a site set, and nothing else', () => {
    expect(planFeeds(makeConfig(), [])).toEqual([{ kind: 'site', term: undefined, dir: '', title: 'ALLFORCES', content: 'full', posts: [] }]);
  });

  test('does not modify its input', () => {
    const headers = [makeHeader({ slug: 'a', day: 1 }), makeHeader({ slug: 'b', day: 2 })];
    const before = structuredClone(headers);
    planFeeds(makeConfig(), headers);
    expect(headers).toEqual(before);
  });
});

describe('postsNeedingContent', () => {
  test('only posts in full-content sets need a rendered body', () => {
    const headers = [1, 2, 3, 4].map((day) => makeHeader({ slug: `d${day}`, day, tags: ['AI'] }));
    const summaryTaxonomies = planFeeds(makeConfig({ feeds: { limit: 2 } }), headers);
    expect([...postsNeedingContent(summaryTaxonomies)].sort()).toEqual([headers[3]?.id, headers[2]?.id].sort());

    const allSummary = planFeeds(makeConfig({ feeds: { limit: 2, content: 'summary' } }), headers);
    expect(postsNeedingContent(allSummary).size).toBe(0);
  });

  test('a full taxonomy set adds its older posts', () => {
    const headers = [
      makeHeader({ slug: 'old', day: 1, tags: ['rare'] }),
      makeHeader({ slug: 'new1', day: 2 }),
      makeHeader({ slug: 'new2', day: 3 }),
    ];
    const sets = planFeeds(makeConfig({ feeds: { limit: 2, taxonomyContent: 'full' } }), headers);
    expect(postsNeedingContent(sets)).toEqual(new Set(headers.map((h) => h.id)));
  });
});
