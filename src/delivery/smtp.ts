import { domainToASCII } from 'node:url';
import nodemailer from 'nodemailer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { DKIMOptions } from 'nodemailer/lib/dkim';
import type Mail from 'nodemailer/lib/mailer';
import { parseSmtpUrl } from '../config/smtp-url.js';
import { createRateLimiter } from './rate-limit.js';
import { classifySmtpError, SendError, type OutgoingMessage, type SendResult, type Transport } from './transport.js';

/**
 * Headers a DKIM signature covers: nodemailer's default list plus `List-Unsubscribe-Post`, which
 * RFC 8058 §4 requires to be signed together with `List-Unsubscribe` (and nodemailer's default
 * list omits it).
 */
export const DKIM_HEADER_FIELDS =
  'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type:Content-Transfer-Encoding:' +
  'List-Id:List-Help:List-Unsubscribe:List-Unsubscribe-Post:List-Subscribe:List-Post:List-Owner:List-Archive:Auto-Submitted';

export interface DkimOptions {
  domainName: string;
  keySelector: string;
  /** PEM. */
  privateKey: string;
  /** @default DKIM_HEADER_FIELDS */
  headerFieldNames?: string;
}

export interface SmtpTransportOptions {
  /**
   * `smtp://user:pass@host:port` or `smtps://…`; credentials come from the environment, never a
   * file. Parsed here (CONFIG_INVALID naming SMTP_URL, never quoting it): nodemailer gets the
   * parts, not the URL, so none of its errors can carry the password.
   */
  url: string;
  /** Pooled connections. */
  maxConnections: number;
  /** Messages per second over all connections; 0 = unlimited. */
  rateLimit: number;
  /**
   * RFC 5321 §4.5.3.2 gives each step of a session its own timeout; nodemailer has three, which
   * are mapped so that no step is cut shorter than the RFC asks:
   * - `connectionMs`: DNS, TCP, TLS and the greeting together (nodemailer's connectionTimeout);
   * - `greetingMs`: the server's 220 greeting (greetingTimeout, bounded by `connectionMs`);
   * - `socketMs`: silence at any later step (socketTimeout, one inactivity timer for MAIL, RCPT,
   *   DATA and the reply to the end of the data). The RFC's longest wait is the last, 10 minutes
   *   (§4.5.3.2.6), and a client that gives up earlier while the server is still accepting the
   *   message sends it twice; a socket timeout is never retried (see `uncertain` in transport.ts).
   */
  timeouts: { connectionMs: number; greetingMs: number; socketMs: number };
  dkim?: DkimOptions;
  /** Extra nodemailer pool options (tests: `tls`, `ignoreTLS`…). */
  extra?: Record<string, unknown>;
}

export function toNodemailerDkim(dkim: DkimOptions | undefined): DKIMOptions | undefined {
  if (dkim === undefined) return undefined;
  return { domainName: dkim.domainName, keySelector: dkim.keySelector, privateKey: dkim.privateKey, headerFieldNames: dkim.headerFieldNames ?? DKIM_HEADER_FIELDS };
}

/**
 * An address as it goes on the wire: an internationalised domain as punycode. The store keeps
 * addresses that way since names and addresses are normalised on the way in; this covers one
 * stored earlier, which nodemailer would otherwise put into the envelope as raw UTF-8.
 */
export function wireAddress(address: string): string {
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1);
  // eslint-disable-next-line no-control-regex
  if (at < 0 || /^[\x00-\x7f]*$/.test(domain)) return address;
  const ascii = domainToASCII(domain);
  return ascii === '' ? address : `${address.slice(0, at)}@${ascii}`;
}

/** The mail options actually handed to nodemailer: the envelope is exactly the one recipient. */
export function mailOptions(message: OutgoingMessage): Mail.Options {
  const address = wireAddress(message.to.address);
  const to = message.to.name === null ? address : { name: message.to.name, address };
  // A VERP envelope sender (digest/message.ts) keeps its MAIL FROM; RCPT TO is the one recipient.
  const envelope = message.options.envelope;
  const from = envelope !== undefined && typeof envelope.from === 'string' ? envelope.from : undefined;
  return { ...message.options, to, cc: undefined, bcc: undefined, messageId: message.messageId, envelope: from === undefined ? undefined : { from, to: address } };
}

/**
 * SMTP through a nodemailer pool. The rate limit is ours, in front of the pool (see
 * rate-limit.ts); nodemailer's own per-pool limiter stays off. Every failure is rejected as a
 * classified SendError.
 */
export function createSmtpTransport(options: SmtpTransportOptions): Transport {
  const limiter = createRateLimiter({ perSecond: options.rateLimit });
  const dkim = toNodemailerDkim(options.dkim);
  const server = parseSmtpUrl(options.url);
  const transporter = nodemailer.createTransport({
    ...server.extra,
    ...options.extra,
    pool: true,
    host: server.host,
    ...(server.port === undefined ? {} : { port: server.port }),
    secure: server.secure,
    ...(server.auth === undefined ? {} : { auth: server.auth }),
    maxConnections: options.maxConnections,
    connectionTimeout: options.timeouts.connectionMs,
    greetingTimeout: options.timeouts.greetingMs,
    socketTimeout: options.timeouts.socketMs,
    ...(dkim === undefined ? {} : { dkim }),
  });
  // Whether the server offers SMTPUTF8 (RFC 6531): asked once, on one connection of its own, the
  // first time an address needs it. nodemailer's pool does not tell, and without the extension it
  // would send a UTF-8 mailbox as raw 8-bit, which servers mangle or bounce.
  let smtputf8: Promise<boolean> | undefined;
  const offersSmtpUtf8 = (): Promise<boolean> => {
    smtputf8 ??= probeExtensions({
      ...server.extra,
      ...options.extra,
      host: server.host,
      ...(server.port === undefined ? {} : { port: server.port }),
      secure: server.secure,
      connectionTimeout: options.timeouts.connectionMs,
      greetingTimeout: options.timeouts.greetingMs,
      socketTimeout: options.timeouts.socketMs,
    }).then(
      (ehlo) => /^SMTPUTF8\b/im.test(ehlo),
      (error: unknown) => {
        smtputf8 = undefined; // ask again next time
        throw error;
      },
    );
    return smtputf8;
  };
  return {
    name: 'smtp',
    concurrency: options.maxConnections,
    async verify() {
      try {
        await transporter.verify();
      } catch (error) {
        const classified = classifySmtpError(error);
        // verify() tests the server as a whole: whatever failed, the run cannot go on.
        throw classified.kind === 'unavailable'
          ? classified
          : new SendError('unavailable', classified.message, { cause: error, responseCode: classified.responseCode, code: classified.code });
      }
    },
    async send(message: OutgoingMessage): Promise<SendResult> {
      if (needsSmtpUtf8(message.to.address)) {
        let offered: boolean;
        try {
          offered = await offersSmtpUtf8();
        } catch (error) {
          throw classifySmtpError(error);
        }
        if (!offered) {
          throw new SendError('permanent', 'the address has non-ASCII characters before the "@", and the SMTP server does not offer SMTPUTF8 (RFC 6531) to carry them', {
            code: 'ESMTPUTF8',
          });
        }
      }
      await limiter.acquire();
      try {
        const info = await transporter.sendMail(mailOptions(message));
        return { messageId: message.messageId, response: String(info.response ?? '') };
      } catch (error) {
        throw classifySmtpError(error);
      }
    },
    close() {
      transporter.close();
      return Promise.resolve();
    },
  };
}

/** An address whose local part is not ASCII: only SMTPUTF8 carries it (the domain is punycode). */
export function needsSmtpUtf8(address: string): boolean {
  const at = address.lastIndexOf('@');
  // eslint-disable-next-line no-control-regex
  return !/^[\x00-\x7f]*$/.test(at < 0 ? address : address.slice(0, at));
}

/** The server's EHLO reply, one extension a line (`SMTPUTF8`, `PIPELINING`, …), from a connection of its own. */
function probeExtensions(options: SMTPConnection.Options): Promise<string> {
  return new Promise((resolve, reject) => {
    const connection = new SMTPConnection(options);
    connection.once('error', reject);
    connection.connect((error) => {
      if (error) {
        reject(error);
        return;
      }
      // Right after connect() the last reply is the EHLO (repeated after STARTTLS), before any AUTH.
      const reply = String(connection.lastServerResponse || '');
      connection.quit();
      resolve(reply.split(/\r?\n/).map((line) => line.replace(/^\d{3}[ -]/, '')).join('\n'));
    });
  });
}
