import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { simpleParser } from 'mailparser';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { cacheLine } from '../../src/content/cache.js';
import type { ChunkReply } from '../../src/content/parallel.js';
import { makeConfig } from '../content/helpers.js';
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

  it('ships a header worker that answers with entries and their cache lines', async () => {
    const dir = testdir({ '2026-01-11-a.md': '---\ntitle: "**太字**"\ntags: [AI]\n---\n本文\n' });
    const worker = new Worker(path.join(ROOT, 'dist/workers/headers.js'), { workerData: { config: makeConfig(), contentDir: dir, cacheLines: true } });
    try {
      const replies: unknown[] = [];
      await new Promise<void>((resolve, reject) => {
        worker.on('error', reject);
        worker.on('message', (reply: { ready?: true }) => {
          replies.push(reply);
          if (reply.ready) worker.postMessage({ index: 7, job: ['2026-01-11-a.md'] });
          else resolve();
        });
      });
      expect(replies[1]).toMatchObject({ index: 7, reply: { entries: [{ sourcePath: '2026-01-11-a.md', header: { title: '太字', tags: ['AI'] }, problems: [] }] } });
      const { entries, lines } = (replies[1] as { reply: ChunkReply }).reply;
      expect(lines).toEqual([cacheLine(entries[0]!)]);
    } finally {
      await worker.terminate();
    }
  });

  it('builds a blog with a header worker exactly as the serial sources do', async () => {
    const config = (workers: number): string => `site:\n  title: Big\n  url: https://big.example/\n  timezone: Asia/Tokyo\n  language: ja\ncontent:\n  workers: ${workers}\n`;
    const posts: Record<string, string> = {};
    for (let i = 0; i < 2100; i++) {
      const day = String((i % 28) + 1).padStart(2, '0');
      posts[`content/_posts/2024-${String((i % 12) + 1).padStart(2, '0')}-${day}-p${i}.md`] = `---\ntitle: "**記事 ${i}**"\ntags: [t${i % 9}, 共通]\n---\n本文 ${i}\n`;
    }
    const bundled = testdir({ ...posts, 'config/feedletter.yaml': config(1) });
    const sources = testdir({ ...posts, 'config/feedletter.yaml': config(0) });
    const result = run(bundled, '--verbose', 'build');
    expect(result.status, result.stderr).toBe(0);
    // The bundle finds its worker script: the worker reads some of the chunks (a bundle that
    // could not start it would read them all on the main thread, and only be slower).
    const record = JSON.parse(result.stderr.split('\n').find((line) => line.includes('"feeds built"')) ?? '{}') as { workerChunks?: number };
    expect(record.workerChunks).toBeGreaterThan(0);
    // The same blog built in this process from the TypeScript sources.
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main(['build'], { cwd: sources, env: {} })).toBe(0);
    } finally {
      write.mockRestore();
    }
    const files = (root: string): string[] => readdirSync(path.join(root, 'public'), { recursive: true, encoding: 'utf8' }).sort();
    expect(files(bundled)).toEqual(files(sources));
    for (const file of files(sources).filter((f) => f.endsWith('.xml') || f.endsWith('.json'))) {
      expect(readFileSync(path.join(bundled, 'public', file), 'utf8'), file).toBe(readFileSync(path.join(sources, 'public', file), 'utf8'));
    }
  });
  it('serves the signup page and the ALTCHA widget from the bundle (found from inside dist/)', async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const dir = testdir({ 'config/feedletter.yaml': `site:\n  url: https://blog.example.com/\nserver:\n  port: ${port}\n`, 'content/_posts/.keep': '' });
    const child = spawn(process.execPath, [CLI, 'daemon'], { cwd: dir, env: { PATH: process.env.PATH ?? '', FEEDLETTER_SECRET: 'bundle-test-secret-0123456789abcdef' }, stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const base = `http://127.0.0.1:${port}/`;
      const deadline = Date.now() + 20_000;
      while (!(await fetch(`${base}healthz`).then((r) => r.ok, () => false))) {
        if (Date.now() > deadline) throw new Error('the built daemon did not answer');
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await (await fetch(`${base}subscribe`)).text()).toContain('<altcha-widget');
      const widget = await fetch(`${base}altcha.js`);
      expect(widget.status).toBe(200);
      expect((await widget.arrayBuffer()).byteLength).toBeGreaterThan(50_000);
      expect(await (await fetch(`${base}altcha/challenge`)).json()).toMatchObject({ parameters: { algorithm: 'SHA-256' } });
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }, 40_000);
});
