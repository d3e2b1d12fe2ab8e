import type { Config } from '../config/schema.js';
import type { BounceRecord, NewBounce, Store, Subscriber, SubscriberStatus } from '../store/index.js';

/**
 * What a bounce does to its subscriber (listmonk's defaults):
 * - hard: `bounced` at once;
 * - complaint: `complained` at once (also from `unsubscribed` or `bounced`: the strongest record
 *   wins, and a complained address needs a fresh confirmation to come back, see decideSignup);
 * - soft: counted; `bounced` once `softLimit` digests bounced softly within `softWindow` with no
 *   delivery accepted in between;
 * - soft with `senderProblem` (blocklist, policy, SPF/DKIM/DMARC, size): never held against the
 *   recipient: recorded and reported, nothing else;
 * - unmatched (no subscriber known for certain): recorded and reported, nothing else.
 * `bounced` and `complained` are never mailed: the digest only mails `active` addresses.
 */
export interface BounceSettings {
  softLimit: number;
  softWindowMs: number;
  matchWindowMs: number;
}

export function bounceSettings(config: Config): BounceSettings {
  return { softLimit: config.bounces.softLimit, softWindowMs: config.bounces.softWindow, matchWindowMs: config.bounces.matchWindow };
}

export type BounceEffect = BounceRecord['effect'];

/** Pure: the new state (if any) and what to record as the bounce's effect. */
export function decideBounce(
  input: { kind: NewBounce['kind']; senderProblem: boolean; current: SubscriberStatus; softCount: number },
  settings: Pick<BounceSettings, 'softLimit'>,
): { to?: 'bounced' | 'complained'; from?: readonly SubscriberStatus[]; effect: BounceEffect } {
  if (input.kind === 'complaint') {
    const from: readonly SubscriberStatus[] = ['active', 'unsubscribed', 'bounced', 'pending'];
    return from.includes(input.current) ? { to: 'complained', from, effect: 'complained' } : { effect: 'none' };
  }
  if (input.current !== 'active') return { effect: 'none' };
  if (input.kind === 'hard') return { to: 'bounced', from: ['active'], effect: 'bounced' };
  if (input.senderProblem) return { effect: 'none' };
  return input.softCount >= settings.softLimit ? { to: 'bounced', from: ['active'], effect: 'bounced' } : { effect: 'counted' };
}

export interface AppliedBounce {
  /** Already recorded (same fingerprint): nothing done again. */
  duplicate: boolean;
  effect: BounceEffect;
  subscriber?: Subscriber | undefined;
}

/** Records a bounce and applies the rules to its subscriber, in one transaction. */
export function applyBounce(store: Store, event: NewBounce, settings: BounceSettings): AppliedBounce {
  return store.atomically(() => {
    const id = store.recordBounce(event);
    if (id === undefined) return { duplicate: true, effect: 'none' as const };
    const subscriber = event.subscriberId === undefined ? undefined : store.getSubscriber(event.subscriberId);
    if (subscriber === undefined) return { duplicate: false, effect: 'none' as const };
    const softCount = event.kind === 'soft' && !event.senderProblem ? store.softBounceCount(subscriber.id, new Date(event.at.getTime() - settings.softWindowMs)) : 0;
    const decision = decideBounce({ kind: event.kind, senderProblem: event.senderProblem, current: subscriber.status, softCount }, settings);
    if (decision.to !== undefined && decision.from !== undefined) store.setBounceStatus(subscriber.id, decision.to, decision.from, event.at);
    store.setBounceEffect(id, decision.effect);
    return { duplicate: false, effect: decision.effect, subscriber: store.getSubscriber(subscriber.id) };
  });
}

/**
 * `subscribers reactivate EMAIL`: the owner takes a bounced or complained address back (the
 * mailbox exists again, the complaint was a mistake). Undefined for an unknown address; `changed`
 * false when it was in another state (an unsubscribed address comes back only by its own request).
 */
export function reactivate(store: Store, email: string, now: Date): { subscriber: Subscriber; changed: boolean } | undefined {
  return store.atomically(() => {
    const subscriber = store.findSubscriber(email);
    if (subscriber === undefined) return undefined;
    const changed = store.reactivateBounced(subscriber.id, now);
    return { subscriber: store.getSubscriber(subscriber.id) ?? subscriber, changed };
  });
}
