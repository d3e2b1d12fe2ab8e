import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { mailOptions, toNodemailerDkim, type DkimOptions } from './smtp.js';
import { SendError, classifySmtpError, type OutgoingMessage, type SendResult, type Transport } from './transport.js';

/** A file-name-safe rendering: letters, digits, `.`, `-`, `_`, `@`, `+`; everything else `_`. */
const safe = (value: string): string => value.replace(/[^A-Za-z0-9.@+_-]/g, '_').replace(/^\.+/, '_');

/**
 * `<recipient>--<message id>.eml`: one per (digest, subscriber), so writing a message again (a
 * resumed run) replaces the file instead of adding a second copy.
 */
export function outboxFileName(message: OutgoingMessage): string {
  const id = message.messageId.replace(/^<|>$/g, '');
  return `${safe(message.to.address).slice(0, 100)}--${safe(id).slice(0, 150)}.eml`;
}

/**
 * Writes each message as an RFC 5322 `.eml` file (CRLF line ends) into `dir`: the embedded
 * default when no SMTP server is configured, and `--dry-run`. The message is composed by the
 * same nodemailer pipeline as for SMTP (DKIM included), and written atomically: a temp file
 * beside the target, then a rename, so a reader never sees half a message.
 */
export function createOutboxTransport(options: { dir: string; dkim?: DkimOptions }): Transport {
  const dkim = toNodemailerDkim(options.dkim);
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows', ...(dkim === undefined ? {} : { dkim }) });
  let counter = 0;
  return {
    name: 'outbox',
    concurrency: 4,
    async verify() {
      try {
        await mkdir(options.dir, { recursive: true });
      } catch (error) {
        throw new SendError('unavailable', `cannot create the outbox folder ${options.dir}`, { cause: error, code: (error as { code?: string }).code });
      }
    },
    async send(message: OutgoingMessage): Promise<SendResult> {
      try {
        const info = await composer.sendMail(mailOptions(message));
        const target = path.join(options.dir, outboxFileName(message));
        const temp = `${target}.${process.pid}.${++counter}.tmp`;
        await mkdir(options.dir, { recursive: true });
        await writeFile(temp, info.message as Buffer);
        await rename(temp, target);
        return { messageId: message.messageId, response: `written to ${target}` };
      } catch (error) {
        throw classifySmtpError(error);
      }
    },
    close() {
      composer.close();
      return Promise.resolve();
    },
  };
}
