import { parseRssFeed } from 'feedsmith';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { planFeeds } from '../../src/feeds/plan.js';
import { renderRss } from '../../src/feeds/rss.js';
import { htmlToText, makeConfig, makeDoc, makePost, siteSet, wellFormednessErrors } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

const RFC822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

function twoPosts() {
  return [
    makePost({
      slug: 'newer',
      day: 11,
      title: 'Newer post',
      summary: 'Use the <video> tag & co.',
      contentHtml: '<p>Hello <a href="https://blog.example.com/x">x</a></p>',
      authors: ['Yamada Taro', 'Guest Writer'],
      categories: ['Tech'],
      tags: ['AI', 'Tech'],
      updated: new Date('2026-01-20T00:00:00Z'),
    }),
    makePost({ slug: 'older', day: 5, title: '古い記事', authors: ['Guest Writer'] }),
  ];
}

describe('renderRss', () => {
  test('channel: title, link, description, language, self link, lastBuildDate from the newest post', async () => {
    const config = makeConfig();
    const posts = twoPosts();
    const xml = renderRss(makeDoc(config, siteSet(config, posts), posts));
    expect(await wellFormednessErrors(xml)).toEqual([]);
    const feed = parseRssFeed(xml);
    expect(feed.title).toBe('ALLFORCES');
    expect(feed.link).toBe('https://blog.example.com/');
    expect(feed.description).toBe('Notes on software');
    expect(feed.language).toBe('ja');
    expect(feed.atom?.links).toEqual([{ href: 'https://blog.example.com/feed.xml', rel: 'self', type: 'application/rss+xml' }]);
    // The newest `updated` of any item, not a build time.
    expect(feed.lastBuildDate).toMatch(RFC822);
    expect(new Date(feed.lastBuildDate ?? '').toISOString()).toBe('2026-01-20T00:00:00.000Z');
    expect(xml).not.toContain('<generator>');
  });

  test('items: permalink guid, RFC 822 pubDate, HTML-escaped summary, full content, categories and tags', () => {
    const config = makeConfig();
    const posts = twoPosts();
    const feed = parseRssFeed(renderRss(makeDoc(config, siteSet(config, posts), posts)));
    const [first, second] = feed.items ?? [];
    expect(first?.title).toBe('Newer post');
    expect(first?.link).toBe(posts[0]?.url);
    expect(first?.guid).toEqual({ value: posts[0]?.url, isPermaLink: true });
    expect(first?.pubDate).toMatch(RFC822);
    expect(new Date(first?.pubDate ?? '').getTime()).toBe(posts[0]?.date.getTime());
    // Readers render description as HTML: the plain-text summary arrives escaped and reads back as itself.
    expect(first?.description).toBe('Use the &lt;video&gt; tag &amp; co.');
    expect(htmlToText(first?.description ?? '')).toBe('Use the <video> tag & co.');
    expect(first?.content?.encoded).toBe(posts[0]?.contentHtml);
    // Categories then tags, each term once.
    expect(first?.categories?.map((c) => c.name)).toEqual(['Tech', 'AI']);
    expect(second?.title).toBe('古い記事');
  });

  test('authors: every name as dc:creator; <author> only with an email address', () => {
    const config = makeConfig();
    const posts = twoPosts();
    const feed = parseRssFeed(renderRss(makeDoc(config, siteSet(config, posts), posts)));
    const [first, second] = feed.items ?? [];
    expect(first?.dc?.creators).toEqual(['Yamada Taro', 'Guest Writer']);
    expect(first?.authors).toEqual([{ name: 'Yamada Taro', email: 'taro@example.com' }]);
    expect(second?.dc?.creators).toEqual(['Guest Writer']);
    expect(second?.authors).toBeUndefined();
  });

  test('without a site email no <author> at all', () => {
    const config = makeConfig({ site: { author: { name: 'Yamada Taro' } } });
    const posts = twoPosts();
    const xml = renderRss(makeDoc(config, siteSet(config, posts), posts));
    expect(xml).not.toMatch(/<author>/);
    expect(parseRssFeed(xml).items?.[0]?.dc?.creators).toEqual(['Yamada Taro', 'Guest Writer']);
  });

  test('summary mode: no content:encoded, and still namespace-well-formed', async () => {
    const config = makeConfig();
    const posts = twoPosts();
    const xml = renderRss(makeDoc(config, siteSet(config, posts, 'summary'), posts));
    expect(xml).not.toContain('content:encoded');
    expect(await wellFormednessErrors(xml)).toEqual([]);
    const feed = parseRssFeed(xml);
    expect(feed.items?.[0]?.content).toBeUndefined();
    expect(feed.items?.[0]?.dc?.creators).toEqual(['Yamada Taro', 'Guest Writer']);
    expect(htmlToText(feed.items?.[0]?.description ?? '')).toBe('Use the <video> tag & co.');
  });

  test('a full set item without a body is written as a summary item', () => {
    const config = makeConfig();
    const [post] = twoPosts();
    if (!post) throw new Error('fixture');
    const { contentHtml: _omit, ...header } = post;
    const feed = parseRssFeed(renderRss(makeDoc(config, siteSet(config, [post]), [header])));
    expect(feed.items?.[0]?.content).toBeUndefined();
    expect(feed.items?.[0]?.title).toBe('Newer post');
  });

  test('a tag set links to its own percent-encoded feed URL', async () => {
    const config = makeConfig();
    const posts = [makePost({ slug: 'p', tags: ['C++'] })];
    const set = planFeeds(config, posts).find((s) => s.term === 'C++');
    if (!set) throw new Error('no set');
    const xml = renderRss(makeDoc(config, set, posts));
    expect(await wellFormednessErrors(xml)).toEqual([]);
    const feed = parseRssFeed(xml);
    expect(feed.title).toBe('ALLFORCES — タグ: C++');
    expect(feed.description).toBe('タグ: C++');
    expect(feed.atom?.links?.[0]?.href).toBe('https://blog.example.com/tags/c%2B%2B/feed.xml');
    expect(feed.items).toHaveLength(1);
  });

  test('custom file name and a site under a path', () => {
    const config = makeConfig({ site: { url: 'https://example.org/blog' }, feeds: { rss: 'rss.xml' } });
    const xml = renderRss(makeDoc(config, siteSet(config, []), []));
    expect(parseRssFeed(xml).atom?.links?.[0]?.href).toBe('https://example.org/blog/rss.xml');
  });

  test('without posts: a valid channel dated at the epoch, never the build time', async () => {
    const config = makeConfig();
    const xml = renderRss(makeDoc(config, siteSet(config, []), []));
    expect(await wellFormednessErrors(xml)).toEqual([]);
    const feed = parseRssFeed(xml);
    expect(feed.items ?? []).toEqual([]);
    expect(feed.lastBuildDate).toBe('Thu, 01 Jan 1970 00:00:00 GMT');
  });

});
