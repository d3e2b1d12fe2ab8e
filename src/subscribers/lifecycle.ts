import { normaliseEmail } from '../store/email.js';
import type { ConsentSource, RequestInfo, Store, Subscriber, SubscriberStatus } from '../store/index.js';
import { checkConfirmToken, newNonce, parseConfirmToken, signConfirmToken } from './token.js';

/**
 * The subscriber lifecycle as rules:
 *
 *   (new) ──signup──► pending ──confirm──► active ──unsubscribe──► unsubscribed ──signup──► pending …
 *                        └──pendingTtl──► (deleted, or back to unsubscribed if it was a subscriber before)
 *
 * `bounced` and `complained` (the bounce handling to come) are final here: a signup never mails them.
 * The decisions are pure (`decideSignup`); the operations run them inside one store transaction so
 * that twenty simultaneous submissions of one address send one confirmation.
 */

export interface LifecycleSettings {
  /** At most one confirmation email per address per this long. */
  resendAfterMs: number;
  /** A confirmation link works this long. */
  confirmTtlMs: number;
  /** A pending address that never confirms is forgotten after this long. */
  pendingTtlMs: number;
}

/**
 * - `create`: a new address: pending, send a confirmation;
 * - `resend`: pending, the last confirmation is older than resendAfter: send it again (same nonce, fresh link);
 * - `reopen`: unsubscribed, asks to come back: pending with a new nonce, send a confirmation;
 * - `throttled`: a confirmation went out less than resendAfter ago: nothing;
 * - `none`: active (already subscribed), or bounced/complained (never mailed again): nothing.
 */
export type SignupAction = 'create' | 'resend' | 'reopen' | 'throttled' | 'none';

export function decideSignup(current: { status: SubscriberStatus; confirmSentAt: Date | null } | undefined, now: Date, resendAfterMs: number): SignupAction {
  if (current === undefined) return 'create';
  const recentlySent = current.confirmSentAt !== null && now.getTime() - current.confirmSentAt.getTime() < resendAfterMs;
  switch (current.status) {
    case 'pending':
      return recentlySent ? 'throttled' : 'resend';
    case 'unsubscribed':
      return recentlySent ? 'throttled' : 'reopen';
    case 'active':
    case 'bounced':
    case 'complained':
      return 'none';
  }
}

export interface SignupRequest {
  /** As typed; validated and normalised here (throws INPUT_INVALID). */
  email: string;
  /** Optional display name; never echoed in any email. */
  name: string | null;
  source: Extract<ConsentSource, 'form' | 'cli'>;
  sourceUrl: string | null;
  request: RequestInfo;
  now: Date;
}

/** A confirmation email to send: who, and the link's token. */
export interface ConfirmationToSend {
  subscriberId: number;
  email: string;
  token: string;
  /** The time recorded as `confirm_sent_at` for this email. */
  sentAt: Date;
}

/**
 * Records a signup and says whether a confirmation is to be sent. The send slot is taken in the
 * same transaction (`confirm_sent_at`), so resendAfter holds however many requests race.
 */
export function signup(store: Store, secret: string, input: SignupRequest, settings: LifecycleSettings): { action: SignupAction; send: ConfirmationToSend | undefined } {
  const email = normaliseEmail(input.email);
  const name = input.name === null ? null : cleanName(input.name);
  return store.atomically(() => {
    const current = store.findSubscriber(email);
    const action = decideSignup(current, input.now, settings.resendAfterMs);
    let subscriber: Subscriber | undefined = current;
    let nonce: string | null = null;
    switch (action) {
      case 'create':
        nonce = newNonce();
        subscriber = store.insertPending({ email, name, source: input.source, sourceUrl: input.sourceUrl, request: input.request, nonce, now: input.now });
        break;
      case 'reopen':
        nonce = newNonce();
        store.reopenPending(current?.id ?? -1, { name, source: input.source, sourceUrl: input.sourceUrl, request: input.request, nonce, now: input.now });
        break;
      case 'resend':
        nonce = store.confirmNonce(current?.id ?? -1) ?? newNonce();
        break;
      case 'throttled':
      case 'none':
        return { action, send: undefined };
    }
    if (subscriber === undefined || nonce === null) throw new Error(`signup: no subscriber after ${action}`);
    store.markConfirmationSent(subscriber.id, input.now);
    const token = signConfirmToken(secret, { subscriberId: subscriber.id, email: subscriber.email, nonce, issuedAt: input.now });
    return { action, send: { subscriberId: subscriber.id, email: subscriber.email, token, sentAt: input.now } };
  });
}

/**
 * - `confirmed`: pending → active now;
 * - `already`: the link is genuine and the address is active (a second click, a used link):
 *   the person sees the same "you are subscribed" page, never an error;
 * - `expired`: genuine but too old, the address still pending: offer a new link;
 * - `invalid`: not ours, altered, for another address, replaced by a newer signup, or the
 *   pending address was pruned.
 */
export type ConfirmOutcome = 'confirmed' | 'already' | 'expired' | 'invalid';

export function confirm(store: Store, secret: string, token: string, request: RequestInfo, now: Date, settings: LifecycleSettings): { outcome: ConfirmOutcome; subscriber?: Subscriber } {
  const parsed = parseConfirmToken(token);
  if (parsed === undefined) return { outcome: 'invalid' };
  return store.atomically(() => {
    const subscriber = store.getSubscriber(parsed.subscriberId);
    if (subscriber === undefined) return { outcome: 'invalid' as const };
    const check = checkConfirmToken(secret, parsed, { email: subscriber.email, nonce: store.confirmNonce(subscriber.id) }, now, settings.confirmTtlMs);
    if (check === 'forged') return { outcome: 'invalid' as const };
    if (subscriber.status === 'active') return { outcome: 'already' as const, subscriber };
    if (check === 'expired') return { outcome: subscriber.status === 'pending' ? ('expired' as const) : ('invalid' as const) };
    if (check === 'used' || subscriber.status !== 'pending') return { outcome: 'invalid' as const };
    const activated = store.activatePending(subscriber.id, parsed.nonce, request, now);
    const after = store.getSubscriber(subscriber.id);
    return activated ? { outcome: 'confirmed' as const, ...(after ? { subscriber: after } : {}) } : { outcome: 'invalid' as const };
  });
}

/**
 * What `confirm` would answer now, changing nothing: for the page a GET of the link shows. `ok`
 * means the link would confirm a pending address.
 */
export function inspectConfirmation(store: Store, secret: string, token: string, now: Date, settings: LifecycleSettings): ConfirmOutcome | 'ok' {
  const parsed = parseConfirmToken(token);
  if (parsed === undefined) return 'invalid';
  const subscriber = store.getSubscriber(parsed.subscriberId);
  if (subscriber === undefined) return 'invalid';
  const check = checkConfirmToken(secret, parsed, { email: subscriber.email, nonce: store.confirmNonce(subscriber.id) }, now, settings.confirmTtlMs);
  if (check === 'forged') return 'invalid';
  if (subscriber.status === 'active') return 'already';
  if (check === 'expired') return subscriber.status === 'pending' ? 'expired' : 'invalid';
  return check === 'ok' && subscriber.status === 'pending' ? 'ok' : 'invalid';
}

/**
 * "Send me a new link" from the page of an expired one: the token must be genuine (its age does
 * not matter) and the address still pending; resendAfter applies as for any signup.
 */
export function resendFromToken(store: Store, secret: string, token: string, now: Date, settings: LifecycleSettings): ConfirmationToSend | undefined {
  const parsed = parseConfirmToken(token);
  if (parsed === undefined) return undefined;
  return store.atomically(() => {
    const subscriber = store.getSubscriber(parsed.subscriberId);
    if (subscriber?.status !== 'pending') return undefined;
    const nonce = store.confirmNonce(subscriber.id);
    const check = checkConfirmToken(secret, parsed, { email: subscriber.email, nonce }, now, Number.POSITIVE_INFINITY);
    if (check !== 'ok' || nonce === null) return undefined;
    if (decideSignup(subscriber, now, settings.resendAfterMs) !== 'resend') return undefined;
    store.markConfirmationSent(subscriber.id, now);
    return { subscriberId: subscriber.id, email: subscriber.email, sentAt: now, token: signConfirmToken(secret, { subscriberId: subscriber.id, email: subscriber.email, nonce, issuedAt: now }) };
  });
}

/** Forgets the pending addresses that did not confirm within pendingTtl (see Store.prunePending). */
export function prune(store: Store, now: Date, settings: Pick<LifecycleSettings, 'pendingTtlMs'>): { deleted: number; reverted: number } {
  return store.prunePending(new Date(now.getTime() - settings.pendingTtlMs), now);
}

/**
 * A display name as stored: control characters out (C0 with CR/LF above all, DEL, C1 such as the
 * one-byte CSI a terminal may obey when `subscribers list` prints it, line and paragraph
 * separators, bidi overrides that would make a listing lie), spaces collapsed, at most 100
 * characters; empty is none.
 */
export function cleanName(name: string): string | null {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const clean = name.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 100);
  return clean === '' ? null : clean;
}
