import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FeedletterError } from '../errors.js';
import { ensureDirSync } from '../fs.js';

/**
 * Unsubscribe tokens: `base64url("<subscriberId>.<issuedAtSeconds>") + "." + base64url(HMAC-SHA256)`.
 * Signed, not encrypted: the id inside is not a secret, the signature is what makes the link
 * work only for the subscriber it was made for. URL-safe as it is (RFC 4648 §5 alphabet and ".").
 */

/** Separates this use of the secret from any other the project may add later. */
const PURPOSE = 'feedletter-unsubscribe-v1:';
const SECRET_FILE = 'secret';
const B64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The bytes of `text` when it is the canonical unpadded base64url spelling of them, else
 * undefined. When the length is not a multiple of 4, the last character carries 2 or 4 bits
 * the decoder ignores (RFC 4648 §3.5), so each value has 4 or 16 spellings that decode alike:
 * only the one the encoder writes is accepted, so a token has exactly one form.
 */
export function canonicalBase64url(text: string): Buffer | undefined {
  if (!B64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(PURPOSE).update(payload).digest();
}

export function signToken(secret: string, subscriberId: number, issuedAt: Date): string {
  if (!Number.isSafeInteger(subscriberId) || subscriberId < 0) throw new RangeError(`subscriber id must be a non-negative integer, got ${subscriberId}`);
  const iat = Math.floor(issuedAt.getTime() / 1000);
  if (!Number.isFinite(iat)) throw new RangeError('issuedAt is not a valid date');
  const payload = Buffer.from(`${subscriberId}.${iat}`, 'utf8').toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

export type VerifyResult = { ok: true; subscriberId: number } | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

/**
 * Checks shape, then signature (constant time), then age. A token issued in the future by more
 * than a day is treated as forged: only someone holding the secret could have made it, and we never do.
 */
export function verifyToken(secret: string, token: string, now: Date, maxAgeMs: number): VerifyResult {
  if (token.length > 200) return { ok: false, reason: 'malformed' };
  // No trimming, no alternative spellings: one token, one string (callers trim pasted input).
  const parts = token.split('.');
  if (parts.length !== 2) return { ok: false, reason: 'malformed' };
  const [payload = '', signature = ''] = parts;
  const payloadBytes = canonicalBase64url(payload);
  const given = canonicalBase64url(signature);
  if (payloadBytes === undefined || given === undefined) return { ok: false, reason: 'malformed' };
  const match = /^(\d{1,15})\.(\d{1,12})$/.exec(payloadBytes.toString('utf8'));
  if (!match) return { ok: false, reason: 'malformed' };

  const expected = mac(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };

  const subscriberId = Number(match[1]);
  const issuedAtMs = Number(match[2]) * 1000;
  if (issuedAtMs > now.getTime() + 86_400_000) return { ok: false, reason: 'forged' };
  if (now.getTime() - issuedAtMs > maxAgeMs) return { ok: false, reason: 'expired' };
  return { ok: true, subscriberId };
}

/**
 * The signing secret: `FEEDLETTER_SECRET` when set, else `<state>/secret`, created on first use
 * with 32 random bytes and mode 0600. A secret file others can read is tightened back to 0600
 * rather than refused: the daemon must keep answering unsubscribe links.
 */
export function loadOrCreateSecret(stateDir: string, envSecret: string | undefined): string {
  if (envSecret !== undefined && envSecret.trim() !== '') return envSecret.trim();
  const file = path.join(stateDir, SECRET_FILE);
  try {
    ensureDirSync(stateDir, 0o700);
    if (!existsSync(file)) {
      // Written beside, then hard-linked into place: link() fails if the name exists, so two
      // processes starting together agree on one secret, and no reader ever sees a half-written file.
      const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      writeFileSync(temp, `${randomBytes(32).toString('base64url')}\n`, { flag: 'wx', mode: 0o600 });
      try {
        linkSync(temp, file);
      } finally {
        rmSync(temp, { force: true });
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new FeedletterError('STATE_INVALID', `cannot create the signing secret ${file}`, { cause: error, hint: 'make the state folder writable, or set FEEDLETTER_SECRET' });
    }
  }
  try {
    if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length < 32) {
      throw new FeedletterError('STATE_INVALID', `the signing secret ${file} is empty or too short`, { hint: 'delete it to have a new one made (old unsubscribe links stop working), or set FEEDLETTER_SECRET' });
    }
    return secret;
  } catch (error) {
    if (error instanceof FeedletterError) throw error;
    throw new FeedletterError('STATE_INVALID', `cannot read the signing secret ${file}`, { cause: error, hint: 'check the permissions of the state folder, or set FEEDLETTER_SECRET' });
  }
}
