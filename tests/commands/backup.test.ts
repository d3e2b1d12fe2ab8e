import { copyFileSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { EXIT, main } from '../../src/cli.js';
import { backup } from '../../src/commands/backup.js';
import { loadConfig } from '../../src/config/load.js';
import { DB_FILE, Store } from '../../src/store/index.js';
import { sampleBlog } from '../helpers/cli.js';
import { captureOutput } from '../helpers/output.js';

const NOW = new Date('2026-02-01T00:00:00Z');
const ENV = { FEEDLETTER_SECRET: 'k'.repeat(40) };

const io = captureOutput();

/** A blog whose state has `n` subscribers and one recorded digest. */
function blogWithState(n: number): string {
  const dir = sampleBlog();
  const store = Store.open(path.join(dir, '.feedletter'));
  for (let i = 0; i < n; i++) store.addSubscriber(`reader${i}@example.com`, `Reader ${i}`, NOW);
  store.createDigest({ createdAt: NOW, windowStart: NOW, windowEnd: NOW, subject: 's', html: '<p>h</p>', text: 't', postIds: ['a'] });
  store.close();
  return dir;
}

describe('feedletter backup', () => {
  it('writes a consistent, integrity-checked copy (0600) while the database is being written', async () => {
    const dir = blogWithState(2_000);
    const { resolved } = loadConfig({ cwd: dir, env: ENV });
    const writer = Store.open(resolved.paths.state);
    let added = 0;
    // Writes land while SQLite copies pages; the online backup restarts and still ends consistent.
    const writing = setInterval(() => writer.addSubscriber(`late${added++}@example.com`, null, NOW), 1);
    let result;
    try {
      result = await backup({ resolved, file: 'backups/state.db' });
    } finally {
      clearInterval(writing);
    }
    writer.close();
    expect(result.subscribers).toBeGreaterThanOrEqual(2_000);
    expect(result.digests).toBe(1);
    expect(result.deliveries).toBe(2_000);
    const file = path.join(dir, 'backups/state.db');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const copy = new Database(file, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(copy.prepare('SELECT COUNT(*) AS n FROM subscribers').get()).toEqual({ n: result.subscribers });
      expect(copy.prepare("SELECT name FROM subscribers WHERE email = 'reader1999@example.com'").get()).toEqual({ name: 'Reader 1999' });
    } finally {
      copy.close();
    }
    expect(readdirSync(path.join(dir, 'backups'))).toEqual(['state.db']);
  });

  it('refuses to replace a file (65) unless --force, and says what it wrote', async () => {
    const dir = blogWithState(3);
    writeFileSync(path.join(dir, 'old.db'), 'precious');
    expect(await main(['backup', 'old.db'], { cwd: dir, env: ENV })).toBe(EXIT.input);
    expect(io.stderr.join('')).toMatch(/old\.db exists already/);
    expect(await main(['backup', 'old.db', '--force'], { cwd: dir, env: ENV })).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/backup: old\.db: 3 subscribers, 1 digests, 3 deliveries \(integrity checked\)/);
    // With the secret in the environment there is no secret file to keep alongside.
    expect(io.stdout.join('')).not.toMatch(/keep .*secret/);
    expect(await main(['backup', 'again.db'], { cwd: dir, env: {} })).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/keep \.feedletter\/secret with it/);
  });

  it('a folder that cannot take the copy gives 74 and leaves no partial file', async () => {
    const dir = blogWithState(3);
    writeFileSync(path.join(dir, 'not-a-folder'), '');
    expect(await main(['backup', 'not-a-folder/state.db'], { cwd: dir, env: ENV })).toBe(EXIT.io);
    expect(io.stderr.join('')).toMatch(/cannot write the backup not-a-folder\/state\.db/);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('the README’s restore steps bring every subscriber back after the database was truncated', async () => {
    const dir = blogWithState(5);
    expect(await main(['backup', 'state.db'], { cwd: dir, env: ENV })).toBe(EXIT.ok);
    const db = path.join(dir, '.feedletter', DB_FILE);
    writeFileSync(db, '');
    expect(await main(['subscribers', 'list'], { cwd: dir, env: ENV })).toBe(EXIT.io);
    // README "Backups": stop feedletter, remove the database with its -wal and -shm, copy the backup in.
    for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
    copyFileSync(path.join(dir, 'state.db'), db);
    io.stderr.length = 0;
    expect(await main(['subscribers', 'list'], { cwd: dir, env: ENV })).toBe(EXIT.ok);
    expect(io.stderr.join('')).toMatch(/^5 subscribers/m);
    expect(existsSync(db)).toBe(true);
  });
});
