import { createHmac } from 'node:crypto';

/** `subscribe.storeIp`: keep the address (`full`), a keyed hash of it (`hash`), or nothing (`none`). */
export type StoreIpMode = 'full' | 'hash' | 'none';

/**
 * The IP as it goes into the consent record. `hash` is an HMAC with the daemon's secret, so the
 * record can show that two requests came from the same address without storing it, and nobody
 * without the secret can test guesses against it (a plain hash of an IPv4 address is reversed by
 * trying all 2^32).
 */
export function ipForRecord(ip: string | null | undefined, mode: StoreIpMode, secret: string): string | null {
  if (ip === null || ip === undefined || ip === '' || mode === 'none') return null;
  if (mode === 'full') return ip;
  return `hmac:${createHmac('sha256', secret).update('feedletter-ip-v1:').update(ip).digest('base64url').slice(0, 22)}`;
}

/** A user agent as stored: control characters out, at most 256 characters. */
export function userAgentForRecord(userAgent: string | null | undefined): string | null {
  if (userAgent === null || userAgent === undefined) return null;
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const clean = userAgent.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g, ' ').trim().slice(0, 256);
  return clean === '' ? null : clean;
}

/** The page a form was posted from, as stored: an http(s) URL of at most 512 characters, else nothing. */
export function sourceUrlForRecord(url: string | null | undefined): string | null {
  if (url === null || url === undefined || url.length > 512 || !URL.canParse(url)) return null;
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  // Credentials in a URL are nobody's business here.
  parsed.username = '';
  parsed.password = '';
  return parsed.href;
}
