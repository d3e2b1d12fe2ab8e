import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { copySite } from '../sites/helpers.js';
import { testdir } from '../helpers/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** npm failed for want of the registry (not for anything of ours): the test is skipped with this reason. */
const OFFLINE = /E(NOTFOUND|AI_AGAIN|CONNREFUSED|CONNRESET|TIMEDOUT|NOTCACHED|NETUNREACH)/;

function sh(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' } });
}

/**
 * What a user gets: `npm pack` of the package (its `prepare` builds dist/), installed with npm
 * into a blog of their own, and `npx feedletter ...` run there. The pack runs in a copy of the
 * package (sources, templates, config; node_modules linked) so that it never races the other
 * tests that build dist/ in the repository. The install needs the npm registry (CI has it);
 * install scripts are off (better-sqlite3's would fetch or compile its binding: the one built
 * here is copied in instead, when the versions match).
 */
describe('the npm package, installed into a blog', () => {
  it('installs from the tarball, and init, build, check and the daemon run from the install', { timeout: 600_000 }, async (ctx) => {
    const work = testdir();
    const pkg = path.join(work, 'package');
    mkdirSync(pkg);
    for (const entry of ['package.json', 'package-lock.json', 'README.md', 'tsconfig.json', 'src', 'email-templates', 'config']) cpSync(path.join(ROOT, entry), path.join(pkg, entry), { recursive: true });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
    const packed = sh('npm', ['pack', '--silent', '--pack-destination', work], pkg);
    expect(packed.status, packed.stderr).toBe(0);
    const tarball = path.join(work, packed.stdout.trim().split('\n').at(-1) as string);
    expect(existsSync(tarball), tarball).toBe(true);

    // A Hugo blog of the user's, with feedletter as its one dependency.
    const site = copySite('hugo');
    writeFileSync(path.join(site, 'package.json'), JSON.stringify({ name: 'my-blog', private: true }));
    const installed = sh('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', tarball], site);
    if (installed.status !== 0 && OFFLINE.test(installed.stderr)) return ctx.skip(`the npm registry is unreachable: ${installed.stderr.split('\n')[0]}`);
    expect(installed.status, installed.stderr).toBe(0);
    const home = path.join(site, 'node_modules', 'feedletter');
    // Only what the package ships: no sources, no tests.
    expect(readdirSync(home).sort()).toEqual(['README.md', 'config', 'dist', 'email-templates', 'package.json']);

    const npx = (...args: string[]): SpawnSyncReturns<string> => sh('npx', ['--no-install', 'feedletter', ...args], site);
    const init = npx('init');
    expect(init.status, init.stderr).toBe(0);
    expect(init.stdout).toContain('a Hugo site');
    // The templates came from the install.
    expect(readFileSync(path.join(site, 'email-templates/digest.mjml'), 'utf8')).toBe(readFileSync(path.join(home, 'email-templates/digest.mjml'), 'utf8'));

    // A header worker reads the posts: its script must be found inside the install. Enough
    // posts that the worker gets chunks before the main thread has read them all.
    for (let i = 0; i < 1500; i++) writeFileSync(path.join(site, 'content/posts', `gen-${i}.md`), `---\ntitle: "記事 ${i}"\ndate: 2025-01-01T00:00:00Z\n---\n本文\n`);
    const config = readFileSync(path.join(site, 'config/feedletter.yaml'), 'utf8').replace(/^content:\n/m, 'content:\n  workers: 1\n');
    writeFileSync(path.join(site, 'config/feedletter.yaml'), config);
    const built = npx('--verbose', 'build');
    expect(built.status, built.stderr).toBe(0);
    expect(built.stdout).toMatch(/feeds: 1511 posts/);
    const record = JSON.parse(built.stderr.split('\n').find((line) => line.includes('"feeds built"')) ?? '{}') as { workerChunks?: number };
    expect(record.workerChunks).toBeGreaterThan(0);
    const feed = JSON.parse(readFileSync(path.join(site, 'public/feed.json'), 'utf8')) as { items: Array<{ url: string }> };
    expect(feed.items.map((i) => i.url)).toContain('https://example.org/blog/2026/01/%E6%9D%B1%E4%BA%AC-%E3%82%BF%E3%83%AF%E3%83%BC/');
    expect(npx('check').status).toBe(0);

    const schedule = npx('daemon', '--print-schedule');
    expect(schedule.status, schedule.stderr).toBe(0);
    expect(schedule.stdout).toMatch(/digest: "0 8 \* \* \*" \(Asia\/Tokyo\)/);

    // The state database, with the native binding this checkout built (npm would fetch or compile it).
    const version = (dir: string): string => (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    const binding = path.join('build', 'Release', 'better_sqlite3.node');
    const ours = path.join(ROOT, 'node_modules', 'better-sqlite3');
    const theirs = path.join(site, 'node_modules', 'better-sqlite3');
    if (version(ours) === version(theirs) && existsSync(path.join(ours, binding))) {
      mkdirSync(path.dirname(path.join(theirs, binding)), { recursive: true });
      copyFileSync(path.join(ours, binding), path.join(theirs, binding));
      const added = npx('subscribers', 'add', 'reader@example.com');
      expect(added.status, added.stderr).toBe(0);
      const digest = npx('digest', '--dry-run', '--since', '2026-01-01');
      expect(digest.status, digest.stderr).toBe(0);
      expect(readdirSync(path.join(site, 'outbox')).some((f) => f.endsWith('.eml'))).toBe(true);
    }
  });
});
