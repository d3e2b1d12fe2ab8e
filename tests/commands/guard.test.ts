/**
 * A missing content folder, or a build that would empty feeds that have items: refused, with
 * nothing written, rather than published as an empty blog.
 */
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT, main } from '../../src/cli.js';
import { sampleBlog } from '../helpers/cli.js';
import { testdir } from '../helpers/tmp.js';
import { captureOutput } from '../helpers/output.js';

const io = captureOutput();

const cli = (dir: string, ...args: string[]): Promise<number> => main(args, { cwd: dir, env: { FEEDLETTER_SECRET: 'k'.repeat(40) } });

/** Every file under `dir` with its bytes. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(path.relative(dir, full), readFileSync(full, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

describe('a content folder that is not there', () => {
  it('build during a deploy (content moved away) exits 66 and leaves every feed as it was', async () => {
    const dir = sampleBlog();
    expect(await cli(dir, 'build')).toBe(EXIT.ok);
    const before = snapshot(path.join(dir, 'public'));
    expect([...before.keys()].filter((f) => f.startsWith('tags/')).length).toBeGreaterThan(6);
    renameSync(path.join(dir, 'content'), path.join(dir, 'content.deploying'));
    io.stderr.length = 0;
    expect(await cli(dir, 'build')).toBe(66);
    expect(io.stderr.join('')).toMatch(/content folder content\/ \(content\.dir\) does not exist/);
    expect(io.stderr.join('')).toMatch(/nothing was written/);
    expect(snapshot(path.join(dir, 'public'))).toEqual(before);
  });

  it('run, digest and check in an empty folder exit 66 and create nothing there', async () => {
    const dir = testdir();
    for (const command of ['run', 'digest', 'check', 'build']) {
      io.stderr.length = 0;
      expect(await cli(dir, command), command).toBe(66);
      expect(io.stderr.join(''), command).toMatch(/content\.dir/);
      expect(readdirSync(dir), command).toEqual([]);
    }
  });

  it('a content.dir that is a file is refused the same way', async () => {
    const dir = testdir({ 'config/feedletter.yaml': 'content:\n  dir: posts.md\n', 'posts.md': '# not a folder\n' });
    expect(await cli(dir, 'build')).toBe(66);
    expect(io.stderr.join('')).toMatch(/content\.dir posts\.md is not a folder/);
  });
});

describe('a build that would empty feeds that have items', () => {
  it('is refused (66) writing nothing; --allow-empty writes the empty feeds and removes the per-term ones', async () => {
    const dir = sampleBlog();
    expect(await cli(dir, 'build')).toBe(EXIT.ok);
    const before = snapshot(path.join(dir, 'public'));
    rmSync(path.join(dir, 'content/_posts'), { recursive: true });
    io.stderr.length = 0;
    expect(await cli(dir, 'build')).toBe(66);
    expect(io.stderr.join('')).toMatch(/no post would be published, but public\/feed\.json has 2 items/);
    expect(io.stderr.join('')).toMatch(/--allow-empty/);
    expect(snapshot(path.join(dir, 'public'))).toEqual(before);
    // `run` refuses the same way, and then sends no digest.
    expect(await cli(dir, 'run')).toBe(66);
    expect(existsSync(path.join(dir, 'outbox'))).toBe(false);

    expect(await cli(dir, 'build', '--allow-empty')).toBe(EXIT.ok);
    const feed = JSON.parse(readFileSync(path.join(dir, 'public/feed.json'), 'utf8')) as { items: unknown[] };
    expect(feed.items).toEqual([]);
    expect([...snapshot(path.join(dir, 'public')).keys()].filter((f) => f.startsWith('tags/'))).toEqual([]);
    // Now the feeds on disk are empty: an empty build is no loss and goes through.
    expect(await cli(dir, 'build')).toBe(EXIT.ok);
  });

  it('when every post fails (a config change broke them all), the refusal prints each post’s problem', async () => {
    const dir = sampleBlog();
    expect(await cli(dir, 'build')).toBe(EXIT.ok);
    const before = snapshot(path.join(dir, 'public'));
    for (const name of readdirSync(path.join(dir, 'content/_posts'))) {
      const file = path.join(dir, 'content/_posts', name);
      writeFileSync(file, readFileSync(file, 'utf8').replace(/^date:.*$/m, 'date: 2026-02-30'));
    }
    io.stderr.length = 0;
    expect(await cli(dir, 'build')).toBe(66);
    const printed = io.stderr.join('');
    expect(printed.match(/date: "2026-02-30" is not a day of the calendar/g)?.length).toBe(2);
    expect(snapshot(path.join(dir, 'public'))).toEqual(before);
  });

  it('a new blog with no post yet and no feeds builds its empty feeds without being asked', async () => {
    const dir = testdir({ 'config/feedletter.yaml': 'site:\n  url: https://blog.example.com/\n', 'content/_posts/.keep': '' });
    expect(await cli(dir, 'build')).toBe(EXIT.ok);
    expect(JSON.parse(readFileSync(path.join(dir, 'public/feed.json'), 'utf8'))).toMatchObject({ items: [] });
  });
});

describe('the state folder a build creates', () => {
  it('is 0700 from the start (it will hold the signing secret and every address), whichever command makes it', async () => {
    for (const command of ['build', 'check', 'run']) {
      const dir = sampleBlog();
      expect(await cli(dir, command), command).toBe(EXIT.ok);
      if (command === 'check') continue; // writes nothing
      expect(statSync(path.join(dir, '.feedletter')).mode & 0o777, command).toBe(0o700);
      expect(statSync(path.join(dir, '.feedletter/cache')).mode & 0o777, command).toBe(0o700);
    }
  });
});

