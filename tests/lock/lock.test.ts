import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireLock, LOCK_FILE, readLockInfo, tryAcquireLock } from '../../src/store/lock.js';
import { testdir } from '../helpers/tmp.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const HOLDER = path.join(import.meta.dirname, 'fixtures/holder.ts');
const clock = (): Date => new Date('2026-11-23T08:00:00Z');

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function startHolder(stateDir: string, goFile?: string): { child: ChildProcess; ready: Promise<void>; line: Promise<string>; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, stateDir, ...(goFile ? [goFile] : [])], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const line = new Promise<string>((resolve, reject) => {
    lines.on('line', (text) => (text === 'ready' ? markReady() : resolve(text)));
    child.once('exit', (code) => reject(new Error(`holder exited (${code}) before answering`)));
  });
  line.catch(() => undefined);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, ready, line, exited };
}

/** A pid that certainly belonged to a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

describe('send lock in one process', () => {
  it('writes who holds it, refuses a second taker, and frees on release', () => {
    const state = testdir();
    const lock = tryAcquireLock(state, { purpose: 'digest', clock });
    const info = JSON.parse(readFileSync(path.join(state, LOCK_FILE), 'utf8'));
    expect(info).toMatchObject({ pid: process.pid, hostname: os.hostname(), startedAt: '2026-11-23T08:00:00.000Z', purpose: 'digest' });
    expect(readLockInfo(state)?.pid).toBe(process.pid);

    expect(() => tryAcquireLock(state, { purpose: 'manual digest', clock })).toThrow(
      expect.objectContaining({ code: 'LOCKED', message: expect.stringContaining(`held by pid ${process.pid} on host ${os.hostname()} since 2026-11-23T08:00:00.000Z (digest)`) }),
    );

    lock.release();
    expect(existsSync(path.join(state, LOCK_FILE))).toBe(false);
    const again = tryAcquireLock(state, { purpose: 'digest', clock });
    again.release();
    // No temp files left behind.
    expect(readdirSync(state)).toEqual([]);
  });

  it('release leaves a lock that is no longer ours alone', () => {
    const state = testdir();
    const lock = tryAcquireLock(state, { purpose: 'digest', clock });
    const someoneElse = { pid: 1, hostname: 'elsewhere', startedAt: 'x', purpose: 'other', token: 'other-token' };
    writeFileSync(path.join(state, LOCK_FILE), JSON.stringify(someoneElse));
    lock.release();
    expect(readLockInfo(state)?.token).toBe('other-token');
  });

  it('takes over a lock whose process is dead, never one from another host', async () => {
    const state = testdir();
    const file = path.join(state, LOCK_FILE);
    writeFileSync(file, JSON.stringify({ pid: await deadPid(), hostname: os.hostname(), startedAt: '2026-01-01T00:00:00Z', purpose: 'digest', token: 'dead' }));
    const lock = tryAcquireLock(state, { purpose: 'digest', clock });
    expect(readLockInfo(state)?.token).toBe(lock.info.token);
    lock.release();

    writeFileSync(file, JSON.stringify({ pid: await deadPid(), hostname: 'another-host.invalid', startedAt: '2026-01-01T00:00:00Z', purpose: 'digest', token: 'far' }));
    expect(() => tryAcquireLock(state, { purpose: 'digest', clock })).toThrow(expect.objectContaining({ code: 'LOCKED', hint: expect.stringContaining('another machine') }));
  });

  it('a takeover that lost the race leaves the winner\'s fresh lock alone', async () => {
    const state = testdir();
    writeFileSync(path.join(state, LOCK_FILE), JSON.stringify({ pid: await deadPid(), hostname: os.hostname(), startedAt: '2026-01-01T00:00:00Z', purpose: 'digest', token: 'dead' }));
    let winner: ReturnType<typeof tryAcquireLock> | undefined;
    // The slow taker has judged the lock stale; before it removes it, a fast one takes it over.
    const slow = (): unknown =>
      tryAcquireLock(state, {
        purpose: 'slow',
        clock,
        onStale: () => {
          winner ??= tryAcquireLock(state, { purpose: 'fast', clock });
        },
      });
    expect(slow).toThrow(expect.objectContaining({ code: 'LOCKED', message: expect.stringContaining('(fast)') }));
    expect(winner).toBeDefined();
    expect(readLockInfo(state)?.token).toBe(winner!.info.token);
    winner!.release();
  });

  it('treats a lock naming our own pid but not held by us as left over (pid reuse)', () => {
    const state = testdir();
    writeFileSync(path.join(state, LOCK_FILE), JSON.stringify({ pid: process.pid, hostname: os.hostname(), startedAt: 'x', purpose: 'digest', token: 'previous-life' }));
    const lock = tryAcquireLock(state, { purpose: 'digest', clock });
    expect(lock.info.token).not.toBe('previous-life');
    lock.release();
  });

  it('acquireLock waits for the holder up to `wait`, then gives up', async () => {
    const state = testdir();
    const first = tryAcquireLock(state, { purpose: 'daemon digest', clock });
    // A frozen clock (a command's fixed now) must not make the wait endless.
    await expect(acquireLock(state, { purpose: 'manual', clock, wait: 50, pollMs: 10 })).rejects.toMatchObject({ code: 'LOCKED' });
    const waiting = acquireLock(state, { purpose: 'manual', clock: () => new Date(), wait: 20_000, pollMs: 10 });
    setTimeout(() => first.release(), 30);
    const second = await waiting;
    expect(readLockInfo(state)?.purpose).toBe('manual');
    second.release();
  });
});

describe('send lock across processes', () => {
  it('a live holder blocks a second process, which names it', async () => {
    const state = testdir();
    const holder = startHolder(state);
    expect(await holder.line).toBe('won');
    const second = startHolder(state);
    expect(await second.line).toMatch(new RegExp(`^locked .*held by pid ${holder.child.pid} on host`));
    expect(() => tryAcquireLock(state, { purpose: 'digest', clock })).toThrow(expect.objectContaining({ code: 'LOCKED' }));
    holder.child.stdin!.end();
    await holder.exited;
    expect(readLockInfo(state)).toBeUndefined();
  });

  it('the lock of a SIGKILLed holder is taken over', async () => {
    const state = testdir();
    const holder = startHolder(state);
    expect(await holder.line).toBe('won');
    holder.child.kill('SIGKILL');
    await holder.exited;
    expect(readLockInfo(state)?.pid).toBe(holder.child.pid);
    const lock = tryAcquireLock(state, { purpose: 'digest', clock });
    expect(readLockInfo(state)?.pid).toBe(process.pid);
    lock.release();
  });

  it('of several processes taking over one stale lock at once, exactly one wins', async () => {
    const state = testdir();
    writeFileSync(path.join(state, LOCK_FILE), JSON.stringify({ pid: await deadPid(), hostname: os.hostname(), startedAt: '2026-01-01T00:00:00Z', purpose: 'digest', token: 'dead' }));
    const go = path.join(state, 'go');
    const holders = Array.from({ length: 3 }, () => startHolder(state, go));
    // Let every holder load and reach its wait loop, then release them together.
    await Promise.all(holders.map((h) => h.ready));
    writeFileSync(go, '');
    const lines = await Promise.all(holders.map((h) => h.line));
    expect(lines.filter((l) => l === 'won')).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('locked ') && l.includes('held by pid'))).toHaveLength(2);
    const winner = holders[lines.indexOf('won')]!;
    expect(readLockInfo(state)?.pid).toBe(winner.child.pid);
  });
});
