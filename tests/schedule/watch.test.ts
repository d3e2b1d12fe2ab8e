import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { concernsPosts, watchContent } from '../../src/schedule/watch.js';
import { testdir } from '../helpers/tmp.js';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

describe('watchContent', () => {
  it('reports a burst of changes in nested folders once, ignoring editor files', async () => {
    const dir = testdir({ '_posts/2026/old.md': '---\ntitle: old\n---\n' });
    mkdirSync(path.join(dir, '_posts/2026'), { recursive: true });
    const calls: string[][] = [];
    const changed = new Promise<void>((resolve) => {
      const watcher = watchContent(dir, {
        debounceMs: 100,
        onChange: (paths) => {
          calls.push(paths);
          resolve();
        },
      });
      closers.push(() => watcher.close());
    });
    writeFileSync(path.join(dir, '_posts/2026/.new.md.swp'), 'x');
    writeFileSync(path.join(dir, '_posts/2026/new.md'), '---\ntitle: new\n---\n');
    writeFileSync(path.join(dir, '_posts/2026/new.md'), '---\ntitle: new, again\n---\n');
    await changed;
    expect(calls[0]).toContain('_posts/2026/new.md');
    expect(calls.flat().some((p) => p.endsWith('.swp'))).toBe(false);
  });
});

describe('concernsPosts', () => {
  it('leaves out what feedletter and the generator write inside a content folder that is the whole site', () => {
    const site = path.resolve('/srv/blog');
    const written = [path.join(site, '_site'), path.join(site, '.feedletter'), path.join(site, 'outbox')];
    expect(concernsPosts('_posts/2026-01-01-a.md', site, written)).toBe(true);
    expect(concernsPosts('tech/_posts/2026-01-01-a.md', site, written)).toBe(true);
    expect(concernsPosts('.', site, written)).toBe(true);
    expect(concernsPosts('_site/feed.xml', site, written)).toBe(false);
    expect(concernsPosts('_site', site, written)).toBe(false);
    expect(concernsPosts('_site_old/x.md', site, written)).toBe(true);
    expect(concernsPosts('.feedletter/cache/headers.json', site, written)).toBe(false);
    expect(concernsPosts('node_modules/feedletter/README.md', site, written)).toBe(false);
  });
});
