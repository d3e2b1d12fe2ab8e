import { spawn } from 'node:child_process';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, expect, it } from 'vitest';
import { createSmtpTransport, deliverDigest } from '../../src/delivery/index.js';
import { Store } from '../../src/store/index.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';
import { testdir } from '../helpers/tmp.js';
import { seedDigest, testBuilder } from './fixtures/build.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHILD = path.join(import.meta.dirname, 'fixtures/send-child.ts');
const SUBSCRIBERS = 12;
/** The DATA the server holds unanswered: the child is killed while it waits for the reply. */
const HELD = 5;

let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

it('kill -9 in the middle of a send, then resume: one copy each, at most the in-flight ones twice with the same Message-ID', async () => {
  const stateDir = path.join(testdir(), 'state');
  const seed = Store.open(stateDir);
  const digestId = seedDigest(seed, SUBSCRIBERS);
  seed.close();

  let killed = false;
  let heldRecipient = '';
  let reachedHeld!: () => void;
  const held = new Promise<void>((resolve) => (reachedHeld = resolve));
  let release!: (code: number) => void;
  const released = new Promise<number>((resolve) => (release = resolve));
  smtp = await startSmtpServer({
    onData: ({ attempt, envelope }) => {
      if (killed || attempt !== HELD) return undefined;
      heldRecipient = envelope.to[0] ?? '';
      reachedHeld();
      // Never answered while the child lives: the message is on the server, the 250 is not.
      return released;
    },
  });

  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, stateDir, String(smtp.port)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  await Promise.race([held, exited.then(() => Promise.reject(new Error(`child ended before the kill:\n${output}`)))]);
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  killed = true;
  release(451);

  const copiesBeforeResume = smtp.received.length;
  expect(copiesBeforeResume).toBeGreaterThanOrEqual(HELD);
  expect(copiesBeforeResume).toBeLessThan(SUBSCRIBERS);

  const store = Store.open(stateDir);
  try {
    const atKill = store.deliveryCounts(digestId);
    // Only what was in flight is `sending`: at most one per pooled connection of the child.
    expect(atKill.sending).toBeGreaterThanOrEqual(1);
    expect(atKill.sending).toBeLessThanOrEqual(2);
    expect(atKill.sent + atKill.sending).toBeGreaterThanOrEqual(HELD);
    const inFlight = new Set(store.listSubscribers().filter((s) => store.delivery(digestId, s.id)?.status === 'sending').map((s) => s.email));

    const transport = createSmtpTransport({ url: smtp.url, maxConnections: 2, rateLimit: 0, timeouts: { connectionMs: 10_000, greetingMs: 10_000, socketMs: 10_000 } });
    try {
      const report = await deliverDigest({ store, digestId, transport, build: testBuilder(digestId), retries: 2, retryDelayMs: 5, clock: () => new Date() });
      expect(report).toMatchObject({ failed: [], complete: true });
    } finally {
      await transport.close();
    }
    expect(store.deliveryCounts(digestId)).toEqual({ pending: 0, sending: 0, sent: SUBSCRIBERS, failed: 0 });

    // Every complete DATA the server saw counts as a copy, answered or not: the worst case for
    // a real server that delivered a message whose 250 never reached the sender.
    let duplicates = 0;
    for (let n = 1; n <= SUBSCRIBERS; n++) {
      const email = `s${n}@example.org`;
      const copies = smtp.received.filter((m) => m.envelope.to.includes(email));
      expect(copies.length, email).toBeGreaterThanOrEqual(1);
      expect(copies.length, email).toBeLessThanOrEqual(2);
      if (copies.length === 2) {
        duplicates++;
        expect(inFlight.has(email), `${email} was re-sent but was not in flight`).toBe(true);
        const ids = await Promise.all(copies.map(async (c) => (await simpleParser(c.raw)).messageId));
        expect(ids[0]).toBe(`<digest-${digestId}.sub-${n}@blog.example.com>`);
        expect(ids[1]).toBe(ids[0]);
      }
    }
    expect(duplicates).toBeLessThanOrEqual(inFlight.size);
    // The held message reached the server but not its 250: it was in flight, and was re-sent once.
    expect(inFlight.has(heldRecipient)).toBe(true);
    expect(smtp.received.filter((m) => m.envelope.to.includes(heldRecipient))).toHaveLength(2);
  } finally {
    store.close();
  }
});
