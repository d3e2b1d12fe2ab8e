import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { build } from '../../src/commands/build.js';
import { loadConfig } from '../../src/config/load.js';
import type * as Read from '../../src/content/read.js';
import type { Logger } from '../../src/log.js';
import { testdir } from '../helpers/tmp.js';

// A post that cannot be read (permissions, say: root reads anything, so the reader is made to
// fail instead). A permission change moves no mtime, so the build must not vouch for its result.
const unreadable = new Set<string>();
vi.mock('../../src/content/read.js', async (importOriginal) => {
  const actual = await importOriginal<typeof Read>();
  return {
    ...actual,
    readHeader: (absolutePath: string, ...rest: Parameters<typeof actual.readHeader> extends [string, ...infer R] ? R : never) => {
      if (unreadable.has(path.basename(absolutePath))) throw new Error('EACCES: permission denied');
      return actual.readHeader(absolutePath, ...rest);
    },
  };
});

const NOW = new Date('2026-03-01T00:00:00Z');

async function logged(dir: string) {
  const records: Record<string, unknown>[] = [];
  const logger = { info: (record: Record<string, unknown>) => void records.push(record) } as unknown as Logger;
  const { resolved } = loadConfig({ cwd: dir, env: {} });
  const result = await build({ resolved, now: NOW, logger });
  return { result, snapshot: records[0]?.snapshot };
}

describe('build: a post that cannot be read', () => {
  it('is tried again on the next build, though its stamp did not change', async () => {
    const dir = testdir({
      'config/feedletter.yaml': 'site:\n  url: https://blog.example.com/\n',
      'content/_posts/2026-01-01-one.md': '---\ntitle: One\n---\nbody\n',
      'content/_posts/2026-01-02-two.md': '---\ntitle: Two\n---\nbody\n',
    });
    unreadable.add('2026-01-02-two.md');
    const first = await logged(dir);
    expect(first.result.skipped).toBe(1);
    expect(first.result.problems[0]?.message).toMatch(/could not be read/);
    const still = await logged(dir);
    expect(still.snapshot).toBe(false);
    expect(still.result.skipped).toBe(1);
    unreadable.clear();
    const fixed = await logged(dir);
    expect(fixed.snapshot).toBe(false);
    expect(fixed.result.published).toBe(2);
    expect(fixed.result.skipped).toBe(0);
    expect((await logged(dir)).snapshot).toBe(true);
  });
});
