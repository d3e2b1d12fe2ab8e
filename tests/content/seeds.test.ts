import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPosts, renderPosts } from '../../src/content/index.js';
import { testdir, SEEDS_DIR } from '../helpers/tmp.js';
import { makeConfig, NOW } from './helpers.js';

/** The user's two real posts, copied into a fresh content folder. */
function seedsDir(): string {
  const files: Record<string, Buffer> = {};
  for (const name of ['2026-01-11-inflection-ai-amd.md', '2026-01-14-aws-inferentia3.md']) files[`content/_posts/${name}`] = readFileSync(path.join(SEEDS_DIR, name));
  return path.join(testdir(files), 'content');
}

describe('the seed posts', () => {
  it('read to the headers the user expects', async () => {
    const contentDir = seedsDir();
    const config = makeConfig();
    const r = await readPosts({ config, contentDir, now: NOW });
    expect(r.stats).toMatchObject({ files: 2, published: 2, skipped: 0 });
    const [aws, inflection] = r.headers;
    expect(inflection?.title).toBe('Inflection AIとAMDの提タッグの');
    expect(inflection?.title).not.toContain('**');
    expect(inflection?.title).not.toContain('\uFFFD');
    expect(r.problems).toEqual([
      expect.objectContaining({ file: 'content/_posts/2026-01-11-inflection-ai-amd.md', field: 'title', severity: 'warning', message: expect.stringContaining('U+FFFD') }),
    ]);
    expect(inflection?.date.toISOString()).toBe('2026-01-11T04:57:32.000Z');
    expect(aws?.date.toISOString()).toBe('2026-01-14T16:51:02.000Z');
    expect(aws?.title).toBe('AWSのInferentia3の可能性とは？');
    expect(inflection).toMatchObject({ categories: ['投資分析'], tags: ['AI', '最新ニュース', '技術動向', '投資', 'チップ'], authors: ['ALLFORCES編集部'], readingTime: 8 });
    expect(aws).toMatchObject({ categories: ['投資分析'], tags: ['AI', '最新ニュース', '技術動向', 'Amazon', '投資', 'チップ'], readingTime: 8 });
    expect(inflection?.summary).toBe('Inflection AI、次世代AIチップ開発でAMDと提携について詳細に分析します。');
    // Date parts in Asia/Tokyo: 16:51Z on the 14th is the 15th in Tokyo.
    expect(aws?.url).toBe('https://blog.example.com/%E6%8A%95%E8%B3%87%E5%88%86%E6%9E%90/2026/01/15/aws-inferentia3.html');
    expect(inflection?.id).toBe(inflection?.url);
  });

  it('render with the body cut at ---END---', async () => {
    const contentDir = seedsDir();
    const config = makeConfig();
    const r = await readPosts({ config, contentDir, now: NOW });
    const { posts, problems } = await renderPosts(r.headers, { config, contentDir });
    expect(problems).toEqual([]);
    const inflection = posts.find((p) => p.sourcePath.includes('inflection'));
    expect(inflection?.contentHtml).toContain('<strong>Inflection AIとAMDの提タッグ、その真意は？AIチップ市場の地殻変動が始まるのか。</strong>');
    expect(inflection?.contentHtml).toContain('退屈な時代は終わった。');
    for (const p of posts) {
      expect(p.contentHtml).not.toContain('---END---');
      expect(p.readingTime).toBe(8);
      // eslint-disable-next-line no-control-regex
      expect(p.contentHtml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
      // The text after the first marker repeats earlier text: each of its lines occurs in the
      // HTML only as often as before the marker.
      const source = readFileSync(path.join(contentDir, p.sourcePath), 'utf8');
      const at = source.indexOf('\n---END---\n');
      expect(at).toBeGreaterThan(0);
      const before = source.slice(0, at);
      const afterLines = source.slice(at).split('\n').map((l) => l.trim().slice(0, 20)).filter((l) => l.length === 20 && !/[\uFFFD#*>[`|_-]/.test(l));
      expect(afterLines.length).toBeGreaterThan(3);
      const count = (text: string, needle: string): number => text.split(needle).length - 1;
      for (const line of afterLines) expect(count(p.contentHtml, line), line).toBe(count(before, line));
    }
  });
});
