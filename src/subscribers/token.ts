import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { canonicalBase64url } from '../digest/token.js';

/**
 * Confirmation tokens (double opt-in links):
 * `base64url("<subscriberId>.<issuedAtSeconds>.<nonce>") + "." + base64url(HMAC-SHA256)`.
 *
 * - signed with the daemon's secret, under a purpose of their own (an unsubscribe token can never
 *   pass as a confirmation token, nor the other way round);
 * - bound to the address: the MAC covers the address (lower-cased), so a token made for one
 *   address is forged for any other, even if a row id is reused after a prune;
 * - expiring: `issuedAt` + `subscribe.confirmTtl`;
 * - single-use: the nonce must still be the one stored for the subscriber, and confirming clears it.
 */

const PURPOSE = 'feedletter-confirm-v1:';
const B64URL = /^[A-Za-z0-9_-]+$/;
/** Longest token accepted; ours are about 90 characters. */
const MAX_TOKEN = 256;

/** A fresh single-use nonce (128 bits). */
export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

function mac(secret: string, payload: string, email: string): Buffer {
  return createHmac('sha256', secret).update(PURPOSE).update(payload).update('\n').update(email.toLowerCase()).digest();
}

export function signConfirmToken(secret: string, input: { subscriberId: number; email: string; nonce: string; issuedAt: Date }): string {
  if (!Number.isSafeInteger(input.subscriberId) || input.subscriberId < 0) throw new RangeError(`subscriber id must be a non-negative integer, got ${input.subscriberId}`);
  if (!B64URL.test(input.nonce)) throw new RangeError('the nonce must be base64url');
  const iat = Math.floor(input.issuedAt.getTime() / 1000);
  if (!Number.isFinite(iat)) throw new RangeError('issuedAt is not a valid date');
  const payload = Buffer.from(`${input.subscriberId}.${iat}.${input.nonce}`, 'utf8').toString('base64url');
  return `${payload}.${mac(secret, payload, input.email).toString('base64url')}`;
}

export interface ParsedConfirmToken {
  subscriberId: number;
  issuedAt: Date;
  nonce: string;
  payload: string;
  signature: Buffer;
}

/** The parts of a token, unchecked; undefined when it does not even have our shape. */
export function parseConfirmToken(token: string): ParsedConfirmToken | undefined {
  if (token.length === 0 || token.length > MAX_TOKEN) return undefined;
  const parts = token.split('.');
  if (parts.length !== 2) return undefined;
  const [payload = '', signature = ''] = parts;
  // Only the canonical encoding of both parts: a token decoding the same but spelled otherwise
  // (the last character's unused bits) is not ours, so every token has exactly one form.
  const payloadBytes = canonicalBase64url(payload);
  const signatureBytes = canonicalBase64url(signature);
  if (payloadBytes === undefined || signatureBytes === undefined) return undefined;
  const match = /^(\d{1,15})\.(\d{1,12})\.([A-Za-z0-9_-]{16,64})$/.exec(payloadBytes.toString('utf8'));
  if (!match) return undefined;
  return { subscriberId: Number(match[1]), issuedAt: new Date(Number(match[2]) * 1000), nonce: match[3] ?? '', payload, signature: signatureBytes };
}

export type ConfirmTokenCheck = 'ok' | 'forged' | 'expired' | 'used';

/**
 * Checks a parsed token against the subscriber it names: signature for this address (constant
 * time), then age, then whether its nonce is still the live one. `used` covers a link already
 * confirmed and one replaced by a newer signup.
 */
export function checkConfirmToken(
  secret: string,
  token: ParsedConfirmToken,
  subscriber: { email: string; nonce: string | null },
  now: Date,
  ttlMs: number,
): ConfirmTokenCheck {
  const expected = mac(secret, token.payload, subscriber.email);
  if (token.signature.length !== expected.length || !timingSafeEqual(token.signature, expected)) return 'forged';
  // Issued in the future (beyond clock skew): only the secret's holder could have made it, and we never do.
  if (token.issuedAt.getTime() > now.getTime() + 86_400_000) return 'forged';
  if (now.getTime() - token.issuedAt.getTime() > ttlMs) return 'expired';
  if (subscriber.nonce === null || subscriber.nonce.length !== token.nonce.length || !timingSafeEqual(Buffer.from(subscriber.nonce), Buffer.from(token.nonce))) return 'used';
  return 'ok';
}
