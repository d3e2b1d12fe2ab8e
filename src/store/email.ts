import { domainToASCII } from 'node:url';
import { FeedletterError } from '../errors.js';

/** RFC 5321 §4.5.3.1.1: at most 64 octets in the local part. */
const MAX_LOCAL = 64;
/** RFC 5321 §4.5.3.1.3 path limit (256) minus the angle brackets, the widely used bound. */
const MAX_TOTAL = 254;

/**
 * A pragmatic address check, not a full RFC 5322 parser: exactly one `@`, a non-empty local part
 * of at most 64 characters, a domain with a dot (or `localhost`), no whitespace or control
 * characters, at most 254 characters. The domain is lower-cased (domains are case-insensitive)
 * and an internationalised one is stored as its ASCII (punycode) form, `例え.jp` →
 * `xn--r8jz45g.jp` (UTS #46, node:url domainToASCII), which every SMTP server accepts. The local
 * part is kept as given (RFC 5321 §2.4 lets a server treat it case-sensitively), in Unicode NFC;
 * a non-ASCII one can only be sent to a server that offers SMTPUTF8 (RFC 6531), which the SMTP
 * transport checks. Throws INPUT_INVALID naming the value.
 */
export function normaliseEmail(input: string): string {
  const value = input.trim().normalize('NFC');
  const fail = (why: string): never => {
    throw new FeedletterError('INPUT_INVALID', `"${input}" is not a usable email address: ${why}`, {
      hint: 'write it as name@example.com',
    });
  };
  if (value === '') fail('it is empty');
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/u.test(value)) fail('it contains spaces or control characters');
  if (value.length > MAX_TOTAL) fail(`it is longer than ${MAX_TOTAL} characters`);
  const parts = value.split('@');
  if (parts.length !== 2) fail('it needs exactly one "@"');
  const [local = '', domain = ''] = parts;
  if (local === '') fail('nothing before the "@"');
  if (local.length > MAX_LOCAL) fail(`the part before "@" is longer than ${MAX_LOCAL} characters`);
  if (/[<>()[\],;:"\\]/.test(local)) fail('the part before "@" contains characters that need quoting');
  if (domain === '') fail('nothing after the "@"');
  // eslint-disable-next-line no-control-regex
  const host = /^[\x00-\x7f]*$/.test(domain) ? domain.toLowerCase() : domainToASCII(domain);
  if (host === '') fail(`"${domain}" is not a domain name`);
  if (host !== 'localhost') {
    const labels = host.split('.');
    if (labels.length < 2 || labels.some((label) => label === '' || label.startsWith('-') || label.endsWith('-'))) {
      fail(`"${domain}" is not a domain name`);
    }
    if (/[<>()[\],;:"\\@/]/.test(host)) fail(`"${domain}" is not a domain name`);
  }
  return `${local}@${host}`;
}

/** At most this many characters (Unicode code points) in a display name. */
export const MAX_NAME = 100;

/**
 * Characters that never belong in a display name: C0 and C1 controls (CR and LF would end a
 * header line), DEL, the line and paragraph separators, and the bidirectional overrides and
 * isolates that can make a name display as something else (Trojan Source, CVE-2021-42574).
 */
// eslint-disable-next-line no-control-regex
const UNWANTED = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff]/gu;

/**
 * A subscriber's display name as it may be stored and put into a `To:` header: control and
 * bidi-override characters become spaces, runs of white space one space, trimmed, Unicode NFC.
 * Empty (or absent) is `null`. More than MAX_NAME characters is refused (INPUT_INVALID): a 200 KB
 * name made a 200,001-octet To: line (RFC 5322 §2.1.1 allows 998) and a digest Gmail clips. Applied
 * by the store to every way in (CLI, CSV import, the signup form).
 */
export function normaliseName(input: string | null | undefined): string | null {
  if (input === null || input === undefined) return null;
  const clean = input.normalize('NFC').replace(UNWANTED, ' ').replace(/\s+/gu, ' ').trim();
  if (clean === '') return null;
  const length = [...clean].length;
  if (length > MAX_NAME) {
    throw new FeedletterError('INPUT_INVALID', `the name "${[...clean].slice(0, 40).join('')}…" is ${length} characters long: at most ${MAX_NAME}`, {
      hint: 'give a shorter display name, or none',
    });
  }
  return clean;
}
