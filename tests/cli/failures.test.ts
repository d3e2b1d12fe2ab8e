import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, cpSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT, main, report } from '../../src/cli.js';
import { asKnownFailure } from '../../src/errors.js';
import { createSmtpTransport, deliverDigest } from '../../src/delivery/index.js';
import { Store } from '../../src/store/index.js';
import { seedDigest, testBuilder } from '../delivery/fixtures/build.js';
import { closedPort, startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';
import { testdir } from '../helpers/tmp.js';

/**
 * Every failure of a path that talks to SMTP, the disk or the database ends in its documented
 * exit code with a message, never a stack trace (that is for bugs, and only with --verbose), and
 * never the SMTP password. Real child processes, as cron runs them.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const SECRET = 'test-secret-of-at-least-thirty-two-bytes!';
const servers: TestSmtpServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  vi.restoreAllMocks();
});

function sampleBlog(): string {
  const dir = testdir();
  for (const folder of ['content', 'config', 'email-templates']) cpSync(path.join(ROOT, folder), path.join(dir, folder), { recursive: true });
  return dir;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `feedletter ARGS` in a child process; `unprivileged` runs it as nobody when the tests run as root (CI). */
function feedletter(dir: string, args: string[], env: Record<string, string> = {}, options: { unprivileged?: boolean } = {}): Promise<Run> {
  const asNobody = options.unprivileged === true && process.getuid?.() === 0;
  const child = spawn(process.execPath, ['--import', TSX, path.join(ROOT, 'src/cli.ts'), ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', FEEDLETTER_SECRET: SECRET, ...env },
    ...(asNobody ? { uid: 65_534, gid: 65_534 } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

const STACK = /^\s+at .+[:(]/m;

function unprivilegedCanRun(): boolean {
  if (process.getuid?.() !== 0) return true;
  const probe = spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(path.join(ROOT, 'src/cli.ts'))}); require('node:fs').accessSync(${JSON.stringify(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs'))})`], { uid: 65_534, gid: 65_534 });
  return probe.status === 0;
}

describe('SMTP_URL that does not parse', () => {
  it.each([
    ['a port that is not a number', 'smtp://admin:S3cretPassw0rd@127.0.0.1:notaport', /port that is not a number/],
    ['a "#" in the password', 'smtp://admin:S3cret#Passw0rd@127.0.0.1:25', /percent-encoded|"#"/],
    ['a "/" in the password', 'smtp://admin:S3cret/Passw0rd@127.0.0.1:25', /percent-encoded|"\/"/],
    ['a "/" after digits in the password', 'smtp://admin:1234/S3cretPassw0rd@127.0.0.1:25', /"\/" .*in the password must be/],
    ['port 99999', 'smtp://admin:S3cretPassw0rd@127.0.0.1:99999', /port 99999, out of range/],
    ['another scheme', 'http://admin:S3cretPassw0rd@127.0.0.1:25', /must start with smtp:\/\/ or smtps:\/\//],
  ])('%s: exit 78 naming SMTP_URL, the password nowhere (stdout, stderr, logs)', async (_name, url, why) => {
    const dir = sampleBlog();
    const run = await feedletter(dir, ['--verbose', 'digest'], { SMTP_URL: url, FEEDLETTER_LOG_LEVEL: 'debug' });
    expect(run.status).toBe(EXIT.config);
    expect(run.stderr).toMatch(/SMTP_URL/);
    expect(run.stderr).toMatch(why);
    for (const part of ['S3cret', 'Passw0rd', '1234/']) {
      expect(run.stdout).not.toContain(part);
      expect(run.stderr).not.toContain(part);
    }
    expect(run.stderr).not.toMatch(STACK);
  });

  it('a well-formed URL with an encoded "#" and "/" in the password logs in with the decoded password', async () => {
    const smtp = await startSmtpServer({ auth: { user: 'feed', pass: 'pa#ss/wo:rd@' } });
    servers.push(smtp);
    const dir = sampleBlog();
    const url = `smtp://feed:${encodeURIComponent('pa#ss/wo:rd@')}@127.0.0.1:${smtp.port}`;
    const run = await feedletter(dir, ['digest', '--to', 'me@example.com'], { SMTP_URL: url });
    expect(run.stderr).not.toMatch(/feedletter:/);
    expect(run.status).toBe(EXIT.ok);
    expect(smtp.copiesTo('me@example.com')).toHaveLength(1);
  });
});

describe('exit codes of SMTP, disk and database failures', () => {
  it('digest --to with the SMTP server down: 69 and a message, no stack', async () => {
    const dir = sampleBlog();
    const run = await feedletter(dir, ['digest', '--to', 'me@example.com'], { SMTP_URL: `smtp://127.0.0.1:${await closedPort()}` });
    expect(run.status).toBe(EXIT.unavailable);
    expect(run.stderr).toMatch(/SMTP server is unavailable/);
    expect(run.stderr).not.toMatch(STACK);
  });

  it('a sending quota on MAIL FROM: 69 with the server\'s words, the rest pending; the next run resumes', async () => {
    let quota = 1;
    const smtp = await startSmtpServer({ onMailFrom: ({ attempt }) => (attempt > quota ? { code: 550, text: '5.4.5 Daily user sending quota exceeded' } : undefined) });
    servers.push(smtp);
    const dir = sampleBlog();
    for (const n of [1, 2, 3]) expect((await feedletter(dir, ['subscribers', 'add', `s${n}@example.org`])).status).toBe(EXIT.ok);
    const env = { SMTP_URL: smtp.url };
    const first = await feedletter(dir, ['digest'], env);
    expect(first.status).toBe(EXIT.unavailable);
    expect(first.stderr).toMatch(/550 5\.4\.5 Daily user sending quota exceeded/);
    expect(first.stderr).toMatch(/next run resumes/);
    expect(smtp.messages).toHaveLength(1);

    quota = Number.POSITIVE_INFINITY;
    const second = await feedletter(dir, ['digest'], env);
    expect(second.stdout).toMatch(/resumed an unfinished digest: 2 sent, 0 failed/);
    expect(second.status).toBe(EXIT.ok);
    for (const n of [1, 2, 3]) expect(smtp.copiesTo(`s${n}@example.org`), `s${n}`).toHaveLength(1);
  });

  // As root (CI) the database can only be made unwritable for another user: nobody, who must be able
  // to read this checkout. (The in-process test below makes SQLite itself refuse writes.)
  it.skipIf(!unprivilegedCanRun())('a database the user cannot write: 74 and a message, no stack', async () => {
    const dir = sampleBlog();
    expect((await feedletter(dir, ['subscribers', 'add', 'a@example.org'])).status).toBe(EXIT.ok);
    if (process.getuid?.() === 0) {
      // As nobody: the folders are readable and the database file is not writable.
      chmodSync(dir, 0o755);
      chmodSync(path.join(dir, '.feedletter'), 0o755);
      for (const file of readdirSync(path.join(dir, '.feedletter'))) chmodSync(path.join(dir, '.feedletter', file), 0o644);
    } else {
      chmodSync(path.join(dir, '.feedletter', 'feedletter.db'), 0o444);
    }
    const run = await feedletter(dir, ['subscribers', 'add', 'b@example.org'], {}, { unprivileged: true });
    expect(run.stderr).not.toMatch(STACK);
    expect(run.stderr).toMatch(/database/);
    expect(run.status).toBe(EXIT.io);
  });

  it('an outbox folder that cannot be written (digest.transport: outbox): 74, nothing marked', async () => {
    const dir = sampleBlog();
    const config = path.join(dir, 'config/feedletter.yaml');
    // A file where the folder should be: ENOTDIR, whoever runs the test (root included).
    writeFileSync(path.join(dir, 'blocker'), 'not a folder');
    writeFileSync(config, readFileSync(config, 'utf8').replace(/^digest:\n/m, 'digest:\n  transport: outbox\n  outbox: blocker/outbox\n'));
    expect((await feedletter(dir, ['subscribers', 'add', 'a@example.org'])).status).toBe(EXIT.ok);
    const run = await feedletter(dir, ['digest']);
    expect(run.stderr).toMatch(/outbox/);
    expect(run.stderr).not.toMatch(STACK);
    expect(run.status).toBe(EXIT.io);
    const again = await feedletter(dir, ['digest', '--dry-run']);
    expect(again.status).toBe(EXIT.io);
    expect(again.stderr).not.toMatch(STACK);
  });

  it('the database turning read-only in the middle of a send: 74; what was sent stays sent, the rest pending', async () => {
    const smtp = await startSmtpServer();
    servers.push(smtp);
    const db = Store.open(path.join(testdir(), 'state'));
    try {
      const digestId = seedDigest(db, 4);
      const transport = createSmtpTransport({ url: smtp.url, maxConnections: 1, rateLimit: 0, timeouts: { connectionMs: 5_000, greetingMs: 5_000, socketMs: 5_000 } });
      const error = await deliverDigest({
        store: db,
        digestId,
        transport,
        build: testBuilder(digestId),
        retries: 0,
        retryDelayMs: 1,
        concurrency: 1,
        clock: () => new Date('2026-11-20T08:00:00Z'),
        // SQLite itself refuses every write from here on (SQLITE_READONLY), as with a file made read-only.
        onProgress: (counts) => void (counts.sent === 1 && db.pragma('query_only = 1')),
      }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      await transport.close();
      const lines: string[] = [];
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
      expect(report(error, false)).toBe(EXIT.io);
      expect(lines.join('')).toMatch(/database in the state folder is read-only for this process/);
      expect(lines.join('')).not.toMatch(STACK);
      db.pragma('query_only = 0');
      expect(db.deliveryCounts(digestId)).toEqual({ pending: 3, sending: 0, sent: 1, failed: 0 });
      expect(smtp.messages).toHaveLength(1);
    } finally {
      db.close();
    }
  });

  it('build into an output folder that cannot be written: 74, no stack', async () => {
    const dir = sampleBlog();
    writeFileSync(path.join(dir, 'blocker'), 'not a folder');
    const config = path.join(dir, 'config/feedletter.yaml');
    writeFileSync(config, readFileSync(config, 'utf8').replace(/^output:\n {2}dir: public\n/m, 'output:\n  dir: blocker/public\n'));
    const run = await feedletter(dir, ['build']);
    expect(run.stderr).toMatch(/blocker\/public/);
    expect(run.stderr).not.toMatch(STACK);
    expect(run.status).toBe(EXIT.io);
  });

  it('a full disk (ENOSPC) and a read-only database are known failures; anything else is a bug', () => {
    let enospc: unknown;
    const fd = openSync('/dev/full', 'w');
    try {
      writeSync(fd, 'x');
    } catch (error) {
      enospc = error;
    } finally {
      closeSync(fd);
    }
    expect(asKnownFailure(enospc)).toMatchObject({ code: 'IO_FAILED', hint: expect.stringMatching(/disk space/) as string });
    expect(asKnownFailure(Object.assign(new Error('attempt to write a readonly database'), { name: 'SqliteError', code: 'SQLITE_READONLY' }))).toMatchObject({ code: 'STATE_INVALID' });
    expect(asKnownFailure(Object.assign(new Error('database is locked'), { name: 'SqliteError', code: 'SQLITE_BUSY' }))).toMatchObject({ code: 'LOCKED' });
    expect(asKnownFailure(new TypeError('x is undefined'))).toBeUndefined();
  });

  it('a bug says "unexpected error" with its message; the stack only with --verbose', () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    const bug = new TypeError('cannot read properties of undefined');
    expect(report(bug, false)).toBe(70);
    expect(lines.join('')).toMatch(/unexpected error: cannot read properties of undefined/);
    expect(lines.join('')).toMatch(/--verbose/);
    expect(lines.join('')).not.toMatch(STACK);
    lines.length = 0;
    expect(report(bug, true)).toBe(70);
    expect(lines.join('')).toMatch(STACK);
  });
});

describe('digest --retry-failed', () => {
  it('re-sends the failed deliveries of the latest digest, never to a subscriber it reached', async () => {
    let refuse = true;
    const smtp = await startSmtpServer({ onRcptTo: ({ address }) => (refuse && address === 's2@example.org' ? { code: 552, text: '5.2.2 Mailbox full' } : undefined) });
    servers.push(smtp);
    const dir = sampleBlog();
    const env = { FEEDLETTER_SECRET: SECRET, SMTP_URL: smtp.url };
    const cli = (...args: string[]): Promise<number> => main(args, { cwd: dir, env });
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
    for (const n of [1, 2, 3]) await cli('subscribers', 'add', `s${n}@example.org`);
    expect(await cli('digest')).toBe(EXIT.partial);
    expect(out.join('')).toMatch(/digest #1: 2 posts, 2 sent, 1 failed/);
    expect(await cli('digest', '--retry-failed', '2')).toBe(EXIT.input);
    expect(await cli('digest', '--retry-failed', 'x')).toBe(EXIT.usage);

    refuse = false;
    out.length = 0;
    expect(await cli('digest', '--retry-failed')).toBe(EXIT.ok);
    expect(out.join('')).toMatch(/digest #1: retried 1 failed delivery: 1 sent, 0 failed/);
    for (const n of [1, 2, 3]) expect(smtp.copiesTo(`s${n}@example.org`), `s${n}`).toHaveLength(1);

    out.length = 0;
    expect(await cli('digest', '--retry-failed', '1')).toBe(EXIT.ok);
    expect(out.join('')).toMatch(/no failed deliveries to retry/);
    expect(smtp.messages).toHaveLength(3);
    // The digest is complete again and nothing new is due.
    out.length = 0;
    expect(await cli('digest')).toBe(EXIT.ok);
    expect(out.join('')).toMatch(/no new posts/);
  });
});
