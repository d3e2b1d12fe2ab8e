import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { importBounces } from '../../src/commands/bounces.js';
import { digest } from '../../src/commands/digest.js';
import { loadConfig } from '../../src/config/load.js';
import { Store } from '../../src/store/index.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';
import { testdir } from '../helpers/tmp.js';

const NOW = new Date('2026-03-01T08:00:00Z');
const LATER = new Date('2026-03-03T08:00:00Z');
const SECRET = 'a-test-secret-of-thirty-two-bytes-or-more';

/** An RFC 3464 report as Postfix writes it, about one recipient, returning the original's headers. */
function dsn(input: { to: string; recipient: string; status: string; diagnostic: string; messageId?: string; reportId: string }): string {
  return [
    'From: MAILER-DAEMON@relay.example.net (Mail Delivery System)',
    `To: ${input.to}`,
    'Subject: Undelivered Mail Returned to Sender',
    `Message-ID: ${input.reportId}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="R"',
    '',
    '--R',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '',
    '--R',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; relay.example.net',
    '',
    `Final-Recipient: rfc822; ${input.recipient}`,
    'Action: failed',
    `Status: ${input.status}`,
    `Diagnostic-Code: smtp; ${input.diagnostic}`,
    '',
    '--R',
    'Content-Type: text/rfc822-headers',
    '',
    'From: Blog <newsletter@blog.example.com>',
    `To: ${input.recipient}`,
    ...(input.messageId ? [`Message-ID: ${input.messageId}`] : []),
    '',
    '--R--',
    '',
  ].join('\r\n');
}

function arf(input: { recipient: string; messageId: string; reportId: string }): string {
  return [
    'From: fbl@isp.example.net',
    'To: bounces@blog.example.com',
    'Subject: abuse report',
    `Message-ID: ${input.reportId}`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="F"',
    '',
    '--F',
    'Content-Type: text/plain',
    '',
    'An abuse report.',
    '',
    '--F',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: ISP-FBL/1.0',
    'Version: 1',
    '',
    '--F',
    'Content-Type: message/rfc822',
    '',
    'From: Blog <newsletter@blog.example.com>',
    `To: ${input.recipient}`,
    `Message-ID: ${input.messageId}`,
    'Subject: New posts',
    '',
    'Hello.',
    '',
    '--F--',
    '',
  ].join('\r\n');
}

let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

describe('bounces end to end: SMTP refusals, imported reports, the next digest', () => {
  it('drops bounced and complaining addresses, keeps the rest, and forged or hostile reports change nothing', async () => {
    smtp = await startSmtpServer({
      onRcptTo: ({ address }) =>
        address === 'gone@example.org'
          ? { code: 550, text: '5.1.1 <gone@example.org>: Recipient address rejected: User unknown' }
          : address === 'strict@example.org'
            ? { code: 550, text: '5.7.1 Message rejected by local policy (SPF fail)' }
            : undefined,
    });
    const dir = testdir({
      'config/feedletter.yaml': 'site:\n  title: Blog\n  url: https://blog.example.com/\nbounces:\n  address: bounces@blog.example.com\nsmtp:\n  retries: 0\n',
      'content/_posts/2026-02-27-one.md': '---\ntitle: One\n---\n\nbody\n',
    });
    const { resolved } = loadConfig({ cwd: dir, env: { FEEDLETTER_SECRET: SECRET, SMTP_URL: smtp.url } });
    const everyone = ['gone@example.org', 'strict@example.org', 'verp@example.net', 'angry@example.net', 'byaddress@example.net', 'keep@example.org', 'forgedvictim@example.org'];
    const store = Store.open(resolved.paths.state);
    for (const email of everyone) store.addSubscriber(email, null, NOW);
    store.close();

    // 1. The first digest: two refusals during the SMTP transaction.
    const first = await digest({ resolved, now: NOW });
    expect(first).toMatchObject({ kind: 'sent', report: { sent: 5 } });
    const sent = new Map<string, { envelopeFrom: string; messageId: string }>();
    for (const m of smtp.messages) {
      const parsed = await simpleParser(m.raw);
      sent.set(m.envelope.to[0] ?? '', { envelopeFrom: m.envelope.from, messageId: parsed.messageId ?? '' });
      // VERP: the envelope sender carries the token, the From header stays.
      expect(m.envelope.from).toMatch(/^bounces\+[0-9a-z]+\.[0-9a-z]+\.[0-9a-f]{20}@blog\.example\.com$/);
      expect(parsed.from?.value[0]?.address).toBe('newsletter@blog.example.com');
    }
    let check = Store.open(resolved.paths.state);
    expect(check.findSubscriber('gone@example.org')?.status).toBe('bounced');
    // Refused because of us (policy, SPF): recorded, never held against the recipient.
    expect(check.findSubscriber('strict@example.org')?.status).toBe('active');
    expect(check.listBounces().map((b) => [b.recipient, b.kind, b.senderProblem, b.source, b.effect])).toEqual([
      ['gone@example.org', 'hard', false, 'smtp', 'bounced'],
      ['strict@example.org', 'soft', true, 'smtp', 'none'],
    ]);
    // Someone who joins after the digest was never mailed.
    check.addSubscriber('late@example.org', null, NOW);
    check.close();

    // 2. Reports that arrive later, as files, an mbox and a Maildir.
    const verp = sent.get('verp@example.net');
    const angry = sent.get('angry@example.net');
    const keep = sent.get('keep@example.org');
    if (!verp || !angry || !keep) throw new Error('a digest did not arrive');
    const forgedToken = verp.envelopeFrom.replace(/\.[0-9a-f]{20}@/, '.0123456789abcdef0123@').replace(/\+[0-9a-z]+\.[0-9a-z]+\./, '+1.7.');
    const reports = testdir();
    const file = (name: string, text: string): string => {
      const target = path.join(reports, name);
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, text);
      return target;
    };
    // A DSN that reached us through the VERP address (the relay rewrote the recipient text).
    const verpDsn = dsn({ to: verp.envelopeFrom, recipient: 'someone-else@relay.example.net', status: '5.1.1', diagnostic: '550 5.1.1 User unknown', reportId: '<r1@relay.example.net>' });
    // A complaint matched by our Message-ID only.
    const complaint = arf({ recipient: 'angry@example.net', messageId: angry.messageId, reportId: '<r2@isp.example.net>' });
    // A DSN with neither token nor Message-ID: matched by its address, mailed in the window.
    const byAddress = dsn({ to: 'bounces@blog.example.com', recipient: 'byaddress@example.net', status: '5.1.1', diagnostic: '550 5.1.1 no such user', reportId: '<r3@relay.example.net>' });
    // Forgeries: a VERP token not signed by us naming keep@, a DSN naming an address we never mailed.
    const forged = dsn({ to: forgedToken, recipient: 'forgedvictim@example.org', status: '5.1.1', diagnostic: '550 5.1.1 User unknown', messageId: keep.messageId, reportId: '<f1@evil.example>' });
    const neverMailed = dsn({ to: 'bounces@blog.example.com', recipient: 'late@example.org', status: '5.1.1', diagnostic: '550 5.1.1 User unknown', reportId: '<f2@evil.example>' });
    // Hostile: a DSN cut off in the middle, and one with a 12 MB attachment.
    const truncated = dsn({ to: 'bounces@blog.example.com', recipient: 'keep@example.org', status: '5.1.1', diagnostic: '550 5.1.1 x', reportId: '<t@x>' }).split('Action:')[0] ?? '';
    const huge = dsn({ to: 'bounces@blog.example.com', recipient: 'keep@example.org', status: '5.1.1', diagnostic: '550 5.1.1 x', reportId: '<h@x>' }).replace('--R--', `--R\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${'QUFBQUFB\r\n'.repeat(1_300_000)}--R--`);

    const paths = [
      file('verp.eml', verpDsn),
      file('box.mbox', `From MAILER-DAEMON Mon Mar  2 08:00:00 2026\n${complaint.replace(/\r\n/g, '\n')}\nFrom MAILER-DAEMON Mon Mar  2 08:01:00 2026\n${byAddress.replace(/\r\n/g, '\n')}\n`),
      file('forged.eml', forged),
      file('Maildir/new/1.host', neverMailed),
      file('Maildir/cur/2.host:2,S', truncated),
      file('Maildir/tmp/being-written', verpDsn),
      file('huge.eml', huge),
    ];
    const before = Date.now();
    const report = await importBounces(resolved, [paths[0] ?? '', paths[1] ?? '', paths[2] ?? '', path.join(reports, 'Maildir'), paths[6] ?? ''], LATER);
    expect(Date.now() - before).toBeLessThan(60_000);
    const byOrigin = Object.fromEntries(report.messages.map((m) => [path.relative(reports, m.origin), m]));
    expect(byOrigin['verp.eml']).toMatchObject({ kind: 'hard', effect: 'bounced', email: 'verp@example.net' });
    expect(byOrigin['box.mbox#1']).toMatchObject({ kind: 'complaint', effect: 'complained', email: 'angry@example.net' });
    expect(byOrigin['box.mbox#2']).toMatchObject({ kind: 'hard', effect: 'bounced', email: 'byaddress@example.net' });
    expect(byOrigin['forged.eml']).toMatchObject({ kind: 'hard', effect: 'none', note: expect.stringMatching(/not ours/) });
    expect(byOrigin['Maildir/new/1.host']).toMatchObject({ kind: 'hard', effect: 'none', note: expect.stringMatching(/not sent a digest/) });
    expect(byOrigin['Maildir/cur/2.host:2,S']?.kind).not.toMatch(/hard|soft|complaint/);
    expect(byOrigin['huge.eml']).toMatchObject({ kind: 'skipped' });
    expect(byOrigin['Maildir/tmp/being-written']).toBeUndefined();
    expect(report.counts).toMatchObject({ unmatched: 2, duplicate: 0 });

    // Read again: every report counts once.
    const again = await importBounces(resolved, [paths[0] ?? '', paths[1] ?? '', paths[2] ?? '', path.join(reports, 'Maildir')], LATER);
    expect(again.counts.duplicate).toBe(5);
    check = Store.open(resolved.paths.state);
    expect(check.listBounces()).toHaveLength(7);
    const status = Object.fromEntries(check.listSubscribers().map((s) => [s.email, s.status]));
    expect(status).toEqual({
      'gone@example.org': 'bounced',
      'strict@example.org': 'active',
      'verp@example.net': 'bounced',
      'angry@example.net': 'complained',
      'byaddress@example.net': 'bounced',
      'keep@example.org': 'active',
      'forgedvictim@example.org': 'active',
      'late@example.org': 'active',
    });
    check.close();

    // 3. The next digest reaches the rest and none of the dropped addresses.
    writeFileSync(path.join(dir, 'content/_posts/2026-03-02-two.md'), '---\ntitle: Two\n---\n\nbody\n');
    const firstCount = smtp.messages.length;
    const second = await digest({ resolved, now: LATER });
    expect(second).toMatchObject({ kind: 'sent' });
    const reached = smtp.messages.slice(firstCount).map((m) => m.envelope.to[0]).sort();
    expect(reached).toEqual(['forgedvictim@example.org', 'keep@example.org', 'late@example.org']);
    // strict@ was tried again (the refusal was about us) and refused again: still active.
    expect(second).toMatchObject({ report: { failed: [expect.objectContaining({ email: 'strict@example.org' })] } });
    check = Store.open(resolved.paths.state);
    expect(check.findSubscriber('strict@example.org')?.status).toBe('active');
    check.close();
  }, 120_000);

  it('a refusal of the whole run (the same reply for every recipient) changes no subscriber', async () => {
    smtp = await startSmtpServer({ onRcptTo: () => ({ code: 550, text: '5.7.1 Relaying denied for this client' }) });
    const dir = testdir({
      'config/feedletter.yaml': 'site:\n  title: Blog\n  url: https://blog.example.com/\nsmtp:\n  retries: 0\n',
      'content/_posts/2026-02-27-one.md': '---\ntitle: One\n---\n\nbody\n',
    });
    const { resolved } = loadConfig({ cwd: dir, env: { FEEDLETTER_SECRET: SECRET, SMTP_URL: smtp.url } });
    const store = Store.open(resolved.paths.state);
    for (const n of [1, 2, 3, 4, 5]) store.addSubscriber(`r${n}@example.org`, null, NOW);
    store.close();
    await expect(digest({ resolved, now: NOW })).rejects.toMatchObject({ code: 'SMTP_UNAVAILABLE' });
    const check = Store.open(resolved.paths.state);
    expect(check.listSubscribers().map((s) => s.status)).toEqual(['active', 'active', 'active', 'active', 'active']);
    expect(check.listBounces()).toEqual([]);
    check.close();
  }, 60_000);
});
