import { parseJsonFeed } from 'feedsmith';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { renderJsonFeed } from '../../src/feeds/json.js';
import { planFeeds } from '../../src/feeds/plan.js';
import { jsonFeedSchemaErrors, makeConfig, makeDoc, makePost, siteSet, twoPosts } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('renderJsonFeed', () => {
  test('valid against the JSON Feed 1.1 schema: full, summary, empty and tag sets', () => {
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
      expect(jsonFeedSchemaErrors(renderJsonFeed(doc))).toEqual([]);
    }
  });

  test('the schema does reject an item without content', () => {
    const config = makeConfig();
    const posts = twoPosts();
    const feed = JSON.parse(renderJsonFeed(makeDoc(config, siteSet(config, posts), posts))) as { items: Array<Record<string, unknown>> };
    delete feed.items[0]?.content_html;
    expect(jsonFeedSchemaErrors(JSON.stringify(feed))).not.toEqual([]);
  });

  test('top level: version 1.1, title, home page, feed URL, description, language, authors', () => {
    const config = makeConfig();
    const posts = twoPosts();
    const json = renderJsonFeed(makeDoc(config, siteSet(config, posts), posts));
    const feed = parseJsonFeed(JSON.parse(json));
    expect(JSON.parse(json)).toMatchObject({ version: 'https://jsonfeed.org/version/1.1' });
    expect(feed).toMatchObject({
      title: 'ALLFORCES',
      home_page_url: 'https://blog.example.com/',
      feed_url: 'https://blog.example.com/feed.json',
      description: 'Notes on software',
      language: 'ja',
      authors: [{ name: 'Yamada Taro' }],
    });
  });

  test('items: id, url, title, content_html, plain summary, dates, authors, tags', () => {
    const config = makeConfig();
    const posts = twoPosts();
    const feed = parseJsonFeed(JSON.parse(renderJsonFeed(makeDoc(config, siteSet(config, posts), posts))));
    const [first, second] = feed.items ?? [];
    expect(first).toEqual({
      id: posts[0]?.id,
      url: posts[0]?.url,
      title: 'Newer <post>',
      content_html: '<p>Hello <b>world</b></p>',
      summary: 'A summary & more',
      date_published: '2026-01-11T04:57:32Z',
      date_modified: '2026-01-20T00:00:00Z',
      authors: [{ name: 'Yamada Taro' }, { name: 'Guest Writer' }],
      tags: ['Tech', 'AI'],
    });
    expect(new Date(first?.date_published ?? '').getTime()).toBe(posts[0]?.date.getTime());
    expect(second?.summary).toBeUndefined();
    expect(second?.date_modified).toBe('2026-01-05T04:57:32Z');
  });

  test('summary mode: the summary as content_text, no content_html', () => {
    const config = makeConfig();
    const posts = twoPosts();
    const feed = JSON.parse(renderJsonFeed(makeDoc(config, siteSet(config, posts, 'summary'), posts))) as { items: Array<Record<string, unknown>> };
    expect(feed.items[0]).toMatchObject({ content_text: 'A summary & more', summary: 'A summary & more' });
    expect(feed.items[0]).not.toHaveProperty('content_html');
    // Even an empty summary leaves the item with one of the two content fields.
    expect(feed.items[1]).toMatchObject({ content_text: '' });
  });

  test('a tag set has its own feed URL and description', () => {
    const config = makeConfig();
    const posts = [makePost({ slug: 'p', tags: ['C++'] })];
    const set = planFeeds(config, posts).find((s) => s.term === 'C++');
    if (!set) throw new Error('no set');
    const feed = parseJsonFeed(JSON.parse(renderJsonFeed(makeDoc(config, set, posts))));
    expect(feed.feed_url).toBe('https://blog.example.com/tags/c%2B%2B/feed.json');
    expect(feed.title).toBe('ALLFORCES — タグ: C++');
    expect(feed.description).toBe('タグ: C++');
  });

});
