import { simpleParser, type Attachment, type HeaderValue, type ParsedMail } from 'mailparser';

/**
 * What a message received at the bounce address says about one of our deliveries. Pure: bytes in,
 * a verdict out; nothing here knows the store or the clock.
 *
 * - `hard`: the address itself is gone (RFC 3463 X.1.x, 5.2.1, or the same said in words);
 * - `soft`: it may work later (full mailbox, expired delivery, any 4.x.x), or the refusal was
 *   about us, not the recipient (`senderProblem`: blocklist, policy, SPF/DKIM/DMARC, 5.7.x,
 *   message too big): never a reason to drop the recipient;
 * - `complaint`: an RFC 5965 abuse report (a feedback loop's "this is spam");
 * - `not-bounce`: a delay notice, an auto-reply or out-of-office (RFC 3834), a success report;
 * - `unknown`: anything not recognised for certain: kept aside and reported, never guessed.
 */
export type BounceKind = 'hard' | 'soft' | 'complaint' | 'not-bounce' | 'unknown';

export interface Classification {
  kind: BounceKind;
  /** RFC 3463 enhanced status code, e.g. `5.1.1`, when the message gives one. */
  status?: string;
  /** The remote server's words (Diagnostic-Code or the quoted SMTP reply), one line. */
  diagnostic?: string;
  /** The address the report is about (Final-/Original-Recipient, the ARF Original-Rcpt-To, ...). */
  recipient?: string;
  /** Message-ID of the returned message (ours carry the digest and subscriber). */
  messageId?: string;
  /** The part after `+` of a VERP address the report was sent to or names as the envelope sender. */
  verpToken?: string;
  /** A permanent refusal because of the sender: soft, and the owner's business. */
  senderProblem?: boolean;
  /** One line: why this verdict (for `bounces list` and the import report). */
  reason: string;
  /** The report's own Message-ID: the same report read again (another copy, another folder) is recognised by it. */
  reportId?: string;
}

export interface ClassifyOptions {
  /**
   * Local part of `bounces.address` (`bounces` for bounces@example.com): a `bounces+TOKEN@…`
   * address in the report's headers or its Original-Mail-From carries the VERP token.
   */
  verpLocalPart?: string | undefined;
  /** Messages larger than this are not parsed: `unknown`. @default 10 MiB */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;

/** The source of each parsed message, for the parts mailparser does not keep apart. */
const RAW = new WeakMap<ParsedMail, string>();

/** Classifies one message (RFC 5322 bytes). Never throws for bad input: a broken message is `unknown`. */
export async function classify(bytes: Buffer | Uint8Array, options: ClassifyOptions = {}): Promise<Classification> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length > maxBytes) return { kind: 'unknown', reason: `too large to be a bounce (${bytes.length} bytes, limit ${maxBytes})` };
  if (bytes.length === 0) return { kind: 'unknown', reason: 'empty message' };
  let mail: ParsedMail;
  try {
    // keepDeliveryStatus: the message/delivery-status part as an attachment rather than merged into the text.
    mail = await simpleParser(Buffer.from(bytes), { keepDeliveryStatus: true, skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true, skipTextLinks: true, maxHtmlLengthToParse: 1024 * 1024 });
  } catch (error) {
    return { kind: 'unknown', reason: `not a readable message: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (mail.headerLines.length === 0) return { kind: 'unknown', reason: 'no headers' };
  RAW.set(mail, Buffer.from(bytes).toString('latin1'));
  const verp = findVerpToken(mail, options.verpLocalPart);
  const base = verp === undefined ? {} : { verpToken: verp };
  const verdict = classifyParsed(mail, options.verpLocalPart);
  const reportId = normaliseMessageId(mail.messageId === undefined ? undefined : `<${mail.messageId.replace(/^<|>$/g, '')}>`);
  return { ...base, ...verdict, ...(verdict.verpToken !== undefined ? { verpToken: verdict.verpToken } : {}), ...(reportId !== undefined ? { reportId } : {}) };
}

function classifyParsed(mail: ParsedMail, local: string | undefined): Omit<Classification, 'verpToken'> & { verpToken?: string } {
  const type = contentType(mail.headers.get('content-type'));
  const reportType = type.params['report-type']?.toLowerCase();
  if (type.value === 'multipart/report' && reportType === 'delivery-status') return fromDsn(mail);
  if (type.value === 'multipart/report' && reportType === 'feedback-report') return fromArf(mail, local);
  // A report part without the right multipart/report header (some relays re-wrap DSNs).
  if (findPart(mail, /^message\/(global-)?delivery-status$/) !== undefined) return fromDsn(mail);
  if (findPart(mail, /^message\/feedback-report$/) !== undefined) return fromArf(mail, local);

  // The plain-text bounce forms before the auto-reply test: MTAs mark their bounces
  // `Auto-Submitted: auto-replied` too (Exim, Postfix).
  const text = mail.text ?? '';
  const exim = fromExim(mail, text);
  if (exim !== undefined) return exim;
  const qmail = fromQmail(mail, text);
  if (qmail !== undefined) return qmail;
  if (isAutoReply(mail)) return { kind: 'not-bounce', reason: 'an automatic reply (RFC 3834), not a bounce' };
  return { kind: 'unknown', reason: 'not a delivery report, abuse report or bounce form that is recognised' };
}

// ---------------------------------------------------------------------------------------------
// RFC 3464 delivery status notifications

function fromDsn(mail: ParsedMail): Omit<Classification, 'verpToken'> {
  const part = findPart(mail, /^message\/(global-)?delivery-status$/);
  if (part === undefined) return { kind: 'unknown', reason: 'a delivery report without its message/delivery-status part' };
  const groups = fieldGroups(part.content.toString('utf8'));
  // The first group holds the per-message fields (Reporting-MTA, ...); each further one a recipient.
  const recipients = groups.slice(1).filter((g) => g.has('action') || g.has('final-recipient'));
  if (recipients.length === 0) return { kind: 'unknown', reason: 'a delivery report naming no recipient' };
  // Our messages have one recipient each; a report on several takes the one that failed.
  const chosen = recipients.find((g) => g.get('action')?.toLowerCase() === 'failed') ?? recipients[0];
  if (chosen === undefined) return { kind: 'unknown', reason: 'a delivery report naming no recipient' };
  const action = (chosen.get('action') ?? '').toLowerCase().trim();
  const recipient = addressField(chosen.get('original-recipient')) ?? addressField(chosen.get('final-recipient'));
  const diagnostic = oneLine(stripType(chosen.get('diagnostic-code')));
  const statusField = /^\s*([245]\.\d{1,3}\.\d{1,3})/.exec(chosen.get('status') ?? '')?.[1];
  const messageId = returnedMessageId(mail);
  const common = { ...(recipient ? { recipient } : {}), ...(messageId ? { messageId } : {}), ...(diagnostic ? { diagnostic } : {}) };
  if (action !== 'failed') {
    const what = action === '' ? 'no Action' : `Action: ${action}`;
    return { kind: 'not-bounce', ...common, ...(statusField ? { status: statusField } : {}), reason: `a delivery report with ${what}, not a failure` };
  }
  return { ...judge(statusField, diagnostic), ...common };
}

// ---------------------------------------------------------------------------------------------
// RFC 5965 abuse reports

function fromArf(mail: ParsedMail, local: string | undefined): Omit<Classification, 'verpToken'> & { verpToken?: string } {
  const part = findPart(mail, /^message\/feedback-report$/);
  if (part === undefined) return { kind: 'unknown', reason: 'a feedback report without its message/feedback-report part' };
  const fields = fieldGroups(part.content.toString('utf8'))[0] ?? new Map<string, string>();
  const feedbackType = (fields.get('feedback-type') ?? '').trim().toLowerCase();
  const returned = returnedHeaders(mail);
  const recipient = addressField(fields.get('original-rcpt-to')) ?? addressField(returned?.get('to'));
  const messageId = returnedMessageId(mail);
  const mailFrom = addressField(fields.get('original-mail-from'));
  const common = { ...(recipient ? { recipient } : {}), ...(messageId ? { messageId } : {}), ...(mailFrom ? { envelopeFrom: mailFrom } : {}) };
  // RFC 5965 §7.3 / RFC 6650: abuse and fraud are complaints; "not-spam", "virus" and "other" are not a person asking to stop.
  if (feedbackType === 'abuse' || feedbackType === 'fraud') {
    return { kind: 'complaint', ...stripEnvelope(common), reason: `an abuse report (Feedback-Type: ${feedbackType})`, ...verpOf(mailFrom, local) };
  }
  return { kind: 'not-bounce', ...stripEnvelope(common), reason: `a feedback report of type ${feedbackType || 'none'}, not a complaint` };
}

const stripEnvelope = <T extends { envelopeFrom?: string }>(value: T): Omit<T, 'envelopeFrom'> => {
  const { envelopeFrom: _drop, ...rest } = value;
  return rest;
};

/** The token of `<local>+token@domain` in Original-Mail-From, when `local` is the bounce address's local part. */
const verpOf = (address: string | undefined, local: string | undefined): { verpToken?: string } => {
  const match = address === undefined ? null : /^([^+@]+)\+([A-Za-z0-9._-]{1,200})@/.exec(address);
  if (match === null || local === undefined || match[1]?.toLowerCase() !== local.toLowerCase()) return {};
  return match[2] === undefined ? {} : { verpToken: match[2] };
};

// ---------------------------------------------------------------------------------------------
// Plain-text forms

/**
 * Exim's own bounce (src/deliver.c, "Mail delivery failed: returning message to sender"):
 *   A message that you sent could not be delivered to one or more of its recipients. This is a
 *   permanent error. The following address(es) failed:
 *
 *     someone@example.org
 *       SMTP error from remote mail server after RCPT TO:<someone@example.org>:
 *       550 5.1.1 <someone@example.org>: Recipient address rejected: User unknown
 */
function fromExim(mail: ParsedMail, text: string): Omit<Classification, 'verpToken'> | undefined {
  const marker = /could not be delivered to one or more of its\s+recipients\.\s+This is a permanent error\.\s+The following address\(es\) failed:\s*\n([\s\S]*)/i.exec(text);
  if (marker === null) return undefined;
  const body = (marker[1] ?? '').split(/^-{6} This is a copy of the message|^------ This is a copy/m)[0] ?? '';
  const recipient = /^\s*(?:<)?([^\s<>@]+@[^\s<>@:]+?)(?:>)?:?\s*$/m.exec(body)?.[1];
  const lines = body
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && l !== recipient && !/^SMTP error from remote/i.test(l));
  const diagnostic = oneLine(lines.join(' '));
  const messageId = returnedMessageId(mail) ?? messageIdInText(text);
  return { ...judge(undefined, diagnostic, true), ...(recipient ? { recipient: recipient.toLowerCase() } : {}), ...(diagnostic ? { diagnostic } : {}), ...(messageId ? { messageId } : {}) };
}

/**
 * qmail-send's bounce (qsutil/qmail-send.c, "QSBMF", cr.yp.to/proto/qsbmf.txt):
 *   Hi. This is the qmail-send program at mx.example.net.
 *   I'm afraid I wasn't able to deliver your message to the following addresses.
 *   This is a permanent error; I've given up. Sorry it didn't work out.
 *
 *   <someone@example.org>:
 *   Sorry, no mailbox here by that name. (#5.1.1)
 *
 *   --- Below this line is a copy of the message.
 */
function fromQmail(mail: ParsedMail, text: string): Omit<Classification, 'verpToken'> | undefined {
  if (!/^Hi\. This is the qmail-send program/m.test(text)) return undefined;
  if (!/This is a permanent error/i.test(text)) return { kind: 'not-bounce', reason: 'a qmail-send notice that is not a permanent failure (a delay warning)' };
  const body = text.split(/^--- (?:Below this line is a copy of the message|Enclosed are the original headers)/m)[0] ?? '';
  const block = /^<([^\s<>@]+@[^\s<>]+)>:\s*\n([\s\S]*?)(?:\n\s*\n|$)/m.exec(body);
  if (block === null) return { kind: 'unknown', reason: 'a qmail-send bounce naming no recipient' };
  const recipient = (block[1] ?? '').toLowerCase();
  const words = oneLine(block[2] ?? '') ?? '';
  const status = /\(#([245]\.\d{1,3}\.\d{1,3})\)/.exec(words)?.[1];
  const messageId = returnedMessageId(mail) ?? messageIdInText(text);
  return { ...judge(status, words, true), recipient, ...(words ? { diagnostic: words } : {}), ...(messageId ? { messageId } : {}) };
}

function isAutoReply(mail: ParsedMail): boolean {
  const auto = headerText(mail.headers.get('auto-submitted')).toLowerCase();
  if (auto !== '' && !auto.startsWith('no')) return true;
  if (mail.headers.has('x-autoreply') || mail.headers.has('x-autorespond')) return true;
  const precedence = headerText(mail.headers.get('precedence')).toLowerCase();
  if (precedence === 'auto_reply') return true;
  return /^(auto(matic)? ?reply|out of (the )?office|abwesenheitsnotiz|r[ée]ponse automatique)\b/i.test(mail.subject ?? '');
}

// ---------------------------------------------------------------------------------------------
// Status codes and words → a verdict

/** Whoever refuses because of us: never the recipient's fault. */
const SENDER_WORDS = /block ?list|black ?list|spamhaus|barracuda|spamcop|\bsorbs\b|\bSPF\b|\bDKIM\b|\bDMARC\b|reputation|\bPTR\b|reverse (dns|lookup)|\brdns\b|policy|spam|content (filter|rejected)|message (is )?too (big|large)|size (limit|exceeds)|exceeds (the )?(maximum|size)|not authori[sz]ed to send|sender (address )?rejected|access denied|relay(ing)? (access )?denied/i;
/** Words that say the address does not exist, on their own (no usable status code). */
const GONE_WORDS = /user unknown|unknown user|no such (user|mailbox|recipient|address)|(mailbox|recipient|user|account|address) (is )?(unavailable|not found|does not exist|doesn'?t exist|disabled|deactivated|inactive|unknown|invalid)|does not exist|no mailbox here by that name|invalid (recipient|mailbox)|recipient address rejected|host or domain name not found|domain (name )?not found|unrouteable address|no valid recipients/i;
const FULL_WORDS = /mailbox (is )?full|over ?quota|quota exceeded|insufficient (system )?storage|exceeded storage/i;

/** A full mailbox, by status code or words: soft, whatever the reply class. */
export const isMailboxFull = (status: string | undefined, words: string): boolean => status === '5.2.2' || status === '4.2.2' || FULL_WORDS.test(words);

/**
 * Status code first (RFC 3463), then the server's words. A refusal that speaks of the sender
 * (blocklists, SPF, policy) is soft with `senderProblem` even under a recipient code: removing a
 * subscriber is the one thing that must not happen by mistake.
 */
export function judge(status: string | undefined, diagnostic: string | undefined, permanentByForm = false): Pick<Classification, 'kind' | 'status' | 'senderProblem' | 'reason'> {
  const words = diagnostic ?? '';
  const inWords = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(words)?.[1];
  // A generic X.0.0 in the Status field says less than the server's own code in its words.
  const code = status !== undefined && /\.0\.0$/.test(status) && inWords?.[0] === status[0] ? inWords : (status ?? inWords);
  const basic = /^\s*([245])\d\d\b/.exec(words)?.[1];
  const klass = code?.[0] ?? basic ?? (permanentByForm ? '5' : undefined);
  const withStatus = code === undefined ? {} : { status: code };
  if (klass === '2') return { kind: 'not-bounce', ...withStatus, reason: 'a success report' };
  if (SENDER_WORDS.test(words) || (code !== undefined && /^5\.(7\.\d+|3\.4|2\.3|1\.[78])$/.test(code))) {
    return { kind: 'soft', ...withStatus, senderProblem: true, reason: 'refused because of the sender (blocklist, policy, authentication or size): not the recipient\u2019s fault' };
  }
  if (klass === '4') return { kind: 'soft', ...withStatus, reason: code === '4.4.7' ? 'delivery expired' : FULL_WORDS.test(words) || code === '4.2.2' ? 'mailbox full' : 'a temporary failure' };
  if (code === '5.2.2' || FULL_WORDS.test(words)) return { kind: 'soft', ...withStatus, reason: 'mailbox full' };
  if (code !== undefined && /^5\.(1\.\d+|2\.1)$/.test(code)) return { kind: 'hard', ...withStatus, reason: 'the address does not exist or is disabled' };
  if (klass === '5' && GONE_WORDS.test(words)) return { kind: 'hard', ...withStatus, reason: 'the address does not exist (the server\u2019s words)' };
  if (klass === '5') return { kind: 'soft', ...withStatus, reason: 'a permanent failure that does not say the address is gone' };
  return { kind: 'unknown', ...withStatus, reason: 'a failure without a status code or words that can be read' };
}

// ---------------------------------------------------------------------------------------------
// Helpers

function findPart(mail: ParsedMail, type: RegExp): Attachment | undefined {
  return mail.attachments.find((a) => type.test(a.contentType.toLowerCase()));
}

/** Header blocks separated by blank lines, folded lines joined, names lower-cased (RFC 3464 §2.1). */
export function fieldGroups(text: string): Map<string, string>[] {
  const groups: Map<string, string>[] = [];
  let current = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') {
      if (current.size > 0) groups.push(current);
      current = new Map();
      last = undefined;
      continue;
    }
    if (/^[ \t]/.test(line) && last !== undefined) {
      current.set(last, `${current.get(last) ?? ''} ${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    if (!current.has(last)) current.set(last, line.slice(colon + 1).trim());
  }
  if (current.size > 0) groups.push(current);
  return groups;
}

/** `rfc822; someone@example.org` → `someone@example.org`; also a bare or bracketed address. */
function addressField(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const bare = value.includes(';') ? value.slice(value.indexOf(';') + 1) : value;
  const address = /<?([^\s<>;"]+@[^\s<>;"]+?)>?\s*$/.exec(bare.trim())?.[1];
  // Printed by `bounces list`: an "address" with control characters is not one.
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (address === undefined || address.length > 254 || /[\u0000-\u001f\u007f-\u009f]/.test(address)) return undefined;
  return address.toLowerCase();
}

/** `smtp; 550 ...` → `550 ...` (RFC 3464 §2.3.6: diagnostic-type; text). */
const stripType = (value: string | undefined): string | undefined => (value === undefined ? undefined : value.replace(/^\s*[A-Za-z0-9-]+\s*;\s*/, ''));

/** One line, at most 500 characters, no control characters. */
function oneLine(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  // eslint-disable-next-line no-control-regex -- control characters must not reach a terminal through `bounces list`
  const line = value.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 500);
  return line === '' ? undefined : line;
}

/** Headers of the returned message (message/rfc822, text/rfc822-headers, message/global-headers). */
function returnedHeaders(mail: ParsedMail): Map<string, string> | undefined {
  const part = mail.attachments.find((a) => /^(message\/rfc822|text\/rfc822-headers|message\/global|message\/global-headers)$/.test(a.contentType.toLowerCase()));
  let text: string;
  if (part !== undefined) {
    text = part.content.subarray(0, 256 * 1024).toString('utf8');
  } else {
    // mailparser opens an inline message/rfc822 part (Content-Disposition: inline, as some
    // feedback loops send it) into the body instead of keeping it: read its headers from the source.
    const raw = RAW.get(mail);
    const at = raw === undefined ? -1 : raw.search(/^Content-Type:[ \t]*(message\/rfc822|text\/rfc822-headers|message\/global(-headers)?)\b/im);
    if (raw === undefined || at < 0) return undefined;
    const afterPartHeaders = raw.slice(at).search(/\r?\n\r?\n/);
    if (afterPartHeaders < 0) return undefined;
    text = raw.slice(at + afterPartHeaders).replace(/^\s+/, '').slice(0, 256 * 1024);
  }
  const head = text.split(/\r?\n\r?\n/)[0] ?? '';
  return fieldGroups(head)[0];
}

function returnedMessageId(mail: ParsedMail): string | undefined {
  return normaliseMessageId(returnedHeaders(mail)?.get('message-id'));
}

/** A Message-ID in a quoted copy of the original (plain-text bounces), after the bounce's own headers. */
function messageIdInText(text: string): string | undefined {
  return normaliseMessageId(/^Message-ID:\s*(<[^<>\s]+>)/im.exec(text)?.[1]);
}

const normaliseMessageId = (value: string | undefined): string | undefined => {
  // eslint-disable-next-line no-control-regex -- no control characters in a Message-ID (RFC 5322 §3.6.4)
  const id = value === undefined ? undefined : /<[^<>\s\u0000-\u001f\u007f-\u009f]{1,250}>/.exec(value)?.[0];
  return id;
};

function headerText(value: HeaderValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(String).join(', ');
  if (typeof value === 'object' && 'value' in value && typeof value.value === 'string') return value.value;
  if (typeof value === 'object' && 'text' in value && typeof value.text === 'string') return value.text;
  return '';
}

function contentType(value: HeaderValue | undefined): { value: string; params: Record<string, string> } {
  if (value !== undefined && typeof value === 'object' && 'value' in value && typeof value.value === 'string') {
    const params = 'params' in value && value.params !== undefined ? (value.params as Record<string, string>) : {};
    return { value: value.value.toLowerCase(), params };
  }
  return { value: headerText(value).toLowerCase(), params: {} };
}

/**
 * The VERP token: `<local>+<token>@` in the headers that carry the address the report came to
 * (To, Delivered-To, X-Original-To, Envelope-To, X-Failed-Recipients does not) or in the
 * returned message's Return-Path.
 */
function findVerpToken(mail: ParsedMail, local: string | undefined): string | undefined {
  if (local === undefined || local === '') return undefined;
  const escaped = local.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`(?:^|[\\s<,:;"])${escaped}\\+([A-Za-z0-9._-]{1,200})@`, 'i');
  const lines = mail.headerLines.filter((l) => /^(to|delivered-to|x-original-to|envelope-to|x-envelope-to|original-recipient)$/i.test(l.key)).map((l) => l.line);
  const returned = returnedHeaders(mail);
  const returnPath = returned?.get('return-path');
  if (returnPath !== undefined) lines.push(`Return-Path: ${returnPath}`);
  for (const line of lines) {
    const token = pattern.exec(line)?.[1];
    if (token !== undefined) return token;
  }
  return undefined;
}
