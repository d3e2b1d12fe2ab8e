import type Mail from 'nodemailer/lib/mailer';

/** One message for one subscriber, built by the digest stage. */
export interface OutgoingMessage {
  to: { name: string | null; address: string };
  /** `<…@site-host>`, stable per (digest, subscriber): a re-send after a crash carries the same one. */
  messageId: string;
  /** Full nodemailer mail options: from, subject, html, text, headers, list, date, … `to` and `messageId` above win. */
  options: Mail.Options;
}

export interface SendResult {
  messageId: string;
  /** The server's final reply (`250 …`), or where the outbox wrote the file. */
  response: string;
}

export interface Transport {
  readonly name: 'smtp' | 'outbox';
  /** Messages worth having in flight at once (the SMTP pool size); the send loop's default concurrency. */
  readonly concurrency?: number;
  /** Throws a SendError when the transport cannot work at all (server down, bad credentials, folder unwritable). */
  verify(): Promise<void>;
  /** Resolves once the message is accepted; rejects with a SendError. */
  send(message: OutgoingMessage): Promise<SendResult>;
  close(): Promise<void>;
}

export type SendErrorKind = 'transient' | 'permanent' | 'unavailable' | 'uncertain';

/**
 * A failed send, classified:
 * - `transient`: this message may go through later (4xx, connection lost): retry it;
 * - `permanent`: the server refused this message (5xx to its recipient or its data): mark it
 *   failed, go on with the others;
 * - `unavailable`: the server as a whole is unreachable or refuses us (connection refused, DNS,
 *   TLS, authentication, a 5xx to MAIL FROM such as a sending quota): stop the run, leave the
 *   rest pending for the next one;
 * - `uncertain`: the server stopped answering in the middle of a session (socket timeout). It
 *   may have been after the end of the data, when the server may already have accepted the
 *   message (RFC 5321 §4.5.3.2.6 lets it take 10 minutes to say so, and a client that gives up
 *   earlier and retries delivers it twice). Not retried: the run stops with this delivery left
 *   in flight, and the next run re-sends it once with the same Message-ID.
 */
export class SendError extends Error {
  readonly kind: SendErrorKind;
  readonly responseCode: number | undefined;
  /** nodemailer's code (ECONNECTION, EAUTH, …) or the system one, when known. */
  readonly code: string | undefined;
  /** The SMTP command that failed, as nodemailer names it (`MAIL FROM`, `RCPT TO`, `DATA`, `CONN`…). */
  readonly command: string | undefined;
  /** The server's own reply (`550 5.4.5 Daily user sending quota exceeded`), when there was one. */
  readonly response: string | undefined;

  constructor(
    kind: SendErrorKind,
    message: string,
    options: { cause?: unknown; responseCode?: number | undefined; code?: string | undefined; command?: string | undefined; response?: string | undefined } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SendError';
    this.kind = kind;
    this.responseCode = options.responseCode;
    this.code = options.code;
    this.command = options.command;
    this.response = options.response;
  }
}

/** The server as a whole is unusable: no point trying the next message. */
const UNAVAILABLE_CODES = new Set([
  // nodemailer (lib/errors.js)
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'EDNS',
  'ETLS',
  'EREQUIRETLS',
  'EPROXY',
  'ECONFIG',
  // system errors, kept by nodemailer as `originalCode`
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ERR_ACCESS_DENIED',
  // the outbox: the folder cannot be written
  'EACCES',
  'EPERM',
  'ENOSPC',
  'EROFS',
  'EDQUOT',
]);

/** Problems of this one message (bad recipient, unreadable attachment): retrying will not help. */
const PERMANENT_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'ESTREAM', 'EFILEACCESS', 'EURLACCESS', 'EMAXRECIPIENTS']);

/** Timeouts before any SMTP dialogue: nobody is answering at that address. */
const CONNECT_TIMEOUTS = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT']);

const prop = (err: object, key: string): unknown => (err as Record<string, unknown>)[key];
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * Sorts a nodemailer (or system) error into transient / permanent / unavailable. Reply codes
 * follow RFC 5321 §4.2.1: 4yz is a transient negative completion, 5yz a permanent one (nodemailer
 * sets `err.permanent` the same way and exempts 503, a bad command sequence).
 */
export function classifySmtpError(err: unknown): SendError {
  if (err instanceof SendError) return err;
  if (typeof err !== 'object' || err === null) return new SendError('transient', String(err), { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  const code = str(prop(err, 'code'));
  const originalCode = str(prop(err, 'originalCode'));
  const rawResponse = prop(err, 'responseCode');
  const responseCode = typeof rawResponse === 'number' ? rawResponse : undefined;
  const command = str(prop(err, 'command'));
  const response = str(prop(err, 'response'));
  const make = (kind: SendErrorKind): SendError => new SendError(kind, message, { cause: err, responseCode, code: originalCode ?? code, command, response });

  if ((code !== undefined && UNAVAILABLE_CODES.has(code)) || (originalCode !== undefined && UNAVAILABLE_CODES.has(originalCode))) return make('unavailable');
  if (/^(CERT_|ERR_TLS_|ERR_SSL_)|SELF_SIGNED|UNABLE_TO_VERIFY/.test(originalCode ?? code ?? '')) return make('unavailable');
  if (code === 'ETIMEDOUT' && CONNECT_TIMEOUTS.has(str(prop(err, 'timeoutType')) ?? '')) return make('unavailable');
  // Authentication replies (RFC 4954 §6): 530 and 535 concern the whole session, not the message.
  if (responseCode === 530 || responseCode === 535 || responseCode === 534) return make('unavailable');
  // A permanent refusal of MAIL FROM is about the sender or the server (a sending quota, "sender
  // not allowed", "relay denied"), never about one recipient: every further message would get
  // it too. (Without a reply code it is nodemailer's own size check of this message.)
  if (command === 'MAIL FROM' && responseCode !== undefined && responseCode >= 500 && responseCode < 600 && responseCode !== 503) return make('unavailable');
  // Silence in the middle of a session: see `uncertain` above.
  if (code === 'ETIMEDOUT' && str(prop(err, 'timeoutType')) === 'SOCKET_TIMEOUT') return make('uncertain');
  if (responseCode !== undefined && responseCode >= 400 && responseCode < 500) return make('transient');
  if (prop(err, 'permanent') === true) return make('permanent');
  if (responseCode !== undefined && responseCode >= 500 && responseCode < 600 && responseCode !== 503) return make('permanent');
  if (code !== undefined && PERMANENT_CODES.has(code) && responseCode === undefined) return make('permanent');
  // ECONNECTION, ESOCKET (ECONNRESET, EPIPE), ETIMEDOUT, EABORT, a closed pool, anything else.
  return make('transient');
}
