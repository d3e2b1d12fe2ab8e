import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_VERSION } from '../../src/content/cache.js';
import { testdir } from '../helpers/tmp.js';
import { makeConfig, post, read } from './helpers.js';

const P = 'content/_posts';

function setup() {
  const root = testdir({
    [`${P}/2026-01-01-a.md`]: post('title: A\ntags: [x, y]\nlast_modified_at: 2026-01-05 00:00:00 +0000'),
    [`${P}/2026-01-02-b.md`]: post('title: "B\uFFFD"'),
    [`${P}/2026-01-03-bad.md`]: post('title: Bad\ndate: 2026-02-30'),
    [`${P}/2026-01-04-draft.md`]: post('title: D\ndraft: true'),
  });
  return { root, cacheFile: path.join(root, '.feedletter', 'cache', 'headers.jsonl') };
}

/** Headers without the fields that legitimately differ between runs. */
const strip = (r: Awaited<ReturnType<typeof read>>) => ({ headers: r.headers, problems: r.problems, stats: { ...r.stats, cacheHits: 0 } });

describe('header cache', () => {
  it('misses on a cold run, then hits every file with identical results', async () => {
    const { root, cacheFile } = setup();
    const cold = await read(root, { cacheFile });
    expect(cold.stats.cacheHits).toBe(0);
    expect(existsSync(cacheFile)).toBe(true);
    const warm = await read(root, { cacheFile });
    expect(warm.stats.cacheHits).toBe(4);
    expect(strip(warm)).toEqual(strip(cold));
    // Problems are cached too: the bad post and the warning are still reported.
    expect(warm.problems.map((p) => [p.file, p.field, p.severity])).toEqual([
      [`${P}/2026-01-02-b.md`, 'title', 'warning'],
      [`${P}/2026-01-03-bad.md`, 'date', 'error'],
    ]);
    expect(warm.stats).toMatchObject({ published: 2, drafts: 1, skipped: 1 });
    expect(warm.headers[0]?.date).toBeInstanceOf(Date);
  });

  it('does not rewrite the cache when nothing changed', async () => {
    const { root, cacheFile } = setup();
    await read(root, { cacheFile });
    const before = statSync(cacheFile).mtimeMs;
    const old = new Date('2020-01-01T00:00:00Z');
    utimesSync(cacheFile, old, old);
    await read(root, { cacheFile });
    expect(statSync(cacheFile).mtimeMs).toBe(old.getTime());
    expect(before).not.toBe(old.getTime());
  });

  it('reads a file again when its mtime or size changed', async () => {
    const { root, cacheFile } = setup();
    await read(root, { cacheFile });
    const file = path.join(root, P, '2026-01-01-a.md');
    // Same size, new mtime.
    writeFileSync(file, post('title: Z\ntags: [x, y]\nlast_modified_at: 2026-01-05 00:00:00 +0000'));
    utimesSync(file, new Date('2026-03-01T00:00:00Z'), new Date('2026-03-01T00:00:00Z'));
    const r = await read(root, { cacheFile });
    expect(r.stats.cacheHits).toBe(3);
    expect(r.headers.map((h) => h.title)).toContain('Z');
    // And the rebuilt cache serves the new header.
    const again = await read(root, { cacheFile });
    expect(again.stats.cacheHits).toBe(4);
    expect(again.headers.map((h) => h.title)).toContain('Z');
  });

  it('notices new and deleted files', async () => {
    const { root, cacheFile } = setup();
    await read(root, { cacheFile });
    writeFileSync(path.join(root, P, '2026-01-09-new.md'), post('title: New'));
    const r = await read(root, { cacheFile });
    expect(r.stats).toMatchObject({ files: 5, cacheHits: 4 });
    expect(r.headers[0]?.title).toBe('New');
  });

  it('ignores a corrupt, truncated or other-version cache silently and rebuilds it', async () => {
    const { root, cacheFile } = setup();
    const cold = await read(root, { cacheFile });
    const good = readFileSync(cacheFile, 'utf8');
    const lines = good.split('\n');
    const broken = [
      'not json at all\n',
      good.slice(0, good.length - 10),
      // Cut at a line end: only the trailer is missing.
      `${lines.slice(0, -2).join('\n')}\n`,
      good.replace(`"v":${CACHE_VERSION}`, '"v":999'),
      // The first entry (scan order: the last path) damaged.
      good.replace(/"t":"D"/, '"t":5'),
      // Version 1 had no trailer.
      `${lines.slice(0, -2).join('\n').replace(`"v":${CACHE_VERSION}`, '"v":1')}\n`,
      '',
    ];
    expect(broken.filter((b) => b === good)).toEqual([]);
    for (const broken_ of broken) {
      writeFileSync(cacheFile, broken_);
      const r = await read(root, { cacheFile });
      expect(r.stats.cacheHits).toBe(0);
      expect(strip(r)).toEqual(strip(cold));
      expect(readFileSync(cacheFile, 'utf8')).toBe(good);
    }
  });

  it('is rebuilt when the config a header depends on changes', async () => {
    const { root, cacheFile } = setup();
    await read(root, { cacheFile });
    const r = await read(root, { cacheFile, config: makeConfig({ site: { url: 'https://other.example.org/' } }) });
    expect(r.stats.cacheHits).toBe(0);
    expect(r.headers[0]?.url.startsWith('https://other.example.org/')).toBe(true);
  });

  it('writes atomically: no temp file is left beside it', async () => {
    const { root, cacheFile } = setup();
    await read(root, { cacheFile });
    expect(readdirSync(path.dirname(cacheFile))).toEqual([path.basename(cacheFile)]);
  });

  it('is not used when content.cache is false', async () => {
    const { root, cacheFile } = setup();
    const config = makeConfig({ content: { cache: false } });
    await read(root, { cacheFile, config });
    expect(existsSync(cacheFile)).toBe(false);
  });

  it('uses the valid entries before a damaged line, reads the rest, and rewrites the cache whole', async () => {
    const { root, cacheFile } = setup();
    const cold = await read(root, { cacheFile });
    const good = readFileSync(cacheFile, 'utf8');
    // The third entry (scan order: 2026-01-02-b.md) no longer parses; the lines count stays right.
    const lines = good.split('\n');
    lines[3] = '{"p":';
    writeFileSync(cacheFile, lines.join('\n'));
    const r = await read(root, { cacheFile });
    expect(r.stats.cacheHits).toBe(2);
    expect(strip(r)).toEqual(strip(cold));
    expect(readFileSync(cacheFile, 'utf8')).toBe(good);
  });

  it('writes entries in scan order (descending path) behind a header, and a trailer counting them', async () => {
    const { root, cacheFile } = setup();
    await read(root, { cacheFile });
    const lines = readFileSync(cacheFile, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ format: 'feedletter-content-cache', v: CACHE_VERSION });
    expect(JSON.parse(lines[lines.length - 1] ?? '')).toEqual({ end: 4 });
    const paths = lines.slice(1, -1).map((l) => (JSON.parse(l) as { p: string }).p);
    expect(paths).toEqual(['_posts/2026-01-04-draft.md', '_posts/2026-01-03-bad.md', '_posts/2026-01-02-b.md', '_posts/2026-01-01-a.md']);
  });

  it('after a change, keeps the unchanged entries and equals a cache built from scratch', async () => {
    const { root, cacheFile } = setup();
    await read(root, { cacheFile });
    const a = path.join(root, P, '2026-01-01-a.md');
    const c = path.join(root, P, '2026-01-03-bad.md');
    const d = path.join(root, P, '2026-01-04-draft.md');
    const changes: Array<() => void> = [
      // Changed in the middle (size), a file added at the end, the first file and the last deleted.
      () => writeFileSync(c, post('title: Fixed\ndate: 2026-01-03')),
      () => writeFileSync(path.join(root, P, '2026-01-09-new.md'), post('title: New')),
      () => rmSync(a),
      () => rmSync(d),
      () => writeFileSync(path.join(root, P, '2026-01-00-first.md'), post('title: First\ndate: 2026-01-01')),
    ];
    for (const change of changes) {
      change();
      const warm = await read(root, { cacheFile });
      const incremental = readFileSync(cacheFile, 'utf8');
      rmSync(cacheFile);
      const cold = await read(root, { cacheFile });
      expect(strip(warm)).toEqual(strip(cold));
      expect(incremental).toBe(readFileSync(cacheFile, 'utf8'));
      const again = await read(root, { cacheFile });
      expect(again.stats.cacheHits).toBe(again.stats.files);
    }
  });

  it('reports a cache that cannot be written as a warning, first, and still reads every post', async () => {
    const { root } = setup();
    // The cache's folder is a file: the cache cannot be created there.
    writeFileSync(path.join(root, 'blocker'), '');
    const cacheFile = path.join(root, 'blocker', 'headers.jsonl');
    const plain = await read(root);
    const r = await read(root, { cacheFile });
    expect(r.problems[0]).toMatchObject({ file: cacheFile, severity: 'warning' });
    expect(r.problems[0]?.message).toMatch(/^the header cache could not be written: /);
    expect({ ...r, problems: r.problems.slice(1) }).toEqual(plain);
  });

  it('reads a cache larger than its read buffer, lines longer than it included', async () => {
    const files: Record<string, string> = {};
    for (let i = 1; i <= 28; i++) {
      const day = String(i).padStart(2, '0');
      // Multi-byte text, so that pieces of the file end inside a character too.
      const tags = Array.from({ length: 300 + i }, (_, k) => `日本語のタグ${k}`).join(', ');
      files[`${P}/2026-02-${day}-p${i}.md`] = post(`title: P${i}\ntags: [${tags}]`);
    }
    const long = Array.from({ length: 8000 }, (_, k) => `tag-${k}`).join(', ');
    files[`${P}/2026-03-01-long.md`] = post(`title: Long\ntags: [${long}]`);
    const root = testdir(files);
    const cacheFile = path.join(root, '.feedletter', 'cache', 'headers.jsonl');
    const cold = await read(root, { cacheFile });
    expect(statSync(cacheFile).size).toBeGreaterThan(200_000);
    const warm = await read(root, { cacheFile });
    expect(warm.stats.cacheHits).toBe(29);
    expect(strip(warm)).toEqual(strip(cold));
    expect(warm.headers[0]?.tags).toHaveLength(8000);
  });

  it('two posts with one permalink: the last by path keeps it, a published post over a scheduled one, with or without the cache', async () => {
    const root = testdir({
      [`${P}/2026-01-01-a.md`]: post('title: A\npermalink: /same/'),
      [`${P}/2026-01-02-b.md`]: post('title: "B\uFFFD"\npermalink: /same/'),
      [`${P}/2026-01-03-c.md`]: post('title: C\npermalink: /same/\ndraft: true'),
      [`${P}/2026-01-04-d.md`]: post('title: D\npermalink: /same/\ndate: 2027-01-01'),
      [`${P}/2026-01-05-e.md`]: post('title: E'),
      [`${P}/2026-01-06-f.md`]: post('title: F\npermalink: /other/'),
      [`${P}/2026-01-07-g.md`]: post('title: G\npermalink: /other/'),
      // Scheduled, read after the published g that holds /other/.
      [`${P}/2025-12-31-h.md`]: post('title: H\npermalink: /other/\ndate: 2027-01-01'),
    });
    const cacheFile = path.join(root, '.feedletter', 'cache', 'headers.jsonl');
    for (const r of [await read(root), await read(root, { cacheFile }), await read(root, { cacheFile })]) {
      // d (scheduled for 2027) is read before b and a, yet the published b takes /same/ from it.
      expect(r.headers.map((h) => h.title)).toEqual(['G', 'E', 'B']);
      expect(r.stats).toMatchObject({ files: 8, published: 3, drafts: 1, future: 0, skipped: 4 });
      expect(r.problems.map((p) => [p.file, p.field, p.severity])).toEqual([
        [`${P}/2025-12-31-h.md`, 'permalink', 'error'],
        [`${P}/2026-01-01-a.md`, 'permalink', 'error'],
        [`${P}/2026-01-02-b.md`, 'title', 'warning'],
        [`${P}/2026-01-04-d.md`, 'permalink', 'error'],
        [`${P}/2026-01-06-f.md`, 'permalink', 'error'],
      ]);
      expect(r.problems[0]?.message).toMatch(new RegExp(`^has the same permalink as ${P}/2026-01-07-g\\.md `));
      expect(r.problems[1]?.message).toBe(`has the same permalink as ${P}/2026-01-02-b.md (https://blog.example.com/same/); skipped`);
      expect(r.problems[3]?.message).toMatch(new RegExp(`^has the same permalink as ${P}/2026-01-02-b\\.md `));
      expect(r.problems[4]?.message).toMatch(new RegExp(`^has the same permalink as ${P}/2026-01-07-g\\.md `));
    }
    const warm = await read(root, { cacheFile });
    expect(warm.stats.cacheHits).toBe(8);
  });
});
