import { randomBytes } from 'node:crypto';
import { chmod, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { ensureDir } from '../fs.js';
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
 * Creates `dir` with mode 0700 (and narrows an existing one we own to it): the outbox holds
 * subscribers' addresses and their unsubscribe tokens.
 */
export async function makePrivateDir(dir: string): Promise<void> {
  await ensureDir(dir, 0o700);
  await chmod(dir, 0o700).catch(() => undefined); // not ours (a shared folder): leave its mode alone
}

/**
 * Writes `data` to `dir/name` with mode 0600, atomically (a temp file beside it, then a rename),
 * creating `dir` 0700 first.
 */
export async function writePrivateFile(dir: string, name: string, data: string | Buffer): Promise<string> {
  await makePrivateDir(dir);
  const target = path.join(dir, name);
  const temp = path.join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, data, { mode: 0o600, flag: 'wx' });
    await rename(temp, target);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return target;
}

/**
 * Writes each message as an RFC 5322 `.eml` file (CRLF line ends) into `dir`: the embedded
 * default when no SMTP server is configured, and `--dry-run`. The message is composed by the
 * same nodemailer pipeline as for SMTP (DKIM included), and written atomically: a temp file
 * beside the target, then a rename, so a reader never sees half a message. Files are 0600 in a
 * 0700 folder: they carry addresses and unsubscribe tokens.
 */
export function createOutboxTransport(options: { dir: string; dkim?: DkimOptions }): Transport {
  const dkim = toNodemailerDkim(options.dkim);
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows', ...(dkim === undefined ? {} : { dkim }) });
  return {
    name: 'outbox',
    concurrency: 4,
    async verify() {
      try {
        await makePrivateDir(options.dir);
      } catch (error) {
        throw new SendError('unavailable', `cannot create the outbox folder ${options.dir}`, { cause: error, code: (error as { code?: string }).code });
      }
    },
    async send(message: OutgoingMessage): Promise<SendResult> {
      try {
        const info = await composer.sendMail(mailOptions(message));
        const target = await writePrivateFile(options.dir, outboxFileName(message), info.message as Buffer);
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
