import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parseAtomFeed, parseJsonFeed, parseRssFeed } from 'feedsmith';
import { afterEach, describe, expect, test } from 'vitest';
import { build } from '../../src/commands/build.js';
import { loadConfig } from '../../src/config/load.js';
import { pingHubs } from '../../src/feeds/websub.js';
import { testdir } from '../helpers/tmp.js';
import { atomSchemaErrors, jsonFeedSchemaErrors, wellFormednessErrors } from './helpers.js';

interface Ping {
  mode: string | null;
  url: string | null;
  contentType: string | undefined;
}

/**
 * A WebSub hub on 127.0.0.1: records every publish ping; `answer` decides the reply to the n-th
 * ping of a topic (1-based). A `hang` answer never replies.
 */
async function startHub(answer: (n: number, topic: string) => number | 'hang' = () => 204): Promise<{ url: string; pings: Ping[]; close: () => Promise<void> }> {
  const pings: Ping[] = [];
  const seen = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const topic = form.get('hub.url') ?? '';
      pings.push({ mode: form.get('hub.mode'), url: form.get('hub.url'), contentType: req.headers['content-type'] });
      const n = (seen.get(topic) ?? 0) + 1;
      seen.set(topic, n);
      const status = answer(n, topic);
      if (status === 'hang') return;
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  closers.push(close);
  return { url: `http://127.0.0.1:${port}/hub`, pings, close };
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function blog(hubs: string[], extra = ''): string {
  return testdir({
    'config/feedletter.yaml': `site:\n  url: https://blog.example.com/\nfeeds:\n  websub:\n    hubs: [${hubs.map((h) => JSON.stringify(h)).join(', ')}]\n    retryDelayMs: 5\n${extra}`,
    'content/_posts/2026-01-01-one.md': '---\ntitle: One\ntags: [a]\n---\n\nOne.\n',
    'content/_posts/2026-01-02-two.md': '---\ntitle: Two\ntags: [b]\n---\n\nTwo.\n',
  });
}

async function buildIn(dir: string) {
  const { resolved } = loadConfig({ cwd: dir, env: {} });
  return build({ resolved, now: new Date('2026-03-01T00:00:00Z') });
}

const ALL_FILES = ['atom.xml', 'feed.json', 'feed.xml', 'tags/a/atom.xml', 'tags/a/feed.json', 'tags/a/feed.xml', 'tags/b/atom.xml', 'tags/b/feed.json', 'tags/b/feed.xml'];
const urlOf = (file: string): string => `https://blog.example.com/${file}`;

describe('WebSub discovery', () => {
  test('every feed advertises each hub, and stays valid', async () => {
    const [one, two] = [await startHub(), await startHub()];
    const hubs = [one.url, `${two.url}?x=1&y=2`];
    const dir = blog(hubs);
    await buildIn(dir);
    const read = (file: string): string => readFileSync(path.join(dir, 'public', file), 'utf8');
    for (const folder of ['', 'tags/a/']) {
      const rss = parseRssFeed(read(`${folder}feed.xml`));
      expect(rss.atom?.links?.filter((l) => l.rel === 'hub').map((l) => l.href)).toEqual(hubs);
      expect(rss.atom?.links?.find((l) => l.rel === 'self')?.href).toBe(urlOf(`${folder}feed.xml`));
      const atom = parseAtomFeed(read(`${folder}atom.xml`));
      expect(atom.links?.filter((l) => l.rel === 'hub').map((l) => l.href)).toEqual(hubs);
      const json = parseJsonFeed(JSON.parse(read(`${folder}feed.json`)));
      expect(json.hubs).toEqual(hubs.map((url) => ({ type: 'WebSub', url })));
      expect(await wellFormednessErrors([read(`${folder}feed.xml`), read(`${folder}atom.xml`)])).toEqual([]);
      expect(await atomSchemaErrors(read(`${folder}atom.xml`))).toEqual([]);
      expect(jsonFeedSchemaErrors(read(`${folder}feed.json`))).toEqual([]);
    }
  });

  test('without hubs nothing is advertised', async () => {
    const dir = testdir({ 'config/feedletter.yaml': 'site:\n  url: https://blog.example.com/\n', 'content/_posts/2026-01-01-one.md': '---\ntitle: One\n---\n\nOne.\n' });
    const result = await buildIn(dir);
    for (const file of ['feed.xml', 'atom.xml', 'feed.json']) expect(readFileSync(path.join(dir, 'public', file), 'utf8')).not.toMatch(/hub/);
    expect(result.websub).toEqual({ accepted: 0, failed: [] });
  });
});

describe('WebSub publish pings', () => {
  test('each hub hears of each changed feed URL, once; unchanged files are never announced', async () => {
    const [hubA, hubB] = [await startHub(), await startHub()];
    const dir = blog([hubA.url, hubB.url]);
    const first = await buildIn(dir);
    expect(first.websub).toEqual({ accepted: ALL_FILES.length * 2, failed: [] });
    for (const hub of [hubA, hubB]) {
      expect(hub.pings.map((p) => p.url).sort()).toEqual(ALL_FILES.map(urlOf).sort());
      expect(hub.pings.every((p) => p.mode === 'publish' && p.contentType === 'application/x-www-form-urlencoded')).toBe(true);
    }

    // Nothing changed: no ping at all.
    hubA.pings.length = 0;
    const second = await buildIn(dir);
    expect(second.websub).toEqual({ accepted: 0, failed: [] });
    expect(hubA.pings).toEqual([]);

    // One post edited: only the files that carry it.
    const file = path.join(dir, 'content/_posts/2026-01-02-two.md');
    writeFileSync(file, '---\ntitle: Two, edited\ntags: [b]\n---\n\nTwo.\n');
    utimesSync(file, new Date('2026-02-01T00:00:00Z'), new Date('2026-02-01T00:00:00Z'));
    await buildIn(dir);
    expect(hubA.pings.map((p) => p.url).sort()).toEqual(['atom.xml', 'feed.json', 'feed.xml', 'tags/b/atom.xml', 'tags/b/feed.json', 'tags/b/feed.xml'].map(urlOf));
  });

  test('a hub that fails, then recovers, is retried with backoff and hears of every file', async () => {
    // 503 twice, then 429, then accepted, for every topic.
    const hub = await startHub((n) => (n <= 2 ? 503 : n === 3 ? 429 : 202));
    const dir = blog([hub.url]);
    const result = await buildIn(dir);
    expect(result.websub).toEqual({ accepted: ALL_FILES.length, failed: [] });
    expect(result.problems).toEqual([]);
    for (const url of ALL_FILES.map(urlOf)) expect(hub.pings.filter((p) => p.url === url)).toHaveLength(4);
  });

  test('a hub that stays down never fails the build: one warning per file, after every retry', async () => {
    const down = await startHub(() => 500);
    const refusing = await startHub(() => 400);
    const dir = blog([down.url, refusing.url], '    retries: 2\n');
    const result = await buildIn(dir);
    expect(result.skipped).toBe(0);
    expect(result.feeds.written).toEqual(ALL_FILES);
    expect(result.websub.accepted).toBe(0);
    const warnings = result.problems.filter((p) => p.field === 'feeds.websub.hubs');
    expect(warnings).toHaveLength(ALL_FILES.length * 2);
    expect(warnings.every((w) => w.severity === 'warning')).toBe(true);
    expect(warnings).toContainEqual(expect.objectContaining({ file: 'public/tags/a/atom.xml', message: expect.stringContaining(`the hub ${down.url} did not take the ping for ${urlOf('tags/a/atom.xml')} (HTTP 500 Internal Server Error, 3 tries)`) }));
    // A 4xx is the hub saying no: not retried.
    expect(warnings).toContainEqual(expect.objectContaining({ message: expect.stringContaining('(HTTP 400 Bad Request, 1 try)') }));
    expect(down.pings).toHaveLength(ALL_FILES.length * 3);
    expect(refusing.pings).toHaveLength(ALL_FILES.length);
  });

  test('an unreachable hub and one that never answers are given up on, not waited for forever', async () => {
    const gone = await startHub();
    await gone.close();
    const silent = await startHub(() => 'hang');
    const result = await pingHubs({ hubs: [gone.url, silent.url], topics: [urlOf('feed.xml')], retries: 1, retryDelayMs: 1, timeoutMs: 200 });
    expect(result.accepted).toBe(0);
    // (Failures come sorted by hub URL; these two differ only in a random port.)
    expect(result.failed).toHaveLength(2);
    expect(result.failed).toContainEqual({ hub: gone.url, topic: urlOf('feed.xml'), tries: 2, reason: 'ECONNREFUSED' });
    expect(result.failed).toContainEqual({ hub: silent.url, topic: urlOf('feed.xml'), tries: 2, reason: 'no answer within 200 ms' });
  });

  test('backoff doubles from retryDelayMs', async () => {
    const waits: number[] = [];
    const hub = await startHub(() => 503);
    await pingHubs({ hubs: [hub.url], topics: [urlOf('feed.xml')], retries: 3, retryDelayMs: 100, timeoutMs: 1000, sleep: async (ms) => void waits.push(ms) });
    expect(waits).toEqual([100, 200, 400]);
  });
});
