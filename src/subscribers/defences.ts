import { createHmac, timingSafeEqual } from 'node:crypto';
import { createChallenge, randomInt, verifySolution, type Challenge, type Solution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';

/**
 * The bot defences of the signup form that are decisions rather than HTTP: the signed
 * form-render stamp and the ALTCHA proof of work. (The honeypot is one field the server checks;
 * the rate limits live with the server.)
 */

// ── signed form-render stamp ─────────────────────────────────────────────────

const STAMP_PURPOSE = 'feedletter-form-v1:';

/** `<renderedAtMs>.<base64url HMAC>`: when the page with the form was rendered, unforgeable. */
export function makeFormStamp(secret: string, now: Date): string {
  const ms = String(now.getTime());
  return `${ms}.${createHmac('sha256', secret).update(STAMP_PURPOSE).update(ms).digest('base64url')}`;
}

export type StampCheck = { ok: true; renderedAt: Date } | { ok: false; reason: 'invalid' | 'tooFast' | 'stale' };

/** Valid, at least `minMs` old (a person types; a bot posts at once), at most `maxMs` old. */
export function checkFormStamp(secret: string, stamp: string, now: Date, minMs: number, maxMs: number): StampCheck {
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(stamp);
  if (!match) return { ok: false, reason: 'invalid' };
  const expected = createHmac('sha256', secret).update(STAMP_PURPOSE).update(match[1] ?? '').digest();
  const given = Buffer.from(match[2] ?? '', 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'invalid' };
  return ageCheck(new Date(Number(match[1])), now, minMs, maxMs);
}

function ageCheck(renderedAt: Date, now: Date, minMs: number, maxMs: number): StampCheck {
  const age = now.getTime() - renderedAt.getTime();
  if (age < minMs) return { ok: false, reason: 'tooFast' };
  if (age > maxMs) return { ok: false, reason: 'stale' };
  return { ok: true, renderedAt };
}

// ── ALTCHA proof of work ─────────────────────────────────────────────────────

export interface ProofOfWork {
  /** A signed challenge for the widget (JSON), carrying when it was issued. */
  challenge(now: Date): Promise<Challenge>;
  /**
   * Checks the widget's payload (base64 JSON `{challenge, solution}`): signature, expiry,
   * solution, then spends it (a solution counts once). `issuedAt` is when the challenge was made,
   * which stands in for the render stamp on a form embedded in a static blog page.
   */
  verify(payload: string, now: Date): Promise<{ ok: true; issuedAt: Date } | { ok: false; reason: 'missing' | 'invalid' | 'expired' | 'replayed' }>;
}

export interface ProofOfWorkOptions {
  secret: string;
  /** The counter the browser must find is drawn from [0, maxNumber]: the difficulty. */
  maxNumber: number;
  /** A challenge must be solved and submitted within this long. */
  ttlMs: number;
  /** Records a solution as used until `expiresAt` (epoch ms); false when it already was. */
  spend: (id: string, expiresAt: number) => boolean;
}

export function createProofOfWork(options: ProofOfWorkOptions): ProofOfWork {
  // Separate keys for the challenge signature and the derived-key signature, both from our secret.
  const signatureSecret = createHmac('sha256', options.secret).update('feedletter-altcha-v1:challenge').digest('base64url');
  const keySecret = createHmac('sha256', options.secret).update('feedletter-altcha-v1:key').digest('base64url');
  return {
    async challenge(now) {
      return createChallenge({
        algorithm: 'SHA-256',
        cost: 1,
        counter: randomInt(options.maxNumber),
        deriveKey,
        // Our own signed times, checked against our clock (altcha-lib's expiresAt is checked
        // against the machine's clock, and time is a parameter here).
        data: { issuedAt: now.getTime(), expiresAt: now.getTime() + options.ttlMs },
        hmacSignatureSecret: signatureSecret,
        hmacKeySignatureSecret: keySecret,
      });
    },
    async verify(payload, now) {
      if (payload === '') return { ok: false, reason: 'missing' };
      if (payload.length > 8_192) return { ok: false, reason: 'invalid' };
      let parsed: { challenge?: Challenge; solution?: Solution };
      try {
        parsed = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as typeof parsed;
      } catch {
        return { ok: false, reason: 'invalid' };
      }
      const { challenge, solution } = parsed;
      if (typeof challenge !== 'object' || challenge === null || typeof solution !== 'object' || solution === null || typeof challenge.signature !== 'string') {
        return { ok: false, reason: 'invalid' };
      }
      let verified: boolean;
      try {
        const result = await verifySolution({ challenge, solution, deriveKey, hmacSignatureSecret: signatureSecret, hmacKeySignatureSecret: keySecret });
        verified = result.verified;
      } catch {
        return { ok: false, reason: 'invalid' };
      }
      if (!verified) return { ok: false, reason: 'invalid' };
      // Signed with the rest of the parameters: trustworthy once verified.
      const issuedAt = Number(challenge.parameters.data?.issuedAt);
      const expiresAt = Number(challenge.parameters.data?.expiresAt);
      if (!Number.isFinite(issuedAt) || !Number.isFinite(expiresAt)) return { ok: false, reason: 'invalid' };
      if (expiresAt < now.getTime()) return { ok: false, reason: 'expired' };
      // Spent only once verified, so garbage never reaches the store.
      if (!options.spend(challenge.signature, expiresAt)) return { ok: false, reason: 'replayed' };
      return { ok: true, issuedAt: new Date(issuedAt) };
    },
  };
}

/** How old a form must and may be, by whichever clock it carries: the render stamp, else the challenge. */
export function checkSubmissionAge(renderedAt: Date, now: Date, minMs: number, maxMs: number): StampCheck {
  return ageCheck(renderedAt, now, minMs, maxMs);
}
