import { createHash, createVerify, generateKeyPairSync } from 'node:crypto';
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { simpleParser, type ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { buildMessage, unsubscribeUrl, type BuildMessageInput } from '../../src/digest/message.js';
import { signToken } from '../../src/digest/token.js';
import { makeConfig } from './factory.js';

const createdAt = new Date('2026-01-16T08:00:00Z');
const SUBJECT = 'ALLFORCES: AWSのInferentia3の可能性とは？ ほか1件';

function input(config: Config, overrides: Partial<BuildMessageInput> = {}): BuildMessageInput {
  const url = unsubscribeUrl(config, signToken('secret-secret-secret-secret-secret', 7, createdAt));
  return {
    config,
    digestId: 12,
    digestCreatedAt: createdAt,
    subscriber: { id: 7, email: 'taro@example.jp', name: '<b>&"山田' },
    personal: { subject: SUBJECT, html: '<!doctype html><html lang="ja"><body><p>こんにちは</p></body></html>', text: 'こんにちは\n' },
    unsubscribeUrl: url,
    ...overrides,
  };
}

async function raw(options: BuildMessageInput): Promise<{ raw: string; parsed: ParsedMail }> {
  const message = buildMessage(options);
  const buffer = await new MailComposer({ ...message.options, messageId: message.messageId }).compile().build();
  return { raw: buffer.toString('utf8'), parsed: await simpleParser(buffer) };
}

/** The unfolded value of every header line named `key`. */
function headerValues(parsed: ParsedMail, key: string): string[] {
  return parsed.headerLines.filter((h) => h.key === key).map((h) => h.line.replace(/\r\n[ \t]/g, ' ').replace(/^[^:]+:\s*/, ''));
}

describe('unsubscribeUrl', () => {
  it('points at the public server URL, default <site>/newsletter/', () => {
    expect(unsubscribeUrl(makeConfig(), 'abc.def')).toBe('https://allforces.example.jp/newsletter/unsubscribe?token=abc.def');
    expect(unsubscribeUrl(makeConfig({ server: { publicUrl: 'https://mail.example.jp/nl' } }), 'a b')).toBe('https://mail.example.jp/nl/unsubscribe?token=a%20b');
  });
});

describe('buildMessage', () => {
  it('sets From, To, Date, Message-ID and a UTF-8 Japanese subject that round-trips', async () => {
    const config = makeConfig();
    const { parsed } = await raw(input(config));
    expect(parsed.subject).toBe(SUBJECT);
    expect(parsed.from?.value).toEqual([{ name: 'ALLFORCES', address: 'newsletter@allforces.example.jp' }]);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : undefined).toEqual([{ name: '<b>&"山田', address: 'taro@example.jp' }]);
    expect(parsed.date?.toISOString()).toBe(createdAt.toISOString());
    expect(parsed.messageId).toMatch(/^<digest-12\.7\.[0-9a-f]{16}@allforces\.example\.jp>$/);
    expect(parsed.replyTo).toBeUndefined();
    expect(parsed.text).toBe('こんにちは\n');
    expect(parsed.html).toContain('<p>こんにちは</p>');
  });

  it('is multipart/alternative with both parts in UTF-8', async () => {
    const { raw: source } = await raw(input(makeConfig()));
    expect(source).toMatch(/^Content-Type: multipart\/alternative;/m);
    expect(source).toMatch(/^Content-Type: text\/plain; charset=utf-8/m);
    expect(source).toMatch(/^Content-Type: text\/html; charset=utf-8/m);
  });

  it('has a Message-ID stable per (digest, subscriber), different for another subscriber or digest', () => {
    const config = makeConfig();
    const a = buildMessage(input(config)).messageId;
    expect(buildMessage(input(config)).messageId).toBe(a);
    expect(buildMessage(input(config, { subscriber: { id: 8, email: 'b@example.jp', name: null } })).messageId).not.toBe(a);
    expect(buildMessage(input(config, { digestId: 13 })).messageId).not.toBe(a);
    // A store keeping timestamps to the second gives back the same id after a restart.
    expect(buildMessage(input(config, { digestCreatedAt: new Date(createdAt.getTime() + 999) })).messageId).toBe(a);
  });

  it('uses digest.from and digest.replyTo when configured', async () => {
    const config = makeConfig({ digest: { from: { name: 'ALLFORCES 編集部', address: 'news@allforces.example.jp' }, replyTo: 'editors@allforces.example.jp' } });
    const { parsed } = await raw(input(config, { subscriber: { id: 7, email: 'taro@example.jp', name: null } }));
    expect(parsed.from?.value).toEqual([{ name: 'ALLFORCES 編集部', address: 'news@allforces.example.jp' }]);
    expect(parsed.replyTo?.value).toEqual([{ name: '', address: 'editors@allforces.example.jp' }]);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : undefined).toEqual([{ name: '', address: 'taro@example.jp' }]);
  });

  it('has List-Id (RFC 2919), one List-Unsubscribe with https and mailto, One-Click (RFC 8058), Auto-Submitted', async () => {
    const config = makeConfig({ digest: { unsubscribeMailto: 'unsubscribe@allforces.example.jp' } });
    const options = input(config);
    const { parsed } = await raw(options);
    expect(headerValues(parsed, 'list-id')).toEqual(['ALLFORCES <digest.allforces.example.jp>']);
    expect(headerValues(parsed, 'list-unsubscribe')).toEqual([`<${options.unsubscribeUrl}>, <mailto:unsubscribe@allforces.example.jp?subject=unsubscribe>`]);
    expect(headerValues(parsed, 'list-unsubscribe-post')).toEqual(['List-Unsubscribe=One-Click']);
    expect(headerValues(parsed, 'auto-submitted')).toEqual(['auto-generated']);
    expect(options.unsubscribeUrl).toMatch(/^https:\/\/allforces\.example\.jp\/newsletter\/unsubscribe\?token=[\w.-]+$/);
  });

  it('offers only the https method when no unsubscribe mailto is configured', async () => {
    const options = input(makeConfig());
    const { parsed } = await raw(options);
    expect(headerValues(parsed, 'list-unsubscribe')).toEqual([`<${options.unsubscribeUrl}>`]);
  });

  it('encodes a Japanese site title in List-Id so that it decodes back', async () => {
    const config = makeConfig({ site: { title: 'テック "ブログ"', url: 'https://blog.example.jp/' } });
    const { parsed } = await raw(input(config));
    const [listId] = headerValues(parsed, 'list-id');
    expect(listId).toMatch(/^=\?UTF-8\?Q\?.+\?= <digest\.blog\.example\.jp>$/);
    const phrase = listId!.replace(/ <digest\.blog\.example\.jp>$/, '');
    // mailparser decodes encoded words in Subject: use it as an independent decoder.
    const decoded = await simpleParser(`Subject: ${phrase}\r\n\r\n`);
    expect(decoded.subject).toBe('テック "ブログ"');
  });

  it('signs with DKIM covering both List-Unsubscribe and List-Unsubscribe-Post', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const message = buildMessage(input(makeConfig(), { dkim: { domainName: 'allforces.example.jp', keySelector: 'fl2026', privateKey } }));
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const info = await transport.sendMail({ ...message.options, messageId: message.messageId });
    const parsed = await simpleParser(info.message as Buffer);
    const [signature] = headerValues(parsed, 'dkim-signature');
    expect(signature).toBeDefined();
    const tags = Object.fromEntries(signature!.split(';').map((tag) => tag.trim().split('=').map((s) => s.replace(/\s+/g, ''))).filter((kv) => kv.length >= 2).map(([k, ...v]) => [k, v.join('=')]));
    expect(tags.d).toBe('allforces.example.jp');
    expect(tags.s).toBe('fl2026');
    const signed = String(tags.h).toLowerCase().split(':');
    expect(signed).toEqual(expect.arrayContaining(['from', 'subject', 'date', 'message-id', 'to', 'list-id', 'list-unsubscribe', 'list-unsubscribe-post']));

    // The signature verifies (RFC 6376 relaxed/relaxed, checked here independently of nodemailer),
    // and no longer does once List-Unsubscribe-Post is altered.
    const source = (info.message as Buffer).toString('latin1');
    expect(verifyDkim(source, publicKey)).toBe(true);
    expect(verifyDkim(source.replace('List-Unsubscribe=One-Click', 'List-Unsubscribe=Two-Clicks'), publicKey)).toBe(false);
  });
});

/** Minimal DKIM check (RFC 6376 §3.4.2 relaxed header and §3.4.4 relaxed body canonicalization, rsa-sha256). */
function verifyDkim(message: string, publicKey: string): boolean {
  const split = message.indexOf('\r\n\r\n');
  const head = message.slice(0, split);
  const body = message.slice(split + 4);
  const fields = head.split(/\r\n(?![ \t])/).map((line) => {
    const colon = line.indexOf(':');
    return { name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1) };
  });
  const relaxed = (value: string): string => value.replace(/\r\n/g, '').replace(/[ \t]+/g, ' ').trim();
  const dkim = fields.find((f) => f.name === 'dkim-signature');
  if (!dkim) return false;
  const tags = new Map(relaxed(dkim.value).split(';').map((t) => t.trim()).filter(Boolean).map((t) => [t.slice(0, t.indexOf('=')).trim(), t.slice(t.indexOf('=') + 1).replace(/\s+/g, '')]));
  const bodyLines = body.split('\r\n').map((line) => line.replace(/[ \t]+/g, ' ').replace(/ $/, ''));
  while (bodyLines.length > 0 && bodyLines[bodyLines.length - 1] === '') bodyLines.pop();
  const bodyHash = createHash('sha256').update(bodyLines.length ? `${bodyLines.join('\r\n')}\r\n` : '', 'latin1').digest('base64');
  if (bodyHash !== tags.get('bh')) return false;
  const used = new Map<string, number>();
  const signedHeaders = String(tags.get('h')).toLowerCase().split(':').map((name) => {
    const all = fields.filter((f) => f.name === name);
    const n = (used.get(name) ?? 0) + 1;
    used.set(name, n);
    const field = all[all.length - n];
    return field ? `${name}:${relaxed(field.value)}\r\n` : '';
  });
  const unsigned = relaxed(dkim.value).replace(/(\bb=)[^;]*/, '$1');
  const verifier = createVerify('RSA-SHA256');
  verifier.update(`${signedHeaders.join('')}dkim-signature:${unsigned}`, 'latin1');
  return verifier.verify(publicKey, String(tags.get('b')), 'base64');
}
