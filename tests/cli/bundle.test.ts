import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it } from 'vitest';
import { testdir } from '../helpers/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli.js');

function run(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
  return { status: child.status, stdout: child.stdout, stderr: child.stderr };
}

// What `npm start` and the package's `bin` run is the esbuild bundle, not src/: build it the way
// `npm run build` does and drive it as a user would. Catches what only bundling can break
// (paths computed from import.meta.url, packages that must stay external).
describe('the built CLI (dist/)', () => {
  beforeAll(() => {
    const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
    expect(built.status, built.stderr).toBe(0);
  }, 60_000);

  it('builds the feeds and writes the digest of the sample blog with the templates it ships', async () => {
    // No email-templates/ in the blog: the built-in ones must be found from inside dist/.
    const dir = testdir();
    for (const folder of ['content', 'config']) cpSync(path.join(ROOT, folder), path.join(dir, folder), { recursive: true });

    expect(run(dir, 'subscribers', 'add', 'reader@example.com').status).toBe(0);
    const result = run(dir, 'run');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/feeds: 2 posts/);
    expect(readFileSync(path.join(dir, 'public/feed.xml'), 'utf8')).toContain('<rss');

    const eml = readdirSync(path.join(dir, 'outbox')).filter((f) => f.endsWith('.eml'));
    expect(eml).toHaveLength(1);
    const mail = await simpleParser(readFileSync(path.join(dir, 'outbox', eml[0]!)));
    expect(mail.to).toMatchObject({ text: 'reader@example.com' });
    expect(mail.html).toContain('Inflection AI');
    expect(existsSync(path.join(dir, 'outbox/digest.html'))).toBe(true);
  });

  it('prints help and maps a bad config to its exit code', () => {
    const help = run(ROOT, '--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: feedletter/);
    const dir = testdir({ 'config/feedletter.yaml': 'site:\n  titel: typo\n' });
    const bad = run(dir, 'build');
    expect(bad.status).toBe(78);
    expect(bad.stderr).toMatch(/titel/);
  });
});
