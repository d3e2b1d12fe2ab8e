import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchContent } from '../../src/schedule/watch.js';
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
