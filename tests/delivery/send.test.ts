import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { deliverDigest, type Transport } from '../../src/delivery/index.js';
import { FeedletterError } from '../../src/errors.js';
import { closedPort, type TestSmtpServer } from '../helpers/smtp.js';
import { seedDigest, testBuilder } from './fixtures/build.js';
import { options, server, smtp as transport, store, T0 } from './fixtures/harness.js';

/** Two pooled connections unless a test says otherwise. */
const smtp = (url: string, maxConnections = 2): Transport => transport(url, maxConnections);


describe('deliverDigest', () => {
  it('sends one copy to every active subscriber, then completes the digest and moves the watermark', async () => {
    const db = store();
    const digestId = seedDigest(db, 5);
    db.removeSubscriber('s3@example.org', T0);
    const mail = await server();
    const progress: number[] = [];
    const report = await deliverDigest(options(db, digestId, smtp(mail.url), { onProgress: (c) => progress.push(c.sent) }));
    expect(report).toEqual({ sent: 4, failed: [], aborted: false, complete: true });
    expect(mail.copiesTo('s3@example.org')).toHaveLength(0);
    for (const n of [1, 2, 4, 5]) expect(mail.copiesTo(`s${n}@example.org`)).toHaveLength(1);
    expect(progress).toEqual([1, 2, 3, 4]);
    expect(db.getDigest(digestId)?.status).toBe('complete');
    expect(db.getWatermark()?.toISOString()).toBe(T0.toISOString());
    const parsed = await simpleParser(mail.copiesTo('s1@example.org')[0]?.raw ?? Buffer.alloc(0));
    expect(parsed.messageId).toBe(`<digest-${digestId}.sub-1@blog.example.com>`);
    expect(db.delivery(digestId, 1)).toMatchObject({ status: 'sent', attempts: 1, messageId: `<digest-${digestId}.sub-1@blog.example.com>` });
    // A second run of a complete digest sends nothing.
    expect(await deliverDigest(options(db, digestId, smtp(mail.url)))).toEqual({ sent: 0, failed: [], aborted: false, complete: true });
    expect(mail.messages).toHaveLength(4);
  });

  it('a 451 then 250 gives exactly one copy, after a retry', async () => {
    const db = store();
    const digestId = seedDigest(db, 3);
    const mail = await server({ onRcptTo: ({ address, attempt }) => (address === 's2@example.org' && attempt === 1 ? 451 : undefined) });
    const report = await deliverDigest(options(db, digestId, smtp(mail.url)));
    expect(report).toMatchObject({ sent: 3, failed: [], complete: true });
    expect(mail.copiesTo('s2@example.org')).toHaveLength(1);
    expect(mail.messages).toHaveLength(3);
    expect(db.delivery(digestId, 2)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a 451 at the end of DATA is retried too, one copy accepted', async () => {
    const db = store();
    const digestId = seedDigest(db, 2);
    const mail = await server({ onData: ({ attempt }) => (attempt === 1 ? 451 : undefined) });
    const report = await deliverDigest(options(db, digestId, smtp(mail.url, 1)));
    expect(report).toMatchObject({ sent: 2, failed: [], complete: true });
    expect(mail.messages).toHaveLength(2);
    expect(mail.copiesTo('s1@example.org')).toHaveLength(1);
  });

  it('a 550 for one address fails that one, the others are sent, the digest completes', async () => {
    const db = store();
    const digestId = seedDigest(db, 4);
    const mail = await server({ onRcptTo: ({ address }) => (address === 's3@example.org' ? 550 : undefined) });
    const report = await deliverDigest(options(db, digestId, smtp(mail.url)));
    expect(report.sent).toBe(3);
    expect(report.failed).toEqual([{ email: 's3@example.org', error: expect.stringContaining('550') as string }]);
    expect(report.complete).toBe(true);
    expect(db.delivery(digestId, 3)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(db.deliveryCounts(digestId)).toEqual({ pending: 0, sending: 0, sent: 3, failed: 1 });
    expect(db.getWatermark()?.toISOString()).toBe(T0.toISOString());
  });

  it('an address that keeps deferring fails after the retries, the others go through', async () => {
    const db = store();
    const digestId = seedDigest(db, 3);
    const mail = await server({ onRcptTo: ({ address }) => (address === 's1@example.org' ? 452 : undefined) });
    const report = await deliverDigest(options(db, digestId, smtp(mail.url, 1), { retries: 2 }));
    expect(report.sent).toBe(2);
    expect(report.failed).toEqual([{ email: 's1@example.org', error: expect.stringMatching(/452.*gave up after 3 attempts/) as string }]);
    expect(db.delivery(digestId, 1)).toMatchObject({ status: 'failed', attempts: 3 });
    expect(report.complete).toBe(true);
  });

  it('a server that defers everything stops the run with SMTP_UNAVAILABLE instead of failing everyone', async () => {
    const db = store();
    const digestId = seedDigest(db, 6);
    const mail = await server({ onRcptTo: () => 421 });
    const error = await deliverDigest(options(db, digestId, smtp(mail.url, 1), { retries: 1, giveUpStreak: 2 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FeedletterError);
    expect((error as FeedletterError).code).toBe('SMTP_UNAVAILABLE');
    const counts = db.deliveryCounts(digestId);
    expect(counts).toMatchObject({ sent: 0, failed: 0, sending: 0 });
    expect(counts.pending).toBe(6);
    expect(db.getWatermark()).toBeUndefined();
  });

  it('server down: SMTP_UNAVAILABLE, nothing marked; a later run against a live server delivers once each', async () => {
    const db = store();
    const digestId = seedDigest(db, 3);
    const port = await closedPort();
    const error = await deliverDigest(options(db, digestId, smtp(`smtp://127.0.0.1:${port}`))).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SMTP_UNAVAILABLE', hint: expect.stringContaining('SMTP_URL') as string });
    expect((error as Error).message).toMatch(/unavailable/);
    expect(db.deliveryCounts(digestId)).toEqual({ pending: 3, sending: 0, sent: 0, failed: 0 });
    expect(db.delivery(digestId, 1)?.attempts).toBe(0);
    expect(db.getDigest(digestId)?.status).toBe('pending');

    const mail = await server();
    const report = await deliverDigest(options(db, digestId, smtp(mail.url)));
    expect(report).toMatchObject({ sent: 3, complete: true });
    for (const n of [1, 2, 3]) expect(mail.copiesTo(`s${n}@example.org`)).toHaveLength(1);
  });

  it('bad credentials are SMTP_UNAVAILABLE, not a per-message failure', async () => {
    const db = store();
    const digestId = seedDigest(db, 2);
    const mail = await server({ auth: { user: 'feed', pass: 'right' } });
    const error = await deliverDigest(options(db, digestId, smtp(mail.url.replace('right', 'wrong')))).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SMTP_UNAVAILABLE' });
    expect(db.deliveryCounts(digestId).pending).toBe(2);
    const report = await deliverDigest(options(db, digestId, smtp(mail.url)));
    expect(report).toMatchObject({ sent: 2, complete: true });
  });

  it('the server going away mid-run stops with SMTP_UNAVAILABLE and leaves the rest pending', async () => {
    const db = store();
    const digestId = seedDigest(db, 6);
    let closing: Promise<void> | undefined;
    const mail: TestSmtpServer = await server({
      onData: ({ attempt }) => {
        if (attempt === 2) closing = mail.close();
        return undefined;
      },
    });
    const error = await deliverDigest(options(db, digestId, smtp(mail.url, 1), { retries: 1 })).catch((e: unknown) => e);
    await closing;
    expect(error).toMatchObject({ code: 'SMTP_UNAVAILABLE' });
    const counts = db.deliveryCounts(digestId);
    expect(counts.sent).toBe(mail.messages.length);
    expect(counts.sent).toBeGreaterThanOrEqual(2);
    expect(counts.sent).toBeLessThan(6);
    expect(counts.sending).toBe(0);
    expect(counts.pending).toBe(6 - counts.sent);
    expect(db.getDigest(digestId)?.status).toBe('pending');
  });

  it('an abort stops taking messages, lets the one in flight finish, and leaves the rest pending', async () => {
    const db = store();
    const digestId = seedDigest(db, 5);
    const controller = new AbortController();
    const mail = await server();
    const report = await deliverDigest(
      options(db, digestId, smtp(mail.url, 1), {
        concurrency: 1,
        signal: controller.signal,
        onProgress: (c) => {
          if (c.sent === 2) controller.abort();
        },
      }),
    );
    expect(report).toEqual({ sent: 2, failed: [], aborted: true, complete: false });
    expect(db.deliveryCounts(digestId)).toEqual({ pending: 3, sending: 0, sent: 2, failed: 0 });
    expect(mail.messages).toHaveLength(2);
    expect(db.getWatermark()).toBeUndefined();
    const rest = await deliverDigest(options(db, digestId, smtp(mail.url)));
    expect(rest).toMatchObject({ sent: 3, complete: true });
    expect(mail.messages).toHaveLength(5);
  });

  it('an abort during a retry backoff ends the wait at once; that delivery stays pending with its error', async () => {
    const db = store();
    const digestId = seedDigest(db, 3);
    const controller = new AbortController();
    const mail = await server({
      onRcptTo: ({ address }) => {
        if (address !== 's1@example.org') return undefined;
        // Abort a moment after the deferral has been answered, while the client backs off.
        setImmediate(() => controller.abort());
        return 451;
      },
    });
    // A backoff far beyond the test timeout: only the abort can end it.
    const report = await deliverDigest(options(db, digestId, smtp(mail.url, 1), { concurrency: 1, retryDelayMs: 600_000, signal: controller.signal }));
    expect(report).toEqual({ sent: 0, failed: [], aborted: true, complete: false });
    expect(db.delivery(digestId, 1)).toMatchObject({ status: 'pending', attempts: 1, lastError: expect.stringContaining('451') as string });
    expect(db.deliveryCounts(digestId)).toEqual({ pending: 3, sending: 0, sent: 0, failed: 0 });
  });

  it('resumes a crashed run: `sending` ones are re-sent with the same Message-ID, sent ones are not', async () => {
    const db = store();
    const digestId = seedDigest(db, 3);
    // As a killed run leaves it: s1 sent, s2 in flight.
    db.markSending(digestId, 1, T0);
    db.markSent(digestId, 1, `<digest-${digestId}.sub-1@blog.example.com>`, T0);
    db.markSending(digestId, 2, T0);
    const mail = await server();
    const report = await deliverDigest(options(db, digestId, smtp(mail.url)));
    expect(report).toMatchObject({ sent: 2, complete: true });
    expect(mail.copiesTo('s1@example.org')).toHaveLength(0);
    const resent = await simpleParser(mail.copiesTo('s2@example.org')[0]?.raw ?? Buffer.alloc(0));
    expect(resent.messageId).toBe(`<digest-${digestId}.sub-2@blog.example.com>`);
    expect(db.delivery(digestId, 2)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('a bug in the message builder stops the run with that error once the messages in flight settle', async () => {
    const db = store();
    const digestId = seedDigest(db, 4);
    const mail = await server();
    const build = testBuilder(digestId);
    const error = await deliverDigest(
      options(db, digestId, smtp(mail.url, 1), {
        concurrency: 1,
        build: (subscriber) => {
          if (subscriber.id === 3) throw new TypeError('template bug');
          return build(subscriber);
        },
      }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(db.deliveryCounts(digestId)).toEqual({ pending: 2, sending: 0, sent: 2, failed: 0 });
    expect(db.getDigest(digestId)?.status).toBe('pending');
  });

  it('a subscriber removed while the digest is pending gets nothing', async () => {
    const db = store();
    const digestId = seedDigest(db, 3);
    db.removeSubscriber('s2@example.org', T0);
    const mail = await server();
    const report = await deliverDigest(options(db, digestId, smtp(mail.url)));
    expect(report).toMatchObject({ sent: 2, failed: [], complete: true });
    expect(mail.copiesTo('s2@example.org')).toHaveLength(0);
  });
});
