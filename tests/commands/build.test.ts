import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { build } from '../../src/commands/build.js';
import { loadConfig } from '../../src/config/load.js';
import type { Logger } from '../../src/log.js';
import { testdir } from '../helpers/tmp.js';

const NOW = new Date('2026-03-01T00:00:00Z');

function post(title: string, tags: string[], body = '本文。'): string {
  return `---\ntitle: "${title}"\ntags: [${tags.join(', ')}]\n---\n\n${body}\n`;
}

function blog(config = ''): string {
  return testdir({
    'config/feedletter.yaml': `site:\n  title: Build test\n  url: https://blog.example.com/\n  timezone: Asia/Tokyo\n${config}`,
    'content/_posts/2026-01-01-one.md': post('One', ['a']),
    'content/_posts/2026-01-02-two.md': post('Two', ['b']),
  });
}

async function buildIn(dir: string) {
  const { resolved } = loadConfig({ cwd: dir, env: {} });
  return build({ resolved, now: NOW });
}

const mtime = (dir: string, file: string): number => statSync(path.join(dir, 'public', file)).mtimeMs;

describe('build: incremental', () => {
  it('an unchanged blog renders nothing and touches no file', async () => {
    const dir = blog();
    const first = await buildIn(dir);
    expect(first.feeds.written).toContain('feed.xml');
    expect(first.feeds.written).toContain('tags/a/atom.xml');
    const before = mtime(dir, 'feed.xml');
    expect(first.rendered).toBe(2);
    const second = await buildIn(dir);
    expect(second.rendered).toBe(0);
    expect(second.feeds.written).toEqual([]);
    expect(second.feeds.unchanged).toHaveLength(first.feeds.written.length);
    expect(mtime(dir, 'feed.xml')).toBe(before);
  });

  it('a deleted or edited output file is written again', async () => {
    const dir = blog();
    await buildIn(dir);
    const original = readFileSync(path.join(dir, 'public/atom.xml'), 'utf8');
    rmSync(path.join(dir, 'public/tags/a/feed.json'));
    writeFileSync(path.join(dir, 'public/atom.xml'), 'tampered');
    const again = await buildIn(dir);
    expect(again.feeds.written.sort()).toEqual(['atom.xml', 'tags/a/feed.json']);
    expect(readFileSync(path.join(dir, 'public/atom.xml'), 'utf8')).toBe(original);
  });

  it('an edited post rewrites exactly the feeds that carry it', async () => {
    const dir = blog();
    await buildIn(dir);
    const file = path.join(dir, 'content/_posts/2026-01-02-two.md');
    writeFileSync(file, post('Two, edited', ['b']));
    // make sure the stamp differs even on a coarse-mtime file system
    utimesSync(file, new Date('2026-02-01T00:00:00Z'), new Date('2026-02-01T00:00:00Z'));
    const again = await buildIn(dir);
    expect(again.feeds.written.sort()).toEqual(['atom.xml', 'feed.json', 'feed.xml', 'tags/b/atom.xml', 'tags/b/feed.json', 'tags/b/feed.xml']);
    // the site feed carries full content, so its two posts are rendered; tag feeds are summaries
    expect(again.rendered).toBe(2);
    expect(readFileSync(path.join(dir, 'public/feed.json'), 'utf8')).toContain('Two, edited');
  });

  it('a config change that alters the feeds rewrites them', async () => {
    const dir = blog();
    await buildIn(dir);
    const configFile = path.join(dir, 'config/feedletter.yaml');
    writeFileSync(configFile, readFileSync(configFile, 'utf8').replace('title: Build test', 'title: Renamed blog'));
    const again = await buildIn(dir);
    expect(again.feeds.unchanged).toEqual([]);
    expect(readFileSync(path.join(dir, 'public/feed.xml'), 'utf8')).toContain('Renamed blog');
  });

  it('a damaged manifest only costs a full build', async () => {
    const dir = blog();
    await buildIn(dir);
    writeFileSync(path.join(dir, '.feedletter/cache/feeds.json'), '{not json');
    const again = await buildIn(dir);
    // everything is rendered and compared again, and nothing differs
    expect(again.rendered).toBe(2);
    expect(again.feeds.written).toEqual([]);
    expect(again.feeds.unchanged.length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(path.join(dir, '.feedletter/cache/feeds.json'), 'utf8')).version).toBe(2);
  });
});

/** A build with the logger's record of it: `snapshot` says whether it was answered from the snapshot. */
async function logged(dir: string, now = NOW) {
  const records: Record<string, unknown>[] = [];
  const logger = { info: (record: Record<string, unknown>) => void records.push(record) } as unknown as Logger;
  const { resolved } = loadConfig({ cwd: dir, env: {} });
  const result = await build({ resolved, now, logger });
  const record = records[0] ?? {};
  return { result, record, snapshot: record.snapshot };
}

const manifestFile = (dir: string): string => path.join(dir, '.feedletter/cache/feeds.json');

/** Drops the snapshot from the manifest: the next build takes the full path, as before snapshots existed. */
function forgetSnapshot(dir: string): void {
  const manifest = JSON.parse(readFileSync(manifestFile(dir), 'utf8')) as Record<string, unknown>;
  delete manifest.snapshot;
  writeFileSync(manifestFile(dir), JSON.stringify(manifest));
}

/** The log record without what differs between two equal builds (timings; only a build that did the work has step timings). */
const stable = (record: Record<string, unknown>) => ({ ...record, ms: 0, scanMs: undefined, writeMs: undefined, workerChunks: undefined, snapshot: undefined });

const later = (ms: number): Date => new Date(NOW.getTime() + ms);
const DAY = 86_400_000;

/** A blog with a post of every kind: a warning, an error, a draft, one in the future. */
function mixedBlog(): string {
  return testdir({
    'config/feedletter.yaml': 'site:\n  title: Build test\n  url: https://blog.example.com/\n  timezone: Asia/Tokyo\n',
    'content/_posts/2026-01-01-one.md': post('One', ['a']),
    'content/_posts/2026-01-02-two.md': post('Two\uFFFD', ['b']),
    'content/_posts/2026-01-03-bad.md': '---\ntitle: Bad\ndate: 2026-02-30\n---\nbody\n',
    'content/_posts/2026-01-04-draft.md': '---\ntitle: Draft\npublished: false\n---\nbody\n',
    // due one day after NOW
    'content/_posts/2026-03-02-soon.md': post('Soon', ['a']),
  });
}

/** Sets a post's mtime to a fixed time: the stamp changes even on a coarse-mtime file system. */
function touch(file: string, at = new Date('2026-02-01T00:00:00Z')): void {
  utimesSync(file, at, at);
}

describe('build: the snapshot of an unchanged blog', () => {
  it('answers a second build without reading a post, with exactly what the full build reports', async () => {
    const dir = mixedBlog();
    const first = await logged(dir);
    expect(first.snapshot).toBe(false);
    expect(first.record).toMatchObject({ files: 5, published: 2, drafts: 1, future: 1, skipped: 1 });
    const second = await logged(dir);
    expect(second.snapshot).toBe(true);
    expect(second.result.rendered).toBe(0);
    expect(second.record.cacheHits).toBe(5);
    // the same build without the snapshot: today's warm path
    forgetSnapshot(dir);
    const full = await logged(dir);
    expect(full.snapshot).toBe(false);
    expect(second.result).toEqual(full.result);
    expect(stable(second.record)).toEqual(stable(full.record));
    // the warning and the error are reported on every build, not only the first
    expect(second.result.problems.map((p) => [p.file, p.field, p.severity])).toEqual([
      ['content/_posts/2026-01-02-two.md', 'title', 'warning'],
      ['content/_posts/2026-01-03-bad.md', 'date', 'error'],
    ]);
    expect(second.result.skipped).toBe(1);
    // the full build recorded a snapshot again
    expect((await logged(dir)).snapshot).toBe(true);
  });

  it('sees an edited, added, removed or renamed post', async () => {
    const dir = blog();
    const posts = path.join(dir, 'content/_posts');
    await buildIn(dir);
    expect((await logged(dir)).snapshot).toBe(true);

    // same size, same bytes, only a new mtime
    touch(path.join(posts, '2026-01-01-one.md'));
    expect((await logged(dir)).snapshot).toBe(false);
    expect((await logged(dir)).snapshot).toBe(true);

    // same size and mtime as before the edit: only the bytes differ... which a stamp cannot see;
    // an edit that keeps the size still moves the mtime
    const two = path.join(posts, '2026-01-02-two.md');
    const before = statSync(two);
    writeFileSync(two, post('Owt', ['b']));
    expect(statSync(two).size).toBe(before.size);
    touch(two);
    const edited = await logged(dir);
    expect(edited.snapshot).toBe(false);
    expect(readFileSync(path.join(dir, 'public/feed.json'), 'utf8')).toContain('Owt');

    writeFileSync(path.join(posts, '2026-01-03-three.md'), post('Three', ['c']));
    const added = await logged(dir);
    expect(added.snapshot).toBe(false);
    expect(added.result.published).toBe(3);
    expect(added.result.feeds.written).toContain('tags/c/feed.xml');

    rmSync(path.join(posts, '2026-01-01-one.md'));
    const removed = await logged(dir);
    expect(removed.snapshot).toBe(false);
    expect(removed.result.published).toBe(2);
    expect(removed.result.feeds.removed).toContain('tags/a/feed.xml');

    renameSync(path.join(posts, '2026-01-03-three.md'), path.join(posts, '2026-01-03-drei.md'));
    const renamed = await logged(dir);
    expect(renamed.snapshot).toBe(false);
    expect(renamed.result.published).toBe(2);
    expect(readFileSync(path.join(dir, 'public/feed.json'), 'utf8')).toContain('/drei.html');
  });

  it('reuses the listing while no post folder changed, and sees a post added or removed after that', async () => {
    // Folders changed less than a few seconds ago are not trusted (their next change could keep
    // the stamps): make every folder of the test look old by moving the clock on.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 3_600_000);
      const dir = blog();
      const posts = path.join(dir, 'content/_posts');
      await buildIn(dir);
      const snapshot = () => (JSON.parse(readFileSync(manifestFile(dir), 'utf8')) as { snapshot: { listing: { dirs?: unknown[] } | string } }).snapshot;
      expect(snapshot().listing).toMatchObject({ dirs: [expect.any(Array)] });
      expect((await logged(dir)).snapshot).toBe(true);

      writeFileSync(path.join(posts, '2026-01-03-three.md'), post('Three', ['c']));
      const added = await logged(dir);
      expect(added.snapshot).toBe(false);
      expect(added.result.published).toBe(3);
      expect((await logged(dir)).snapshot).toBe(true);

      mkdirSync(path.join(posts, '2026'));
      writeFileSync(path.join(posts, '2026/2026-01-04-four.md'), post('Four', ['d']));
      const nested = await logged(dir);
      expect(nested.snapshot).toBe(false);
      expect(nested.result.published).toBe(4);
      expect(snapshot().listing).toMatchObject({ dirs: [expect.any(Array), expect.any(Array)] });

      rmSync(path.join(posts, '2026/2026-01-04-four.md'));
      const removed = await logged(dir);
      expect(removed.snapshot).toBe(false);
      expect(removed.result.published).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stamps the listing on a later build when the folders were too fresh to trust', async () => {
    const dir = blog();
    await buildIn(dir);
    const listing = () => (JSON.parse(readFileSync(manifestFile(dir), 'utf8')) as { snapshot: { listing: unknown } }).snapshot.listing;
    expect(listing()).toBe('later');
    expect((await logged(dir)).snapshot).toBe(true);
    expect(listing()).toBe('later');
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 60_000);
      expect((await logged(dir)).snapshot).toBe(true);
      expect(listing()).toMatchObject({ dirs: [['_posts', expect.any(Number), expect.any(Number), expect.any(Number)]] });
      expect((await logged(dir)).snapshot).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('publishes a future post once it is due, and unpublishes it when the clock goes back', async () => {
    const dir = mixedBlog();
    await logged(dir);
    const before = await logged(dir, later(DAY / 2));
    expect(before.snapshot).toBe(true);
    expect(before.result.published).toBe(2);

    const due = await logged(dir, later(2 * DAY));
    expect(due.snapshot).toBe(false);
    expect(due.result.published).toBe(3);
    expect(due.record.future).toBe(0);
    expect(readFileSync(path.join(dir, 'public/feed.json'), 'utf8')).toContain('Soon');
    expect((await logged(dir, later(3 * DAY))).snapshot).toBe(true);

    // a clock set back before the newest published post: it is in the future again
    const back = await logged(dir, NOW);
    expect(back.snapshot).toBe(false);
    expect(back.result.published).toBe(2);
    expect(readFileSync(path.join(dir, 'public/feed.json'), 'utf8')).not.toContain('Soon');
  });

  it('sees a config change, even one that changes no feed', async () => {
    const dir = blog();
    const configFile = path.join(dir, 'config/feedletter.yaml');
    await buildIn(dir);
    writeFileSync(configFile, `${readFileSync(configFile, 'utf8')}digest:\n  maxPosts: 3\n`);
    expect((await logged(dir)).snapshot).toBe(false);
    expect((await logged(dir)).snapshot).toBe(true);
    writeFileSync(configFile, `${readFileSync(configFile, 'utf8')}content:\n  exclude: ['**/*-two.md']\n`);
    const excluded = await logged(dir);
    expect(excluded.snapshot).toBe(false);
    expect(excluded.result.published).toBe(1);
  });

  it('sees a deleted, edited or stray feed file', async () => {
    const dir = blog();
    await buildIn(dir);
    writeFileSync(path.join(dir, 'public/tags/b/feed.xml'), 'tampered');
    const edited = await logged(dir);
    expect(edited.snapshot).toBe(false);
    expect(edited.result.feeds.written).toEqual(['tags/b/feed.xml']);

    rmSync(path.join(dir, 'public/feed.json'));
    expect((await logged(dir)).result.feeds.written).toEqual(['feed.json']);
    expect((await logged(dir)).snapshot).toBe(true);

    // a term folder no set owns (left by an older build, say) is cleaned up as before
    mkdirSync(path.join(dir, 'public/tags/gone'));
    writeFileSync(path.join(dir, 'public/tags/gone/feed.xml'), '<rss/>');
    const stray = await logged(dir);
    expect(stray.snapshot).toBe(false);
    expect(stray.result.feeds.removed).toEqual(['tags/gone/feed.xml']);
    expect((await logged(dir)).snapshot).toBe(true);
  });

  it('writes a deleted header cache again', async () => {
    const dir = blog();
    await buildIn(dir);
    const cache = path.join(dir, '.feedletter/cache/headers.json');
    rmSync(cache);
    const again = await logged(dir);
    expect(again.snapshot).toBe(false);
    expect(again.record.cacheHits).toBe(0);
    expect(existsSync(cache)).toBe(true);
    const next = await logged(dir);
    expect(next.snapshot).toBe(true);
    expect(next.record.cacheHits).toBe(2);
  });

  it('without a header cache, reports no cache hits', async () => {
    const dir = blog('content:\n  cache: false\n');
    await buildIn(dir);
    const again = await logged(dir);
    expect(again.snapshot).toBe(true);
    expect(again.record.cacheHits).toBe(0);
    expect(existsSync(path.join(dir, '.feedletter/cache/headers.json'))).toBe(false);
  });

  it('ignores a damaged snapshot', async () => {
    const dir = blog();
    await buildIn(dir);
    const manifest = JSON.parse(readFileSync(manifestFile(dir), 'utf8')) as { snapshot: { problems: unknown } };
    manifest.snapshot.problems = 'none';
    writeFileSync(manifestFile(dir), JSON.stringify(manifest));
    const again = await logged(dir);
    expect(again.snapshot).toBe(false);
    expect(again.result.published).toBe(2);
  });
});

describe('build: readable tag URLs', () => {
  it('case variants share one folder; a true collision is suffixed with a warning naming a post', async () => {
    const dir = testdir({
      'config/feedletter.yaml': 'site:\n  url: https://blog.example.com/\n',
      'content/_posts/2026-01-01-one.md': post('One', ['AI', '"a/b"']),
      'content/_posts/2026-01-02-two.md': post('Two', ['ai', '"a b"']),
      'content/_posts/2026-01-03-three.md': post('Three', ['ai', 'C++', 'タグ']),
    });
    const result = await buildIn(dir);
    const folders = [...new Set(result.feeds.written.filter((f) => f.startsWith('tags/')).map((f) => f.split('/')[1]))].sort();
    expect(folders).toEqual(['a-b', expect.stringMatching(/^a-b-[0-9a-f]{8}$/), 'ai', 'c++', 'タグ']);
    expect(readFileSync(path.join(dir, 'public/tags/ai/atom.xml'), 'utf8')).toContain('<title>Build test — Tag: ai</title>'.replace('Build test', 'My blog'));
    expect(readFileSync(path.join(dir, 'public/tags/c++/feed.json'), 'utf8')).toContain('"feed_url": "https://blog.example.com/tags/c%2B%2B/feed.json"');
    expect(result.problems).toEqual([expect.objectContaining({ file: 'content/_posts/2026-01-01-one.md', field: 'tags', severity: 'warning', message: expect.stringContaining('"a/b" and "a b" make the same URL') })]);
  });
});
