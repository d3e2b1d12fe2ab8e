import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAtomFeed, parseJsonFeed, parseRssFeed } from 'feedsmith';
import { describe, expect, test } from 'vitest';
import { build } from '../../src/commands/build.js';
import { loadConfig } from '../../src/config/load.js';
import { monthOf } from '../../src/feeds/plan.js';
import { testdir } from '../helpers/tmp.js';
import { atomSchemaErrors, jsonFeedSchemaErrors, wellFormednessErrors } from './helpers.js';

const SITE = 'https://blog.example.com/';

/** Posts over four months (Tokyo time), some on a month's edge, several per month. */
const DATES = ['2025-11-03 10:00:00 +0900', '2025-11-30 23:30:00 +0900', '2025-12-01 00:10:00 +0900', '2025-12-15 12:00:00 +0900', '2025-12-31 23:59:00 +0900', '2026-01-01 00:00:00 +0900', '2026-01-20 08:00:00 +0900', '2026-02-02 09:00:00 +0900'];

function blog(extra = ''): string {
  const files: Record<string, string> = {
    'config/feedletter.yaml': `site:\n  url: ${SITE}\n  timezone: Asia/Tokyo\nfeeds:\n  limit: 3\n  archive: true\n${extra}`,
  };
  DATES.forEach((date, i) => {
    files[`content/_posts/${date.slice(0, 10)}-p${i}.md`] = `---\ntitle: Post ${i}\ndate: ${date}\n---\n\nBody ${i}.\n`;
  });
  return testdir(files);
}

async function buildIn(dir: string) {
  const { resolved } = loadConfig({ cwd: dir, env: {} });
  return build({ resolved, now: new Date('2026-03-01T00:00:00Z') });
}

/** The published posts' URLs, as the permalink pattern makes them. */
const published = (): string[] => DATES.map((date, i) => `${SITE}${date.slice(0, 4)}/${date.slice(5, 7)}/${date.slice(8, 10)}/p${i}.html`).sort();

const fileOf = (dir: string, url: string): string => path.join(dir, 'public', ...new URL(url).pathname.split('/').filter(Boolean));

interface Walked {
  /** Every document's item ids, subscription document first, then each archive going back. */
  documents: string[][];
  archives: string[];
}

/** Follows prev-archive from the subscription document, checking each archive's own links. */
function walkXml(dir: string, format: 'rss' | 'atom'): Walked {
  const name = format === 'rss' ? 'feed.xml' : 'atom.xml';
  const current = `${SITE}${name}`;
  const read = (url: string) => {
    const xml = readFileSync(fileOf(dir, url), 'utf8');
    if (format === 'rss') {
      const feed = parseRssFeed(xml);
      return { xml, links: feed.atom?.links ?? [], ids: (feed.items ?? []).map((i) => i.guid?.value ?? '') };
    }
    const feed = parseAtomFeed(xml);
    return { xml, links: feed.links ?? [], ids: (feed.entries ?? []).map((e) => e.id ?? ''), id: feed.id };
  };
  const rel = (links: Array<{ rel?: string; href?: string }>, name_: string): string | undefined => links.find((l) => l.rel === name_)?.href;
  const first = read(current);
  expect(first.xml).not.toContain('fh:archive');
  expect(rel(first.links, 'next-archive')).toBeUndefined();
  const documents = [first.ids];
  const archives: string[] = [];
  let newer: string | undefined;
  for (let url = rel(first.links, 'prev-archive'); url !== undefined; ) {
    const doc = read(url);
    archives.push(url);
    expect(doc.xml).toMatch(/<fh:archive xmlns:fh="http:\/\/purl\.org\/syndication\/history\/1\.0"\/>/);
    expect(rel(doc.links, 'current')).toBe(current);
    expect(rel(doc.links, 'self')).toBe(url);
    expect(rel(doc.links, 'next-archive')).toBe(newer);
    if (format === 'atom') expect((doc as { id?: string }).id).toBe(SITE);
    documents.push(doc.ids);
    newer = url;
    url = rel(doc.links, 'prev-archive');
    expect(archives.length).toBeLessThan(50);
  }
  return { documents, archives };
}

describe('RFC 5005 archived feeds (feeds.archive)', () => {
  test('walking prev-archive from RSS and from Atom yields every published post, each archived exactly once', async () => {
    const dir = blog();
    await buildIn(dir);
    for (const format of ['rss', 'atom'] as const) {
      const { documents, archives } = walkXml(dir, format);
      const ext = format === 'rss' ? 'feed.xml' : 'atom.xml';
      expect(archives).toEqual(['2026-02', '2026-01', '2025-12', '2025-11'].map((m) => `${SITE}archive/${m}/${ext}`));
      // The subscription document carries the newest `limit` posts; the archives every post once.
      expect(documents[0]).toHaveLength(3);
      const archived = documents.slice(1).flat();
      expect([...archived].sort()).toEqual(published());
      expect(new Set([...documents.flat()]).size).toBe(published().length);
      // Months in the site's time zone: 2025-12-01 00:10 +09:00 is December, though November in UTC.
      expect(documents[3]).toEqual([`${SITE}2025/12/31/p4.html`, `${SITE}2025/12/15/p3.html`, `${SITE}2025/12/01/p2.html`]);
    }
    for (const file of ['feed.xml', 'atom.xml', 'archive/2025-12/feed.xml', 'archive/2025-12/atom.xml']) {
      expect(await wellFormednessErrors(readFileSync(path.join(dir, 'public', file), 'utf8')), file).toEqual([]);
    }
    expect(await atomSchemaErrors(readFileSync(path.join(dir, 'public/archive/2025-12/atom.xml'), 'utf8'))).toEqual([]);
    expect(await atomSchemaErrors(readFileSync(path.join(dir, 'public/atom.xml'), 'utf8'))).toEqual([]);
  });

  test('months follow the site time zone', () => {
    expect(monthOf(new Date('2025-11-30T15:10:00Z'), 'Asia/Tokyo')).toBe('2025-12');
    expect(monthOf(new Date('2025-11-30T15:10:00Z'), 'UTC')).toBe('2025-11');
    expect(monthOf(new Date('2026-01-01T04:00:00Z'), 'America/Los_Angeles')).toBe('2025-12');
  });

  test('JSON Feed: next_url pages from the site feed through every month', async () => {
    const dir = blog();
    await buildIn(dir);
    const seen: string[] = [];
    const pages: string[] = [];
    let url: string | undefined = `${SITE}feed.json`;
    const first = parseJsonFeed(JSON.parse(readFileSync(fileOf(dir, url), 'utf8')));
    url = first.next_url;
    while (url !== undefined) {
      const text = readFileSync(fileOf(dir, url), 'utf8');
      expect(jsonFeedSchemaErrors(text)).toEqual([]);
      const page = parseJsonFeed(JSON.parse(text));
      expect(page.feed_url).toBe(`${SITE}feed.json`);
      pages.push(url);
      seen.push(...(page.items ?? []).map((i) => i.id ?? ''));
      url = page.next_url;
      expect(pages.length).toBeLessThan(50);
    }
    expect(pages).toEqual(['2026-02', '2026-01', '2025-12', '2025-11'].map((m) => `${SITE}archive/${m}/feed.json`));
    expect([...seen].sort()).toEqual(published());
  });

  test('closed months are rewritten only when a post in them changes', async () => {
    const dir = blog();
    await buildIn(dir);
    const stamp = (file: string): number => statSync(path.join(dir, 'public', file)).mtimeMs;
    const before = Object.fromEntries(['2025-11', '2025-12', '2026-01', '2026-02'].map((m) => [m, stamp(`archive/${m}/feed.xml`)]));

    // A post of December edited: December's archive and nothing else of the archive.
    const december = path.join(dir, 'content/_posts/2025-12-15-p3.md');
    writeFileSync(december, '---\ntitle: Post 3, edited\ndate: 2025-12-15 12:00:00 +0900\n---\n\nBody 3.\n');
    utimesSync(december, new Date('2026-02-10T00:00:00Z'), new Date('2026-02-10T00:00:00Z'));
    const edited = await buildIn(dir);
    expect(edited.feeds.written.filter((f) => f.startsWith('archive/'))).toEqual(['archive/2025-12/atom.xml', 'archive/2025-12/feed.json', 'archive/2025-12/feed.xml']);
    expect(readFileSync(path.join(dir, 'public/archive/2025-12/feed.xml'), 'utf8')).toContain('Post 3, edited');

    // A post in a new month: its archive appears, and the month before gains a next-archive link.
    writeFileSync(path.join(dir, 'content/_posts/2026-03-01-p8.md'), '---\ntitle: Post 8\ndate: 2026-02-28 12:00:00 +0000\n---\n\nBody 8.\n');
    writeFileSync(path.join(dir, 'content/_posts/2026-03-02-p9.md'), '---\ntitle: March\ndate: 2026-03-01 09:00:00 +0900\n---\n\nMarch.\n');
    const added = await buildIn(dir);
    const archiveWrites = added.feeds.written.filter((f) => f.startsWith('archive/'));
    expect(archiveWrites).toEqual(['archive/2026-02/atom.xml', 'archive/2026-02/feed.json', 'archive/2026-02/feed.xml', 'archive/2026-03/atom.xml', 'archive/2026-03/feed.json', 'archive/2026-03/feed.xml']);
    expect(stamp('archive/2025-11/feed.xml')).toBe(before['2025-11']);
    expect(stamp('archive/2026-01/feed.xml')).toBe(before['2026-01']);

    // A month whose last post is deleted disappears from the chain and from the disk.
    const { rmSync } = await import('node:fs');
    rmSync(path.join(dir, 'content/_posts/2025-11-03-p0.md'));
    rmSync(path.join(dir, 'content/_posts/2025-11-30-p1.md'));
    const removed = await buildIn(dir);
    expect(removed.feeds.removed).toEqual(['archive/2025-11/atom.xml', 'archive/2025-11/feed.json', 'archive/2025-11/feed.xml']);
    expect(existsSync(path.join(dir, 'public/archive/2025-11'))).toBe(false);
    const { archives } = walkXml(dir, 'rss');
    expect(archives.at(-1)).toBe(`${SITE}archive/2025-12/feed.xml`);
  });

  test('a month too big for feeds.maxBytes: its older posts as summaries, one warning for the month, every post still archived', async () => {
    const files: Record<string, string> = { 'config/feedletter.yaml': `site:\n  url: ${SITE}\nfeeds:\n  limit: 1\n  archive: true\n  maxBytes: 20000\n` };
    for (let day = 1; day <= 9; day++) files[`content/_posts/2026-01-0${day}-big${day}.md`] = `---\ntitle: Big ${day}\n---\n\n${'Long text. '.repeat(600)}\n`;
    const dir = testdir(files);
    const result = await buildIn(dir);
    const warnings = result.problems.filter((p) => p.field === 'feeds.maxBytes');
    expect(warnings).toEqual([expect.objectContaining({ file: 'public/archive/2026-01/', severity: 'warning', message: expect.stringMatching(/^\d posts of this month carried as summary \+ link/) })]);
    const { archives, documents } = walkXml(dir, 'rss');
    expect(archives).toEqual([`${SITE}archive/2026-01/feed.xml`]);
    expect(documents[1]).toHaveLength(9);
    expect(statSync(path.join(dir, 'public/archive/2026-01/feed.xml')).size).toBeLessThanOrEqual(20000);
  });

  test('off by default: no archive folder, no history links', async () => {
    const dir = testdir({ 'config/feedletter.yaml': `site:\n  url: ${SITE}\n`, 'content/_posts/2026-01-01-a.md': '---\ntitle: A\n---\n\nA.\n' });
    await buildIn(dir);
    expect(existsSync(path.join(dir, 'public/archive'))).toBe(false);
    expect(readFileSync(path.join(dir, 'public/feed.xml'), 'utf8')).not.toMatch(/archive/);
    expect(readFileSync(path.join(dir, 'public/feed.json'), 'utf8')).not.toMatch(/next_url/);
  });
});
