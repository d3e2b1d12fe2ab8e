import { readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from '../../src/commands/build.js';
import { loadConfig } from '../../src/config/load.js';
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
    expect(JSON.parse(readFileSync(path.join(dir, '.feedletter/cache/feeds.json'), 'utf8')).version).toBe(1);
  });
});
