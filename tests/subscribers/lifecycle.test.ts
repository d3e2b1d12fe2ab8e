import { describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { confirm, decideSignup, inspectConfirmation, prune, resendFromToken, signup, type LifecycleSettings } from '../../src/subscribers/lifecycle.js';
import { checkConfirmToken, newNonce, parseConfirmToken, signConfirmToken } from '../../src/subscribers/token.js';
import { ipForRecord, sourceUrlForRecord, userAgentForRecord } from '../../src/subscribers/consent.js';
import { testdir } from '../helpers/tmp.js';

const SECRET = 'a-test-secret-of-enough-length-0123456789';
const T0 = new Date('2026-11-01T10:00:00Z');
const H = 3_600_000;
const SETTINGS: LifecycleSettings = { resendAfterMs: H, confirmTtlMs: 48 * H, pendingTtlMs: 7 * 24 * H };
const at = (ms: number): Date => new Date(T0.getTime() + ms);
const req = { ip: '203.0.113.7', userAgent: 'Test/1.0' };

function openStore(): Store {
  return Store.open(testdir());
}

function formSignup(store: Store, email: string, now = T0, name: string | null = null) {
  return signup(store, SECRET, { email, name, source: 'form', sourceUrl: 'https://blog.example.com/about/', request: req, now }, SETTINGS);
}

describe('decideSignup', () => {
  it('follows the lifecycle table', () => {
    expect(decideSignup(undefined, T0, H)).toBe('create');
    expect(decideSignup({ status: 'pending', confirmSentAt: at(-H + 1) }, T0, H)).toBe('throttled');
    expect(decideSignup({ status: 'pending', confirmSentAt: at(-H) }, T0, H)).toBe('resend');
    expect(decideSignup({ status: 'active', confirmSentAt: null }, T0, H)).toBe('none');
    expect(decideSignup({ status: 'unsubscribed', confirmSentAt: null }, T0, H)).toBe('reopen');
    expect(decideSignup({ status: 'unsubscribed', confirmSentAt: at(-60_000) }, T0, H)).toBe('throttled');
    expect(decideSignup({ status: 'bounced', confirmSentAt: null }, T0, H)).toBe('none');
    expect(decideSignup({ status: 'complained', confirmSentAt: null }, T0, H)).toBe('none');
  });
});

describe('confirmation tokens', () => {
  const token = (overrides: Partial<{ subscriberId: number; email: string; nonce: string; issuedAt: Date }> = {}, secret = SECRET) =>
    signConfirmToken(secret, { subscriberId: 7, email: 'ann@example.com', nonce: 'n'.repeat(22), issuedAt: T0, ...overrides });
  const check = (t: string, email = 'ann@example.com', nonce: string | null = 'n'.repeat(22), now = T0) => {
    const parsed = parseConfirmToken(t);
    return parsed === undefined ? 'malformed' : checkConfirmToken(SECRET, parsed, { email, nonce }, now, SETTINGS.confirmTtlMs);
  };

  it('accepts its own token, for its address whatever the case, until it expires', () => {
    expect(check(token())).toBe('ok');
    expect(check(token(), 'ANN@example.com')).toBe('ok');
    expect(check(token(), undefined, undefined, at(48 * H))).toBe('ok');
    expect(check(token(), undefined, undefined, at(48 * H + 1000))).toBe('expired');
  });

  it('refuses another address, another secret, an altered payload or signature, a future date, a used nonce', () => {
    expect(check(token(), 'bob@example.com')).toBe('forged');
    expect(check(token({}, 'another-secret'))).toBe('forged');
    const [payload = '', signature = ''] = token().split('.');
    const other = token({ subscriberId: 8 });
    expect(check(`${other.split('.')[0]}.${signature}`)).toBe('forged');
    expect(check(`${payload}.${signature.slice(0, -2)}AA`)).toBe('forged');
    expect(check(token({ issuedAt: at(2 * 24 * H) }))).toBe('forged');
    expect(check(token(), undefined, null)).toBe('used');
    expect(check(token(), undefined, 'm'.repeat(22))).toBe('used');
  });

  it('refuses what is not shaped like a token', () => {
    for (const bad of ['', 'x', 'a.b.c', `${'A'.repeat(300)}.x`, 'abc.def', '%00.%00', `${Buffer.from('7.1.short').toString('base64url')}.AAAA`]) {
      expect(parseConfirmToken(bad)).toBeUndefined();
    }
    // a non-canonical spelling of the payload (base64url with padding) is refused too
    const [payload = '', signature = ''] = token().split('.');
    expect(parseConfirmToken(`${payload}=.${signature}`)).toBeUndefined();
  });

  it('accepts only the canonical spelling: every other last character that decodes alike is refused', () => {
    const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // Many tokens, so that payloads of every length modulo 3 are among them.
    for (let id = 1; id <= 30; id++) {
      const good = token({ subscriberId: id, nonce: newNonce() });
      expect(check(good, undefined, parseConfirmToken(good)?.nonce)).toBe('ok');
      const [payload = '', signature = ''] = good.split('.');
      let variants = 0;
      for (const [part, other, place] of [[signature, payload, 'signature'], [payload, signature, 'payload']] as const) {
        const bytes = Buffer.from(part, 'base64url');
        for (const c of B64) {
          const spelled = `${part.slice(0, -1)}${c}`;
          if (spelled === part || !Buffer.from(spelled, 'base64url').equals(bytes)) continue;
          variants++;
          const altered = place === 'signature' ? `${other}.${spelled}` : `${spelled}.${other}`;
          expect(parseConfirmToken(altered), `${place} spelled ${spelled}`).toBeUndefined();
        }
      }
      // 32 signature bytes leave 2 unused bits: 3 other spellings at least.
      expect(variants).toBeGreaterThanOrEqual(3);
    }
  });

  it('makes unguessable nonces', () => {
    const nonces = new Set(Array.from({ length: 1000 }, newNonce));
    expect(nonces.size).toBe(1000);
    for (const nonce of nonces) expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('signup and confirmation', () => {
  it('a new address becomes pending with its consent record, and confirms once', () => {
    const store = openStore();
    const first = formSignup(store, ' Ann@Example.COM ', T0, 'Ann');
    expect(first.action).toBe('create');
    expect(first.send?.email).toBe('Ann@example.com');
    const pending = store.findSubscriber('ann@example.com')!;
    expect(pending).toMatchObject({ status: 'pending', name: 'Ann', confirmSentAt: T0, statusAt: T0 });
    expect(pending.consent).toMatchObject({ source: 'form', sourceUrl: 'https://blog.example.com/about/', signupIp: '203.0.113.7', signupUserAgent: 'Test/1.0', confirmedAt: null });
    // pending addresses get no digest
    const digest = store.createDigest({ createdAt: T0, windowStart: T0, windowEnd: T0, subject: 's', html: 'h', text: 't', postIds: [] });
    expect(store.deliveryCounts(digest.id).pending).toBe(0);

    const confirmRequest = { ip: '198.51.100.2', userAgent: 'Phone/2.0' };
    expect(confirm(store, SECRET, first.send!.token, confirmRequest, at(60_000), SETTINGS).outcome).toBe('confirmed');
    const active = store.findSubscriber('ann@example.com')!;
    expect(active.status).toBe('active');
    expect(active.consent).toMatchObject({ confirmedAt: at(60_000), confirmIp: '198.51.100.2', confirmUserAgent: 'Phone/2.0', signupIp: '203.0.113.7' });
    // the same link again: the same friendly answer, nothing changes
    expect(confirm(store, SECRET, first.send!.token, req, at(120_000), SETTINGS).outcome).toBe('already');
    expect(store.findSubscriber('ann@example.com')?.consent.confirmedAt).toEqual(at(60_000));
    // an active address asking again gets nothing
    expect(formSignup(store, 'ann@example.com', at(10 * H))).toEqual({ action: 'none', send: undefined });
    store.close();
  });

  it('one address submitted 20 times gets one confirmation per resendAfter, with a link that still works', () => {
    const store = openStore();
    const results = Array.from({ length: 20 }, (_, i) => formSignup(store, 'bob@example.com', at(i * 60_000)));
    expect(results.filter((r) => r.send !== undefined)).toHaveLength(1);
    const again = formSignup(store, 'bob@example.com', at(H + 1));
    expect(again.action).toBe('resend');
    // both links confirm (same nonce); the first one used makes the other "already"
    expect(confirm(store, SECRET, results[0]!.send!.token, req, at(H + 2), SETTINGS).outcome).toBe('confirmed');
    expect(confirm(store, SECRET, again.send!.token, req, at(H + 3), SETTINGS).outcome).toBe('already');
    store.close();
  });

  it('refuses forged, altered, other-address and expired links; an expired one can ask for a new link', () => {
    const store = openStore();
    const ann = formSignup(store, 'ann@example.com').send!;
    const bob = formSignup(store, 'bob@example.com').send!;
    const [annPayload = ''] = ann.token.split('.');
    const [, bobSignature = ''] = bob.token.split('.');
    expect(confirm(store, SECRET, `${annPayload}.${bobSignature}`, req, T0, SETTINGS).outcome).toBe('invalid');
    expect(confirm(store, 'wrong-secret', ann.token, req, T0, SETTINGS).outcome).toBe('invalid');
    expect(confirm(store, SECRET, 'garbage', req, T0, SETTINGS).outcome).toBe('invalid');
    expect(confirm(store, SECRET, ann.token, req, at(49 * H), SETTINGS).outcome).toBe('expired');
    expect(store.findSubscriber('ann@example.com')?.status).toBe('pending');

    expect(resendFromToken(store, SECRET, `${annPayload}.${bobSignature}`, at(49 * H), SETTINGS)).toBeUndefined();
    const fresh = resendFromToken(store, SECRET, ann.token, at(49 * H), SETTINGS);
    expect(fresh?.email).toBe('ann@example.com');
    // resendAfter holds for this path too
    expect(resendFromToken(store, SECRET, ann.token, at(49 * H + 1000), SETTINGS)).toBeUndefined();
    expect(confirm(store, SECRET, fresh!.token, req, at(50 * H), SETTINGS).outcome).toBe('confirmed');
    store.close();
  });

  it('someone who unsubscribed can come back, and the old link cannot re-subscribe them', () => {
    const store = openStore();
    const first = formSignup(store, 'carol@example.com').send!;
    expect(confirm(store, SECRET, first.token, req, at(1000), SETTINGS).outcome).toBe('confirmed');
    const id = store.findSubscriber('carol@example.com')!.id;
    store.unsubscribeById(id, at(2 * H));
    // the old confirmation link, clicked after leaving, does not bring them back
    expect(confirm(store, SECRET, first.token, req, at(3 * H), SETTINGS).outcome).toBe('invalid');
    expect(store.getSubscriber(id)?.status).toBe('unsubscribed');
    const back = formSignup(store, 'carol@example.com', at(3 * H));
    expect(back.action).toBe('reopen');
    expect(store.getSubscriber(id)?.status).toBe('pending');
    expect(confirm(store, SECRET, back.send!.token, req, at(3 * H + 1), SETTINGS).outcome).toBe('confirmed');
    expect(store.getSubscriber(id)?.status).toBe('active');
    store.close();
  });

  it('prune forgets addresses that never confirmed, and returns former subscribers to unsubscribed', () => {
    const store = openStore();
    formSignup(store, 'never@example.com');
    const dana = formSignup(store, 'dana@example.com').send!;
    confirm(store, SECRET, dana.token, req, at(1000), SETTINGS);
    store.createDigest({ createdAt: at(H), windowStart: T0, windowEnd: at(H), subject: 's', html: 'h', text: 't', postIds: ['p'] });
    store.unsubscribeById(dana.subscriberId, at(2 * H));
    formSignup(store, 'dana@example.com', at(3 * H));
    formSignup(store, 'recent@example.com', at(7 * 24 * H));
    expect(prune(store, at(7 * 24 * H + 4 * H), SETTINGS)).toEqual({ deleted: 1, reverted: 1 });
    expect(store.findSubscriber('never@example.com')).toBeUndefined();
    expect(store.findSubscriber('dana@example.com')?.status).toBe('unsubscribed');
    expect(store.findSubscriber('recent@example.com')?.status).toBe('pending');
    store.close();
  });

  it('inspecting a link (what a GET does) says what confirming would do and changes nothing', () => {
    const store = openStore();
    const { token } = formSignup(store, 'ivy@example.com').send!;
    for (let i = 0; i < 3; i++) expect(inspectConfirmation(store, SECRET, token, at(1000), SETTINGS)).toBe('ok');
    expect(store.findSubscriber('ivy@example.com')?.status).toBe('pending');
    expect(inspectConfirmation(store, SECRET, token, at(49 * H), SETTINGS)).toBe('expired');
    expect(inspectConfirmation(store, SECRET, `${token}x`, at(1000), SETTINGS)).toBe('invalid');
    expect(inspectConfirmation(store, 'other-secret', token, at(1000), SETTINGS)).toBe('invalid');
    expect(confirm(store, SECRET, token, req, at(2000), SETTINGS).outcome).toBe('confirmed');
    expect(inspectConfirmation(store, SECRET, token, at(3000), SETTINGS)).toBe('already');
    store.close();
  });

  it('refuses addresses that could break a header, and cleans the name', () => {
    const store = openStore();
    for (const bad of ['a@example.com\r\nBcc: victim@example.org', 'a@example.com>, <b@example.org', '"x"@example.com', `${'a'.repeat(65)}@example.com`, `a@${'b'.repeat(250)}.com`, 'no-at-sign', 'a@b@example.com']) {
      expect(() => formSignup(store, bad), bad).toThrow(/not a usable email address/);
    }
    formSignup(store, 'name@example.com', T0, 'Buy\r\nBcc: x@y.z  cheap\u2028pills'.repeat(10));
    const name = store.findSubscriber('name@example.com')?.name ?? '';
    expect(name).not.toMatch(/[\r\n\u2028]/);
    expect(name.length).toBeLessThanOrEqual(100);
    formSignup(store, 'term@example.com', T0, 'A\u001b[31mred\u009b2J\u202eevil');
    expect(store.findSubscriber('term@example.com')?.name).toBe('A [31mred 2J evil');
    store.close();
  });
});

describe('consent record helpers', () => {
  it('stores the IP as configured', () => {
    expect(ipForRecord('203.0.113.7', 'full', SECRET)).toBe('203.0.113.7');
    expect(ipForRecord('203.0.113.7', 'none', SECRET)).toBeNull();
    const hashed = ipForRecord('203.0.113.7', 'hash', SECRET);
    expect(hashed).toMatch(/^hmac:[A-Za-z0-9_-]{22}$/);
    expect(hashed).not.toContain('203');
    expect(ipForRecord('203.0.113.7', 'hash', SECRET)).toBe(hashed);
    expect(ipForRecord('203.0.113.8', 'hash', SECRET)).not.toBe(hashed);
    expect(ipForRecord('203.0.113.7', 'hash', 'other-secret')).not.toBe(hashed);
  });

  it('keeps user agents and page URLs short and clean', () => {
    expect(userAgentForRecord('A\r\nB')).toBe('A B');
    expect(userAgentForRecord('x'.repeat(1000))).toHaveLength(256);
    expect(sourceUrlForRecord('javascript:alert(1)')).toBeNull();
    expect(sourceUrlForRecord('https://user:pw@blog.example.com/p')).toBe('https://blog.example.com/p');
    expect(sourceUrlForRecord(`https://blog.example.com/${'x'.repeat(600)}`)).toBeNull();
  });
});
