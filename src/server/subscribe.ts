import type { Context, Hono } from 'hono';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Challenge } from 'altcha-lib';
import { normaliseEmail } from '../store/email.js';
import type { ConfirmOutcome } from '../subscribers/lifecycle.js';
import type { StampCheck } from '../subscribers/defences.js';
import { clientIp, newCspNonce, route, sendHtml, sendJson, type Env } from './http.js';
import type { ServerDeps } from './server.js';
import { renderSubscribePage, subscribeTexts, type SubscribePageKind } from './subscribe-pages.js';

/**
 * The public signup: GET/POST /subscribe, GET/POST /confirm, POST /resubscribe, the ALTCHA
 * challenge and widget. HTTP only: every decision (lifecycle, tokens, proof of work, stamps) is a
 * call into the deps, which the daemon wires to src/subscribers/ and the store.
 *
 * POST /subscribe answers the same "check your inbox" page (or JSON) for a new, pending, active
 * or unsubscribed address, and for a filled honeypot and an address over its rate limit: the
 * endpoint never tells whether an address is on the list, and a bot learns nothing from it.
 * Refusals a person can act on (too fast, bad address, failed proof of work, too many from one
 * network) get a 4xx page saying what to do.
 */

export interface RequestMeta {
  ip: string | null;
  userAgent: string | null;
}

export interface SubscribeDeps {
  clock: () => Date;
  /** "daily at 08:00 (Asia/Tokyo)", for the honest line on the form. */
  frequency: string;
  feeds: { rss: string; atom: string; json: string };
  proofOfWork: boolean;
  honeypot: boolean;
  minSubmitMs: number;
  perIpPerHour: number;
  perAddressPerHour: number;
  trustProxy: 'loopback' | 'none';
  /** The ALTCHA widget (served by us: the page loads nothing from a third party). */
  widgetScript: () => Buffer;
  challenge: (now: Date) => Promise<Challenge>;
  verifyProof: (payload: string, now: Date) => Promise<{ ok: true; issuedAt: Date } | { ok: false; reason: string }>;
  makeStamp: (now: Date) => string;
  checkStamp: (stamp: string, now: Date) => StampCheck;
  /** Records the signup (throttled per address inside) and queues a confirmation when one is due. Never waits for mail. */
  signup: (input: { email: string; name: string | null; sourceUrl: string | null; request: RequestMeta }) => void;
  /** What a confirmation link would do now, changing nothing (for GET). */
  inspect: (token: string) => ConfirmOutcome | 'ok';
  confirm: (token: string, request: RequestMeta) => ConfirmOutcome;
  /** "Send me a new link" from an expired link's page. */
  resend: (token: string) => void;
  /** "I clicked by mistake": the subscriber of a genuine unsubscribe token becomes active again. */
  resubscribe: (subscriberId: number) => boolean;
}

/** A form stamp or proof of work older than this is refused as stale (a tab left open overnight still works). */
const MAX_FORM_AGE_MS = 24 * 3_600_000;
const FIELD_MAX = 1_024;
/** The floor of the too-fast check for a form without a render stamp (timed by its challenge). */
const EMBEDDED_MIN_MS = 1_000;

type Fields = Record<string, string>;

function wantsJson(c: Context<Env>): boolean {
  return /^application\/json\b/i.test(c.req.header('content-type') ?? '') || /^application\/json\b/i.test(c.req.header('accept') ?? '');
}

/** The body as flat string fields: urlencoded, multipart (no files) or a JSON object. Undefined when unreadable. */
async function readFields(c: Context<Env>): Promise<Fields | undefined> {
  const type = c.req.header('content-type') ?? '';
  try {
    if (/^application\/json\b/i.test(type)) {
      const value: unknown = await c.req.json();
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
      const fields: Fields = {};
      for (const [key, v] of Object.entries(value)) if (typeof v === 'string') fields[key] = v;
      return fields;
    }
    if (/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type)) {
      const body = await c.req.parseBody();
      const fields: Fields = {};
      for (const [key, v] of Object.entries(body)) if (typeof v === 'string') fields[key] = v;
      return fields;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

const field = (fields: Fields, name: string): string => (fields[name] ?? '').slice(0, FIELD_MAX);

function meta(c: Context<Env>, deps: SubscribeDeps): RequestMeta {
  return { ip: clientIp(c, deps.trustProxy), userAgent: c.req.header('user-agent') ?? null };
}

export function registerSubscribeRoutes(app: Hono<Env>, server: ServerDeps, deps: SubscribeDeps, notAllowed: (c: Context<Env>) => Response): void {
  const perIp = new RateLimiterMemory({ keyPrefix: 'ip', points: deps.perIpPerHour, duration: 3_600 });
  const perAddress = new RateLimiterMemory({ keyPrefix: 'address', points: deps.perAddressPerHour, duration: 3_600 });
  const base = { language: server.language, siteTitle: server.siteTitle, siteUrl: server.siteUrl };
  const texts = subscribeTexts(server.language);

  const show = (c: Context<Env>, status: number, kind: SubscribePageKind, extra: { token?: string; nonce?: string; stamp?: string; feeds?: SubscribeDeps['feeds'] } = {}): Response =>
    sendHtml(c, status, renderSubscribePage({ kind, ...base, frequency: deps.frequency, proofOfWork: deps.proofOfWork, honeypot: deps.honeypot, ...extra }), extra.nonce === undefined ? {} : { nonce: extra.nonce });
  /** A page, or for a JSON request `{ok, status}` with the page's text as `message`. */
  const answer = (c: Context<Env>, status: number, kind: SubscribePageKind): Response =>
    wantsJson(c) ? sendJson(c, status, { ok: status < 400, status: kind, message: texts.body[kind].replaceAll('{site}', server.siteTitle) }) : show(c, status, kind);

  route(app, notAllowed, '/subscribe', ['GET', 'HEAD', 'POST'], async (c) => {
    const now = deps.clock();
    if (c.req.method !== 'POST') {
      const nonce = newCspNonce();
      return show(c, 200, 'form', { nonce, stamp: deps.makeStamp(now) });
    }
    const request = meta(c, deps);
    const log = server.logger;
    try {
      await perIp.consume(request.ip ?? 'unknown');
    } catch {
      log.info('signup refused: rate limit per IP');
      return answer(c, 429, 'tooMany');
    }
    const fields = await readFields(c);
    if (fields === undefined) return answer(c, 400, 'badAddress');
    // A bot that fills every field: it is told what a person is told, and nothing happens.
    if (deps.honeypot && field(fields, 'website') !== '') {
      log.info('signup ignored: honeypot filled');
      return answer(c, 200, 'checkInbox');
    }
    let renderedAt: Date | undefined;
    const stamp = field(fields, 'ts');
    if (stamp !== '') {
      const checked = deps.checkStamp(stamp, now);
      if (!checked.ok) {
        log.info({ reason: checked.reason }, 'signup refused: form stamp');
        return answer(c, 400, checked.reason === 'tooFast' ? 'tooFast' : 'staleForm');
      }
      renderedAt = checked.renderedAt;
    }
    if (deps.proofOfWork) {
      const proof = await deps.verifyProof(field(fields, 'altcha'), now);
      if (!proof.ok) {
        log.info({ reason: proof.reason }, 'signup refused: proof of work');
        return answer(c, 400, 'proofFailed');
      }
      // A form embedded in a static page has no render stamp: the challenge's time stands in.
      renderedAt ??= proof.issuedAt;
    }
    if (renderedAt !== undefined) {
      const age = now.getTime() - renderedAt.getTime();
      // A form embedded in the blog fetches its challenge when the address field gets focus, not
      // when the page loads: with autofill a person may be done within a second or two.
      const minimum = stamp === '' ? Math.min(deps.minSubmitMs, EMBEDDED_MIN_MS) : deps.minSubmitMs;
      if (age < minimum) {
        log.info('signup refused: too fast');
        return answer(c, 400, 'tooFast');
      }
      if (age > MAX_FORM_AGE_MS) return answer(c, 400, 'staleForm');
    }
    let email: string;
    try {
      email = normaliseEmail(field(fields, 'email'));
    } catch {
      return answer(c, 400, 'badAddress');
    }
    try {
      await perAddress.consume(email.toLowerCase());
    } catch {
      log.info('signup ignored: rate limit per address');
      return answer(c, 200, 'checkInbox');
    }
    const name = field(fields, 'name');
    deps.signup({ email, name: name === '' ? null : name, sourceUrl: c.req.header('referer') ?? null, request });
    return answer(c, 200, 'checkInbox');
  });

  route(app, notAllowed, '/confirm', ['GET', 'HEAD', 'POST'], async (c) => {
    if (c.req.method !== 'POST') {
      // Never confirms: mail scanners fetch every link. The page posts itself (script) or by its button.
      const token = c.req.query('token') ?? '';
      const state = deps.inspect(token);
      if (state === 'ok') return show(c, 200, 'confirm', { token, nonce: newCspNonce() });
      return confirmAnswer(c, state, token);
    }
    const fields = (await readFields(c)) ?? {};
    const token = c.req.query('token') ?? field(fields, 'token');
    if (field(fields, 'action') === 'resend') {
      deps.resend(token);
      return show(c, 200, 'resent');
    }
    return confirmAnswer(c, deps.confirm(token, meta(c, deps)), token);
  });

  const confirmAnswer = (c: Context<Env>, outcome: ConfirmOutcome, token: string): Response => {
    switch (outcome) {
      case 'confirmed':
      case 'already':
        return show(c, 200, 'confirmed', { feeds: deps.feeds });
      case 'expired':
        return show(c, 410, 'expired', { token });
      case 'invalid':
        return show(c, 400, 'invalid');
    }
  };

  route(app, notAllowed, '/resubscribe', ['POST'], async (c) => {
    const fields = (await readFields(c)) ?? {};
    const token = c.req.query('token') ?? field(fields, 'token');
    const verified = token === '' || token.length > 1024 ? undefined : server.verifyToken(token);
    if (verified === undefined || !verified.ok || !deps.resubscribe(verified.subscriberId)) return show(c, 400, 'resubscribeInvalid');
    server.logger.info({ subscriberId: verified.subscriberId }, 'subscribed again from the unsubscribe page');
    return show(c, 200, 'resubscribed');
  });

  // The widget of a form embedded in the blog fetches this; the blog may be another origin than the daemon.
  const siteOrigin = new URL(server.siteUrl).origin;
  route(app, notAllowed, '/altcha/challenge', ['GET', 'HEAD'], async (c) => {
    const res = sendJson(c, 200, await deps.challenge(deps.clock()));
    res.headers.set('Access-Control-Allow-Origin', siteOrigin);
    res.headers.set('Vary', 'Origin');
    return res;
  });

  route(app, notAllowed, '/altcha.js', ['GET', 'HEAD'], (c) => {
    const body = deps.widgetScript();
    return new Response(c.req.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=86400', 'X-Content-Type-Options': 'nosniff' },
    });
  });
}
