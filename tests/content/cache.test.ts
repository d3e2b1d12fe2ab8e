import { existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
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
    for (const broken of ['not json at all\n', good.slice(0, good.length - 10), good.replace('"v":1', '"v":999'), good.replace(/"t":"A"/, '"t":5'), '']) {
      writeFileSync(cacheFile, broken);
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
});
