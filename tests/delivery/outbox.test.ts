import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { createOutboxTransport, deliverDigest, outboxFileName } from '../../src/delivery/index.js';
import { Store } from '../../src/store/index.js';
import { testdir } from '../helpers/tmp.js';
import { seedDigest, testBuilder } from './fixtures/build.js';

const T0 = new Date('2026-11-20T08:00:00Z');

describe('outbox transport', () => {
  it('delivers a whole digest as one .eml per subscriber; a resumed run replaces files, never adds copies', async () => {
    const root = testdir();
    const dir = path.join(root, 'outbox');
    const store = Store.open(path.join(root, 'state'));
    try {
      const digestId = seedDigest(store, 3);
      const transport = createOutboxTransport({ dir });
      const report = await deliverDigest({ store, digestId, transport, build: testBuilder(digestId), retries: 0, retryDelayMs: 1, clock: () => T0 });
      expect(report).toMatchObject({ sent: 3, complete: true });
      const files = readdirSync(dir).sort();
      expect(files).toEqual([1, 2, 3].map((n) => `s${n}@example.org--digest-${digestId}.sub-${n}@blog.example.com.eml`));
      // Same (digest, subscriber) again, as a resumed run would: same file, still one copy, no temp files.
      const build = testBuilder(digestId, { subject: 'again' });
      const first = store.getSubscriber(1);
      if (first === undefined) throw new Error('no subscriber 1');
      await transport.send(build(first));
      expect(readdirSync(dir).sort()).toEqual(files);
      const mail = await simpleParser(readFileSync(path.join(dir, files[0] ?? '')));
      expect(mail.subject).toBe('again');
      expect(readFileSync(path.join(dir, files[0] ?? '')).toString('latin1')).toContain('\r\n');
    } finally {
      store.close();
    }
  });

  it('signs with DKIM over both List-Unsubscribe headers (RFC 8058 §4)', async () => {
    const dir = path.join(testdir(), 'outbox');
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const transport = createOutboxTransport({
      dir,
      dkim: { domainName: 'blog.example.com', keySelector: 'fl1', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    });
    await transport.send({
      to: { name: null, address: 'a@example.org' },
      messageId: '<dkim-1@blog.example.com>',
      options: {
        from: 'newsletter@blog.example.com',
        subject: 'signed',
        text: 'x',
        list: { unsubscribe: { url: 'https://blog.example.com/u?t=1' } },
        headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      },
    });
    const [file] = readdirSync(dir);
    const mail = await simpleParser(readFileSync(path.join(dir, file ?? '')));
    const signature = mail.headerLines.find((h) => h.key === 'dkim-signature')?.line.replace(/\r?\n[ \t]+/g, '') ?? '';
    expect(signature).toMatch(/d=blog\.example\.com/);
    expect(signature).toMatch(/s=fl1/);
    const signed = /[;:]\s*h=([^;]+)/.exec(signature)?.[1]?.toLowerCase().replace(/\s/g, '').split(':') ?? [];
    expect(signed).toEqual(expect.arrayContaining(['from', 'subject', 'message-id', 'list-unsubscribe', 'list-unsubscribe-post']));
  });

  it('makes a safe file name from any message id and address', () => {
    const name = outboxFileName({ to: { name: null, address: 'a/../b@example.org' }, messageId: '<x/y\\z:1@host>', options: {} });
    expect(name).not.toMatch(/[/\\:]/);
    expect(name.endsWith('.eml')).toBe(true);
  });

  it('an outbox that cannot be created is IO_FAILED (exit 74) for the run, nothing marked', async () => {
    const root = testdir();
    const blocker = path.join(root, 'file');
    writeFileSync(blocker, 'not a folder');
    chmodSync(blocker, 0o400);
    const store = Store.open(path.join(root, 'state'));
    try {
      const digestId = seedDigest(store, 2);
      const transport = createOutboxTransport({ dir: path.join(blocker, 'outbox') });
      await expect(deliverDigest({ store, digestId, transport, build: testBuilder(digestId), retries: 0, retryDelayMs: 1, clock: () => T0 })).rejects.toMatchObject({
        code: 'IO_FAILED',
      });
      expect(store.deliveryCounts(digestId)).toEqual({ pending: 2, sending: 0, sent: 0, failed: 0 });
    } finally {
      store.close();
    }
  });
});
