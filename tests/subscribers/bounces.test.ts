import { describe, expect, it } from 'vitest';
import { smtpBounce } from '../../src/bounces/smtp.js';
import { Store, type NewBounce } from '../../src/store/index.js';
import { applyBounce, decideBounce, decideSignup, reactivate, type BounceSettings } from '../../src/subscribers/index.js';
import { testdir } from '../helpers/tmp.js';

const DAY = 86_400_000;
const settings: BounceSettings = { softLimit: 3, softWindowMs: 30 * DAY, matchWindowMs: 30 * DAY };
const t0 = new Date('2026-11-01T09:00:00Z');
const at = (days: number): Date => new Date(t0.getTime() + days * DAY);

function setup(): { store: Store; ids: Record<string, number> } {
  const store = Store.open(testdir());
  const ids: Record<string, number> = {};
  for (const email of ['a@example.org', 'b@example.org', 'c@example.org']) ids[email] = store.addSubscriber(email, null, t0).subscriber.id;
  return { store, ids };
}

/** One digest sent to every active subscriber on `day`; returns its id. */
function sendDigest(store: Store, day: number): number {
  const digest = store.createDigest({ createdAt: at(day), windowStart: at(day - 1), windowEnd: at(day), subject: 's', html: 'h', text: 't', postIds: [`p${day}`] });
  for (const s of store.listSubscribers({ status: 'active' })) {
    store.markSending(digest.id, s.id, at(day));
    store.markSent(digest.id, s.id, `<digest-${digest.id}.${s.id}.x@example.com>`, at(day));
  }
  return digest.id;
}

const bounce = (over: Partial<NewBounce> & Pick<NewBounce, 'kind' | 'fingerprint'>): NewBounce => ({ at: t0, senderProblem: false, source: 'file', ...over });

describe('bounce rules (decideBounce)', () => {
  it('hard and complaint act at once; soft counts; a sender problem never touches the recipient', () => {
    expect(decideBounce({ kind: 'hard', senderProblem: false, current: 'active', softCount: 0 }, settings)).toMatchObject({ to: 'bounced' });
    expect(decideBounce({ kind: 'complaint', senderProblem: false, current: 'active', softCount: 0 }, settings)).toMatchObject({ to: 'complained' });
    expect(decideBounce({ kind: 'complaint', senderProblem: false, current: 'unsubscribed', softCount: 0 }, settings)).toMatchObject({ to: 'complained' });
    expect(decideBounce({ kind: 'soft', senderProblem: false, current: 'active', softCount: 2 }, settings)).toEqual({ effect: 'counted' });
    expect(decideBounce({ kind: 'soft', senderProblem: false, current: 'active', softCount: 3 }, settings)).toMatchObject({ to: 'bounced' });
    expect(decideBounce({ kind: 'soft', senderProblem: true, current: 'active', softCount: 99 }, settings)).toEqual({ effect: 'none' });
    expect(decideBounce({ kind: 'hard', senderProblem: false, current: 'unsubscribed', softCount: 0 }, settings)).toEqual({ effect: 'none' });
  });
});

describe('bounce rules on a real store', () => {
  it('a hard bounce marks the subscriber bounced at once and the next digest leaves it out', () => {
    const { store, ids } = setup();
    const d1 = sendDigest(store, 1);
    const applied = applyBounce(store, bounce({ kind: 'hard', status: '5.1.1', subscriberId: ids['a@example.org'], digestId: d1, matchedBy: 'verp', fingerprint: 'f1', at: at(1) }), settings);
    expect(applied).toMatchObject({ duplicate: false, effect: 'bounced' });
    expect(store.findSubscriber('a@example.org')?.status).toBe('bounced');
    const d2 = store.createDigest({ createdAt: at(2), windowStart: at(1), windowEnd: at(2), subject: 's', html: 'h', text: 't', postIds: ['q'] });
    const pending = [...store.pendingDeliveries(d2.id, 10)].map((p) => p.subscriber.email);
    expect(pending).toEqual(['b@example.org', 'c@example.org']);
    store.close();
  });

  it('the same report twice counts once (fingerprint)', () => {
    const { store, ids } = setup();
    const d1 = sendDigest(store, 1);
    const soft = bounce({ kind: 'soft', status: '4.4.7', subscriberId: ids['b@example.org'], digestId: d1, matchedBy: 'message-id', fingerprint: 'same', at: at(1) });
    expect(applyBounce(store, soft, settings)).toMatchObject({ duplicate: false, effect: 'counted' });
    expect(applyBounce(store, soft, settings)).toMatchObject({ duplicate: true, effect: 'none' });
    expect(store.listBounces()).toHaveLength(1);
    store.close();
  });

  it('soft bounces: bounced at the third digest in a row within the window, not before', () => {
    const { store, ids } = setup();
    const b = ids['b@example.org'] as number;
    for (const [day, want] of [[1, 'counted'], [2, 'counted'], [3, 'bounced']] as const) {
      const d = sendDigest(store, day);
      expect(applyBounce(store, bounce({ kind: 'soft', status: '5.2.2', subscriberId: b, digestId: d, matchedBy: 'verp', fingerprint: `s${day}`, at: at(day) }), settings).effect).toBe(want);
    }
    expect(store.findSubscriber('b@example.org')?.status).toBe('bounced');
    store.close();
  });

  it('several reports on one digest count as one soft bounce', () => {
    const { store, ids } = setup();
    const d = sendDigest(store, 1);
    for (const n of [1, 2, 3, 4]) applyBounce(store, bounce({ kind: 'soft', subscriberId: ids['b@example.org'], digestId: d, matchedBy: 'verp', fingerprint: `r${n}`, at: at(1) }), settings);
    expect(store.findSubscriber('b@example.org')?.status).toBe('active');
    store.close();
  });

  it('a delivery accepted in between starts the count again', () => {
    const { store, ids } = setup();
    const b = ids['b@example.org'] as number;
    const soft = (d: number, day: number): string => applyBounce(store, bounce({ kind: 'soft', subscriberId: b, digestId: d, matchedBy: 'verp', fingerprint: `s${day}`, at: at(day) }), settings).effect;
    expect(soft(sendDigest(store, 1), 1)).toBe('counted');
    expect(soft(sendDigest(store, 2), 2)).toBe('counted');
    sendDigest(store, 3); // no bounce for this one: it went through
    expect(soft(sendDigest(store, 4), 4)).toBe('counted');
    expect(soft(sendDigest(store, 5), 5)).toBe('counted');
    expect(store.findSubscriber('b@example.org')?.status).toBe('active');
    expect(soft(sendDigest(store, 6), 6)).toBe('bounced');
    store.close();
  });

  it('soft bounces older than the window do not count', () => {
    const { store, ids } = setup();
    const b = ids['b@example.org'] as number;
    const soft = (d: number, day: number): string => applyBounce(store, bounce({ kind: 'soft', subscriberId: b, digestId: d, matchedBy: 'verp', fingerprint: `s${day}`, at: at(day) }), settings).effect;
    expect(soft(sendDigest(store, 1), 1)).toBe('counted');
    expect(soft(sendDigest(store, 2), 2)).toBe('counted');
    expect(soft(sendDigest(store, 40), 40)).toBe('counted');
    expect(store.findSubscriber('b@example.org')?.status).toBe('active');
    store.close();
  });

  it('a sender problem (5.7.1 blocklist) is recorded and never removes the recipient, however often', () => {
    const { store, ids } = setup();
    for (const day of [1, 2, 3, 4, 5]) {
      const d = sendDigest(store, day);
      const applied = applyBounce(store, bounce({ kind: 'soft', senderProblem: true, status: '5.7.1', subscriberId: ids['c@example.org'], digestId: d, matchedBy: 'verp', fingerprint: `p${day}`, at: at(day) }), settings);
      expect(applied.effect).toBe('none');
    }
    expect(store.findSubscriber('c@example.org')?.status).toBe('active');
    expect(store.listBounces().every((r) => r.senderProblem)).toBe(true);
    store.close();
  });

  it('an unmatched bounce is recorded and changes nothing', () => {
    const { store } = setup();
    sendDigest(store, 1);
    const applied = applyBounce(store, bounce({ kind: 'hard', recipient: 'a@example.org', fingerprint: 'u1', at: at(1) }), settings);
    expect(applied).toMatchObject({ duplicate: false, effect: 'none' });
    expect(store.listSubscribers().map((s) => s.status)).toEqual(['active', 'active', 'active']);
    expect(store.listBounces()[0]).toMatchObject({ subscriberId: null, matchedBy: null, recipient: 'a@example.org' });
    store.close();
  });

  it('a complaint marks complained; the form never mails it again; reactivate takes it back, and only bounced/complained', () => {
    const { store, ids } = setup();
    const d = sendDigest(store, 1);
    applyBounce(store, bounce({ kind: 'complaint', subscriberId: ids['a@example.org'], digestId: d, matchedBy: 'verp', fingerprint: 'c1', at: at(1) }), settings);
    const complained = store.findSubscriber('a@example.org');
    expect(complained?.status).toBe('complained');
    expect(decideSignup(complained, at(30), 3_600_000)).toBe('none');
    expect(store.listSubscribers({ status: 'complained' }).map((s) => s.email)).toEqual(['a@example.org']);
    expect(reactivate(store, 'A@example.org', at(2))).toMatchObject({ changed: true, subscriber: { status: 'active' } });
    store.removeSubscriber('b@example.org', at(2));
    expect(reactivate(store, 'b@example.org', at(2))).toMatchObject({ changed: false, subscriber: { status: 'unsubscribed' } });
    expect(reactivate(store, 'nobody@example.org', at(2))).toBeUndefined();
    store.close();
  });

  it('a subscriber marked bounced mid-digest loses its pending delivery', () => {
    const { store, ids } = setup();
    const d = store.createDigest({ createdAt: at(1), windowStart: at(0), windowEnd: at(1), subject: 's', html: 'h', text: 't', postIds: ['p'] });
    applyBounce(store, bounce({ kind: 'hard', subscriberId: ids['c@example.org'], fingerprint: 'h', at: at(1) }), settings);
    expect(store.delivery(d.id, ids['c@example.org'] as number)).toMatchObject({ status: 'failed', lastError: 'bounced' });
    store.close();
  });
});

describe('SMTP refusals as bounces (smtpBounce)', () => {
  const base = { digestId: 1, subscriberId: 2, recipient: 'x@example.org', at: t0 };
  it('550 5.1.1 is hard; 550 without a code but "no such user" is hard', () => {
    expect(smtpBounce({ ...base, permanent: true, reply: '550 5.1.1 <x@example.org>: Recipient address rejected: User unknown' })).toMatchObject({ kind: 'hard', status: '5.1.1', source: 'smtp', matchedBy: 'smtp' });
    expect(smtpBounce({ ...base, permanent: true, reply: '550 No such user here' })).toMatchObject({ kind: 'hard', senderProblem: false });
  });
  it('550 5.7.1 (policy) and a blocklist refusal are soft sender problems; 552 5.2.2 full is soft', () => {
    expect(smtpBounce({ ...base, permanent: true, reply: '550 5.7.1 Message rejected due to local policy' })).toMatchObject({ kind: 'soft', senderProblem: true });
    expect(smtpBounce({ ...base, permanent: true, reply: '554 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org' })).toMatchObject({ kind: 'soft', senderProblem: true });
    expect(smtpBounce({ ...base, permanent: true, reply: '552 5.2.2 Mailbox full' })).toMatchObject({ kind: 'soft', senderProblem: false });
  });
  it('a transient failure after the retries is soft', () => {
    expect(smtpBounce({ ...base, permanent: false, reply: '451 4.3.0 Try again later' })).toMatchObject({ kind: 'soft', senderProblem: false });
  });
});
