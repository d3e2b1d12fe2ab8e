import { createHash } from 'node:crypto';
import type Mail from 'nodemailer/lib/mailer';
import { encodeWord, isPlainText, quoteString } from 'nodemailer/lib/mime-funcs';
import { publicServerUrl } from '../config/load.js';
import type { Config } from '../config/schema.js';

/**
 * nodemailer's default DKIM header list (nodemailer lib/dkim/sign.js) plus the headers it lacks:
 * RFC 8058 §4 requires List-Unsubscribe-Post to be covered by the signature along with
 * List-Unsubscribe, else receivers ignore the one-click header. Headers absent from a message
 * are left out of `h=` by nodemailer.
 */
export const DKIM_HEADER_FIELDS = [
  'From', 'Sender', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc', 'MIME-Version', 'Content-Type',
  'Content-Transfer-Encoding', 'Content-ID', 'Content-Description', 'Resent-Date', 'Resent-From', 'Resent-Sender',
  'Resent-To', 'Resent-Cc', 'Resent-Message-ID', 'In-Reply-To', 'References', 'List-Id', 'List-Help',
  'List-Unsubscribe', 'List-Subscribe', 'List-Post', 'List-Owner', 'List-Archive',
  'List-Unsubscribe-Post', 'Auto-Submitted',
].join(':');

export interface DkimKey {
  domainName: string;
  keySelector: string;
  privateKey: string;
}

export interface BuildMessageInput {
  config: Config;
  digestId: number;
  digestCreatedAt: Date;
  subscriber: { id: number; email: string; name: string | null };
  personal: { subject: string; html: string; text: string };
  unsubscribeUrl: string;
  dkim?: DkimKey | undefined;
  /**
   * VERP: the envelope sender (MAIL FROM, then Return-Path) for this message, e.g.
   * `bounces+<token>@example.com` when `bounces.address` is set. The From header is unchanged.
   */
  envelopeFrom?: string | undefined;
}

export interface BuiltMessage {
  to: { name: string | null; address: string };
  messageId: string;
  options: Mail.Options;
}

/** Host of the site (ASCII, punycode for an IDN): the domain of Message-IDs, List-Id and the default sender. */
export function siteHost(config: Config): string {
  return new URL(config.site.url).hostname;
}

/** `<publicServerUrl>unsubscribe?token=…`: the page (GET) and the RFC 8058 one-click endpoint (POST). */
export function unsubscribeUrl(config: Config, token: string): string {
  return `${new URL('unsubscribe', publicServerUrl(config)).href}?token=${encodeURIComponent(token)}`;
}

/**
 * `<digest-<id>.<subscriber>.<hash>@<host>>`: the same for every attempt at one (digest,
 * subscriber), so a message re-sent after a crash is recognisably the same message; the hash of
 * the digest's creation time keeps ids unique when a store is recreated and ids start over.
 */
export function digestMessageId(config: Config, digestId: number, digestCreatedAt: Date, subscriberId: number): string {
  const host = siteHost(config);
  // Seconds, not milliseconds: the id must survive a store that keeps timestamps to the second.
  const created = Math.floor(digestCreatedAt.getTime() / 1000);
  const hash = createHash('sha256').update(`${digestId}\n${subscriberId}\n${created}\n${host}`).digest('hex').slice(0, 16);
  return `<digest-${digestId}.${subscriberId}.${hash}@${host}>`;
}

/** `Title <digest.host>` (RFC 2919 §3): the phrase quoted or MIME-encoded as needed. */
export function listId(config: Config): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach a header
  const title = config.site.title.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  const phrase = !isPlainText(title) ? encodeWord(title, 'Q', 52) : /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]+$/.test(title) ? title : quoteString(title);
  return `${phrase} <digest.${siteHost(config)}>`;
}

/** Everything about one (digest, subscriber) message except the transport. */
export function buildMessage(input: BuildMessageInput): BuiltMessage {
  const { config, subscriber, personal } = input;
  const host = siteHost(config);
  const messageId = digestMessageId(config, input.digestId, input.digestCreatedAt, subscriber.id);
  const fromName = config.digest.from.name ?? config.site.title;
  const fromAddress = config.digest.from.address ?? `newsletter@${host}`;
  const to = { name: subscriber.name, address: subscriber.email };

  // One List-Unsubscribe header with every method: RFC 2369 §3.2 allows a list, and RFC 8058 §3.1
  // wants the https URI in the same header as List-Unsubscribe-Post refers to.
  const https = sanitiseUri(input.unsubscribeUrl);
  const methods = [`<${https}>`];
  if (config.digest.unsubscribeMailto) methods.push(`<mailto:${config.digest.unsubscribeMailto}?subject=unsubscribe>`);

  const options: Mail.Options = {
    from: { name: fromName, address: fromAddress },
    to: subscriber.name ? { name: subscriber.name, address: subscriber.email } : subscriber.email,
    ...(config.digest.replyTo ? { replyTo: config.digest.replyTo } : {}),
    subject: personal.subject,
    text: personal.text,
    html: personal.html,
    date: input.digestCreatedAt,
    messageId,
    headers: {
      // Prepared: formatted here, so nodemailer does not MIME-encode the <...> parts along with the phrase.
      'List-Id': { prepared: true, value: listId(config) },
      'List-Unsubscribe': { prepared: true, foldLines: true, value: methods.join(', ') },
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      // RFC 3834 §5: no vacation replies and auto-responders answering a newsletter.
      'Auto-Submitted': 'auto-generated',
      Precedence: 'bulk',
      'X-Auto-Response-Suppress': 'OOF, AutoReply',
    },
    ...(input.envelopeFrom !== undefined ? { envelope: { from: input.envelopeFrom, to: subscriber.email } } : {}),
    ...(input.dkim
      ? { dkim: { domainName: input.dkim.domainName, keySelector: input.dkim.keySelector, privateKey: input.dkim.privateKey, headerFieldNames: DKIM_HEADER_FIELDS } }
      : {}),
  };
  return { to, messageId, options };
}

/** An absolute URI safe inside `<...>` of a header: no whitespace, no angle brackets, no control characters. */
function sanitiseUri(url: string): string {
  const parsed = new URL(url);
  if (!/^https?:$/.test(parsed.protocol)) throw new RangeError(`unsubscribe URL must be http(s): ${url}`);
  // eslint-disable-next-line no-control-regex -- see above
  return parsed.href.replace(/[\s<>\u0000-\u001f\u007f]/g, encodeURIComponent);
}
