import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPosts } from '../../src/content/index.js';
import { readFileEntry } from '../../src/content/entry.js';
import { headerWorkers, PARALLEL_MIN_FILES, readEntriesInOrder } from '../../src/content/parallel.js';
import type { FileEntry } from '../../src/content/read.js';
import { testdir } from '../helpers/tmp.js';
import { makeConfig, NOW, post } from './helpers.js';

const P = 'content/_posts';

/** 300 posts (five chunks of 64 and a bit) with every kind of problem along the way. */
function blog(): string {
  const files: Record<string, string | Buffer> = {};
  for (let i = 0; i < 300; i++) {
    const day = String((i % 28) + 1).padStart(2, '0');
    const month = String((i % 12) + 1).padStart(2, '0');
    const name = `${P}/2025-${month}-${day}-post-${String(i).padStart(3, '0')}.md`;
    const tags = `tags: [共通, "tag ${i % 7}", C++]`;
    if (i % 50 === 7) files[name] = post(`title: Bad ${i}\ndate: 2025-02-30`);
    else if (i % 50 === 13) files[name] = Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x3a, 0x20, 0xff, 0x0a, 0x2d, 0x2d, 0x2d, 0x0a]);
    else if (i % 50 === 21) files[name] = post(`title: Draft ${i}\ndraft: true\n${tags}`);
    else if (i % 50 === 29) files[name] = post(`title: Future ${i}\ndate: 2027-01-01`);
    else if (i % 50 === 33) files[name] = post(`title: "**Cut ${i}\uFFFD**"\n${tags}\nslug: same-slug\npermalink: /same/`);
    else if (i % 50 === 34) files[name] = post(`title: Clash ${i}\npermalink: /same/`);
    else files[name] = post(`title: "**投稿 ${i}**"\n${tags}\nauthor: [著者 ${i % 3}]`, `Body of ${i}.\n\n---END---\nrepeat`);
  }
  return testdir(files);
}

async function scan(root: string, workers: number, cacheFile: string) {
  return readPosts({ config: makeConfig(), contentDir: path.join(root, 'content'), now: NOW, cacheFile, workers });
}

describe('reading headers in worker threads', () => {
  it('gives exactly what a serial read gives: headers, problems in file order, stats and the cache file', async () => {
    const root = blog();
    const serialCache = path.join(root, 'serial', 'headers.jsonl');
    const parallelCache = path.join(root, 'parallel', 'headers.jsonl');
    const serial = await scan(root, 0, serialCache);
    const parallel = await scan(root, 2, parallelCache);
    expect(serial.stats).toMatchObject({ files: 300, skipped: 23, drafts: 6, future: 6 });
    expect(serial.problems.length).toBeGreaterThan(20);
    const { workerChunks, ...sameAsSerial } = parallel;
    expect(workerChunks).toBeGreaterThanOrEqual(0);
    expect(serial.workerChunks).toBeUndefined();
    expect(sameAsSerial).toEqual(serial);
    expect(readFileSync(parallelCache)).toEqual(readFileSync(serialCache));
    // Strings shared by many headers are shared on the main thread too, not one copy per post.
    const tagged = parallel.headers.filter((h) => h.tags.includes('共通'));
    expect(tagged.length).toBeGreaterThan(200);
  });

  const files = Array.from({ length: 200 }, (_, i) => `2025-01-01-p${String(i).padStart(3, '0')}.md`);
  const config = makeConfig();

  it('hands on entries read by a real worker in file order, equal to those read here', async () => {
    const root = blog();
    const contentDir = path.join(root, 'content');
    const all = readdirSync(path.join(contentDir, '_posts')).sort().map((f) => `_posts/${f}`);
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const here: FileEntry[] = [];
    // The main thread is slowed down (15 ms a file, 4.5 s in all) so that the worker, loaded
    // through tsx, is up in time to take chunks even on a loaded machine; once it takes them the
    // main thread has fewer files to read.
    const { byWorkers } = await readEntriesInOrder(
      all,
      (sourcePath) => {
        Atomics.wait(pause, 0, 0, 15);
        return readFileEntry(contentDir, sourcePath, config);
      },
      (entry) => here.push(entry),
      { config, contentDir, workers: 1, intern: (s) => s },
    );
    expect(byWorkers).toBeGreaterThan(0);
    expect(here).toEqual(all.map((sourcePath) => readFileEntry(contentDir, sourcePath, config)));
  }, 60_000);

  /**
   * Emitted order, and the order the main thread read files in. With `until`, each local read
   * is slowed down (10 ms) until that file exists: the fake worker writes it when it is given
   * work, so the main thread is still reading, and yielding between chunks, however long the
   * worker takes to start on a loaded machine (bounded by the test's timeout, not by a guess).
   */
  async function orderWith(script: { filename: string; eval: boolean }, count = files.length, until?: string): Promise<{ order: string[]; readHere: string[]; names: string[] }> {
    const names = count === files.length ? files : Array.from({ length: count }, (_, i) => `2025-01-01-p${String(i).padStart(4, '0')}.md`);
    const root = testdir(Object.fromEntries(names.map((f) => [f, post(`title: ${f}`)])));
    const readHere: string[] = [];
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const readLocal = (sourcePath: string): FileEntry => {
      readHere.push(sourcePath);
      if (until !== undefined && !existsSync(until)) Atomics.wait(pause, 0, 0, 10);
      return readFileEntry(root, sourcePath, config);
    };
    const order: string[] = [];
    await readEntriesInOrder(names, readLocal, (entry) => order.push(entry.sourcePath), { config, contentDir: root, workers: 1, intern: (s) => s, script });
    return { order, readHere, names };
  }

  it('reads everything on the main thread when the worker cannot start', async () => {
    const { order, readHere } = await orderWith({ filename: "throw new Error('no worker today')", eval: true });
    expect(order).toEqual(files);
    expect(readHere).toEqual(files);
  });

  it("takes back a worker's chunks when it dies after asking for work", async () => {
    // Says it is ready, and as soon as it is given work leaves a mark and exits without answering.
    const given = path.join(testdir(), 'given-work');
    const script = `const { parentPort } = require('node:worker_threads'); parentPort.on('message', () => { require('node:fs').writeFileSync(${JSON.stringify(given)}, ''); process.exit(3); }); parentPort.postMessage({ ready: true });`;
    // 64 chunks: while the worker has not been given work, the main thread reads slowly and
    // yields after every chunk, so there is always a later chunk for the worker to take.
    const { order, readHere, names } = await orderWith({ filename: script, eval: true }, 64 * 64, given);
    expect(existsSync(given)).toBe(true);
    expect(order).toEqual(names);
    expect([...readHere].sort()).toEqual(names);
    // The chunks the worker took were read here after a later one: they were taken back.
    expect(readHere).not.toEqual(names);
  }, 120_000);
});

describe('headerWorkers', () => {
  it('uses no worker below PARALLEL_MIN_FILES on "auto", and one fewer than the cores (at most 3) from there', () => {
    expect(headerWorkers(PARALLEL_MIN_FILES - 1)).toBe(0);
    expect(headerWorkers(PARALLEL_MIN_FILES, 'auto')).toBe(Math.max(0, Math.min(3, availableParallelism() - 1)));
  });

  it('uses as many as content.workers says, whatever the count of files (none for none)', () => {
    expect(headerWorkers(10, 2)).toBe(2);
    expect(headerWorkers(PARALLEL_MIN_FILES * 5, 0)).toBe(0);
    expect(headerWorkers(0, 2)).toBe(0);
  });

  it('reads with a worker when content.workers asks for one, with the result of a serial read', async () => {
    const root = blog();
    const serial = await readPosts({ config: makeConfig({ content: { workers: 0 } }), contentDir: path.join(root, 'content'), now: NOW });
    const parallel = await readPosts({ config: makeConfig({ content: { workers: 1 } }), contentDir: path.join(root, 'content'), now: NOW });
    expect(serial.workerChunks).toBeUndefined();
    expect(parallel.workerChunks).toBeGreaterThanOrEqual(0);
    expect({ ...parallel, workerChunks: undefined }).toEqual({ ...serial, workerChunks: undefined });
  });
});
