import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanPosts } from '../../src/content/index.js';
import { decodeUtf8, headerFromText, readHeader } from '../../src/content/read.js';
import { collidingIds } from '../helpers/hash.js';
import { testdir } from '../helpers/tmp.js';
import { makeConfig, NOW, post, read } from './helpers.js';

const P = 'content/_posts';

describe('readPosts: front matter', () => {
  it('reads YAML front matter', async () => {
    const root = testdir({ [`${P}/2026-01-11-hello.md`]: post('title: Hello\ndate: 2026-01-11 04:57:32 +0000') });
    const r = await read(root);
    expect(r.problems).toEqual([]);
    expect(r.headers).toHaveLength(1);
    expect(r.headers[0]).toMatchObject({ title: 'Hello', sourcePath: '_posts/2026-01-11-hello.md', slug: 'hello' });
    expect(r.headers[0]?.date.toISOString()).toBe('2026-01-11T04:57:32.000Z');
  });

  it('reads TOML front matter between +++', async () => {
    const root = testdir({
      [`${P}/2026-01-11-toml.md`]: '+++\ntitle = "TOML post"\ndate = 2026-01-11T04:57:32+09:00\ntags = ["a", "b"]\nlast_modified_at = 2026-01-12T10:00:00\n+++\n\nBody.\n',
    });
    const r = await read(root);
    expect(r.problems).toEqual([]);
    const h = r.headers[0];
    expect(h?.title).toBe('TOML post');
    expect(h?.date.toISOString()).toBe('2026-01-10T19:57:32.000Z');
    // A local date-time is in the site time zone (Asia/Tokyo).
    expect(h?.updated.toISOString()).toBe('2026-01-12T01:00:00.000Z');
    expect(h?.tags).toEqual(['a', 'b']);
  });

  it('accepts a UTF-8 BOM and CRLF line endings', async () => {
    const text = '\uFEFF' + post('title: "CRLF post"\ndate: 2026-01-11\ntags: x y', 'First paragraph\nstill first.\n\nSecond.\n').replace(/\n/g, '\r\n');
    const root = testdir({ [`${P}/2026-01-11-crlf.md`]: text });
    const r = await read(root);
    expect(r.problems).toEqual([]);
    expect(r.headers[0]).toMatchObject({ title: 'CRLF post', tags: ['x', 'y'], summary: 'First paragraph still first.' });
  });

  it('reports a file that is not UTF-8, naming it and the line, and never guesses', async () => {
    const latin1 = Buffer.concat([Buffer.from('---\ntitle: caf'), Buffer.from([0xe9]), Buffer.from('\ndate: 2026-01-11\n---\nbody\n')]);
    const root = testdir({ [`${P}/2026-01-11-latin1.md`]: latin1, [`${P}/2026-01-12-good.md`]: post('title: Good') });
    const r = await read(root);
    expect(r.headers.map((h) => h.title)).toEqual(['Good']);
    expect(r.problems).toEqual([expect.objectContaining({ file: `${P}/2026-01-11-latin1.md`, line: 2, severity: 'error', message: expect.stringContaining('UTF-8') })]);
    expect(r.stats.skipped).toBe(1);
  });

  it('reports a YAML syntax error with its line and goes on with the other posts', async () => {
    const root = testdir({
      [`${P}/2026-01-11-bad.md`]: post('title: ok\ntags: [a, b\ndate: 2026-01-11'),
      [`${P}/2026-01-12-good.md`]: post('title: Good'),
    });
    const r = await read(root);
    expect(r.headers.map((h) => h.title)).toEqual(['Good']);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ file: `${P}/2026-01-11-bad.md`, severity: 'error' });
    expect(r.problems[0]?.line).toBeGreaterThanOrEqual(3);
  });

  it('refuses JavaScript front matter (gray-matter would eval it)', async () => {
    const root = testdir({ [`${P}/2026-01-11-js.md`]: '---js\n{ title: (globalThis.pwned = "yes") }\n---\nbody\n' });
    const r = await read(root);
    expect((globalThis as { pwned?: string }).pwned).toBeUndefined();
    expect(r.headers).toEqual([]);
    expect(r.problems[0]).toMatchObject({ severity: 'error', message: expect.stringContaining('not accepted') });
  });

  it('reports an unclosed front matter', async () => {
    const root = testdir({ [`${P}/2026-01-11-open.md`]: '---\ntitle: never closed\n\nbody\n' });
    const r = await read(root);
    expect(r.headers).toEqual([]);
    expect(r.problems[0]).toMatchObject({ severity: 'error', message: expect.stringContaining('closing') });
  });

  it('reads a front matter longer than the first chunk', async () => {
    const long = `description: "${'長'.repeat(20_000)}"`;
    const root = testdir({ [`${P}/2026-01-11-long.md`]: post(`title: Long\n${long}`) });
    const r = await read(root);
    expect(r.problems).toEqual([]);
    expect(r.headers[0]?.title).toBe('Long');
    expect(Array.from(r.headers[0]?.summary ?? '')).toHaveLength(300);
  });
});

describe('readPosts: folder', () => {
  it('reports a missing content folder instead of throwing', async () => {
    const root = testdir({});
    const r = await read(root);
    expect(r.headers).toEqual([]);
    expect(r.problems).toEqual([expect.objectContaining({ severity: 'error', field: 'content.dir' })]);
  });

  it('lists only content.include minus content.exclude', async () => {
    const root = testdir({
      [`${P}/2026-01-01-a.md`]: post('title: A'),
      [`${P}/2026-01-02-b.markdown`]: post('title: B'),
      [`${P}/2026-01-03-c.txt`]: post('title: C'),
      [`${P}/skip/2026-01-04-d.md`]: post('title: D'),
    });
    const r = await read(root, { config: makeConfig({ content: { exclude: ['_posts/skip/**'] } }) });
    expect(r.headers.map((h) => h.title)).toEqual(['B', 'A']);
    expect(r.stats.files).toBe(2);
  });
});

describe('readPosts: dates', () => {
  it('takes the date from the file name when the front matter has none (midnight, site zone)', async () => {
    const root = testdir({ [`${P}/2026-01-11-nodate.md`]: post('title: No date') });
    const r = await read(root);
    expect(r.headers[0]?.date.toISOString()).toBe('2026-01-10T15:00:00.000Z');
    expect(r.headers[0]?.slug).toBe('nodate');
  });

  it('reads an unquoted date-only and offset-less time in the site time zone (not UTC as js-yaml does)', async () => {
    const root = testdir({
      [`${P}/a.md`]: post('title: A\ndate: 2026-01-11'),
      [`${P}/b.md`]: post('title: B\ndate: 2026-01-11T09:30:00'),
      [`${P}/c.md`]: post('title: C\ndate: 2026-07-01 12:00:00'),
      [`${P}/d.md`]: post('title: D\ndate: 2026-01-11 04:57:32 +09:00'),
    });
    const tokyo = await read(root);
    const byTitle = (r: typeof tokyo, t: string): string | undefined => r.headers.find((h) => h.title === t)?.date.toISOString();
    expect(byTitle(tokyo, 'A')).toBe('2026-01-10T15:00:00.000Z');
    expect(byTitle(tokyo, 'B')).toBe('2026-01-11T00:30:00.000Z');
    expect(byTitle(tokyo, 'D')).toBe('2026-01-10T19:57:32.000Z');
    const berlin = await read(root, { config: makeConfig({ site: { timezone: 'Europe/Berlin' } }), now: new Date('2027-01-01T00:00:00Z') });
    expect(byTitle(berlin, 'A')).toBe('2026-01-10T23:00:00.000Z');
    expect(byTitle(berlin, 'C')).toBe('2026-07-01T10:00:00.000Z');
  });

  it('reports an impossible date naming the file and the field, never Invalid Date', async () => {
    const root = testdir({
      [`${P}/x.md`]: post('title: X\ndate: 2026-02-30'),
      [`${P}/2026-02-30-y.md`]: post('title: Y'),
      [`${P}/z.md`]: post('title: Z'),
    });
    const r = await read(root);
    expect(r.headers).toEqual([]);
    expect(r.stats.skipped).toBe(3);
    const x = r.problems.find((p) => p.file.endsWith('/x.md'));
    expect(x).toMatchObject({ field: 'date', line: 3, severity: 'error' });
    expect(x?.message).toContain('2026-02-30');
    expect(r.problems.find((p) => p.file.endsWith('2026-02-30-y.md'))).toMatchObject({ field: 'date', severity: 'error' });
    expect(r.problems.find((p) => p.file.endsWith('/z.md'))).toMatchObject({ field: 'date', message: expect.stringContaining('no date') });
    for (const p of r.problems) expect(p.message).not.toMatch(/Invalid Date|NaN/);
  });

  it('takes updated from last_modified_at or updated, else the date', async () => {
    const root = testdir({
      [`${P}/2026-01-01-a.md`]: post('title: A\nlast_modified_at: 2026-02-01 10:00:00 +0000'),
      [`${P}/2026-01-02-b.md`]: post('title: B\nupdated: 2026-02-02'),
      [`${P}/2026-01-03-c.md`]: post('title: C'),
    });
    const r = await read(root);
    const get = (t: string): string | undefined => r.headers.find((h) => h.title === t)?.updated.toISOString();
    expect(get('A')).toBe('2026-02-01T10:00:00.000Z');
    expect(get('B')).toBe('2026-02-01T15:00:00.000Z');
    expect(get('C')).toBe('2026-01-02T15:00:00.000Z');
  });
});

describe('readPosts: publishing', () => {
  it('leaves out drafts and future posts, and counts them', async () => {
    const root = testdir({
      [`${P}/2026-01-01-draft1.md`]: post('title: D1\npublished: false'),
      [`${P}/2026-01-02-draft2.md`]: post('title: D2\ndraft: true'),
      [`${P}/2026-01-03-live.md`]: post('title: Live'),
      [`${P}/2026-05-31-edge.md`]: post('title: Edge\ndate: 2026-06-01 00:00:00 +0000'),
      [`${P}/2026-06-02-future.md`]: post('title: Future'),
    });
    const r = await read(root);
    expect(r.headers.map((h) => h.title)).toEqual(['Edge', 'Live']);
    expect(r.stats).toMatchObject({ files: 5, published: 2, drafts: 2, future: 1, skipped: 0 });
    const later = await read(root, { now: new Date('2027-01-01T00:00:00Z') });
    expect(later.headers.map((h) => h.title)).toEqual(['Future', 'Edge', 'Live']);
  });

  it('sorts newest first, then by sourcePath', async () => {
    const root = testdir({
      [`${P}/b.md`]: post('title: B\ndate: 2026-01-05 00:00:00 +0000'),
      [`${P}/a.md`]: post('title: A\ndate: 2026-01-05 00:00:00 +0000'),
      [`${P}/c.md`]: post('title: C\ndate: 2026-01-06 00:00:00 +0000'),
    });
    const r = await read(root);
    expect(r.headers.map((h) => h.title)).toEqual(['C', 'A', 'B']);
  });

  it('reports two posts with one permalink, keeping the last by path (for dated names, the newer)', async () => {
    const root = testdir({
      [`${P}/2026-01-01-same.md`]: post('title: First'),
      [`${P}/sub/2026-01-01-same.md`]: post('title: Second'),
      [`${P}/2026-01-02-other.md`]: post('title: Third\npermalink: /2026/01/01/same.html', 'x'),
    });
    const config = makeConfig({ permalink: '/:year/:month/:day/:title.html' });
    const r = await read(root, { config });
    expect(r.headers.map((h) => h.title)).toEqual(['Second']);
    expect(new Set(r.headers.map((h) => h.id)).size).toBe(r.headers.length);
    const dups = r.problems.filter((p) => p.field === 'permalink');
    expect(dups).toHaveLength(2);
    for (const d of dups) {
      expect(d.severity).toBe('error');
      expect(d.message).toContain(`as ${P}/sub/2026-01-01-same.md `);
    }
    // In file order, like every problem.
    expect(dups.map((d) => d.file)).toEqual([`${P}/2026-01-01-same.md`, `${P}/2026-01-02-other.md`]);
    expect(r.stats.skipped).toBe(2);
  });
});

describe('readPosts: permalinks that hash alike', () => {
  it('publishes both: ids are compared, not their hashes', async () => {
    const [a, b] = collidingIds();
    const root = testdir({
      [`${P}/2026-01-01-a.md`]: post(`title: A\npermalink: ${new URL(a).pathname}`),
      [`${P}/2026-01-02-b.md`]: post(`title: B\npermalink: ${new URL(b).pathname}`),
      [`${P}/2026-01-03-c.md`]: post(`title: C\npermalink: ${new URL(a).pathname}`),
    });
    const r = await read(root);
    expect(r.headers.map((h) => [h.title, h.id])).toEqual([
      ['C', a],
      ['B', b],
    ]);
    expect(r.problems.map((p) => [p.file, p.field])).toEqual([[`${P}/2026-01-01-a.md`, 'permalink']]);
    expect(r.problems[0]?.message).toContain(`as ${P}/2026-01-03-c.md (${a})`);
  });
});

describe('scanPosts: a post edited during the scan', () => {
  it('still reports a duplicate of what the holder was when it was read', async () => {
    const root = testdir({
      [`${P}/2026-01-01-a.md`]: post('title: A\npermalink: /same/'),
      [`${P}/2026-01-02-b.md`]: post('title: B\npermalink: /same/'),
    });
    const ids: string[] = [];
    const r = await scanPosts({ config: makeConfig(), contentDir: path.join(root, 'content'), now: NOW }, (header) => {
      ids.push(header.id);
      // b is read first and holds /same/; it is edited before a is read.
      writeFileSync(path.join(root, P, '2026-01-02-b.md'), post('title: B\npermalink: /elsewhere/'));
    });
    expect(ids).toEqual(['https://blog.example.com/same/']);
    expect(r.problems.map((p) => [p.file, p.field])).toEqual([[`${P}/2026-01-01-a.md`, 'permalink']]);
  });
});

describe('readPosts: taxonomy and authors', () => {
  it('reads categories and tags as lists or space-separated strings', async () => {
    const root = testdir({
      [`${P}/2026-01-01-a.md`]: post('title: A\ncategories: Tech Web\ntags: [one, "two words"]'),
      [`${P}/2026-01-02-b.md`]: post('title: B\ncategory: Big Data\ntag: solo'),
      [`${P}/2026-01-03-c.md`]: post('title: C\ncategories:\n  - 投資分析\ntags: a a b'),
      [`content/blog/_posts/2026-01-04-d.md`]: post('title: D\ncategories: x'),
      [`${P}/2026-01-05-e.md`]: post('title: E\ncategories: [x, y, x]\ntags: [b, a, c, a, b, d]\nauthors: [Ann, Bo, Ann]'),
      [`${P}/2026-01-06-f.md`]: post(`title: F\ntags: [${Array.from({ length: 20 }, (_, i) => `t${i % 17}`).join(', ')}]`),
    });
    const r = await read(root, { config: makeConfig({ content: { include: ['**/_posts/**/*.md'] } }) });
    const get = (t: string) => r.headers.find((h) => h.title === t);
    expect(get('A')).toMatchObject({ categories: ['Tech', 'Web'], tags: ['one', 'two words'] });
    expect(get('B')).toMatchObject({ categories: ['Big Data'], tags: ['solo'] });
    expect(get('C')).toMatchObject({ categories: ['投資分析'], tags: ['a', 'b'] });
    // Jekyll: folders above _posts are categories.
    expect(get('D')?.categories).toEqual(['blog', 'x']);
    // Repeats are dropped, first places kept: short lists and long ones.
    expect(get('E')).toMatchObject({ categories: ['x', 'y'], tags: ['b', 'a', 'c', 'd'], authors: ['Ann', 'Bo'] });
    expect(get('F')?.tags).toEqual(Array.from({ length: 17 }, (_, i) => `t${i}`));
  });

  it('reads author as string or list, authors too, and falls back to the site author', async () => {
    const root = testdir({
      [`${P}/2026-01-01-a.md`]: post('title: A\nauthor: Alice'),
      [`${P}/2026-01-02-b.md`]: post('title: B\nauthor: [Alice, Bob]'),
      [`${P}/2026-01-03-c.md`]: post('title: C\nauthors:\n  - Carol\n  - name: Dan'),
      [`${P}/2026-01-04-d.md`]: post('title: D'),
    });
    const r = await read(root);
    const get = (t: string) => r.headers.find((h) => h.title === t)?.authors;
    expect(get('A')).toEqual(['Alice']);
    expect(get('B')).toEqual(['Alice', 'Bob']);
    expect(get('C')).toEqual(['Carol', 'Dan']);
    expect(get('D')).toEqual(['Site Author']);
  });
});

describe('readPosts: title and summary', () => {
  it('renders markdown in title and excerpt to plain text', async () => {
    const root = testdir({ [`${P}/2026-01-01-a.md`]: post('title: "**Bold** and [link](/x) &amp; more"\nexcerpt: "An *excerpt* with `code`"') });
    const r = await read(root);
    expect(r.headers[0]).toMatchObject({ title: 'Bold and link & more', summary: 'An excerpt with code' });
  });

  it('drops a trailing U+FFFD from title and excerpt with a warning naming file and field', async () => {
    const root = testdir({ [`${P}/2026-01-01-a.md`]: post('title: "Cut off\uFFFD"\nexcerpt: "Also cut\uFFFD"') });
    const r = await read(root);
    expect(r.headers[0]).toMatchObject({ title: 'Cut off', summary: 'Also cut' });
    expect(r.problems).toEqual([
      expect.objectContaining({ file: `${P}/2026-01-01-a.md`, field: 'title', line: 2, severity: 'warning' }),
      expect.objectContaining({ file: `${P}/2026-01-01-a.md`, field: 'excerpt', line: 3, severity: 'warning' }),
    ]);
  });

  it('falls back to the first heading, else the slug, for an empty title, with a warning', async () => {
    const root = testdir({
      [`${P}/2026-01-01-with-heading.md`]: post('date: 2026-01-01', 'Intro.\n\n## The **heading**\n\nText.\n'),
      [`${P}/2026-01-02-no-heading.md`]: post('title: ""', 'Just text.\n'),
      [`${P}/2026-01-03-fffd-only.md`]: post('title: "\uFFFD"', 'Just text.\n'),
    });
    const r = await read(root);
    expect(r.headers.map((h) => h.title).sort()).toEqual(['The heading', 'fffd-only', 'no-heading']);
    const titleWarnings = r.problems.filter((p) => p.field === 'title' && p.severity === 'warning');
    expect(titleWarnings.map((p) => p.file).sort()).toEqual([`${P}/2026-01-01-with-heading.md`, `${P}/2026-01-02-no-heading.md`, `${P}/2026-01-03-fffd-only.md`, `${P}/2026-01-03-fffd-only.md`]);
  });

  it('takes the summary from excerpt, else description, else the first paragraph (cut at the end marker)', async () => {
    const root = testdir({
      [`${P}/2026-01-01-a.md`]: post('title: A\nexcerpt: From excerpt\ndescription: not this'),
      [`${P}/2026-01-02-b.md`]: post('title: B\ndescription: From description'),
      [`${P}/2026-01-03-c.md`]: post('title: C', '# Heading\n\n<!-- comment -->\n\nFirst **para**\ngraph with <b>tags</b>.\n\nSecond.\n'),
      [`${P}/2026-01-04-d.md`]: post('title: D', '---END---\nAfter the marker.\n'),
    });
    const r = await read(root);
    const get = (t: string) => r.headers.find((h) => h.title === t)?.summary;
    expect(get('A')).toBe('From excerpt');
    expect(get('B')).toBe('From description');
    expect(get('C')).toBe('First para graph with tags.');
    expect(get('D')).toBe('');
  });

  it('caps a long summary at 300 characters with an ellipsis', async () => {
    const root = testdir({ [`${P}/2026-01-01-a.md`]: post('title: A', `${'あ'.repeat(2000)}\n\nnext\n`) });
    const r = await read(root);
    const summary = r.headers[0]?.summary ?? '';
    expect(Array.from(summary)).toHaveLength(300);
    expect(summary.endsWith('…')).toBe(true);
  });

  it('reads a first paragraph that runs past the first chunk', async () => {
    const body = `${'x'.repeat(7_000)}\n${'y'.repeat(10)}\n\nnext\n`;
    const root = testdir({ [`${P}/2026-01-01-a.md`]: post('title: A', body) });
    const r = await read(root);
    expect(r.headers[0]?.summary.startsWith('xxx')).toBe(true);
    expect(r.problems).toEqual([]);
  });

  it('keeps control characters, ]]> and <script> out of / as plain text', async () => {
    const root = testdir({
      [`${P}/2026-01-01-a.md`]: post('title: "A\\u0001 <script>alert(1)</script> ]]> & \\u000B\\"q\\""\nexcerpt: "x\\u0002y ]]>"'),
    });
    const r = await read(root);
    const h = r.headers[0];
    // Tags go the way jekyll-feed's strip_html takes them (issue 14); the rest stays text.
    expect(h?.title).toBe('A ]]> & "q"');
    expect(h?.summary).toBe('xy ]]>');
    // eslint-disable-next-line no-control-regex
    expect(`${h?.title}${h?.summary}`).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/);
  });
});

describe('readPosts: permalinks and reading time', () => {
  it('builds the URL from the pattern, percent-encoded once, and id = url', async () => {
    const root = testdir({ [`${P}/2026-01-11-日本語.md`]: post('title: J\ndate: 2026-01-11 04:57:32 +0000\ncategories: [投資分析]') });
    const r = await read(root);
    const h = r.headers[0];
    expect(h?.url).toBe('https://blog.example.com/%E6%8A%95%E8%B3%87%E5%88%86%E6%9E%90/2026/01/11/%E6%97%A5%E6%9C%AC%E8%AA%9E.html');
    expect(h?.id).toBe(h?.url);
  });

  it('uses front matter permalink (placeholders too) and slug, and never double-encodes', async () => {
    const root = testdir({
      [`${P}/2026-01-11-a.md`]: post('title: A\npermalink: /about/%E6%97%A5本/'),
      [`${P}/2026-01-12-b.md`]: post('title: B\nslug: custom slug'),
    });
    const r = await read(root, { config: makeConfig({ permalink: '/:year/:title/' }) });
    const get = (t: string) => r.headers.find((h) => h.title === t);
    expect(get('A')?.url).toBe('https://blog.example.com/about/%E6%97%A5%E6%9C%AC/');
    expect(get('B')).toMatchObject({ url: 'https://blog.example.com/2026/custom-slug/', slug: 'custom-slug' });
  });

  it('keeps reading_time from the front matter, else leaves it to rendering', async () => {
    const root = testdir({
      [`${P}/2026-01-11-a.md`]: post('title: A\nreading_time: 8'),
      [`${P}/2026-01-12-b.md`]: post('title: B'),
    });
    const r = await read(root);
    expect(r.headers.find((h) => h.title === 'A')?.readingTime).toBe(8);
    expect(r.headers.find((h) => h.title === 'B')?.readingTime).toBeUndefined();
  });
});

describe('readHeader: as much of the file as it takes', () => {
  const files: Record<string, string | Buffer> = {
    'excerpt.md': post('title: "**題名**"\ndate: 2026-01-11 04:57:32 +0000\nexcerpt: "**要約**について"\ntags: [a, b]', '本文。\n\n---END---\n'),
    'no-excerpt.md': post('title: "**題名**"\ndate: 2026-01-11', '最初の段落は\n二行です。\n\n二つ目。\n'),
    'no-title.md': post('date: 2026-01-11', '# 見出し **太字**\n\n段落。\n'),
    'long-paragraph.md': post('title: t\ndate: 2026-01-11', `${'長い段落。'.repeat(1500)}\n\n次。\n`),
    // First paragraphs ending past the first decode, past the first read, and a file of 5 KB.
    'paragraph-3k.md': post('title: t\ndate: 2026-01-11', `${'段落。'.repeat(330)}\n\n次。\n`),
    'paragraph-10k.md': post('title: t\ndate: 2026-01-11', `${'段落。'.repeat(1100)}\n\n次。\n`),
    'file-5k.md': post('title: t\ndate: 2026-01-11', `${'段落。'.repeat(550)}`),
    'long-matter.md': post(`title: t\ndate: 2026-01-11\nexcerpt: "${'あ'.repeat(1200)}"`, 'body\n'),
    'dots.md': '---\ntitle: t\ndate: 2026-01-11\n...\n\nFirst.\n\n---\n\nSecond.\n',
    'dashes-in-matter.md': '---\ntitle: t\n----x: 1\ndate: 2026-01-11\n---\n\nFirst.\n',
    'toml.md': '+++\ntitle = "t"\ndate = 2026-01-11\n+++\n\nFirst.\n',
    'bom-crlf.md': `\uFEFF${post('title: t\ndate: 2026-01-11', 'First\nline.\n\nSecond.\n').replace(/\n/g, '\r\n')}`,
    'no-matter.md': '# Heading\n\nFirst paragraph.\n',
    'matter-only.md': '---\ntitle: t\ndate: 2026-01-11\n---\n',
    'cut-after-matter.md': '---\ntitle: t\ndate: 2026-01-11\n---',
    'bad-yaml.md': post('title: [t\ndate: 2026-01-11'),
  };

  it('gives the header that the whole file gives', () => {
    const root = testdir(Object.fromEntries(Object.entries(files).map(([name, text]) => [`content/_posts/2026-01-11-${name}`, text])));
    const config = makeConfig();
    for (const name of Object.keys(files)) {
      const absolute = path.join(root, 'content/_posts', `2026-01-11-${name}`);
      const sourcePath = `_posts/2026-01-11-${name}`;
      const entry = readHeader(absolute, sourcePath, config);
      const whole = headerFromText(decodeUtf8(readFileSync(absolute), false), true, sourcePath, config);
      if (whole === 'more') throw new Error('unreachable');
      const { size, mtimeMs, ...core } = entry.header ?? { size: 0, mtimeMs: 0 };
      expect(size, name).toBe(entry.header === undefined ? 0 : entry.size);
      expect(mtimeMs, name).toBe(entry.header === undefined ? 0 : entry.mtimeMs);
      expect(entry.header === undefined ? undefined : core, name).toEqual(whole.header);
      expect(entry.problems, name).toEqual(whole.problems);
      expect(entry.draft, name).toBe(whole.draft);
    }
  });

  it('checks the first 2 KB for UTF-8 even when the front matter alone gives the header', () => {
    const matter = '---\ntitle: t\ndate: 2026-01-11\nexcerpt: e\n---\n\n';
    const root = testdir({
      'early.md': Buffer.concat([Buffer.from(`${matter}body\n`), Buffer.from([0xff]), Buffer.from('\nmore\n')]),
      // Past the first 2 KB, the body is the renderer's to check, as it always was.
      'late.md': Buffer.concat([Buffer.from(`${matter}${'x'.repeat(3000)}\n`), Buffer.from([0xff]), Buffer.from('\n')]),
    });
    const config = makeConfig();
    expect(readHeader(path.join(root, 'early.md'), 'early.md', config).problems).toEqual([{ line: 8, message: 'is not valid UTF-8', hint: 'save the file as UTF-8', severity: 'error' }]);
    const late = readHeader(path.join(root, 'late.md'), 'late.md', config);
    expect(late.problems).toEqual([]);
    expect(late.header?.summary).toBe('e');
  });
});
