import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { FeedletterError } from '../../src/errors.js';
import { writeFeeds } from '../../src/feeds/index.js';
import { writeSets } from '../../src/feeds/parallel.js';
import { planFeeds } from '../../src/feeds/plan.js';
import type { Post, PostHeader } from '../../src/post.js';
import { testdir } from '../helpers/tmp.js';
import { makeConfig, makePost } from './helpers.js';

/** 40 posts over 12 tags and 3 categories: 16 sets, enough for a worker to take several. */
function blog(): Post[] {
  return Array.from({ length: 40 }, (_, i) =>
    makePost({ slug: `p${i}`, day: (i % 28) + 1, categories: [`cat ${i % 3}`], tags: [`tag ${i % 12}`, i % 2 === 0 ? '偶数' : 'odd & <odd>'] }),
  );
}

function headerOf(post: Post): PostHeader {
  const { contentHtml: _body, ...rest } = post;
  return { ...rest, size: 1000, mtimeMs: 0 };
}

function files(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    if (/\.(xml|json)$/.test(name)) out.set(name, readFileSync(path.join(root, name), 'utf8'));
  }
  return out;
}

describe('writing feed sets in worker threads', () => {
  const config = makeConfig();
  const posts = blog();
  const sets = planFeeds(config, posts.map(headerOf));
  const byId = new Map(posts.map((p) => [p.id, p]));

  test('writes the same files and reports the same outcome as writing them here', async () => {
    const here = testdir();
    const there = testdir();
    const serial = await writeFeeds({ config, outputDir: here, sets, posts: byId, workers: 0 });
    const parallel = await writeFeeds({ config, outputDir: there, sets, posts: byId, workers: 2 });
    expect(sets.length).toBe(1 + 3 + 14);
    expect(parallel).toEqual(serial);
    expect(files(there)).toEqual(files(here));
    // A second run in parallel finds every file as it is.
    const again = await writeFeeds({ config, outputDir: there, sets, posts: byId, workers: 2 });
    expect(again.written).toEqual([]);
    expect(again.unchanged).toEqual(serial.written);
  });

  test('the worker does take sets from the queue', async () => {
    // Many jobs (the same sets again and again), so the main thread is still busy when the worker is up.
    const jobs = Array.from({ length: 40 }, () => sets.map((set) => ({ set, items: set.posts.map((h) => byId.get(h.id)!) }))).flat();
    const { outcomes, byWorkers } = await writeSets(jobs, { config, outputDir: testdir(), workers: 1 });
    expect(outcomes).toHaveLength(jobs.length * 3);
    expect(byWorkers).toBeGreaterThan(0);
    expect(byWorkers).toBeLessThan(jobs.length);
  });

  test('a worker that dies gives its sets back to the main thread', async () => {
    const out = testdir();
    const jobs = sets.map((set) => ({ set, items: set.posts.map((h) => byId.get(h.id)!) }));
    const script = "const { parentPort } = require('node:worker_threads'); parentPort.on('message', () => process.exit(3)); parentPort.postMessage({ ready: true });";
    const { outcomes, byWorkers } = await writeSets(jobs, { config, outputDir: out, workers: 1, script: { filename: script, eval: true } });
    expect(byWorkers).toBe(0);
    expect(outcomes).toHaveLength(sets.length * 3);
    expect(outcomes.every((o) => o.outcome === 'written')).toBe(true);
    expect([...files(out).keys()].sort()).toEqual(outcomes.map((o) => o.relative).sort());
  });

  test('a file a worker cannot write is a FeedletterError naming it, as on the main thread', async () => {
    const root = testdir({ 'public/tags': 'a file where a folder should be' });
    const error: unknown = await writeFeeds({ config, outputDir: path.join(root, 'public'), sets, posts: byId, workers: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeedletterError);
    expect((error as FeedletterError).message).toMatch(/^cannot write the feed tags\/.+: /);
  });
});
