import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAtomFeed, parseJsonFeed, parseRssFeed } from 'feedsmith';
import { describe, expect, test } from 'vitest';
import { FeedletterError } from '../../src/errors.js';
import { writeFeeds } from '../../src/feeds/index.js';
import { planFeeds, termSlug } from '../../src/feeds/plan.js';
import { writeFileAtomic } from '../../src/feeds/write.js';
import type { Post, PostHeader } from '../../src/post.js';
import { testdir } from '../helpers/tmp.js';
import { atomSchemaErrors, makeConfig, makePost, wellFormednessErrors } from './helpers.js';

/** Every file under `root`, relative, posix separators, sorted. */
function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(path.relative(root, full).split(path.sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

/** Set an old mtime so that a rewrite would be visible even on a coarse-grained file system. */
function ageFiles(root: string): void {
  const old = new Date('2020-01-01T00:00:00Z');
  for (const file of listFiles(root)) utimesSync(path.join(root, file), old, old);
}

describe('writeFileAtomic', () => {
  test('creates folders and writes the file', async () => {
    const root = testdir();
    const file = path.join(root, 'a', 'b', 'feed.xml');
    expect(await writeFileAtomic(file, 'hello 日本語')).toBe('written');
    expect(readFileSync(file, 'utf8')).toBe('hello 日本語');
  });

  test('same bytes: the file is not touched (inode and mtime kept)', async () => {
    const root = testdir({ 'feed.xml': 'same' });
    const file = path.join(root, 'feed.xml');
    ageFiles(root);
    const before = statSync(file);
    expect(await writeFileAtomic(file, 'same')).toBe('unchanged');
    const after = statSync(file);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(after.ino).toBe(before.ino);
  });

  test('new bytes replace the file by rename: a new inode, never a partly written old one', async () => {
    const root = testdir({ 'feed.xml': 'old content' });
    const file = path.join(root, 'feed.xml');
    const before = statSync(file);
    // Same length, different bytes: the size check alone must not decide.
    expect(await writeFileAtomic(file, 'new content')).toBe('written');
    expect(readFileSync(file, 'utf8')).toBe('new content');
    expect(statSync(file).ino).not.toBe(before.ino);
    expect(readdirSync(root)).toEqual(['feed.xml']); // no temp file left behind
  });

  test('a failed rename leaves no temp file and reports the error', async () => {
    const root = testdir({ 'feed.xml/inside': 'a folder where the file should go' });
    await expect(writeFileAtomic(path.join(root, 'feed.xml'), 'x')).rejects.toThrow();
    expect(readdirSync(root)).toEqual(['feed.xml']);
    expect(readdirSync(path.join(root, 'feed.xml'))).toEqual(['inside']);
  });
});

function blog(): Post[] {
  return [
    makePost({ slug: 'one', day: 1, categories: ['Tech'], tags: ['AI', 'C++'] }),
    makePost({ slug: 'two', day: 2, categories: ['Life'], tags: ['AI', 'タグ with space'] }),
    makePost({ slug: 'three', day: 3, tags: ['a/b'] }),
  ];
}

/** What the content stage hands over before bodies are rendered: no `contentHtml`. */
function headerOf(post: Post): PostHeader {
  const { contentHtml: _body, ...rest } = post;
  return { ...rest, size: 1000, mtimeMs: 0 };
}

async function build(outputDir: string, posts: Post[], feeds: NonNullable<Parameters<typeof makeConfig>[0]>['feeds'] = {}) {
  const config = makeConfig({ feeds });
  const sets = planFeeds(config, posts.map(headerOf));
  return writeFeeds({ config, outputDir, sets, posts: new Map(posts.map((p) => [p.id, p])) });
}

describe('writeFeeds', () => {
  test('writes the three files of every set, each valid', async () => {
    const out = testdir();
    const result = await build(out, blog());
    const dirs = ['', `categories/${termSlug('Life')}`, `categories/${termSlug('Tech')}`, `tags/${termSlug('AI')}`, `tags/${termSlug('C++')}`, `tags/${termSlug('a/b')}`, `tags/${termSlug('タグ with space')}`];
    const expected = dirs.flatMap((d) => ['atom.xml', 'feed.json', 'feed.xml'].map((f) => (d ? `${d}/${f}` : f))).sort();
    expect(result).toEqual({ written: expected, unchanged: [], removed: [], trimmed: [] });
    expect(listFiles(out)).toEqual(expected);

    const rss = readFileSync(path.join(out, 'feed.xml'), 'utf8');
    const atom = readFileSync(path.join(out, `tags/${termSlug('AI')}/atom.xml`), 'utf8');
    expect(await wellFormednessErrors([rss, atom])).toEqual([]);
    expect(await atomSchemaErrors(atom)).toEqual([]);
    expect(parseRssFeed(rss).items?.map((i) => i.title)).toEqual(['Post three', 'Post two', 'Post one']);
    expect(parseAtomFeed(atom).entries?.map((e) => e.title?.value)).toEqual(['Post two', 'Post one']);
    const json = parseJsonFeed(JSON.parse(readFileSync(path.join(out, `tags/${termSlug('a/b')}/feed.json`), 'utf8')));
    expect(json.feed_url).toBe(`https://blog.example.com/tags/${encodeURIComponent(termSlug('a/b'))}/feed.json`);
  });

  test('site feed full, term feeds summaries by default; a missing body falls back to the summary', async () => {
    const out = testdir();
    const posts = blog();
    const config = makeConfig();
    const sets = planFeeds(config, posts.map(headerOf));
    // Only the body of "three" was rendered.
    const three = posts.find((p) => p.slug === 'three');
    if (!three) throw new Error('fixture');
    await writeFeeds({ config, outputDir: out, sets, posts: new Map([[three.id, three]]) });
    const site = parseJsonFeed(JSON.parse(readFileSync(path.join(out, 'feed.json'), 'utf8')));
    expect(site.items?.map((i) => [i.title, i.content_html ?? null, i.content_text ?? null])).toEqual([
      ['Post three', '<p>Body of three</p>', null],
      ['Post two', null, 'Summary of two'],
      ['Post one', null, 'Summary of one'],
    ]);
    const tag = parseRssFeed(readFileSync(path.join(out, `tags/${termSlug('a/b')}/feed.xml`), 'utf8'));
    expect(tag.items?.[0]?.content).toBeUndefined();
  });

  test('unchanged input: second build rewrites nothing (same bytes, same mtimes, same inodes)', async () => {
    const out = testdir();
    const first = await build(out, blog());
    ageFiles(out);
    const before = new Map(listFiles(out).map((f) => [f, statSync(path.join(out, f))]));
    const bytes = new Map(listFiles(out).map((f) => [f, readFileSync(path.join(out, f))]));
    const second = await build(out, blog());
    expect(second).toEqual({ written: [], unchanged: first.written, removed: [], trimmed: [] });
    for (const [file, stat] of before) {
      const now = statSync(path.join(out, file));
      expect(now.mtimeMs, file).toBe(stat.mtimeMs);
      expect(now.ino, file).toBe(stat.ino);
      expect(readFileSync(path.join(out, file)).equals(bytes.get(file) ?? Buffer.alloc(0)), file).toBe(true);
    }
  });

  test('a changed post rewrites exactly the files it appears in', async () => {
    const out = testdir();
    await build(out, blog());
    const posts = blog().map((p) => (p.slug === 'three' ? { ...p, title: 'Post three, revised' } : p));
    const result = await build(out, posts);
    expect(result.written).toEqual(['atom.xml', 'feed.json', 'feed.xml', ...['atom.xml', 'feed.json', 'feed.xml'].map((f) => `tags/${termSlug('a/b')}/${f}`)]);
    expect(result.removed).toEqual([]);
  });

  test('feeds of a term that is gone are removed, and only ours', async () => {
    const out = testdir();
    await build(out, blog());
    const cxx = `tags/${termSlug('C++')}`;
    // Files feedletter did not write stay: in a term folder, beside the term folders, at the top.
    writeFileSync(path.join(out, cxx, 'index.html'), 'by hand');
    writeFileSync(path.join(out, 'tags', 'README.txt'), 'by hand');
    writeFileSync(path.join(out, 'index.html'), 'by hand');
    mkdirSync(path.join(out, 'other', 'x'), { recursive: true });
    writeFileSync(path.join(out, 'other', 'x', 'feed.xml'), 'not ours');

    const posts = blog().map((p) => ({ ...p, tags: p.tags.filter((t) => t !== 'C++' && t !== 'a/b') }));
    const result = await build(out, posts);
    const gone = [cxx, `tags/${termSlug('a/b')}`].flatMap((d) => ['atom.xml', 'feed.json', 'feed.xml'].map((f) => `${d}/${f}`)).sort();
    expect(result.removed).toEqual(gone);
    for (const file of gone) expect(existsSync(path.join(out, file)), file).toBe(false);
    expect(readFileSync(path.join(out, cxx, 'index.html'), 'utf8')).toBe('by hand');
    expect(existsSync(path.join(out, `tags/${termSlug('a/b')}`))).toBe(false); // emptied folder removed
    expect(readFileSync(path.join(out, 'tags', 'README.txt'), 'utf8')).toBe('by hand');
    expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toBe('by hand');
    expect(readFileSync(path.join(out, 'other', 'x', 'feed.xml'), 'utf8')).toBe('not ours');
  });

  test('switching tag feeds off removes every tag feed and keeps the category feeds', async () => {
    const out = testdir();
    await build(out, blog());
    const result = await build(out, blog(), { tags: false });
    expect(result.removed).toHaveLength(4 * 3);
    expect(result.removed.every((f) => f.startsWith('tags/'))).toBe(true);
    expect(listFiles(out).filter((f) => f.startsWith('tags/'))).toEqual([]);
    expect(listFiles(out).filter((f) => f.startsWith('categories/'))).toHaveLength(2 * 3);
  });

  test('custom file names, including one in a sub-folder, are written and cleaned up', async () => {
    const out = testdir();
    const feeds = { rss: 'rss/index.xml', atom: 'index.atom', json: 'index.json' };
    await build(out, blog(), feeds);
    const cxx = `tags/${termSlug('C++')}`;
    expect(existsSync(path.join(out, cxx, 'rss', 'index.xml'))).toBe(true);
    expect(parseRssFeed(readFileSync(path.join(out, cxx, 'rss', 'index.xml'), 'utf8')).atom?.links?.[0]?.href).toBe(
      `https://blog.example.com/tags/${encodeURIComponent(termSlug('C++'))}/rss/index.xml`,
    );
    const result = await build(out, blog().map((p) => ({ ...p, tags: p.tags.filter((t) => t !== 'C++') })), feeds);
    expect(result.removed).toEqual([`${cxx}/index.atom`, `${cxx}/index.json`, `${cxx}/rss/index.xml`]);
    expect(existsSync(path.join(out, cxx))).toBe(false);
  });

  test('an output path that cannot be written is a FeedletterError naming the file', async () => {
    const root = testdir({ 'public/tags': 'a file where a folder should be' });
    const error: unknown = await build(path.join(root, 'public'), blog()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeedletterError);
    expect((error as FeedletterError).message).toMatch(/tags\//);
  });

  test('no temp files are left in any folder', async () => {
    const out = testdir();
    await build(out, blog());
    await build(out, blog().map((p) => ({ ...p, title: `${p.title}!` })));
    expect(listFiles(out).filter((f) => /\.tmp$|\/\.[^/]*$|^\./.test(f))).toEqual([]);
  });
});
