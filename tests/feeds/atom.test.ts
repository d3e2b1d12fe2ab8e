import { parseAtomFeed } from 'feedsmith';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { renderAtom } from '../../src/feeds/atom.js';
import { planFeeds } from '../../src/feeds/plan.js';
import { atomSchemaErrors, makeConfig, makeDoc, makePost, siteSet, twoPosts } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('renderAtom', () => {
  test('is valid against the RFC 4287 RELAX NG grammar: full, summary, empty and tag sets', async () => {
    const config = makeConfig();
    const posts = twoPosts();
    const tagSet = planFeeds(config, posts).find((s) => s.term === 'AI');
    if (!tagSet) throw new Error('no set');
    for (const doc of [
      makeDoc(config, siteSet(config, posts), posts),
      makeDoc(config, siteSet(config, posts, 'summary'), posts),
      makeDoc(config, siteSet(config, []), []),
      makeDoc(config, tagSet, posts.slice(0, 1)),
    ]) {
      expect(await atomSchemaErrors(renderAtom(doc))).toEqual([]);
    }
  });

  test('the RELAX NG check does reject an invalid document', async () => {
    // Guards the guard: a feed without <id> must fail.
    const config = makeConfig();
    const xml = renderAtom(makeDoc(config, siteSet(config, []), [])).replace(/ {2}<id>[^<]*<\/id>\n/, '');
    expect(await atomSchemaErrors(xml)).not.toEqual([]);
  });

  test('feed: xml:lang, permanent id, title, subtitle, self and alternate links, author, updated from the newest post', () => {
    const config = makeConfig();
    const posts = twoPosts();
    const xml = renderAtom(makeDoc(config, siteSet(config, posts), posts));
    expect(xml).toContain('<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ja">');
    const feed = parseAtomFeed(xml);
    expect(feed.id).toBe('https://blog.example.com/');
    expect(feed.title).toEqual({ value: 'ALLFORCES' });
    expect(feed.subtitle).toEqual({ value: 'Notes on software' });
    expect(feed.links).toEqual([
      { href: 'https://blog.example.com/', rel: 'alternate', type: 'text/html' },
      { href: 'https://blog.example.com/atom.xml', rel: 'self', type: 'application/atom+xml' },
    ]);
    expect(feed.authors).toEqual([{ name: 'Yamada Taro', email: 'taro@example.com' }]);
    expect(feed.updated).toBe('2026-01-20T00:00:00Z');
  });

  test('entries: id, alternate link, published, updated, authors, categories, summary, content type="html"', () => {
    const config = makeConfig();
    const posts = twoPosts();
    const feed = parseAtomFeed(renderAtom(makeDoc(config, siteSet(config, posts), posts)));
    const [first, second] = feed.entries ?? [];
    expect(first?.id).toBe(posts[0]?.id);
    expect(first?.title).toEqual({ value: 'Newer <post>' });
    expect(first?.links).toEqual([{ href: posts[0]?.url, rel: 'alternate', type: 'text/html' }]);
    expect(first?.published).toBe('2026-01-11T04:57:32Z');
    expect(first?.updated).toBe('2026-01-20T00:00:00Z');
    expect(first?.authors).toEqual([{ name: 'Yamada Taro', email: 'taro@example.com' }, { name: 'Guest Writer' }]);
    expect(first?.categories).toEqual([{ term: 'Tech' }, { term: 'AI' }]);
    expect(first?.summary).toEqual({ value: 'A summary & more' });
    expect(first?.content).toEqual({ value: '<p>Hello <b>world</b></p>', type: 'html' });
    // `updated` falls back to the date; an empty summary is left out.
    expect(second?.updated).toBe('2026-01-05T04:57:32Z');
    expect(second?.published).toBe('2026-01-05T04:57:32Z');
    expect(second?.summary).toBeUndefined();
    expect(second?.authors).toEqual([{ name: 'Guest Writer' }]);
  });

  test('summary mode: summary, no content', () => {
    const config = makeConfig();
    const posts = twoPosts();
    const feed = parseAtomFeed(renderAtom(makeDoc(config, siteSet(config, posts, 'summary'), posts)));
    expect(feed.entries?.[0]?.content).toBeUndefined();
    expect(feed.entries?.[0]?.summary).toEqual({ value: 'A summary & more' });
  });

  test('each term set has its own id and self link, stable from build to build', () => {
    const config = makeConfig();
    const posts = [makePost({ slug: 'p', categories: ['AI'], tags: ['AI', 'タグ with space'] })];
    const ids = (): Array<string | undefined> =>
      planFeeds(config, posts).map((set) => parseAtomFeed(renderAtom(makeDoc(config, set, posts))).id);
    const first = ids();
    expect(first).toEqual([
      'https://blog.example.com/',
      'https://blog.example.com/categories/ai/',
      'https://blog.example.com/tags/ai/',
      `https://blog.example.com/tags/${encodeURIComponent('タグ-with-space')}/`,
    ]);
    // Another build, with more terms around, changes nothing for the existing ones.
    const more = [...posts, makePost({ slug: 'q', tags: ['AI', 'ZZZ', 'aaa'] })];
    const again = planFeeds(config, more).map((set) => parseAtomFeed(renderAtom(makeDoc(config, set, more))).id);
    expect(again).toEqual(expect.arrayContaining(first));

    const tagSet = planFeeds(config, posts).find((s) => s.kind === 'tag' && s.term === 'タグ with space');
    if (!tagSet) throw new Error('no set');
    const self = parseAtomFeed(renderAtom(makeDoc(config, tagSet, posts))).links?.find((l) => l.rel === 'self')?.href;
    expect(self).toBe(`https://blog.example.com/tags/${encodeURIComponent('タグ-with-space')}/atom.xml`);
  });

  test('without posts: updated is the epoch, not the build time', () => {
    const config = makeConfig();
    vi.useFakeTimers({ now: new Date('2030-05-05T05:05:05Z'), toFake: ['Date'] });
    const feed = parseAtomFeed(renderAtom(makeDoc(config, siteSet(config, []), [])));
    expect(feed.updated).toBe('1970-01-01T00:00:00Z');
    expect(feed.entries ?? []).toEqual([]);
  });

});
