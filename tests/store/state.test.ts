/**
 * The state folder under stress: many processes creating it at once, a truncated or damaged
 * database, a database held by another writer, a folder that cannot be created.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { databaseFailure, FeedletterError } from '../../src/errors.js';
import { DB_FILE, MIGRATIONS, Store, migrate } from '../../src/store/index.js';
import { ROOT, runCli, sampleBlog } from '../helpers/cli.js';
import { testdir } from '../helpers/tmp.js';

const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const CHILD = path.join(import.meta.dirname, 'fixtures/open-child.ts');

function openChild(stateDir: string, startAt: number, index: number): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', TSX, CHILD, stateDir, String(startAt), String(index)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => setImmediate(() => resolve({ code, output }))));
}

const errorOf = (fn: () => unknown): FeedletterError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof FeedletterError) return error;
    throw error;
  }
  throw new Error('expected a FeedletterError');
};

describe('a fresh state folder created by many processes at once', () => {
  it('12 processes opening it together all succeed, and the schema is created once', async () => {
    const stateDir = path.join(testdir(), 'state');
    // Every child loads tsx first (about a second on a busy machine); they start together after.
    const startAt = Date.now() + 4_000;
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => openChild(stateDir, startAt, i)));
    const failures = results.filter((r) => r.code !== 0).map((r) => r.output);
    expect(failures).toEqual([]);
    const store = Store.open(stateDir);
    try {
      expect(store.countSubscribers()).toBe(12);
      expect(store.pragma('user_version')).toBe(MIGRATIONS.length);
    } finally {
      store.close();
    }
  }, 60_000);

  it('a process that read the version while another was migrating does not run the same step again', async () => {
    const file = path.join(testdir(), DB_FILE);
    // Another process holds the first step's transaction open, uncommitted, for a moment.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const Database = require('better-sqlite3');
         const db = new Database(process.argv[1]);
         db.pragma('journal_mode = WAL');
         db.exec('BEGIN IMMEDIATE');
         db.exec(process.argv[2]);
         process.stdout.write('holding\\n');
         setTimeout(() => { db.pragma('user_version = 1'); db.exec('COMMIT'); db.close(); }, 1500);`,
        file,
        MIGRATIONS[0] ?? '',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => holder.on('exit', resolve));
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const db = new Database(file);
    try {
      db.pragma('busy_timeout = 10000');
      // Reads version 0 (the other's step is not committed), then waits for the write lock.
      expect(db.pragma('user_version', { simple: true })).toBe(0);
      expect(() => migrate(db)).not.toThrow();
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    } finally {
      db.close();
    }
    expect(await exited).toBe(0);
  });
});

describe('a database that is not what it should be', () => {
  it('a 0-byte database is refused (74) by every command and left as it is, never replaced by an empty one', async () => {
    const dir = sampleBlog();
    expect((await runCli(dir, ['subscribers', 'add', 'reader@example.com'], { env: { FEEDLETTER_SECRET: 'k'.repeat(40) } })).code).toBe(0);
    const dbFile = path.join(dir, '.feedletter', DB_FILE);
    // A secret file is what the owner had: a state folder that has been used.
    writeFileSync(path.join(dir, '.feedletter', 'secret'), `${'s'.repeat(43)}\n`, { mode: 0o600 });
    for (const suffix of ['-wal', '-shm']) if (existsSync(dbFile + suffix)) writeFileSync(dbFile + suffix, '');
    writeFileSync(dbFile, '');

    for (const args of [['subscribers', 'list'], ['digest', '--dry-run'], ['run']]) {
      const run = await runCli(dir, args);
      expect(run.code, `${args.join(' ')}\n${run.stderr}`).toBe(74);
      expect(run.stderr).toMatch(/feedletter\.db is empty \(0 bytes\)/);
      expect(run.stderr).toMatch(/restore it from a backup/);
      expect(run.stderr).not.toMatch(/unexpected error|\n\s+at /);
      expect(statSync(dbFile).size).toBe(0);
    }
  }, 60_000);

  it('a 0-byte database is refused even with nothing else in its folder (the secret in the environment)', () => {
    const stateDir = testdir();
    writeFileSync(path.join(stateDir, DB_FILE), '');
    const error = errorOf(() => Store.open(stateDir));
    expect(error.code).toBe('STATE_INVALID');
    expect(error.message).toMatch(/is empty \(0 bytes\)/);
    expect(error.hint).toMatch(/Only if nothing was ever sent from this state folder, delete the empty file/);
    expect(statSync(path.join(stateDir, DB_FILE)).size).toBe(0);
  });

  it('a file that is not a database is "damaged" (74), with restore advice', () => {
    const stateDir = testdir();
    writeFileSync(path.join(stateDir, DB_FILE), Buffer.alloc(8192, 'garbage!'));
    const error = errorOf(() => Store.open(stateDir));
    expect(error.code).toBe('STATE_INVALID');
    expect(error.message).toMatch(/damaged or not a feedletter database/);
    expect(error.hint).toMatch(/restore it from a backup/);
  });

  it('a database another writer holds past the busy timeout is "busy" (LOCKED, 75), never "unusable"', () => {
    const stateDir = testdir();
    Store.open(stateDir).close();
    const holder = new Database(path.join(stateDir, DB_FILE));
    holder.exec('BEGIN EXCLUSIVE');
    try {
      // Store.open waits out its busy timeout (5 s) for the migration's write lock, then gives up.
      const error = errorOf(() => Store.open(stateDir));
      expect(error.code).toBe('LOCKED');
      expect(error.message).toMatch(/is busy/);
      expect(error.hint).not.toMatch(/move it away/);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  }, 30_000);

  it('a write refused because the database is read-only is reported as read-only (74), not as damaged', () => {
    const stateDir = testdir();
    Store.open(stateDir).close();
    const db = new Database(path.join(stateDir, DB_FILE), { readonly: true });
    let cause: unknown;
    try {
      db.exec('CREATE TABLE nope (x)');
    } catch (error) {
      cause = error;
    } finally {
      db.close();
    }
    const error = databaseFailure(cause, path.join(stateDir, DB_FILE), 'testing');
    if (error === undefined) return expect.fail(`not recognised as SQLite's: ${String(cause)}`);
    expect(error.code).toBe('STATE_INVALID');
    expect(error.message).toMatch(/read-only/);
    expect(error.hint).toMatch(/must be able to write the state folder/);
  });
});

describe('a state folder that cannot be created', () => {
  it('under /proc: digest ends at once with 74, instead of spinning deaf to SIGTERM', async () => {
    if (!existsSync('/proc/self')) return expect.fail('this test needs Linux /proc');
    const dir = sampleBlog();
    writeFileSync(path.join(dir, 'config/feedletter.yaml'), `${readFileSync(path.join(dir, 'config/feedletter.yaml'), 'utf8')}\nstate:\n  dir: /proc/feedletter-state-${process.pid}\n`);
    for (const args of [['digest', '--dry-run'], ['subscribers', 'list'], ['build']]) {
      const run = await runCli(dir, args, { killAfterMs: 30_000 });
      expect(run.killed, `${args.join(' ')} did not end by itself`).toBe(false);
      expect(run.code, `${args.join(' ')}\n${run.stderr}`).toBe(74);
      expect(run.stderr).toMatch(/feedletter-state/);
    }
  }, 120_000);

  it('ensureDir creates nested folders once, leaves existing ones, and refuses a file in the way', async () => {
    const { ensureDir, ensureDirSync } = await import('../../src/fs.js');
    const root = testdir({ 'file.txt': 'x' });
    ensureDirSync(path.join(root, 'a/b/c'), 0o700);
    expect(statSync(path.join(root, 'a/b/c')).isDirectory()).toBe(true);
    expect(statSync(path.join(root, 'a/b/c')).mode & 0o777).toBe(0o700);
    ensureDirSync(path.join(root, 'a/b/c'));
    await ensureDir(path.join(root, 'x/y'));
    expect(statSync(path.join(root, 'x/y')).isDirectory()).toBe(true);
    expect(() => ensureDirSync(path.join(root, 'file.txt/sub'))).toThrow(/ENOTDIR|EEXIST/);
    await expect(ensureDir(path.join(root, 'file.txt/sub'))).rejects.toThrow(/ENOTDIR|EEXIST/);
    mkdirSync(path.join(root, 'made'));
    await ensureDir(path.join(root, 'made'));
  });
});

