import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

const made: string[] = [];

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A fresh temp folder holding `files` (path → content), removed after the test. Build fixtures
 * per test with this; never share a mutable fixture between tests.
 */
export function testdir(files: Record<string, string | Buffer> = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'feedletter-test-'));
  made.push(root);
  for (const [name, content] of Object.entries(files)) {
    const target = path.join(root, name);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return root;
}

/** The user's real posts, the first fixtures. */
export const SEEDS_DIR = path.resolve(import.meta.dirname, '../../content/_posts');
