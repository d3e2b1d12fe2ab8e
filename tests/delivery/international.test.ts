import path from 'node:path';
import Database from 'better-sqlite3';
import { simpleParser, type AddressObject } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { deliverDigest } from '../../src/delivery/index.js';
import { FeedletterError } from '../../src/errors.js';
import { DB_FILE, MAX_NAME, normaliseEmail, normaliseName, Store } from '../../src/store/index.js';
import { testdir } from '../helpers/tmp.js';
import { testBuilder } from './fixtures/build.js';
import { cleanups, server, smtp, store, T0 } from './fixtures/harness.js';

/** Names and addresses on every way in, and what a real SMTP server gets from them. */
function digestFor(db: Store, subscribers: [string, string | null][]): number {
  for (const [email, name] of subscribers) db.addSubscriber(email, name, T0);
  return db.createDigest({ createdAt: T0, windowStart: T0, windowEnd: T0, subject: 'D', html: '<p>x</p>', text: 'x', postIds: ['p'] }).id;
}
const firstTo = (to: AddressObject | AddressObject[] | undefined): { name: string; address?: string | undefined }[] => (Array.isArray(to) ? to.flatMap((t) => t.value) : (to?.value ?? []));

describe('names', () => {
  it('control characters, line breaks and bidi overrides become spaces; white space is collapsed; empty is null', () => {
    expect(normaliseName('Eve\r\nBcc: all@example.org')).toBe('Eve Bcc: all@example.org');
    expect(normaliseName('  Ada\tLovelace \u0000 ')).toBe('Ada Lovelace');
    expect(normaliseName('evil\u202Egnp.exe')).toBe('evil gnp.exe');
    expect(normaliseName('Line\u2028Sep\u0085x')).toBe('Line Sep x');
    expect(normaliseName('\r\n\t ')).toBeNull();
    expect(normaliseName(null)).toBeNull();
    // NFC: a decomposed "é" is stored composed
    expect(normaliseName('Jose\u0301')).toBe('José');
    expect(normaliseName('山田 太郎')).toBe('山田 太郎');
  });

  it(`more than ${MAX_NAME} characters is refused (counted in characters, not bytes)`, () => {
    expect(normaliseName('名'.repeat(MAX_NAME))).toHaveLength(MAX_NAME);
    expect(() => normaliseName('x'.repeat(200_000))).toThrow(FeedletterError);
    expect(() => normaliseName('x'.repeat(MAX_NAME + 1))).toThrow(/at most 100/);
  });

  it('the store cleans every name on the way in; a CR/LF name goes out as one To: line', async () => {
    const db = store();
    const { subscriber } = db.addSubscriber('eve@example.org', 'Eve\r\nBcc: all@example.org', T0);
    expect(subscriber.name).toBe('Eve Bcc: all@example.org');
    expect(db.findSubscriber('eve@example.org')?.name).toBe('Eve Bcc: all@example.org');
    expect(() => db.addSubscriber('long@example.org', 'x'.repeat(201), T0)).toThrow(/at most 100/);
    expect(db.findSubscriber('long@example.org')).toBeUndefined();

    const digestId = db.createDigest({ createdAt: T0, windowStart: T0, windowEnd: T0, subject: 'D', html: '<p>x</p>', text: 'x', postIds: ['p'] }).id;
    const mail = await server();
    await deliverDigest({ store: db, digestId, transport: smtp(mail.url), build: testBuilder(digestId), retries: 0, retryDelayMs: 1, clock: () => T0 });
    const [received] = mail.messages;
    const toLines = received!.raw.toString('latin1').split('\r\n').filter((l) => /^to:/i.test(l));
    expect(toLines).toHaveLength(1);
    expect(received!.raw.toString('latin1')).not.toMatch(/^bcc:/im);
    const parsed = await simpleParser(received!.raw);
    expect(firstTo(parsed.to)).toEqual([{ name: 'Eve Bcc: all@example.org', address: 'eve@example.org' }]);
    expect(parsed.bcc).toBeUndefined();
  });
});

describe('internationalised addresses', () => {
  it('the domain is stored as punycode; the local part as given (NFC)', () => {
    expect(normaliseEmail('user@例え.jp')).toBe('user@xn--r8jz45g.jp');
    expect(normaliseEmail('ユーザー@例え.JP')).toBe('ユーザー@xn--r8jz45g.jp');
    expect(normaliseEmail('Jane@Bücher.Example')).toBe('Jane@xn--bcher-kva.example');
    expect(() => normaliseEmail('a@exa mple.jp')).toThrow(FeedletterError);
    const db = store();
    db.addSubscriber('user@例え.jp', null, T0);
    expect(db.findSubscriber('user@例え.jp')?.email).toBe('user@xn--r8jz45g.jp');
    expect(db.addSubscriber('user@xn--r8jz45g.jp', null, T0).created).toBe(false);
  });

  it('without SMTPUTF8: an IDN domain goes as punycode in 7-bit; a non-ASCII local part is refused, not mangled', async () => {
    const db = store();
    const digestId = digestFor(db, [
      ['user@例え.jp', null],
      ['ユーザー@例え.jp', 'ユーザー'],
      ['plain@example.org', null],
    ]);
    const mail = await server({ smtputf8: false });
    const report = await deliverDigest({ store: db, digestId, transport: smtp(mail.url), build: testBuilder(digestId), retries: 0, retryDelayMs: 1, clock: () => T0 });
    expect(report.sent).toBe(2);
    expect(report.failed).toEqual([{ email: 'ユーザー@xn--r8jz45g.jp', error: expect.stringMatching(/SMTPUTF8/) as string }]);
    expect(report.complete).toBe(true);
    // smtp-server reports an envelope domain decoded from punycode; nothing arrived for the UTF-8 mailbox.
    expect(mail.received.map((m) => m.envelope.to).flat().sort()).toEqual(['plain@example.org', 'user@例え.jp']);
    for (const message of mail.messages) {
      expect(message.envelope.smtputf8).toBe(false);
      // eslint-disable-next-line no-control-regex
      expect(/^[\x00-\x7f]*$/.test(message.raw.toString('latin1')), 'a 7-bit message').toBe(true);
    }
    const raw = mail.copiesTo('user@例え.jp')[0]!.raw;
    expect(raw.toString('latin1')).toMatch(/^To: user@xn--r8jz45g\.jp\r$/m);
    const idn = await simpleParser(raw);
    // mailparser, too, shows the domain decoded
    expect(firstTo(idn.to)[0]?.address).toBe('user@例え.jp');
  });

  it('with SMTPUTF8 offered: the UTF-8 mailbox is sent with SMTPUTF8 and arrives intact', async () => {
    const db = store();
    const digestId = digestFor(db, [
      ['ユーザー@例え.jp', 'ユーザー'],
      ['plain@example.org', null],
    ]);
    const mail = await server({ smtputf8: true });
    const report = await deliverDigest({ store: db, digestId, transport: smtp(mail.url), build: testBuilder(digestId), retries: 0, retryDelayMs: 1, clock: () => T0 });
    expect(report).toMatchObject({ sent: 2, failed: [], complete: true });
    const [utf8] = mail.messages.filter((m) => m.envelope.to.some((to) => to.startsWith('ユーザー@')));
    expect(utf8?.envelope.smtputf8).toBe(true);
    const parsed = await simpleParser(utf8!.raw);
    const address = firstTo(parsed.to)[0]?.address ?? '';
    expect(address.startsWith('ユーザー@')).toBe(true);
    expect(['例え.jp', 'xn--r8jz45g.jp']).toContain(address.split('@')[1]);
  });

  it('an address stored before domains were punycode: not added twice, and sent with the punycode domain in 7 bits', async () => {
    const dir = path.join(testdir(), 'state');
    Store.open(dir).close();
    // As an earlier feedletter stored it: the domain in Unicode.
    const raw = new Database(path.join(dir, DB_FILE));
    raw.prepare("INSERT INTO subscribers (email, name, status, created_at) VALUES ('old@例え.jp', 'Old', 'active', ?)").run(T0.toISOString());
    raw.close();
    const db = Store.open(dir);
    cleanups.push(() => db.close());
    expect(db.addSubscriber('old@例え.jp', null, T0).created).toBe(false);
    expect(db.addSubscriber('old@xn--r8jz45g.jp', null, T0).created).toBe(false);
    expect(db.countSubscribers()).toBe(1);

    const digestId = db.createDigest({ createdAt: T0, windowStart: T0, windowEnd: T0, subject: 'D', html: '<p>x</p>', text: 'x', postIds: ['p'] }).id;
    const mail = await server({ smtputf8: false });
    const report = await deliverDigest({ store: db, digestId, transport: smtp(mail.url), build: testBuilder(digestId), retries: 0, retryDelayMs: 1, clock: () => T0 });
    expect(report).toMatchObject({ sent: 1, failed: [], complete: true });
    const [message] = mail.messages;
    expect(message?.envelope.smtputf8).toBe(false);
    // eslint-disable-next-line no-control-regex
    expect(/^[\x00-\x7f]*$/.test(message!.raw.toString('latin1'))).toBe(true);
    expect(message!.raw.toString('latin1')).toMatch(/^To: .*<old@xn--r8jz45g\.jp>\r$/m);
  });
});
