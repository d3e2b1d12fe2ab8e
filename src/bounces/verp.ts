import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * VERP tokens (variable envelope return path): the envelope sender of each message becomes
 * `<local>+<token>@<domain>` of `bounces.address`, so a bounce comes back to an address that
 * names its (digest, subscriber) even when the report itself is mangled.
 *
 * `<digest base36>.<subscriber base36>.<HMAC-SHA256 truncated to 80 bits, hex>`: lower case
 * only (some MTAs lower-case local parts), at most ~40 characters, well within the 64 of a local
 * part (RFC 5321 §4.5.3.1.1). Signed with the state's secret under its own purpose string, so a
 * forged report cannot name a delivery it did not receive.
 */
const PURPOSE = 'feedletter-verp-v1:';
const MAC_HEX = 20;

const mac = (secret: string, payload: string): string => createHmac('sha256', secret).update(PURPOSE).update(payload).digest('hex').slice(0, MAC_HEX);

export function signVerpToken(secret: string, digestId: number, subscriberId: number): string {
  for (const n of [digestId, subscriberId]) if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`VERP ids must be non-negative integers, got ${n}`);
  const payload = `${digestId.toString(36)}.${subscriberId.toString(36)}`;
  return `${payload}.${mac(secret, payload)}`;
}

/** The delivery a token names, or undefined when it is malformed or not signed by us. */
export function verifyVerpToken(secret: string, token: string): { digestId: number; subscriberId: number } | undefined {
  const match = /^([0-9a-z]{1,10})\.([0-9a-z]{1,10})\.([0-9a-f]{20})$/.exec(token.toLowerCase());
  if (match === null) return undefined;
  const [, d = '', s = '', given = ''] = match;
  const expected = mac(secret, `${d}.${s}`);
  if (!timingSafeEqual(Buffer.from(given), Buffer.from(expected))) return undefined;
  const digestId = Number.parseInt(d, 36);
  const subscriberId = Number.parseInt(s, 36);
  // One spelling per delivery: no leading zeros.
  if (digestId.toString(36) !== d || subscriberId.toString(36) !== s) return undefined;
  return { digestId, subscriberId };
}

/** `bounces@example.com` + token → `bounces+token@example.com`. */
export function verpAddress(bounceAddress: string, token: string): string {
  const at = bounceAddress.lastIndexOf('@');
  return `${bounceAddress.slice(0, at)}+${token}${bounceAddress.slice(at)}`;
}

/** The local part of `bounces.address` (what precedes `+token`). */
export function verpLocalPart(bounceAddress: string | undefined): string | undefined {
  if (bounceAddress === undefined) return undefined;
  return bounceAddress.slice(0, bounceAddress.lastIndexOf('@'));
}
