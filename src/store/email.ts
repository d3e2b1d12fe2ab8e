import { FeedletterError } from '../errors.js';

/** RFC 5321 §4.5.3.1.1: at most 64 octets in the local part. */
const MAX_LOCAL = 64;
/** RFC 5321 §4.5.3.1.3 path limit (256) minus the angle brackets, the widely used bound. */
const MAX_TOTAL = 254;

/**
 * A pragmatic address check, not a full RFC 5322 parser: exactly one `@`, a non-empty local part
 * of at most 64 characters, a domain with a dot (or `localhost`), no whitespace or control
 * characters, at most 254 characters. The domain is lower-cased (domains are case-insensitive);
 * the local part is kept as given (RFC 5321 §2.4 lets a server treat it case-sensitively).
 * Throws INPUT_INVALID naming the value.
 */
export function normaliseEmail(input: string): string {
  const value = input.trim();
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
  const host = domain.toLowerCase();
  if (host === '') fail('nothing after the "@"');
  if (host !== 'localhost') {
    const labels = host.split('.');
    if (labels.length < 2 || labels.some((label) => label === '' || label.startsWith('-') || label.endsWith('-'))) {
      fail(`"${domain}" is not a domain name`);
    }
    if (/[<>()[\],;:"\\@/]/.test(host)) fail(`"${domain}" is not a domain name`);
  }
  return `${local}@${host}`;
}
