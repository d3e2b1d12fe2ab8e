import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFeedletterError } from '../../src/errors.js';
import { loadOrCreateSecret, signToken, verifyToken } from '../../src/digest/token.js';
import { testdir } from '../helpers/tmp.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const issued = new Date('2026-01-01T00:00:00Z');
const YEAR = 365 * 86_400_000;

describe('unsubscribe tokens', () => {
  it('round-trip: a signed token verifies to its subscriber', () => {
    const token = signToken(SECRET, 42, issued);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(encodeURIComponent(token)).toBe(token);
    expect(verifyToken(SECRET, token, new Date('2026-06-01T00:00:00Z'), YEAR)).toEqual({ ok: true, subscriberId: 42 });
  });

  it('is deterministic for (secret, subscriber, issue time) and differs per subscriber', () => {
    expect(signToken(SECRET, 7, issued)).toBe(signToken(SECRET, 7, issued));
    expect(signToken(SECRET, 7, issued)).not.toBe(signToken(SECRET, 8, issued));
  });

  it('refuses a token signed with another secret as forged', () => {
    const token = signToken('another-secret-another-secret-another', 42, issued);
    expect(verifyToken(SECRET, token, issued, YEAR)).toEqual({ ok: false, reason: 'forged' });
  });

  it('refuses a token whose subscriber id was changed as forged', () => {
    const [, signature] = signToken(SECRET, 42, issued).split('.');
    const tampered = `${Buffer.from(`43.${issued.getTime() / 1000}`).toString('base64url')}.${signature}`;
    expect(verifyToken(SECRET, tampered, issued, YEAR)).toEqual({ ok: false, reason: 'forged' });
  });

  it('refuses a truncated signature (41 characters are no base64 at all)', () => {
    const token = signToken(SECRET, 42, issued);
    expect(verifyToken(SECRET, token.slice(0, -2), issued, YEAR)).toEqual({ ok: false, reason: 'malformed' });
  });

  // The last base64url character of a value whose length is not a multiple of 3 bytes carries
  // bits the decoder ignores: 32 signature bytes leave 2 (4 spellings), other payload lengths 2
  // or 4. Every spelling but the canonical one is refused, for the payload and the signature.
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  function otherSpellings(part: string): string[] {
    const bytes = Buffer.from(part, 'base64url');
    return [...ALPHABET].map((c) => part.slice(0, -1) + c).filter((variant) => variant !== part && Buffer.from(variant, 'base64url').equals(bytes));
  }

  it.each([1, 42, 123, 12_345, 9_999_999])('accepts only the canonical spelling of the token of subscriber %i', (id) => {
    const token = signToken(SECRET, id, issued);
    const [payload = '', signature = ''] = token.split('.');
    expect(verifyToken(SECRET, token, issued, YEAR)).toEqual({ ok: true, subscriberId: id });
    const signatures = otherSpellings(signature);
    expect(signatures).toHaveLength(3);
    const payloads = otherSpellings(payload);
    expect(payloads.length).toBe(payload.length % 4 === 2 ? 15 : payload.length % 4 === 3 ? 3 : 0);
    const variants = [...signatures.map((s) => `${payload}.${s}`), ...payloads.map((p) => `${p}.${signature}`), ` ${token}`, `${token}\n`];
    for (const variant of variants) expect(verifyToken(SECRET, variant, issued, YEAR), variant).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a token older than maxAge as expired, and accepts it just before', () => {
    const token = signToken(SECRET, 42, issued);
    expect(verifyToken(SECRET, token, new Date(issued.getTime() + YEAR), YEAR)).toEqual({ ok: true, subscriberId: 42 });
    expect(verifyToken(SECRET, token, new Date(issued.getTime() + YEAR + 1000), YEAR)).toEqual({ ok: false, reason: 'expired' });
  });

  it.each(['', 'abc', 'a.b.c', 'not base64!.sig', `${Buffer.from('x.y').toString('base64url')}.c2ln`, 'x'.repeat(500)])('refuses %j as malformed', (token) => {
    expect(verifyToken(SECRET, token, issued, YEAR)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('loadOrCreateSecret', () => {
  it('prefers the environment secret and writes nothing', () => {
    const state = testdir();
    expect(loadOrCreateSecret(state, '  from-env  ')).toBe('from-env');
    expect(() => statSync(path.join(state, 'secret'))).toThrow();
  });

  it('creates <state>/secret once with mode 0600 and 32 random bytes, then reuses it', () => {
    const state = path.join(testdir(), 'nested', 'state');
    const first = loadOrCreateSecret(state, undefined);
    const file = path.join(state, 'secret');
    expect(Buffer.from(first, 'base64url')).toHaveLength(32);
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadOrCreateSecret(state, undefined)).toBe(first);
    expect(loadOrCreateSecret(state, '')).toBe(first);
  });

  it('gives every state folder its own secret', () => {
    expect(loadOrCreateSecret(testdir(), undefined)).not.toBe(loadOrCreateSecret(testdir(), undefined));
  });

  it.skipIf(process.platform === 'win32')('tightens a secret file others can read back to 0600', () => {
    const state = testdir({ secret: `${'s'.repeat(43)}\n` });
    chmodSync(path.join(state, 'secret'), 0o644);
    expect(loadOrCreateSecret(state, undefined)).toBe('s'.repeat(43));
    expect(statSync(path.join(state, 'secret')).mode & 0o777).toBe(0o600);
  });

  it('refuses an empty secret file with STATE_INVALID', () => {
    const state = testdir();
    writeFileSync(path.join(state, 'secret'), '\n', { mode: 0o600 });
    let caught: unknown;
    try {
      loadOrCreateSecret(state, undefined);
    } catch (error) {
      caught = error;
    }
    expect(isFeedletterError(caught) && caught.code).toBe('STATE_INVALID');
  });
});
