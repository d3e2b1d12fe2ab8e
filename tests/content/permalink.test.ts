import { describe, expect, it } from 'vitest';
import { encodePathOnce, expandPermalink, permalinkUrl, slugifyDefault, slugifyPretty } from '../../src/content/permalink.js';

const facts = (over: Partial<Parameters<typeof expandPermalink>[1]> = {}): Parameters<typeof expandPermalink>[1] => ({
  date: new Date('2026-01-14T16:51:02Z'),
  timeZone: 'Asia/Tokyo',
  slug: 'aws-inferentia3',
  categories: ['投資分析'],
  ...over,
});

describe('expandPermalink', () => {
  it("fills Jekyll's placeholders, date parts in the site time zone", () => {
    expect(expandPermalink('/:categories/:year/:month/:day/:title.html', facts())).toBe('/投資分析/2026/01/15/aws-inferentia3.html');
    expect(expandPermalink('/:year/:month/:day/:title/', facts({ timeZone: 'UTC' }))).toBe('/2026/01/14/aws-inferentia3/');
    expect(expandPermalink('/:short_year/:i_month/:i_day/:slug', facts({ date: new Date('2026-03-05T00:00:00Z'), timeZone: 'UTC', slug: 'Hello-World' }))).toBe('/26/3/5/hello-world');
  });

  it('joins categories with / (lowercased) and collapses an empty segment', () => {
    expect(expandPermalink('/:categories/:title/', facts({ categories: ['Tech', 'Web Dev'] }))).toBe('/tech/web-dev/aws-inferentia3/');
    expect(expandPermalink('/:categories/:year/:title.html', facts({ categories: [] }))).toBe('/2026/aws-inferentia3.html');
  });

  it('leaves unknown placeholders as written', () => {
    expect(expandPermalink('/:nope/:title', facts())).toBe('/:nope/aws-inferentia3');
  });
});

describe('encodePathOnce', () => {
  it('encodes non-ASCII once and never twice', () => {
    const once = encodePathOnce('/投資分析/a b/100%/x');
    expect(once).toBe('/%E6%8A%95%E8%B3%87%E5%88%86%E6%9E%90/a%20b/100%25/x');
    expect(encodePathOnce(once)).toBe(once);
    expect(encodePathOnce('/%e6%8a%95')).toBe('/%E6%8A%95');
  });
});

describe('permalinkUrl', () => {
  it('joins to the site URL, keeping its sub-path', () => {
    expect(permalinkUrl('/2026/x.html', 'https://example.com/blog/')).toBe('https://example.com/blog/2026/x.html');
    expect(permalinkUrl('/日本/', 'https://example.com/')).toBe('https://example.com/%E6%97%A5%E6%9C%AC/');
    expect(permalinkUrl('/a:b/c', 'https://example.com/')).toBe('https://example.com/a:b/c');
  });
});

describe('slugify', () => {
  it('follows Jekyll pretty (cased) and default modes', () => {
    expect(slugifyPretty('Hello World: ünï/日本')).toBe('Hello-World-ünï-日本');
    expect(slugifyDefault('Hello World: ünï')).toBe('hello-world-ünï');
  });
});

describe('permalinkUrl canonical form', () => {
  it('writes the site URL as the URL parser does', () => {
    expect(permalinkUrl('/x/', 'HTTPS://Blog.Example.COM/日記/')).toBe('https://blog.example.com/%E6%97%A5%E8%A8%98/x/');
    expect(permalinkUrl('/a/../b/', 'https://example.com/')).toBe('https://example.com/b/');
  });
});
