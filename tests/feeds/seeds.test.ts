import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAtomFeed, parseJsonFeed, parseRssFeed } from 'feedsmith';
import { expect, test } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { readPosts, renderPosts } from '../../src/content/index.js';
import { planFeeds, postsNeedingContent, termSlug, writeFeeds } from '../../src/feeds/index.js';
import { SEEDS_DIR, testdir } from '../helpers/tmp.js';
import { atomSchemaErrors, jsonFeedSchemaErrors, wellFormednessErrors } from './helpers.js';

/** The user's two real posts, through the content stage and the sample config, into feeds. */
test('the seed posts make valid feeds, site and per term, and a second build changes nothing', async () => {
  const configFile = path.resolve(SEEDS_DIR, '../../config/feedletter.yaml');
  const { config, errors } = parseConfig(readFileSync(configFile, 'utf8'), 'config/feedletter.yaml');
  expect(errors).toEqual([]);
  if (!config) throw new Error('config');
  const contentDir = path.resolve(SEEDS_DIR, '..');
  const { headers } = await readPosts({ config, contentDir, now: new Date('2026-06-01T00:00:00Z') });
  expect(headers).toHaveLength(2);

  const sets = planFeeds(config, headers);
  const { posts } = await renderPosts(
    headers.filter((h) => postsNeedingContent(sets).has(h.id)),
    { config, contentDir },
  );
  const out = testdir();
  const first = await writeFeeds({ config, outputDir: out, sets, posts: new Map(posts.map((p) => [p.id, p])) });

  // Every tag and category of the seeds has its folder.
  const terms = new Set(headers.flatMap((h) => h.tags));
  for (const tag of terms) expect(first.written, tag).toContain(`tags/${termSlug(tag)}/atom.xml`);
  expect(first.written).toContain(`categories/${termSlug('投資分析')}/feed.json`);

  const read = (f: string): string => readFileSync(path.join(out, f), 'utf8');
  const xmlFiles = first.written.filter((f) => f.endsWith('.xml'));
  expect(await wellFormednessErrors(xmlFiles.map(read))).toEqual([]);
  for (const f of first.written.filter((f) => f.endsWith('atom.xml'))) expect(await atomSchemaErrors(read(f)), f).toEqual([]);
  for (const f of first.written.filter((f) => f.endsWith('.json'))) expect(jsonFeedSchemaErrors(read(f)), f).toEqual([]);

  // The site feeds carry both posts, newest first, with full bodies.
  const titles = headers.map((h) => h.title);
  expect(parseRssFeed(read('feed.xml')).items?.map((i) => i.title)).toEqual(titles);
  const atom = parseAtomFeed(read('atom.xml'));
  expect(atom.entries?.map((e) => e.id)).toEqual(headers.map((h) => h.id));
  expect(atom.entries?.every((e) => (e.content?.value ?? '').length > 1000)).toBe(true);
  const json = parseJsonFeed(JSON.parse(read('feed.json')));
  expect(json.items?.map((i) => i.url)).toEqual(headers.map((h) => h.url));
  expect(json.language).toBe('ja');

  const second = await writeFeeds({ config, outputDir: out, sets, posts: new Map(posts.map((p) => [p.id, p])) });
  expect(second).toEqual({ written: [], unchanged: first.written, removed: [], trimmed: [] });
});
