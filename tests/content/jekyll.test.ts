import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { jekyllDefaults, jekyllEscapePath, jekyllFileName, jekyllSanitizeUrl, jekyllSlugify, jekyllUrl } from '../../src/content/jekyll.js';
import { isoWeek } from '../../src/content/permalink.js';
import { makeConfig, post, read } from './helpers.js';
import { testdir } from '../helpers/tmp.js';

describe("Jekyll's slugify (lib/jekyll/utils.rb)", () => {
  it('follows each mode', () => {
    expect(jekyllSlugify('The _config.yml file?!')).toBe('the-config-yml-file');
    expect(jekyllSlugify('The _config.yml file?!', 'pretty')).toBe('the-_config.yml-file-!');
    expect(jekyllSlugify('The _config.yml file?!', 'pretty', true)).toBe('The-_config.yml-file-!');
    expect(jekyllSlugify('The _config.yml file?!', 'raw')).toBe('the-_config.yml-file?!');
    expect(jekyllSlugify('Café 東京 2026', 'ascii')).toBe('caf-2026');
    expect(jekyllSlugify('Café 東京 2026', 'latin')).toBe('cafe-2026');
    expect(jekyllSlugify('東京 タワー', 'default')).toBe('東京-タワー');
    expect(jekyllSlugify('Keep As Is', 'none', true)).toBe('Keep As Is');
    // \p{Nd} only: a superscript two is not a decimal digit
    expect(jekyllSlugify('x²')).toBe('x');
  });
});

describe("Jekyll's URL (lib/jekyll/url.rb)", () => {
  it('escapes as Addressable does, % and # included, once per placeholder', () => {
    expect(jekyllEscapePath('日本語 a')).toBe('%E6%97%A5%E6%9C%AC%E8%AA%9E%20a');
    expect(jekyllEscapePath('100%')).toBe('100%25');
    expect(jekyllEscapePath('a#b[c]')).toBe('a%23b%5Bc%5D');
    expect(jekyllEscapePath("C++:x@y!$&'()*,;=")).toBe("C++:x@y!$&'()*,;=");
  });
  it('sanitizes: leading slash, no dot segments, single slashes', () => {
    expect(jekyllSanitizeUrl('a//b/../c/./d/')).toBe('/a/b/c/d/');
  });
  it('refuses a placeholder Jekyll does not know, and reads :title_ as :title then `_`', () => {
    const facts = { date: new Date('2026-01-05T00:00:00Z'), timeZone: 'UTC', slug: 'x', basename: '2026-01-05-x', relativePath: '_posts/2026-01-05-x.md', categories: [] };
    expect(jekyllUrl('/:nope/:title', facts)).toEqual({ ok: false, unknown: 'nope' });
    expect(jekyllUrl('/:title_page/', facts)).toEqual({ ok: false, unknown: 'title_page' });
    // as in Ruby: the `_` stays after the value (`match.sub!(":title", value)`)
    expect(jekyllUrl('/:year/:title_/', facts)).toEqual({ ok: true, path: '/2026/x_/' });
  });
  it('reads the date and slug of a post file name as DATE_FILENAME_MATCHER does', () => {
    expect(jekyllFileName('tech/_posts/2026-1-5-hello...md')).toEqual({ date: '2026-1-5', slug: 'hello' });
    expect(jekyllFileName('_posts/hello.md')).toBeUndefined();
  });
});

describe('ISO weeks (strftime %G %V)', () => {
  it('at the turns of the year', () => {
    expect(isoWeek({ year: 2021, month: 1, day: 3 })).toEqual({ year: 2020, week: 53 });
    expect(isoWeek({ year: 2024, month: 12, day: 30 })).toEqual({ year: 2025, week: 1 });
    expect(isoWeek({ year: 2026, month: 1, day: 19 })).toEqual({ year: 2026, week: 4 });
  });
});

describe('front matter defaults (lib/jekyll/frontmatter_defaults.rb)', () => {
  const defaults = configSchema.shape.jekyll.parse({
    defaults: [
      { scope: { path: '_posts/notes', type: 'posts' }, values: { layout: 'note', author: 'B' } },
      { scope: { path: '' }, values: { layout: 'post', author: 'A', nested: { a: 1 } } },
      { scope: { path: '_posts/*/deep' }, values: { nested: { b: 2 } } },
      { scope: { path: '_posts', type: 'pages' }, values: { author: 'never' } },
    ],
  }).defaults;
  it('the longer path wins whatever the order, a type scope beats none, hashes merge', () => {
    expect(jekyllDefaults(defaults, '_posts/notes/2026-01-01-x.md')).toEqual({ layout: 'note', author: 'B', nested: { a: 1 } });
    expect(jekyllDefaults(defaults, '_posts/2026-01-01-x.md')).toEqual({ layout: 'post', author: 'A', nested: { a: 1 } });
    expect(jekyllDefaults(defaults, '_posts/x/deep/2026-01-01-x.md')).toEqual({ layout: 'post', author: 'A', nested: { a: 1, b: 2 } });
  });
});

describe('generator: jekyll in the content stage', () => {
  const config = (extra = {}) => makeConfig({ site: { generator: 'jekyll' }, content: { dir: 'content', include: ['**/_posts/**/*.md', '_drafts/*.md'] }, permalink: 'pretty', ...extra });
  it('publishes what Jekyll publishes and nothing else', async () => {
    const root = testdir({
      'content/_posts/2026-01-01-a.md': post('title: A\ndraft: true'),
      'content/_posts/2026-01-02-b.md': post('title: B\npublished: false'),
      'content/_posts/2026-01-03-c.md': post('title: C\npublished: "false"'),
      'content/_posts/no-date.md': post('title: D\ndate: 2026-01-04'),
      'content/_drafts/e.md': post('title: E\ndate: 2026-01-05'),
      'content/_posts/2026-05-31-f.md': post('title: F\ndate: 2026-05-31 23:00:00 -0500'),
    });
    const result = await read(root, { config: config() });
    // draft: true and the string "false" do not hide a post from Jekyll; published: false does
    expect(result.headers.map((h) => h.title)).toEqual(['C', 'A']);
    expect(result.stats.future).toBe(1);
    expect(result.problems.some((p) => p.file.endsWith('no-date.md') && p.severity === 'warning')).toBe(true);
    const future = await read(root, { config: config({ jekyll: { future: true } }) });
    expect(future.headers.map((h) => h.title)).toEqual(['F', 'C', 'A']);
    expect(future.headers[0]?.url).toBe('https://blog.example.com/2026/06/01/f/');
  });
  it('reports a permalink placeholder Jekyll would fail on', async () => {
    const root = testdir({ 'content/_posts/2026-01-01-a.md': post('title: A\npermalink: /:yaer/:title/') });
    const result = await read(root, { config: config() });
    expect(result.headers).toEqual([]);
    expect(result.problems[0]).toMatchObject({ field: 'permalink', severity: 'error' });
    expect(result.problems[0]?.message).toContain(':yaer');
  });
});

describe('lang per post', () => {
  it('goes into the JSON Feed item and the Atom entry when it is not the site language, through the header cache too', async () => {
    const { build } = await import('../../src/commands/build.js');
    const { loadConfig } = await import('../../src/config/load.js');
    const { readFileSync, rmSync } = await import('node:fs');
    const path = await import('node:path');
    const dir = testdir({
      'config/feedletter.yaml': 'site:\n  url: https://blog.example.com/\n  language: ja\n  generator: jekyll\ncontent:\n  dir: .\n  include: ["_posts/*.md"]\n',
      '_posts/2026-01-01-en.md': post('title: English\nlang: en_US'),
      '_posts/2026-01-02-ja.md': post('title: 日本語\nlang: ja'),
      '_posts/2026-01-03-bad.md': post('title: Bad\nlang: "not a tag!"'),
    });
    for (let round = 0; round < 2; round++) {
      // the second build reads the headers from the cache, and must write every feed again
      if (round === 1) rmSync(path.join(dir, 'public'), { recursive: true });
      const { resolved } = loadConfig({ cwd: dir, env: {} });
      const result = await build({ resolved, now: new Date('2026-02-01T00:00:00Z') });
      expect(result.problems.map((p) => [p.field, p.severity])).toEqual([['lang', 'warning']]);
      const feed = JSON.parse(readFileSync(path.join(dir, 'public/feed.json'), 'utf8')) as { language: string; items: Array<{ title: string; language?: string }> };
      expect(feed.language).toBe('ja');
      expect(feed.items.map((i) => [i.title, i.language])).toEqual([['Bad', undefined], ['日本語', undefined], ['English', 'en-US']]);
      expect(readFileSync(path.join(dir, 'public/atom.xml'), 'utf8')).toContain('<entry xml:lang="en-US">');
    }
  });
});

describe('what a hostile or careless post cannot do (jekyll)', () => {
  it('a permalink or a category with dot segments stays inside the site', async () => {
    const root = testdir({
      'content/_posts/2026-01-01-a.md': post('title: A\npermalink: /../../../etc/:title/'),
      'content/_posts/2026-01-02-b.md': post('title: B\ncategories: ["../..", "%2e%2e"]'),
    });
    const result = await read(root, { config: makeConfig({ site: { generator: 'jekyll', url: 'https://example.com/blog/' }, permalink: 'pretty' }) });
    for (const header of result.headers) expect(header.url.startsWith('https://example.com/blog/'), header.url).toBe(true);
    expect(result.headers.map((h) => h.url).sort()).toEqual(['https://example.com/blog/%252e%252e/2026/01/02/b/', 'https://example.com/blog/etc/a/']);
  });
});
