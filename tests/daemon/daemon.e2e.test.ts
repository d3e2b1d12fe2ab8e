/**
 * The daemon as users run it: a real child process (`feedletter daemon`), per-second cron
 * schedules, a real SMTP server on loopback, a temp blog. Nothing here asserts durations; every
 * wait is "until this is observed", bounded so that a hang fails instead of blocking CI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { closedPort, startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';
import { testdir } from '../helpers/tmp.js';
import { freePort, waitFor } from '../helpers/wait.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'src/cli.ts');
// The child's cwd is the temp blog, so tsx is named by its absolute URL.
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

/** A header as written (mailparser folds List-* headers into one parsed object). */
function rawHeader(mail: { headerLines: readonly { key: string; line: string }[] }, name: string): string | undefined {
  const line = mail.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line?.slice(line.indexOf(':') + 1).replace(/\r?\n\s+/g, ' ').trim();
}

interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

interface RunningDaemon {
  child: ChildProcess;
  logs: LogLine[];
  exited: Promise<number | null>;
}

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function post(title: string, date: Date): string {
  return `---\ntitle: "${title}"\ndate: ${date.toISOString()}\ntags: [daemon]\n---\n\n${title} の本文です。\n`;
}

function postFile(dir: string, slug: string, title: string, date: Date): void {
  writeFileSync(path.join(dir, 'content/_posts', `${date.toISOString().slice(0, 10)}-${slug}.md`), post(title, date));
}

/** A temp blog with per-second schedules; returns its folder. */
async function blog(options: { subscribers: string[]; digestSchedule?: string; serverPort?: number; state?: string; extra?: string[] }): Promise<string> {
  const dir = testdir({});
  mkdirSync(path.join(dir, 'content/_posts'), { recursive: true });
  cpSync(path.join(ROOT, 'email-templates'), path.join(dir, 'email-templates'), { recursive: true });
  const port = options.serverPort ?? (await freePort());
  writeConfig(dir, 'config/feedletter.yaml', port, options.digestSchedule ?? '*/2 * * * * *', options.state, options.extra);
  const store = Store.open(path.join(dir, options.state ?? '.feedletter'));
  for (const email of options.subscribers) store.addSubscriber(email, null, new Date());
  store.close();
  return dir;
}

function writeConfig(dir: string, file: string, port: number, digestSchedule: string, state = '.feedletter', extra: string[] = []): void {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(
    path.join(dir, file),
    [
      'site:',
      '  title: Daemon test',
      '  url: https://blog.example.com/',
      '  language: ja',
      '  timezone: Asia/Tokyo',
      'feeds:',
      '  schedule: "*/2 * * * * *"',
      '  watch: true',
      'digest:',
      `  schedule: "${digestSchedule}"`,
      '  firstRunLookback: 7d',
      'smtp:',
      '  retries: 1',
      '  retryDelayMs: 50',
      '  maxConnections: 1',
      '  rateLimit: 1000',
      'state:',
      `  dir: ${state}`,
      'server:',
      `  port: ${port}`,
      `  publicUrl: http://127.0.0.1:${port}/`,
      'schedule:',
      '  shutdownTimeoutMs: 10000',
      ...extra,
      '',
    ].join('\n'),
  );
}

function startDaemon(dir: string, smtp: TestSmtpServer | { url: string }, args: string[] = [], command = 'daemon'): RunningDaemon {
  const child = spawn(process.execPath, ['--import', TSX, CLI, ...args, command], {
    cwd: dir,
    env: { ...process.env, SMTP_URL: smtp.url, FEEDLETTER_SECRET: 'daemon-test-secret-of-at-least-32-bytes', FEEDLETTER_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  let buffer = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ level: 0, msg: line });
      }
    }
  });
  child.stdout!.resume();
  // 'close' (not 'exit'): the process has exited and its stderr is read to the end.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, logs, exited };
}

async function smtpServer(options: Parameters<typeof startSmtpServer>[0] = {}): Promise<TestSmtpServer> {
  const smtp = await startSmtpServer(options);
  cleanup.push(() => smtp.close());
  return smtp;
}

const ago = (ms: number): Date => new Date(Date.now() - ms);

/** Tests that start two daemons one after the other (each loads the CLI through tsx) on a busy 2-core CI machine. */
const TWO_DAEMONS_MS = 90_000;

/** A digest slot that never comes during a test (1 January, 00:00:00): only a resume or a retry can send. */
const YEARLY = '0 0 0 1 1 *';

function digestRuns(daemon: RunningDaemon): LogLine[] {
  return daemon.logs.filter((l) => (l.msg === 'job finished' || l.msg.startsWith('job failed')) && l.job === 'digest');
}

async function healthz(dir: string): Promise<{ ok: boolean; jobs: Record<string, { ok: boolean; summary: Record<string, unknown> }> }> {
  const port = /port: (\d+)/.exec(readFileSync(path.join(dir, 'config/feedletter.yaml'), 'utf8'))?.[1];
  return (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { ok: boolean; jobs: Record<string, { ok: boolean; summary: Record<string, unknown> }> };
}

describe('feedletter daemon', () => {
  it('a new post file appears in the feeds and then in exactly one email per subscriber', async () => {
    const dir = await blog({ subscribers: ['a@example.com', 'b@example.com'] });
    postFile(dir, 'first', '最初の記事', ago(3_600_000));
    const smtp = await smtpServer();
    const daemon = startDaemon(dir, smtp);

    await waitFor('the first digest to both subscribers', () => smtp.messages.length >= 2);
    postFile(dir, 'second', '二番目の記事', ago(1_000));
    await waitFor('the new post in feed.json', () => {
      try {
        return readFileSync(path.join(dir, 'public/feed.json'), 'utf8').includes('二番目の記事');
      } catch {
        return false;
      }
    });
    await waitFor('the second digest to both subscribers', () => smtp.messages.length >= 4);
    // a few more digest ticks: nothing new, nothing sent
    const finished = (): number => daemon.logs.filter((l) => l.msg === 'job finished' && l.job === 'digest').length;
    const seen = finished();
    await waitFor('two more digest runs', () => finished() >= seen + 2);
    expect(smtp.messages).toHaveLength(4);
    for (const address of ['a@example.com', 'b@example.com']) {
      const copies = await Promise.all(smtp.copiesTo(address).map((m) => simpleParser(m.raw)));
      expect(copies).toHaveLength(2);
      expect(new Set(copies.map((c) => c.messageId)).size).toBe(2);
      expect(copies[1]?.text).toContain('二番目の記事');
      expect(copies[1]?.text).not.toContain('最初の記事');
    }

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  });

  it('SIGTERM during a long send exits 0, and after a restart every subscriber has exactly one copy', async () => {
    const subscribers = Array.from({ length: 12 }, (_, i) => `r${i}@example.com`);
    const dir = await blog({ subscribers });
    postFile(dir, 'long', '長い配信', ago(60_000));
    let slow = true;
    const smtp = await smtpServer({ onData: async () => (slow ? new Promise<undefined>((r) => setTimeout(() => r(undefined), 300)) : undefined) });
    const first = startDaemon(dir, smtp);
    await waitFor('a few messages of the long send', () => smtp.messages.length >= 3);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const delivered = smtp.messages.length;
    expect(delivered).toBeLessThan(subscribers.length);

    slow = false;
    const second = startDaemon(dir, smtp);
    await waitFor('every subscriber', () => subscribers.every((s) => smtp.copiesTo(s).length >= 1));
    const finished = (): number => second.logs.filter((l) => l.msg === 'job finished' && l.job === 'digest').length;
    const seen = finished();
    await waitFor('another digest run', () => finished() >= seen + 1);
    for (const s of subscribers) expect(smtp.copiesTo(s), s).toHaveLength(1);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('SIGTERM during a send, restart with no slot due: the digest is finished at start, and /healthz says resumed', async () => {
    const subscribers = Array.from({ length: 10 }, (_, i) => `s${i}@example.com`);
    const dir = await blog({ subscribers });
    postFile(dir, 'slot', '朝の配信', ago(60_000));
    let slow = true;
    const smtp = await smtpServer({ onData: async () => (slow ? new Promise<undefined>((r) => setTimeout(() => r(undefined), 300)) : undefined) });
    const first = startDaemon(dir, smtp);
    await waitFor('a few messages of the send', () => smtp.messages.length >= 3);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const delivered = smtp.messages.length;
    expect(delivered).toBeLessThan(subscribers.length);
    // the interrupted run was recorded as a run of its slot: no catch-up will redo it
    expect(digestRuns(first).at(-1)).toMatchObject({ summary: { kind: 'sent', complete: false } });

    // The restarted daemon's next slot is months away.
    slow = false;
    const port = Number(/port: (\d+)/.exec(readFileSync(path.join(dir, 'config/feedletter.yaml'), 'utf8'))?.[1]);
    writeConfig(dir, 'config/feedletter.yaml', port, YEARLY);
    const second = startDaemon(dir, smtp);
    await waitFor('every subscriber', () => subscribers.every((s) => smtp.copiesTo(s).length >= 1));
    await waitFor('the resumed run to be recorded', () => digestRuns(second).length >= 1);
    for (const s of subscribers) expect(smtp.copiesTo(s), s).toHaveLength(1);
    expect(second.logs.find((l) => l.msg === 'job started' && l.job === 'digest')?.reason).toBe('resume unfinished work');
    const health = await healthz(dir);
    expect(health.jobs.digest).toMatchObject({ ok: true, summary: { kind: 'resumed', resumed: { sent: subscribers.length - delivered, failed: 0, complete: true } } });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, TWO_DAEMONS_MS);

  it('SIGKILL during the very first digest: the restarted daemon finishes it at start; only the message in flight may come twice', async () => {
    const subscribers = Array.from({ length: 10 }, (_, i) => `k${i}@example.com`);
    const dir = await blog({ subscribers });
    postFile(dir, 'first', '最初の配信', ago(60_000));
    let slow = true;
    const smtp = await smtpServer({ onData: async () => (slow ? new Promise<undefined>((r) => setTimeout(() => r(undefined), 300)) : undefined) });
    const first = startDaemon(dir, smtp);
    await waitFor('a few messages of the first digest', () => smtp.messages.length >= 3);
    first.child.kill('SIGKILL');
    await first.exited;
    const store = Store.open(path.join(dir, '.feedletter'));
    expect(store.lastJobRuns().digest).toBeUndefined();
    expect(store.unfinishedDigest()).toBeDefined();
    store.close();

    slow = false;
    const port = Number(/port: (\d+)/.exec(readFileSync(path.join(dir, 'config/feedletter.yaml'), 'utf8'))?.[1]);
    writeConfig(dir, 'config/feedletter.yaml', port, YEARLY);
    const second = startDaemon(dir, smtp);
    await waitFor('every subscriber', () => subscribers.every((s) => smtp.copiesTo(s).length >= 1));
    await waitFor('the resumed run to be recorded', () => digestRuns(second).length >= 1);
    // one connection: at most the one message in flight at the kill is sent again, with its Message-ID
    const twice = subscribers.filter((s) => smtp.copiesTo(s).length > 1);
    expect(twice.length).toBeLessThanOrEqual(1);
    for (const s of twice) {
      const copies = await Promise.all(smtp.copiesTo(s).map((m) => simpleParser(m.raw)));
      expect(copies).toHaveLength(2);
      expect(copies[0]?.messageId).toBe(copies[1]?.messageId);
    }
    expect((await healthz(dir)).jobs.digest?.summary).toMatchObject({ kind: 'resumed', resumed: { complete: true } });
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, TWO_DAEMONS_MS);

  it('SMTP down: the unfinished digest is retried with backoff (not at the next slot) and goes out once the server is back', async () => {
    const subscribers = ['d1@example.com', 'd2@example.com', 'd3@example.com'];
    const dir = await blog({ subscribers, digestSchedule: YEARLY, extra: ['  retryDelayMs: 300', '  retryMaxDelayMs: 1200'] });
    postFile(dir, 'outage', '障害中の記事', ago(60_000));
    const port = await closedPort();
    // `feedletter digest` (cron, or the daemon's own slot) met the outage: exit 69, the digest recorded, nothing sent
    const cli = startDaemon(dir, { url: `smtp://127.0.0.1:${port}` }, [], 'digest');
    expect(await cli.exited).toBe(69);

    const daemon = startDaemon(dir, { url: `smtp://127.0.0.1:${port}` });
    const retries = (): LogLine[] => daemon.logs.filter((l) => l.msg === 'the job left work unfinished: retrying it later');
    await waitFor('the resume at start and two retries to fail', () => retries().length >= 3);
    expect(retries().slice(0, 3).map((l) => l.delayMs)).toEqual([300, 600, 1200]);
    expect(digestRuns(daemon).every((l) => l.msg.startsWith('job failed'))).toBe(true);
    // between two attempts /healthz shows the failure and when the next attempt comes
    const waiting = await waitFor('/healthz to show the pending retry', async () => {
      const digest = (await healthz(dir)).jobs.digest as unknown as { ok: boolean; retryAt?: string; summary: { error?: string } };
      return digest.retryAt === undefined ? undefined : digest;
    });
    expect(waiting.ok).toBe(false);
    expect(waiting.summary.error).toMatch(/unavailable/i);
    expect(Date.parse(waiting.retryAt ?? '')).toBeGreaterThan(0);

    const smtp = await smtpServer({ port });
    await waitFor('every subscriber once the server is back', () => subscribers.every((s) => smtp.copiesTo(s).length >= 1), 15_000);
    await waitFor('the successful retry to be recorded', () => daemon.logs.some((l) => l.msg === 'unfinished work is done'));
    for (const s of subscribers) expect(smtp.copiesTo(s), s).toHaveLength(1);
    const done = (await healthz(dir)).jobs.digest;
    expect(done).toMatchObject({ ok: true, summary: { kind: 'resumed', resumed: { sent: 3, failed: 0, complete: true } } });
    expect(done).not.toHaveProperty('retryAt');
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, TWO_DAEMONS_MS);

  it('two daemons on one state folder send one digest once', async () => {
    const subscribers = Array.from({ length: 6 }, (_, i) => `t${i}@example.com`);
    const dir = await blog({ subscribers, digestSchedule: '* * * * * *' });
    writeConfig(dir, 'config/second.yaml', await freePort(), '* * * * * *');
    postFile(dir, 'once', '一度だけ', ago(60_000));
    const smtp = await smtpServer({ onData: async () => new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)) });
    const a = startDaemon(dir, smtp);
    const b = startDaemon(dir, smtp, ['--config', 'config/second.yaml']);
    await waitFor('every subscriber', () => subscribers.every((s) => smtp.copiesTo(s).length >= 1));
    const runs = (d: RunningDaemon): number => d.logs.filter((l) => (l.msg === 'job finished' || l.msg.startsWith('job failed')) && l.job === 'digest').length;
    const seenA = runs(a);
    const seenB = runs(b);
    await waitFor('both daemons to run the digest again', () => runs(a) >= seenA + 2 && runs(b) >= seenB + 2);
    for (const s of subscribers) expect(smtp.copiesTo(s), s).toHaveLength(1);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  });

  it('a job that throws is logged and the daemon keeps running; fixed, the next tick sends', async () => {
    const dir = await blog({ subscribers: ['x@example.com'] });
    postFile(dir, 'broken', '壊れたテンプレート', ago(60_000));
    const template = path.join(dir, 'email-templates/digest.mjml');
    const good = readFileSync(template, 'utf8');
    writeFileSync(template, good.replace('</mj-body>', '{% if %}</mj-body>'));
    const smtp = await smtpServer();
    const daemon = startDaemon(dir, smtp);
    const failures = (): LogLine[] => daemon.logs.filter((l) => l.msg.startsWith('job failed') && l.job === 'digest');
    await waitFor('two failed digest runs', () => failures().length >= 2);
    expect(JSON.stringify(failures()[0])).toMatch(/digest\.mjml/);
    // the other job is unaffected
    await waitFor('a feeds run', () => daemon.logs.some((l) => l.msg === 'job finished' && l.job === 'feeds'));
    expect(smtp.messages).toHaveLength(0);

    writeFileSync(template, good);
    await waitFor('the digest once the template is fixed', () => smtp.messages.length >= 1);
    expect(daemon.child.exitCode).toBeNull();
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  });

  it('a port in use: exit 69 at start, before any job ran, with nothing sent and nothing recorded', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as { port: number }).port;
    // A digest is due at once (a post, a subscriber, a per-second schedule, a catch-up at start).
    const dir = await blog({ subscribers: ['p@example.com'], serverPort: port, digestSchedule: '* * * * * *' });
    postFile(dir, 'due', '送るべき記事', ago(60_000));
    const smtp = await smtpServer();
    const daemon = startDaemon(dir, smtp);
    const code = await Promise.race([daemon.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 20_000))]);
    expect(code).toBe(69);
    const text = daemon.logs.map((l) => l.msg).join('\n');
    expect(text).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use`);
    expect(daemon.logs.filter((l) => l.msg === 'job started')).toEqual([]);
    expect(smtp.messages).toHaveLength(0);
    const store = Store.open(path.join(dir, '.feedletter'));
    expect(store.lastJobRuns()).toEqual({});
    expect(store.unfinishedDigest()).toBeUndefined();
    store.close();
  });

  it("one-click unsubscribe from a real email's List-Unsubscribe header stops further digests", async () => {
    const dir = await blog({ subscribers: ['stay@example.com', 'leave@example.com'] });
    postFile(dir, 'one', '一本目', ago(3_600_000));
    const smtp = await smtpServer();
    const daemon = startDaemon(dir, smtp);
    await waitFor('the first digest', () => smtp.messages.length >= 2);
    const mail = await simpleParser(smtp.copiesTo('leave@example.com')[0]!.raw);
    expect(rawHeader(mail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    const header = rawHeader(mail, 'List-Unsubscribe') ?? '';
    const url = /<(http[^>]+)>/.exec(header)?.[1];
    expect(url).toBeTruthy();

    // a prefetching scanner's GET changes nothing; the mail provider's POST unsubscribes
    expect((await fetch(url!)).status).toBe(200);
    const response = await fetch(url!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(response.status).toBe(200);

    postFile(dir, 'two', '二本目', ago(1_000));
    await waitFor('the second digest to the one who stayed', () => smtp.copiesTo('stay@example.com').length >= 2);
    const finished = (): number => daemon.logs.filter((l) => l.msg === 'job finished' && l.job === 'digest').length;
    const seen = finished();
    await waitFor('another digest run', () => finished() >= seen + 1);
    expect(smtp.copiesTo('leave@example.com')).toHaveLength(1);

    const health = (await (await fetch(new URL('healthz', url!))).json()) as { ok: boolean; jobs: Record<string, { ok: boolean }> };
    expect(health.ok).toBe(true);
    expect(health.jobs.digest?.ok).toBe(true);
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  });
});
