import { statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { FeedletterError } from '../../src/errors.js';
import { DB_FILE, MIGRATIONS, Store } from '../../src/store/index.js';
import { testdir } from '../helpers/tmp.js';

const T0 = new Date('2026-11-20T08:00:00Z');
const later = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

function openStore(): { store: Store; dir: string } {
  const dir = path.join(testdir(), 'state');
  return { store: Store.open(dir), dir };
}

const digestInput = (postIds: string[], windowEnd = T0) => ({
  createdAt: windowEnd,
  windowStart: new Date(windowEnd.getTime() - 7 * 86_400_000),
  windowEnd,
  subject: 'Subject',
  preheader: 'Two new posts',
  html: '<p>Hi {{name}}</p>',
  text: 'Hi {{name}}',
  postIds,
});

describe('Store.open', () => {
  it('creates the folder with mode 0700, WAL mode, foreign keys, busy timeout and the schema', () => {
    const { store, dir } = openStore();
    try {
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(store.pragma('journal_mode')).toBe('wal');
      expect(store.pragma('foreign_keys')).toBe(1);
      expect(store.pragma('busy_timeout')).toBe(5000);
      expect(store.pragma('user_version')).toBe(MIGRATIONS.length);
    } finally {
      store.close();
    }
  });

  it('migrations are idempotent: opening twice keeps the data and the version', () => {
    const { store, dir } = openStore();
    store.addSubscriber('a@example.org', 'A', T0);
    store.close();
    const again = Store.open(dir);
    try {
      expect(again.pragma('user_version')).toBe(MIGRATIONS.length);
      expect(again.listSubscribers().map((s) => s.email)).toEqual(['a@example.org']);
    } finally {
      again.close();
    }
  });

  it('refuses a database from a newer feedletter with STATE_INVALID', () => {
    const { store, dir } = openStore();
    store.close();
    const raw = new Database(path.join(dir, DB_FILE));
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    expect(() => Store.open(dir)).toThrow(expect.objectContaining({ code: 'STATE_INVALID' }));
  });

  it('refuses a file that is not a database with STATE_INVALID and a hint', () => {
    const dir = testdir({ 'state/feedletter.db': 'this is not sqlite, just text that is long enough to look like a header'.repeat(20) });
    let error: unknown;
    try {
      Store.open(path.join(dir, 'state'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FeedletterError);
    expect((error as FeedletterError).code).toBe('STATE_INVALID');
    expect((error as FeedletterError).hint).toMatch(/move it away/);
  });
});

describe('subscribers', () => {
  it('adds, validates, and treats a second add (any case) as harmless', () => {
    const { store } = openStore();
    try {
      const first = store.addSubscriber(' Alice@Example.ORG ', 'Alice', T0);
      expect(first.created).toBe(true);
      expect(first.subscriber).toMatchObject({ email: 'Alice@example.org', name: 'Alice', status: 'active', unsubscribedAt: null });
      expect(first.subscriber.createdAt.toISOString()).toBe(T0.toISOString());
      const second = store.addSubscriber('alice@example.org', 'Other', later(1));
      expect(second.created).toBe(false);
      expect(second.subscriber.id).toBe(first.subscriber.id);
      expect(second.subscriber.name).toBe('Alice');
      expect(store.countSubscribers()).toBe(1);
      expect(store.findSubscriber('ALICE@example.org')?.id).toBe(first.subscriber.id);
      expect(store.getSubscriber(first.subscriber.id)?.email).toBe('Alice@example.org');
      expect(() => store.addSubscriber('not an address', null, T0)).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
      expect(store.countSubscribers()).toBe(1);
    } finally {
      store.close();
    }
  });

  it('remove keeps the row unsubscribed; re-adding does not re-subscribe unless asked', () => {
    const { store } = openStore();
    try {
      const { subscriber } = store.addSubscriber('bob@example.org', null, T0);
      expect(store.removeSubscriber('BOB@example.org', later(1))).toBe(true);
      expect(store.removeSubscriber('bob@example.org', later(2))).toBe(false);
      expect(store.removeSubscriber('nobody@example.org', later(2))).toBe(false);
      expect(store.getSubscriber(subscriber.id)).toMatchObject({ status: 'unsubscribed', unsubscribedAt: later(1) });
      const readded = store.addSubscriber('bob@example.org', null, later(3));
      expect(readded).toMatchObject({ created: false, subscriber: { status: 'unsubscribed' } });
      const reactivated = store.addSubscriber('bob@example.org', null, later(4), { reactivate: true });
      expect(reactivated.subscriber).toMatchObject({ status: 'active', unsubscribedAt: null });
      expect(store.getSubscriber(subscriber.id)?.status).toBe('active');
    } finally {
      store.close();
    }
  });

  it('lists, counts and streams by status in id order', () => {
    const { store } = openStore();
    try {
      for (let i = 1; i <= 7; i++) store.addSubscriber(`u${i}@example.org`, null, T0);
      store.removeSubscriber('u2@example.org', T0);
      store.removeSubscriber('u5@example.org', T0);
      expect(store.countSubscribers()).toBe(7);
      expect(store.countSubscribers({ status: 'active' })).toBe(5);
      expect(store.listSubscribers({ status: 'unsubscribed' }).map((s) => s.email)).toEqual(['u2@example.org', 'u5@example.org']);
      const streamed = [...store.iterateSubscribers({ status: 'active' }, 2)].map((s) => s.email);
      expect(streamed).toEqual(['u1@example.org', 'u3@example.org', 'u4@example.org', 'u6@example.org', 'u7@example.org']);
      expect([...store.iterateSubscribers(undefined, 3)]).toHaveLength(7);
    } finally {
      store.close();
    }
  });
});

describe('digests and deliveries', () => {
  it('createDigest records the posts and one pending delivery per active subscriber only', () => {
    const { store } = openStore();
    try {
      store.addSubscriber('a@example.org', null, T0);
      const removed = store.addSubscriber('b@example.org', null, T0).subscriber;
      store.addSubscriber('c@example.org', null, T0);
      store.removeSubscriber('b@example.org', T0);
      const digest = store.createDigest(digestInput(['p1', 'p2']));
      expect(digest).toMatchObject({ status: 'pending', postIds: ['p1', 'p2'], subject: 'Subject', preheader: 'Two new posts', html: '<p>Hi {{name}}</p>', text: 'Hi {{name}}' });
      expect(store.getDigest(digest.id)).toEqual(digest);
      expect(digest.windowEnd.toISOString()).toBe(T0.toISOString());
      expect(store.deliveryCounts(digest.id)).toEqual({ pending: 2, sending: 0, sent: 0, failed: 0 });
      expect(store.delivery(digest.id, removed.id)).toBeUndefined();
      expect([...store.pendingDeliveries(digest.id)].map((d) => d.subscriber.email)).toEqual(['a@example.org', 'c@example.org']);
      expect(store.sentPostIds()).toEqual(new Set(['p1', 'p2']));
      expect(store.unfinishedDigest()?.id).toBe(digest.id);
    } finally {
      store.close();
    }
  });

  it('createDigest is atomic: a failure part-way leaves no digest, no posts, no deliveries', () => {
    const { store, dir } = openStore();
    store.addSubscriber('a@example.org', null, T0);
    store.close();
    // Make the delivery insert fail inside the transaction, after the digest row and its posts.
    const raw = new Database(path.join(dir, DB_FILE));
    raw.exec("CREATE TRIGGER no_deliveries BEFORE INSERT ON deliveries BEGIN SELECT RAISE(ABORT, 'boom'); END");
    raw.close();
    const reopened = Store.open(dir);
    try {
      expect(() => reopened.createDigest(digestInput(['p1']))).toThrow(/boom/);
      expect(reopened.unfinishedDigest()).toBeUndefined();
      expect(reopened.sentPostIds().size).toBe(0);
    } finally {
      reopened.close();
    }
  });

  it('pendingDeliveries pages by subscriber id and lets the caller write between items', () => {
    const { store } = openStore();
    try {
      for (let i = 1; i <= 5; i++) store.addSubscriber(`p${i}@example.org`, null, T0);
      const digest = store.createDigest(digestInput(['x']));
      const seen: string[] = [];
      for (const { subscriber } of store.pendingDeliveries(digest.id, 2)) {
        seen.push(subscriber.email);
        expect(store.markSending(digest.id, subscriber.id, T0)).toBe(true);
        store.markSent(digest.id, subscriber.id, `<${subscriber.id}@x>`, T0);
      }
      expect(seen).toHaveLength(5);
      expect(store.deliveryCounts(digest.id)).toEqual({ pending: 0, sending: 0, sent: 5, failed: 0 });
    } finally {
      store.close();
    }
  });

  it('removing a subscriber cancels their pending delivery and markSending refuses it', () => {
    const { store } = openStore();
    try {
      const a = store.addSubscriber('a@example.org', null, T0).subscriber;
      store.addSubscriber('b@example.org', null, T0);
      const digest = store.createDigest(digestInput(['x']));
      store.removeSubscriber('a@example.org', later(1));
      expect(store.delivery(digest.id, a.id)).toMatchObject({ status: 'failed', lastError: 'unsubscribed' });
      expect(store.markSending(digest.id, a.id, later(2))).toBe(false);
      expect([...store.pendingDeliveries(digest.id)].map((d) => d.subscriber.email)).toEqual(['b@example.org']);
    } finally {
      store.close();
    }
  });

  it('records attempts, errors and message ids per delivery', () => {
    const { store } = openStore();
    try {
      const a = store.addSubscriber('a@example.org', null, T0).subscriber;
      const digest = store.createDigest(digestInput(['x']));
      store.markSending(digest.id, a.id, T0);
      store.markPending(digest.id, a.id, '451 try later', T0);
      expect(store.delivery(digest.id, a.id)).toMatchObject({ status: 'pending', attempts: 1, lastError: '451 try later' });
      store.markSending(digest.id, a.id, T0);
      store.markSent(digest.id, a.id, '<m@x>', T0);
      expect(store.delivery(digest.id, a.id)).toEqual({ status: 'sent', attempts: 2, lastError: null, messageId: '<m@x>' });
      store.markFailed(digest.id, a.id, 'late', T0);
      expect(store.delivery(digest.id, a.id)?.status).toBe('sent');
    } finally {
      store.close();
    }
  });

  it('completeDigest moves the watermark only when nothing is pending or sending, and never back', () => {
    const { store } = openStore();
    try {
      const a = store.addSubscriber('a@example.org', null, T0).subscriber;
      const b = store.addSubscriber('b@example.org', null, T0).subscriber;
      const digest = store.createDigest(digestInput(['x']));
      expect(store.getWatermark()).toBeUndefined();
      store.markSending(digest.id, a.id, T0);
      store.markSent(digest.id, a.id, '<a@x>', T0);
      store.markSending(digest.id, b.id, T0);
      expect(() => store.completeDigest(digest.id, T0)).toThrow(expect.objectContaining({ code: 'STATE_INVALID' }));
      expect(store.getWatermark()).toBeUndefined();
      expect(store.getDigest(digest.id)?.status).toBe('pending');
      store.markFailed(digest.id, b.id, '550 no such user', T0);
      store.completeDigest(digest.id, later(5));
      expect(store.getDigest(digest.id)?.status).toBe('complete');
      expect(store.getWatermark()?.toISOString()).toBe(T0.toISOString());
      expect(store.unfinishedDigest()).toBeUndefined();

      // An older window completing later does not move the watermark back.
      const older = store.createDigest(digestInput(['y'], new Date(T0.getTime() - 86_400_000)));
      store.markSending(older.id, a.id, T0);
      store.markSent(older.id, a.id, '<o@x>', T0);
      store.markSending(older.id, b.id, T0);
      store.markSent(older.id, b.id, '<o2@x>', T0);
      store.completeDigest(older.id, later(6));
      expect(store.getWatermark()?.toISOString()).toBe(T0.toISOString());
      expect(store.sentPostIds()).toEqual(new Set(['x', 'y']));
    } finally {
      store.close();
    }
  });
});

describe('meta and job runs', () => {
  it('keeps meta values and the last run of each job', () => {
    const { store } = openStore();
    try {
      expect(store.getMeta('k')).toBeUndefined();
      store.setMeta('k', 'v1');
      store.setMeta('k', 'v2');
      expect(store.getMeta('k')).toBe('v2');
      store.recordJobRun({ job: 'build', startedAt: T0, finishedAt: later(1), ok: true, summary: { posts: 3 } });
      store.recordJobRun({ job: 'build', startedAt: later(10), finishedAt: later(11), ok: false, summary: { error: 'x' } });
      store.recordJobRun({ job: 'digest', startedAt: later(2), finishedAt: later(3), ok: true, summary: null });
      const runs = store.lastJobRuns();
      expect(Object.keys(runs).sort()).toEqual(['build', 'digest']);
      expect(runs.build).toEqual({ startedAt: later(10), finishedAt: later(11), ok: false, summary: { error: 'x' } });
      expect(runs.digest?.ok).toBe(true);
      // catch-up compares the schedule with the start of the last run that succeeded
      expect(store.lastSuccessfulRunStart('build')).toEqual(T0);
      expect(store.lastSuccessfulRunStart('digest')).toEqual(later(2));
      expect(store.lastSuccessfulRunStart('never')).toBeUndefined();
    } finally {
      store.close();
    }
  });
});
