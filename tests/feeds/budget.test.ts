import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAtomFeed, parseJsonFeed, parseRssFeed } from 'feedsmith';
import { describe, expect, test } from 'vitest';
import { build } from '../../src/commands/build.js';
import { loadConfig } from '../../src/config/load.js';
import { renderAtom } from '../../src/feeds/atom.js';
import { renderJsonFeed } from '../../src/feeds/json.js';
import { renderRss } from '../../src/feeds/rss.js';
import { renderBounded } from '../../src/feeds/set-writer.js';
import { seededRandom } from '../helpers/random.js';
import { testdir } from '../helpers/tmp.js';
import { atomSchemaErrors, jsonFeedSchemaErrors, makeConfig, makeDoc, makePost, siteSet, wellFormednessErrors } from './helpers.js';

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

describe('renderBounded', () => {
  const posts = [
    makePost({ slug: 'new', day: 5, contentHtml: `<p>${'n'.repeat(3_000)}</p>` }),
    makePost({ slug: 'mid', day: 4, contentHtml: `<p>${'m'.repeat(3_000)}</p>` }),
    makePost({ slug: 'old', day: 3, contentHtml: `<p>${'o'.repeat(3_000)}</p>` }),
  ];

  test.each([
    ['rss', renderRss],
    ['atom', renderAtom],
    ['json', renderJsonFeed],
  ] as const)('%s: the newest keep full content while it fits, the rest become summaries', (_, render) => {
    const config = makeConfig();
    const doc = makeDoc(config, siteSet(config, posts), posts);
    const whole = render(doc);
    // Room for everything: nothing changes.
    expect(renderBounded(doc, render, bytes(whole))).toEqual({ content: whole, degraded: [], dropped: [] });
    // One body too many.
    const bounded = renderBounded(doc, render, bytes(whole) - 1);
    expect(bounded.degraded.map((p) => p.id)).toEqual([posts[2]!.id]);
    expect(bounded.dropped).toEqual([]);
    expect(bytes(bounded.content)).toBeLessThan(bytes(whole));
    expect(bounded.content).toContain('n'.repeat(3_000));
    expect(bounded.content).toContain('m'.repeat(3_000));
    expect(bounded.content).not.toContain('o'.repeat(3_000));
    expect(bounded.content).toContain('Summary of old');
    // Room only for summaries.
    const summaryOnly = render(makeDoc(config, doc.set, posts.map((p) => ({ ...p, contentHtml: undefined }))));
    const tight = renderBounded(doc, render, bytes(summaryOnly));
    expect(tight.content).toBe(summaryOnly);
    expect(tight.degraded.map((p) => p.id)).toEqual(posts.map((p) => p.id));
    expect(tight.content).not.toMatch(/[nmo]{3000}/);
    // Not even for three summaries: the oldest are left out, never the newest.
    const summaries = renderBounded(doc, render, 1).content;
    expect(summaries).toContain('Summary of new');
    const few = renderBounded(doc, render, bytes(tight.content) - 10);
    expect(few.dropped.map((p) => p.id)).toEqual([posts[2]!.id]);
    expect(bytes(few.content)).toBeLessThanOrEqual(bytes(tight.content) - 10);
  });
});

describe('renderBounded keeps the most bodies that fit (against a plain scan, seeded)', () => {
  test.each([
    ['rss', renderRss],
    ['atom', renderAtom],
    ['json', renderJsonFeed],
  ] as const)('%s', (_, render) => {
    const random = seededRandom(7);
    const config = makeConfig();
    for (let round = 0; round < 25; round++) {
      const posts = Array.from({ length: 1 + Math.floor(random() * 12) }, (_, i) =>
        makePost({ slug: `p${i}`, day: 28 - i, contentHtml: `<p>${'<b>&amp;</b>'.repeat(Math.floor(random() * 400))}</p>` }),
      );
      const doc = makeDoc(config, siteSet(config, posts), posts);
      const whole = bytes(render(doc));
      const budget = Math.floor(whole * random());
      const renderWith = (n: number): string => render(makeDoc(config, doc.set, posts.map((p, i) => (i < n ? p : { ...p, contentHtml: undefined }))));
      let expected = -1;
      for (let n = posts.length; n >= 0; n--) {
        if (bytes(renderWith(n)) <= budget) {
          expected = n;
          break;
        }
      }
      const got = renderBounded(doc, render, budget);
      if (expected >= 0) {
        expect(got.dropped).toEqual([]);
        expect(got.degraded.map((p) => p.id)).toEqual(posts.slice(expected).map((p) => p.id));
        expect(got.content).toBe(renderWith(expected));
      } else {
        // Not even the summaries fit: the oldest go, never the newest.
        const kept = posts.length - got.dropped.length;
        expect(kept).toBeGreaterThanOrEqual(1);
        expect(got.dropped.map((p) => p.id)).toEqual(posts.slice(kept).map((p) => p.id));
        if (kept > 1) expect(bytes(got.content)).toBeLessThanOrEqual(budget);
      }
    }
  });
});

describe('feeds.maxBytes in a build', () => {
  const post = (title: string, body: string): string => `---\ntitle: ${title}\nexcerpt: About ${title}\ntags: [big]\n---\n\n${body}\n`;

  function blog(config = ''): string {
    return testdir({
      'config/feedletter.yaml': `site:\n  url: https://blog.example.com/\nfeeds:\n  taxonomyContent: full\n${config}`,
      'content/_posts/2026-01-01-huge.md': post('Huge', `${'Lorem ipsum dolor sit amet. '.repeat(200_000)}`), // 5.6 MB
      'content/_posts/2026-01-02-small.md': post('Small', 'Small body.'),
      'content/_posts/2026-01-03-newest.md': post('Newest', 'Newest body.'),
    });
  }

  test('one 5 MB post: no file over 1 MiB, the post named in a warning, feeds still valid', async () => {
    const dir = blog();
    const { resolved } = loadConfig({ cwd: dir, env: {} });
    const result = await build({ resolved, now: new Date('2026-03-01T00:00:00Z') });
    for (const file of [...result.feeds.written]) expect(statSync(path.join(dir, 'public', file)).size, file).toBeLessThanOrEqual(1_048_576);
    const warnings = result.problems.filter((p) => p.field === 'feeds.maxBytes');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ file: 'content/_posts/2026-01-01-huge.md', severity: 'warning' });
    for (const file of ['feed.xml', 'atom.xml', 'feed.json', 'tags/big/feed.xml']) expect(warnings[0]!.message).toContain(file);
    expect(result.skipped).toBe(0);

    const read = (name: string): string => readFileSync(path.join(dir, 'public', name), 'utf8');
    const rss = parseRssFeed(read('feed.xml'));
    expect(rss.items?.map((i) => i.title)).toEqual(['Newest', 'Small', 'Huge']);
    expect(rss.items?.[0]?.content?.encoded).toBe('<p>Newest body.</p>');
    expect(rss.items?.[2]?.content?.encoded).toBeUndefined();
    expect(rss.items?.[2]?.description).toBe('About Huge');
    expect(rss.items?.[2]?.link).toBe('https://blog.example.com/2026/01/01/huge.html');
    const atom = parseAtomFeed(read('atom.xml'));
    expect(atom.entries?.[2]?.content).toBeUndefined();
    expect(atom.entries?.[2]?.summary?.value).toBe('About Huge');
    const json = parseJsonFeed(JSON.parse(read('feed.json')));
    expect(json.items?.[2]?.content_html).toBeUndefined();
    expect(json.items?.[2]?.content_text).toBe('About Huge');
    expect(await wellFormednessErrors([read('feed.xml'), read('atom.xml')])).toEqual([]);
    expect(await atomSchemaErrors(read('atom.xml'))).toEqual([]);
    expect(jsonFeedSchemaErrors(read('feed.json'))).toEqual([]);
  });

  test('a larger budget carries the whole post; the option is refused below 10 kB', async () => {
    const dir = blog('  maxBytes: 8000000\n');
    const { resolved } = loadConfig({ cwd: dir, env: {} });
    const result = await build({ resolved, now: new Date('2026-03-01T00:00:00Z') });
    expect(result.problems.filter((p) => p.field === 'feeds.maxBytes')).toEqual([]);
    expect(statSync(path.join(dir, 'public/feed.xml')).size).toBeGreaterThan(5_000_000);
    let problems: unknown;
    try {
      loadConfig({ cwd: testdir({ 'config/feedletter.yaml': 'feeds:\n  maxBytes: 100\n' }), env: {} });
    } catch (error) {
      problems = (error as { problems?: unknown }).problems;
    }
    expect(problems).toEqual([expect.objectContaining({ field: 'feeds.maxBytes' })]);
  });
});
