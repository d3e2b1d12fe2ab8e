import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { DB_FILE, MIGRATIONS, migrate, Store } from '../../src/store/index.js';
import { testdir } from '../helpers/tmp.js';

/**
 * A database as the code before subscriptions (schema version 1) wrote it: the shipped first
 * step, rows inserted with that code's own statements (src/store/store.ts at version 1).
 */
function writeVersion1(dir: string): void {
  const db = new Database(path.join(dir, DB_FILE));
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  migrate(db, MIGRATIONS.slice(0, 1));
  const add = db.prepare("INSERT INTO subscribers (email, name, status, created_at) VALUES (?, ?, 'active', ?)");
  add.run('ann@example.com', 'Ann', '2026-01-01T00:00:00.000Z');
  add.run('Bob@example.com', null, '2026-01-02T00:00:00.000Z');
  add.run('carol@example.com', '山田', '2026-01-03T00:00:00.000Z');
  db.prepare("UPDATE subscribers SET status = 'unsubscribed', unsubscribed_at = ? WHERE email = ?").run('2026-02-01T00:00:00.000Z', 'carol@example.com');
  const digest = db
    .prepare<unknown[], { id: number }>(
      'INSERT INTO digests (created_at, window_start, window_end, subject, preheader, html, text, post_ids, post_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
    )
    .get('2026-01-10T08:00:00.000Z', '2026-01-03T08:00:00.000Z', '2026-01-10T08:00:00.000Z', 'Weekly', '', '<p>hi</p>', 'hi', '["p1"]', 1)!;
  db.prepare('INSERT INTO digest_posts (digest_id, post_id) VALUES (?, ?)').run(digest.id, 'p1');
  db.prepare("INSERT INTO deliveries (digest_id, subscriber_id, status, attempts, updated_at) SELECT ?, id, 'pending', 0, ? FROM subscribers").run(digest.id, '2026-01-10T08:00:00.000Z');
  db.prepare("UPDATE deliveries SET status = 'sent', message_id = '<m1@x>' WHERE subscriber_id = 1").run();
  db.prepare("UPDATE digests SET status = 'complete', completed_at = ? WHERE id = ?").run('2026-01-10T08:05:00.000Z', digest.id);
  db.prepare("INSERT INTO meta (key, value) VALUES ('watermark', ?)").run('2026-01-10T08:00:00.000Z');
  db.close();
}

describe('schema migration 1 → 2 (subscriptions)', () => {
  it('keeps every subscriber, digest, delivery and the watermark of a version-1 database', () => {
    const dir = testdir();
    writeVersion1(dir);
    const store = Store.open(dir);
    try {
      expect(store.pragma('user_version')).toBe(MIGRATIONS.length);
      expect(store.pragma('foreign_key_check')).toBeUndefined();
      const subscribers = store.listSubscribers();
      expect(subscribers.map((s) => [s.id, s.email, s.name, s.status])).toEqual([
        [1, 'ann@example.com', 'Ann', 'active'],
        [2, 'Bob@example.com', null, 'active'],
        [3, 'carol@example.com', '山田', 'unsubscribed'],
      ]);
      // No consent was recorded before: unknown, not invented.
      expect(subscribers[0]?.consent).toEqual({ source: null, sourceUrl: null, signupIp: null, signupUserAgent: null, confirmedAt: null, confirmIp: null, confirmUserAgent: null });
      expect(subscribers[2]?.unsubscribedAt).toEqual(new Date('2026-02-01T00:00:00.000Z'));
      expect(subscribers[2]?.statusAt).toEqual(new Date('2026-02-01T00:00:00.000Z'));
      expect(store.findSubscriber('bob@example.com')?.id).toBe(2);
      expect(store.getDigest(1)?.subject).toBe('Weekly');
      expect(store.deliveryCounts(1)).toEqual({ pending: 2, sending: 0, sent: 1, failed: 0 });
      expect(store.delivery(1, 1)?.messageId).toBe('<m1@x>');
      expect(store.getWatermark()).toEqual(new Date('2026-01-10T08:00:00.000Z'));
      expect(store.sentPostIds()).toEqual(new Set(['p1']));
      // The foreign keys still hold: a delivery for a subscriber that does not exist is refused,
      // and the old subscribers work as before.
      expect(store.unsubscribeById(1, new Date('2026-03-01T00:00:00Z'))).toBe(true);
      const digest = store.createDigest({ createdAt: new Date('2026-03-02T00:00:00Z'), windowStart: new Date('2026-03-01T00:00:00Z'), windowEnd: new Date('2026-03-02T00:00:00Z'), subject: 's', html: 'h', text: 't', postIds: ['p2'] });
      expect(store.deliveryCounts(digest.id).pending).toBe(1);
    } finally {
      store.close();
    }
  });

  it('is done once: opening again changes nothing', () => {
    const dir = testdir();
    writeVersion1(dir);
    Store.open(dir).close();
    const store = Store.open(dir);
    try {
      expect(store.countSubscribers()).toBe(3);
      expect(store.pragma('user_version')).toBe(MIGRATIONS.length);
    } finally {
      store.close();
    }
  });

  it('accepts the new states and refuses unknown ones', () => {
    const dir = testdir();
    writeVersion1(dir);
    Store.open(dir).close();
    const db = new Database(path.join(dir, DB_FILE));
    try {
      db.prepare("UPDATE subscribers SET status = 'pending' WHERE id = 2").run();
      db.prepare("UPDATE subscribers SET status = 'bounced' WHERE id = 2").run();
      expect(() => db.prepare("UPDATE subscribers SET status = 'lost' WHERE id = 2").run()).toThrow(/CHECK/);
      expect(() => db.prepare("UPDATE subscribers SET source = 'guess' WHERE id = 2").run()).toThrow(/CHECK/);
    } finally {
      db.close();
    }
  });
});
