import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { deliverDigest } from '../../src/delivery/index.js';
import { refusalSignature } from '../../src/delivery/send.js';
import { classifySmtpError } from '../../src/delivery/transport.js';
import { FeedletterError } from '../../src/errors.js';
import { seedDigest } from './fixtures/build.js';
import { options, server, smtp, store, T0 } from './fixtures/harness.js';

/**
 * Refusals aimed at the whole server (a sending quota, "relay denied", "sender not allowed") and
 * a server slow to answer the end of the data: none of them may cost a subscriber the digest or
 * give one several copies.
 */
const failure = (promise: Promise<unknown>): Promise<unknown> => promise.then(
  () => undefined,
  (error: unknown) => error,
);

describe('a permanent refusal aimed at the server', () => {
  it('a sending quota on MAIL FROM after 3 messages stops the run, leaves the rest pending, and the next run resumes', async () => {
    const db = store();
    const digestId = seedDigest(db, 8);
    let quota = 3;
    const mail = await server({ onMailFrom: ({ attempt }) => (attempt > quota ? { code: 550, text: '5.4.5 Daily user sending quota exceeded' } : undefined) });
    const error = await failure(deliverDigest(options(db, digestId, smtp(mail.url))));
    expect(error).toBeInstanceOf(FeedletterError);
    expect((error as FeedletterError).code).toBe('SMTP_UNAVAILABLE');
    expect((error as Error).message).toContain('550 5.4.5 Daily user sending quota exceeded');
    expect(db.deliveryCounts(digestId)).toEqual({ pending: 5, sending: 0, sent: 3, failed: 0 });
    expect(db.getDigest(digestId)?.status).toBe('pending');
    expect(db.getWatermark()).toBeUndefined();

    // The quota resets: the next run sends the other five, once each.
    quota = Number.POSITIVE_INFINITY;
    const report = await deliverDigest(options(db, digestId, smtp(mail.url)));
    expect(report).toMatchObject({ sent: 5, failed: [], complete: true });
    for (let n = 1; n <= 8; n++) expect(mail.copiesTo(`s${n}@example.org`), `s${n}`).toHaveLength(1);
    expect(db.getWatermark()?.toISOString()).toBe(T0.toISOString());
  });

  it('"relay denied" for every recipient stops after three alike, failing none of them', async () => {
    const db = store();
    const digestId = seedDigest(db, 6);
    const mail = await server({ onRcptTo: ({ address }) => ({ code: 554, text: `5.7.1 <${address}>: Relay access denied` }) });
    const error = await failure(deliverDigest(options(db, digestId, smtp(mail.url, 2))));
    expect((error as FeedletterError).code).toBe('SMTP_UNAVAILABLE');
    expect((error as Error).message).toMatch(/Relay access denied/);
    expect(db.deliveryCounts(digestId)).toMatchObject({ sent: 0, failed: 0, sending: 0, pending: 6 });
    expect(db.getDigest(digestId)?.status).toBe('pending');
  });

  it('per-recipient refusals with their own enhanced codes still fail one by one and the digest completes', async () => {
    const db = store();
    const digestId = seedDigest(db, 6);
    const bad = new Set(['s1@example.org', 's2@example.org', 's3@example.org', 's4@example.org']);
    const mail = await server({ onRcptTo: ({ address }) => (bad.has(address) ? { code: 550, text: `5.1.1 <${address}>: User unknown` } : undefined) });
    const report = await deliverDigest(options(db, digestId, smtp(mail.url)));
    expect(report.sent).toBe(2);
    expect(report.failed.map((f) => f.email).sort()).toEqual([...bad].sort());
    expect(report.complete).toBe(true);
  });

  it('two alike refusals followed by a success are these recipients after all: failed, the rest sent', async () => {
    const db = store();
    const digestId = seedDigest(db, 4);
    const mail = await server({ onRcptTo: ({ address }) => (address === 's1@example.org' || address === 's2@example.org' ? { code: 550, text: 'Rejected by policy' } : undefined) });
    const report = await deliverDigest(options(db, digestId, smtp(mail.url)));
    expect(report).toMatchObject({ sent: 2, complete: true });
    expect(report.failed.map((f) => f.email)).toEqual(['s1@example.org', 's2@example.org']);
    expect(db.delivery(digestId, 1)).toMatchObject({ status: 'failed', lastError: expect.stringContaining('550 Rejected by policy') as string });
  });

  it('bad credentials (535 to AUTH) stay "unavailable, check SMTP_URL", not a refusal of the sender', async () => {
    const db = store();
    const digestId = seedDigest(db, 2);
    const mail = await server({ auth: { user: 'feed', pass: 'right' } });
    const error = await failure(deliverDigest(options(db, digestId, smtp(mail.url.replace('right', 'wrong')))));
    expect(error).toMatchObject({ code: 'SMTP_UNAVAILABLE', message: expect.stringMatching(/is unavailable/) as string, hint: expect.stringMatching(/credentials/) as string });
  });

  it('the signature of a reply ignores addresses and numbers and leaves mailbox codes out', () => {
    const refusal = (response: string) => classifySmtpError(Object.assign(new Error(`Recipient command failed: ${response}`), { code: 'EENVELOPE', responseCode: Number(response.slice(0, 3)), response, command: 'RCPT TO' }));
    expect(refusalSignature(refusal('554 5.7.1 <a@x.org>: Relay access denied'))).toBe(refusalSignature(refusal('554 5.7.1 <b@y.org>: Relay access denied')));
    expect(refusalSignature(refusal('550 5.1.1 <a@x.org>: User unknown'))).toBeUndefined();
    expect(refusalSignature(refusal('552 5.2.2 Mailbox full'))).toBeUndefined();
    expect(refusalSignature(refusal('550 Sender not allowed'))).not.toBe(refusalSignature(refusal('550 Relay denied')));
  });

  it('a 5xx on MAIL FROM is about the sender (unavailable); a 4xx there stays transient', () => {
    const mailFrom = (code: number) => classifySmtpError(Object.assign(new Error('Mail command failed'), { code: 'EENVELOPE', responseCode: code, response: `${code} no`, command: 'MAIL FROM', permanent: code >= 500 }));
    expect(mailFrom(550).kind).toBe('unavailable');
    expect(mailFrom(451).kind).toBe('transient');
    // nodemailer's own size check names MAIL FROM without a server reply: that message only
    expect(classifySmtpError(Object.assign(new Error('Message size larger than allowed 10'), { code: 'EMESSAGE', command: 'MAIL FROM' })).kind).toBe('permanent');
  });
});

describe('a server slow to answer the end of the data', () => {
  it('a socket timeout after the data is not retried: one copy, the run stops, the next run re-sends that one with the same Message-ID', async () => {
    const db = store();
    const digestId = seedDigest(db, 4);
    let slow = true;
    // Answers the end of the data of s2 only after the client's 300 ms socket timeout, then accepts it.
    const mail = await server({
      onData: ({ envelope }) =>
        slow && envelope.to.includes('s2@example.org') ? new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 900)) : undefined,
    });
    const error = await failure(deliverDigest(options(db, digestId, smtp(mail.url, 1, 300))));
    expect((error as FeedletterError).code).toBe('SMTP_UNAVAILABLE');
    expect((error as Error).message).toMatch(/may have accepted/);
    // Wait until the slow server has accepted it after all.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(mail.copiesTo('s2@example.org')).toHaveLength(1);
    expect(db.delivery(digestId, 2)).toMatchObject({ status: 'sending', attempts: 1 });
    expect(db.deliveryCounts(digestId)).toMatchObject({ sent: 1, sending: 1, failed: 0, pending: 2 });

    slow = false;
    const report = await deliverDigest(options(db, digestId, smtp(mail.url, 1, 300)));
    expect(report).toMatchObject({ sent: 3, complete: true });
    const copies = await Promise.all(mail.copiesTo('s2@example.org').map((m) => simpleParser(m.raw)));
    expect(copies).toHaveLength(2);
    expect(new Set(copies.map((c) => c.messageId))).toEqual(new Set([`<digest-${digestId}.sub-2@blog.example.com>`]));
    for (const n of [1, 3, 4]) expect(mail.copiesTo(`s${n}@example.org`)).toHaveLength(1);
  });
});

describe('an abort while refusals are still undecided', () => {
  it('leaves them pending: two refusals are too few to blame the recipients or the server', async () => {
    const db = store();
    const digestId = seedDigest(db, 5);
    const controller = new AbortController();
    const mail = await server({
      onRcptTo: ({ address }) => {
        if (address === 's2@example.org') setImmediate(() => controller.abort());
        return address === 's1@example.org' || address === 's2@example.org' ? { code: 550, text: 'Rejected by policy' } : undefined;
      },
    });
    const report = await deliverDigest(options(db, digestId, smtp(mail.url), { concurrency: 1, signal: controller.signal }));
    expect(report).toMatchObject({ sent: 0, failed: [], aborted: true, complete: false });
    expect(db.deliveryCounts(digestId)).toEqual({ pending: 5, sending: 0, sent: 0, failed: 0 });
    expect(db.delivery(digestId, 1)).toMatchObject({ status: 'pending', lastError: expect.stringContaining('Rejected by policy') as string });
  });
});
