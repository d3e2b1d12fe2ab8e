import { FeedletterError } from '../errors.js';

/** SMTP_URL taken apart: what nodemailer gets instead of the URL, so no error of its can quote it. */
export interface SmtpServer {
  host: string;
  /** Absent: 587 for smtp:, 465 for smtps: (nodemailer's defaults). */
  port: number | undefined;
  /** smtps: TLS from the first byte; smtp: STARTTLS when the server offers it. */
  secure: boolean;
  auth: { user: string; pass: string } | undefined;
  /** Query parameters, as nodemailer reads them from a URL (`?tls.rejectUnauthorized=false`, `?name=host`). */
  extra: Record<string, unknown>;
}

const ENCODE_HINT = 'percent-encode the user and password: # as %23, / as %2F, ? as %3F, @ as %40, : as %3A, % as %25 (e.g. node -p "encodeURIComponent(process.argv[1])" \'pa#ss\')';

/**
 * Parses SMTP_URL (`smtp://user:pass@host:587`, `smtps://…:465`). Every error is CONFIG_INVALID
 * naming SMTP_URL and what is wrong with it, and never contains the value or any part of it
 * that could be the password: a `#` or `/` in an unencoded password moves the URL's boundaries,
 * so what a parser takes for the port or the path may be the password.
 */
export function parseSmtpUrl(raw: string): SmtpServer {
  const fail = (what: string, hint = ENCODE_HINT): never => {
    throw new FeedletterError('CONFIG_INVALID', `SMTP_URL ${what} (its value is not shown: it holds the password)`, { hint });
  };
  const value = raw.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined) fail('is not a URL: it must start with smtp:// or smtps://', 'e.g. SMTP_URL=smtps://user:password@mail.example.com:465');
  if (scheme !== 'smtp' && scheme !== 'smtps') fail(`must start with smtp:// or smtps://, not ${scheme}://`, 'e.g. SMTP_URL=smtps://user:password@mail.example.com:465');
  // The host part is what follows the last "@" (an unencoded "@" in the password goes before it).
  const rest = value.slice(value.indexOf('://') + 3);
  const hostPart = rest.slice(rest.lastIndexOf('@') + 1);
  const port = /^(?:\[[^\]]*\]|[^:/?#[\]]*):([^/?#]*)/.exec(hostPart)?.[1];
  if (port !== undefined && port !== '' && !/^\d+$/.test(port)) fail('has a port that is not a number', 'write the port as digits after the host: smtp://user:password@mail.example.com:587');
  if (port !== undefined && port !== '' && (Number(port) < 1 || Number(port) > 65_535)) {
    fail(`has port ${Number(port)}, out of range: a port is 1 to 65535`, 'usually 587 (smtp://, STARTTLS) or 465 (smtps://)');
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail('is not a valid URL: the port is not a number, or the password has a character that must be percent-encoded');
  }
  if (url.hostname === '') fail('names no host');
  // A "?" in the password ends the authority there: the rest, "@host" included, became the query.
  if (rest.includes('@') && url.username === '' && url.password === '') fail('has credentials the URL parser could not find: a "?", "/" or "#" in the password must be percent-encoded');
  if (url.search.includes('@') || url.search.toLowerCase().includes('%40')) fail('has an "@" after the host: a "?" in the password must be written %3F');
  if (url.hash !== '' || value.includes('#')) fail('contains "#": in a password it must be written %23');
  if (url.pathname !== '' && url.pathname !== '/') fail('has a path: a "/" in the password must be written %2F');
  let user: string;
  let pass: string;
  try {
    user = decodeURIComponent(url.username);
    pass = decodeURIComponent(url.password);
  } catch {
    return fail('has a malformed %-escape in the user or password');
  }
  const extra: Record<string, unknown> = {};
  for (const [key, text] of url.searchParams) {
    const parsed: unknown = text === 'true' ? true : text === 'false' ? false : text !== '' && !Number.isNaN(Number(text)) ? Number(text) : text;
    if (key.startsWith('tls.')) {
      const tls = (extra.tls ??= {}) as Record<string, unknown>;
      tls[key.slice(4)] = parsed;
    } else {
      extra[key] = parsed;
    }
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? undefined : Number(url.port),
    secure: scheme === 'smtps',
    auth: user === '' && pass === '' ? undefined : { user, pass },
    extra,
  };
}
