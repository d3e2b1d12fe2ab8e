import { solveChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { describe, expect, it } from 'vitest';
import { checkFormStamp, createProofOfWork, makeFormStamp } from '../../src/subscribers/defences.js';

const SECRET = 'a-test-secret-of-enough-length-0123456789';
const T0 = new Date('2026-11-01T10:00:00Z');
const at = (ms: number): Date => new Date(T0.getTime() + ms);

describe('form-render stamp', () => {
  it('accepts its own stamp between the minimum and maximum age', () => {
    const stamp = makeFormStamp(SECRET, T0);
    expect(checkFormStamp(SECRET, stamp, at(3_000), 3_000, 86_400_000)).toEqual({ ok: true, renderedAt: T0 });
    expect(checkFormStamp(SECRET, stamp, at(2_999), 3_000, 86_400_000)).toEqual({ ok: false, reason: 'tooFast' });
    expect(checkFormStamp(SECRET, stamp, at(86_400_001), 3_000, 86_400_000)).toEqual({ ok: false, reason: 'stale' });
  });

  it('refuses a stamp moved back in time, made with another secret, or malformed', () => {
    const [ms, mac] = makeFormStamp(SECRET, T0).split('.');
    expect(checkFormStamp(SECRET, `${Number(ms) - 10_000}.${mac}`, at(5_000), 3_000, 86_400_000)).toEqual({ ok: false, reason: 'invalid' });
    expect(checkFormStamp(SECRET, makeFormStamp('other-secret', T0), at(5_000), 3_000, 86_400_000)).toEqual({ ok: false, reason: 'invalid' });
    for (const bad of ['', 'x', '1.2', `${ms}.${mac}x`]) expect(checkFormStamp(SECRET, bad, at(5_000), 3_000, 86_400_000).ok).toBe(false);
  });
});

describe('ALTCHA proof of work', () => {
  const setup = () => {
    const spent = new Map<string, number>();
    const pow = createProofOfWork({ secret: SECRET, maxNumber: 2_000, ttlMs: 600_000, spend: (id, exp) => (spent.has(id) ? false : (spent.set(id, exp), true)) });
    return { pow, spent };
  };
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');

  it('a solved challenge passes once, with the time it was issued', async () => {
    const { pow, spent } = setup();
    const challenge = await pow.challenge(T0);
    const solution = await solveChallenge({ challenge, deriveKey });
    const payload = encode({ challenge, solution });
    expect(await pow.verify(payload, at(10_000))).toEqual({ ok: true, issuedAt: T0 });
    expect([...spent.values()]).toEqual([T0.getTime() + 600_000]);
    expect(await pow.verify(payload, at(11_000))).toEqual({ ok: false, reason: 'replayed' });
  });

  it('refuses expired, tampered, foreign and malformed payloads', async () => {
    const { pow } = setup();
    const challenge = await pow.challenge(T0);
    const solution = await solveChallenge({ challenge, deriveKey });
    expect(await pow.verify(encode({ challenge, solution }), at(600_001))).toEqual({ ok: false, reason: 'expired' });
    // moving the issue time back (to pass the too-fast check) breaks the signature
    const older = { ...challenge, parameters: { ...challenge.parameters, data: { ...challenge.parameters.data, issuedAt: T0.getTime() - 60_000 } } };
    expect(await pow.verify(encode({ challenge: older, solution }), at(1_000))).toEqual({ ok: false, reason: 'invalid' });
    const other = createProofOfWork({ secret: 'another-secret', maxNumber: 2_000, ttlMs: 600_000, spend: () => true });
    const foreign = await other.challenge(T0);
    expect(await pow.verify(encode({ challenge: foreign, solution: await solveChallenge({ challenge: foreign, deriveKey }) }), at(1_000))).toEqual({ ok: false, reason: 'invalid' });
    for (const bad of ['', 'not base64 json', encode({}), encode({ challenge: {}, solution: {} }), encode({ challenge, solution: { counter: 1, derivedKey: '00' } }), 'A'.repeat(10_000)]) {
      expect((await pow.verify(bad, at(1_000))).ok, bad.slice(0, 40)).toBe(false);
    }
  });
});
