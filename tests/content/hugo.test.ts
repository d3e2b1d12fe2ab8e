import { describe, expect, it } from 'vitest';
import { hugoClock, hugoExpand, hugoFilename, hugoSanitize, hugoTargetPath, hugoUrlize } from '../../src/content/hugo.js';
import { hugoPages } from '../../src/content/listing.js';
import { configSchema } from '../../src/config/schema.js';
import path from 'node:path';
import { readPosts as scan } from '../../src/content/index.js';
import { makeConfig, post } from './helpers.js';
import { testdir } from '../helpers/tmp.js';

const hugo = configSchema.shape.hugo.parse({});

describe("Hugo's path rules (what hugo 0.111 wrote for these titles)", () => {
  it('sanitizes, lowercases and decodes as the pages hugo wrote', () => {
    // each pair: a title, and the folder hugo 0.111 wrote for `/:title/`
    const seen: Array<[string, string]> = [
      ['C++', 'c-'],
      ['a + b', 'a--b'],
      ['a - b', 'a-b'],
      ['a -- b', 'a--b'],
      ['x  y', 'x-y'],
      [' lead', 'lead'],
      ['trail ', 'trail'],
      ['-x-', '-x-'],
      ['100%', '100'],
      ['a%20b', 'a-b'],
      ['Vim (text editor)', 'vim-text-editor'],
      ['a_b.c~d#e@f', 'a_b.c~d#e@f'],
      ["a!b$c&d'e(f)g*h,i;j=k:l", 'abcdefghijkl'],
      ['日本語 タイトル！', '日本語-タイトル'],
      ['Ünïcödé Café', 'ünïcödé-café'],
    ];
    for (const [title, folder] of seen) expect(hugoTargetPath(hugoUrlize(title, hugo)), title).toBe(folder);
  });
  it('keeps case with disablePathToLower and drops accents with removePathAccents', () => {
    expect(hugoUrlize('Café Au Lait', { disablePathToLower: true, removePathAccents: false })).toBe('Café-Au-Lait');
    expect(hugoUrlize('Café Au Lait', { disablePathToLower: false, removePathAccents: true })).toBe('cafe-au-lait');
    expect(hugoSanitize('a\tb')).toBe('a-b');
  });
  it('names a bundle by its folder, and refuses an unknown token', () => {
    expect(hugoFilename('posts/my-trip/index.md')).toBe('my-trip');
    expect(hugoFilename('posts/Deep_Note.md')).toBe('Deep_Note');
    const facts = { clock: { year: 2026, month: 1, day: 5, hour: 0, minute: 0, second: 0 }, title: 'T', slug: '', sourcePath: 'posts/x.md', sections: 'posts' };
    expect(hugoExpand('/:year/:nope/', facts, hugo)).toEqual({ ok: false, unknown: 'nope' });
    expect(hugoExpand('/:monthname/:weekdayname/:yearday/:section/:slug/', facts, hugo)).toEqual({ ok: true, path: '/January/Monday/5/posts/t/' });
    // Hugo 0.144's tokens
    expect(hugoExpand('/:contentbasename/', { ...facts, sourcePath: 'posts/My Trip/index.md' }, hugo)).toEqual({ ok: true, path: '/my-trip/' });
    expect(hugoExpand('/:slugorcontentbasename/', { ...facts, slug: 'Own' }, hugo)).toEqual({ ok: true, path: '/own/' });
  });
  it('keeps the written offset for the date parts, else the time zone', () => {
    const d = new Date('2026-01-18T04:30:00Z');
    expect(hugoClock('2026-01-17T23:30:00-05:00', d, 'Asia/Tokyo').day).toBe(17);
    expect(hugoClock('2026-01-18T13:30:00', d, 'Asia/Tokyo').day).toBe(18);
  });
});

describe('hugo pages among content files', () => {
  it('leaves out list pages and the resources of leaf bundles', () => {
    expect(hugoPages(['posts/_index.md', 'posts/a.md', 'posts/b/index.md', 'posts/b/notes.md', 'posts/b/deep/x.md', 'posts/c/d.md'])).toEqual(['posts/a.md', 'posts/b/index.md', 'posts/c/d.md']);
  });
});

describe('generator: hugo in the content stage', () => {
  const config = (extra = {}) => makeConfig({ site: { generator: 'hugo' }, content: { dir: 'content', include: ['posts/**/*.md'] }, ...extra });
  it('publishes from publishDate until expiryDate, never a draft, and says when the result changes', async () => {
    const root = testdir({
      'content/posts/a.md': post('title: A\ndate: 2026-01-01'),
      'content/posts/b.md': post('title: B\ndate: 2026-01-02\ndraft: true'),
      'content/posts/c.md': post('title: C\ndate: 2026-01-03\npublishDate: 2026-07-01'),
      'content/posts/d.md': post('title: D\ndate: 2026-01-04\nexpiryDate: 2026-05-01'),
      'content/posts/e.md': post('title: E\ndate: 2026-01-05\nexpiryDate: 2026-09-01'),
      'content/posts/f.md': '+++\ntitle = "F"\nPublishDate = 2026-01-06T10:00:00+09:00\n+++\nTOML, and a date from publishDate.\n',
    });
    const result = await readPosts(root, config());
    expect(result.headers.map((h) => h.title)).toEqual(['F', 'E', 'A']);
    expect(result.stats).toMatchObject({ drafts: 1, future: 1, expired: 1 });
    expect(result.headers[0]?.date.toISOString()).toBe('2026-01-06T01:00:00.000Z');
    // the build may be reused until C comes out (July 1st); E expires after that
    expect(new Date(result.inputs?.validUntil ?? 0).toISOString()).toBe('2026-06-30T15:00:00.000Z');
    const later = await readPosts(root, config(), new Date('2026-10-01T00:00:00Z'));
    expect(later.headers.map((h) => h.title)).toEqual(['F', 'C', 'A']);
    const expired = await readPosts(root, config({ hugo: { buildExpired: true, buildFuture: true } }));
    expect(expired.headers.map((h) => h.title)).toEqual(['F', 'E', 'D', 'C', 'A']);
  });
});

function readPosts(root: string, config: ReturnType<typeof makeConfig>, now = new Date('2026-06-01T00:00:00Z')) {
  return scan({ config, contentDir: path.join(root, 'content'), now, stamp: true });
}

describe('hugo front matter oddities', () => {
  it('takes keys in any case, and a boolean `published` is no date', async () => {
    const root = testdir({ 'content/posts/a.md': post('Title: A\nDate: 2026-01-01\npublished: true\nExpiryDate: 2026-03-01') });
    const result = await readPosts(root, makeConfig({ site: { generator: 'hugo' }, content: { dir: 'content', include: ['posts/**/*.md'] } }));
    expect(result.problems).toEqual([]);
    expect(result.stats.expired).toBe(1);
  });
});
