import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testdir } from '../helpers/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

function buildWith(env: Record<string, string>, ...args: string[]): { stderr: string; status: number | null } {
  const dir = testdir({ 'content/_posts/2026-01-01-a.md': '---\ntitle: A\n---\nbody\n' });
  const child = spawnSync(process.execPath, ['--import', TSX, path.join(ROOT, 'src/cli.ts'), ...args, 'build'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
  });
  return { stderr: child.stderr, status: child.status };
}

describe('logging of one-off commands', () => {
  it('is quiet by default, JSON lines at FEEDLETTER_LOG_LEVEL=info or with --verbose when not on a terminal', () => {
    const quiet = buildWith({});
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).not.toMatch(/"msg":"feeds built"/);

    const info = buildWith({ FEEDLETTER_LOG_LEVEL: 'info' });
    const line = info.stderr.split('\n').find((l) => l.includes('"msg":"feeds built"'));
    expect(line).toBeDefined();
    const record = JSON.parse(line!) as { job: string; published: number; written: number };
    expect(record).toMatchObject({ job: 'build', published: 1, written: 3 });

    expect(buildWith({}, '--verbose').stderr).toMatch(/"msg":"feeds built"/);
  });
});
