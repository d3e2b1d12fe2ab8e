/**
 * The public signup over real HTTP: the daemon's server with the real signup service, a real
 * store in a temp folder, the real ALTCHA proof of work (solved here with altcha-lib, as the
 * widget does), and confirmation emails through the SMTP transport to a real SMTP server.
 * Time is a parameter: `clock.now` moves forward by hand.
 */
import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { parseDocument } from 'htmlparser2';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createSignupService } from '../../src/commands/signup.js';
import { createSmtpTransport } from '../../src/delivery/index.js';
import { loadOrCreateSecret, signToken, verifyToken } from '../../src/digest/token.js';
import { silentLogger } from '../../src/log.js';
import { startServer } from '../../src/server/index.js';
import { Store } from '../../src/store/index.js';
import { ipForRecord } from '../../src/subscribers/consent.js';
import { startSmtpServer, type TestSmtpOptions, type TestSmtpServer } from '../helpers/smtp.js';
import { testdir } from '../helpers/tmp.js';

const T0 = Date.parse('2026-11-23T08:00:00Z');
const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface Fixture {
  url: string;
  store: Store;
  smtp: TestSmtpServer;
  clock: { now: number };
  secret: string;
  idle: () => Promise<void>;
}

async function waitFor(probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function setup(options: { config?: string; language?: string; smtp?: TestSmtpOptions; files?: Record<string, string> } = {}): Promise<Fixture> {
  const smtp = await startSmtpServer(options.smtp);
  cleanup.push(() => smtp.close());
  const dir = testdir({
    ...options.files,
    'config/feedletter.yaml': `site:\n  title: 'Notes <&> "Q"'\n  url: https://blog.example.com/\n  language: ${options.language ?? 'en'}\n  timezone: Asia/Tokyo\nsubscribe:\n  proofOfWorkMaxNumber: 1000\n${options.config ?? ''}`,
  });
  const { resolved } = loadConfig({ cwd: dir, env: { FEEDLETTER_SECRET: 'a-secret-for-the-signup-tests-0123456789', SMTP_URL: smtp.url } });
  const store = Store.open(resolved.paths.state);
  cleanup.push(() => store.close());
  const secret = loadOrCreateSecret(resolved.paths.state, resolved.secrets.secret);
  const clock = { now: T0 };
  const transport = createSmtpTransport({ url: smtp.url, maxConnections: 1, rateLimit: 0, timeouts: { connectionMs: 10_000, greetingMs: 10_000, socketMs: 10_000 } });
  cleanup.push(() => transport.close());
  const service = createSignupService({ resolved, store, secret, transport, clock: () => new Date(clock.now), logger: silentLogger() });
  cleanup.push(() => service.mailer.close());
  const server = await startServer(
    {
      language: resolved.config.site.language,
      siteTitle: resolved.config.site.title,
      siteUrl: resolved.config.site.url,
      verifyToken: (token) => verifyToken(secret, token, new Date(clock.now), 730 * 86_400_000),
      unsubscribe: (id) => {
        const s = store.getSubscriber(id);
        if (!s) return undefined;
        store.unsubscribeById(id, new Date(clock.now));
        return { email: s.email };
      },
      health: () => ({}),
      logger: silentLogger(),
      subscribe: service.deps,
    },
    { host: '127.0.0.1', port: 0 },
  );
  cleanup.push(() => server.close());
  return { url: server.url, store, smtp, clock, secret, idle: () => service.mailer.idle() };
}

/** The form page's hidden stamp, read from the HTML. */
async function formStamp(f: Fixture): Promise<string> {
  const html = await (await fetch(`${f.url}subscribe`)).text();
  const stamp = /name="ts" value="([^"]+)"/.exec(html)?.[1];
  expect(stamp).toBeTruthy();
  return stamp!;
}

/** What the widget does: fetch a challenge, solve it, encode the payload. */
async function solvedProof(f: Fixture): Promise<string> {
  const challenge = (await (await fetch(`${f.url}altcha/challenge`)).json()) as Challenge;
  const solution = await solveChallenge({ challenge, deriveKey });
  expect(solution).not.toBeNull();
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}

async function post(f: Fixture, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${f.url}subscribe`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });
}

/** A form as a person sends it: stamp from the page, proof solved, a few seconds of typing. */
async function personSubmits(f: Fixture, email: string, extra: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> {
  const ts = await formStamp(f);
  const altcha = await solvedProof(f);
  f.clock.now += 5_000;
  return post(f, { email, name: '', website: '', ts, altcha, ...extra }, headers);
}

const confirmLink = (text: string | undefined): string => {
  const link = /https:\/\/blog\.example\.com\/newsletter\/confirm\?token=[A-Za-z0-9_.%-]+/.exec(text ?? '')?.[0];
  expect(link).toBeTruthy();
  return link!;
};
const tokenOf = (link: string): string => decodeURIComponent(new URL(link).searchParams.get('token') ?? '');

describe('GET /subscribe', () => {
  it('is an accessible form in the site language with a nonce for the self-hosted widget', async () => {
    const f = await setup();
    const res = await fetch(`${f.url}subscribe`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/^default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'/);
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(csp).not.toMatch(/https?:/);
    const html = await res.text();
    const doc = parseDocument(html);
    expect(html).toContain('<html lang="en">');
    expect(html).toContain('<title>Subscribe to Notes &lt;&amp;&gt; &quot;Q&quot; – ');
    // every visible input has a label
    for (const id of ['fl-email', 'fl-name']) expect(html).toContain(`<label for="${id}">`);
    expect(html).toContain(`<script type="module" src="altcha.js" nonce="${nonce}"></script>`);
    expect(html).toContain('<altcha-widget challenge="altcha/challenge" name="altcha"');
    expect(html).toMatch(/daily at 08:00 \(Asia\/Tokyo\)/);
    expect(doc.children.length).toBeGreaterThan(0);
    // a fresh nonce per page
    const again = (await fetch(`${f.url}subscribe`)).headers.get('content-security-policy');
    expect(again).not.toBe(csp);
    // the widget is served by the daemon itself
    const widget = await fetch(`${f.url}altcha.js`);
    expect(widget.status).toBe(200);
    expect(widget.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await widget.text()).length).toBeGreaterThan(50_000);
  });

  it('speaks Japanese for a Japanese site', async () => {
    const f = await setup({ language: 'ja' });
    const html = await (await fetch(`${f.url}subscribe`)).text();
    expect(html).toContain('<html lang="ja">');
    expect(html).toContain('メールアドレス');
    expect(html).toContain('毎日 08:00（Asia/Tokyo）に届きます');
    expect(html).toContain('language="ja"');
  });
});

describe('signup with double opt-in', () => {
  it('sign up, confirmation email (no name echoed), a scanner GET confirms nobody, the POST confirms, consent recorded', async () => {
    const f = await setup();
    const res = await personSubmits(f, 'Reader@Example.com', { name: 'BUY CHEAP PILLS at spam.example' }, { 'user-agent': 'TestBrowser/1.0', referer: 'https://blog.example.com/about/' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Check your inbox');
    await f.idle();
    const [mail] = await f.smtp.parsed();
    expect(mail?.to).toMatchObject({ value: [{ address: 'Reader@example.com' }] });
    expect(mail?.subject).toBe('Confirm your subscription to Notes <&> "Q"');
    expect(`${mail?.subject}\n${mail?.text}\n${String(mail?.html)}`).not.toMatch(/PILLS|spam\.example/i);
    const link = confirmLink(mail?.text);
    expect(f.store.findSubscriber('reader@example.com')).toMatchObject({ status: 'pending', name: 'BUY CHEAP PILLS at spam.example' });

    // What a link scanner does: GET (and HEAD). The page offers the button and a nonce'd script; nobody is confirmed.
    const local = link.replace('https://blog.example.com/newsletter/', f.url);
    const scan = await fetch(local);
    expect(scan.status).toBe(200);
    const page = await scan.text();
    const nonce = /script-src 'nonce-([^']+)'/.exec(scan.headers.get('content-security-policy') ?? '')?.[1];
    expect(page).toContain(`<script nonce="${nonce}">document.getElementById('confirm').submit();</script>`);
    expect(page).toContain('<button type="submit">Confirm my subscription</button>');
    await fetch(local, { method: 'HEAD' });
    expect(f.store.findSubscriber('reader@example.com')?.status).toBe('pending');

    f.clock.now += 60_000;
    const confirmed = await fetch(local, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Phone/2.0' }, body: new URLSearchParams({ token: tokenOf(link) }).toString() });
    expect(confirmed.status).toBe(200);
    const done = await confirmed.text();
    expect(done).toContain('You are subscribed');
    for (const feed of ['https://blog.example.com/feed.xml', 'https://blog.example.com/atom.xml', 'https://blog.example.com/feed.json']) expect(done).toContain(`href="${feed}"`);
    const subscriber = f.store.findSubscriber('reader@example.com');
    expect(subscriber?.status).toBe('active');
    expect(subscriber?.consent).toMatchObject({
      source: 'form',
      sourceUrl: 'https://blog.example.com/about/',
      signupIp: '127.0.0.1',
      signupUserAgent: 'TestBrowser/1.0',
      confirmedAt: new Date(f.clock.now),
      confirmIp: '127.0.0.1',
      confirmUserAgent: 'Phone/2.0',
    });
    // The same link again: the friendly page, and nothing changes.
    f.clock.now += 60_000;
    const twice = await fetch(local, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(tokenOf(link))}` });
    expect(twice.status).toBe(200);
    expect(f.store.findSubscriber('reader@example.com')?.consent.confirmedAt).toEqual(subscriber?.consent.confirmedAt);
    expect(f.smtp.messages).toHaveLength(1);
  });

  it('forged, altered, other-address and expired links are refused; an expired one offers a new link', async () => {
    const f = await setup();
    await personSubmits(f, 'ann@example.com');
    await personSubmits(f, 'bob@example.com');
    await f.idle();
    const mails = await f.smtp.parsed();
    const ann = tokenOf(confirmLink(mails.find((m) => m.text?.includes('ann@'))?.text));
    const bob = tokenOf(confirmLink(mails.find((m) => m.text?.includes('bob@'))?.text));
    const postConfirm = (token: string, extra: Record<string, string> = {}) =>
      fetch(`${f.url}confirm`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token, ...extra }).toString() });
    for (const bad of [`${ann.split('.')[0]}.${bob.split('.')[1]}`, `${ann}x`, ann.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), 'garbage', '']) {
      const res = await postConfirm(bad);
      expect(res.status, bad).toBe(400);
      expect(await res.text()).toContain('Invalid link');
      expect((await fetch(`${f.url}confirm?token=${encodeURIComponent(bad)}`)).status).toBe(400);
    }
    expect(f.store.findSubscriber('ann@example.com')?.status).toBe('pending');

    f.clock.now += 49 * 3_600_000;
    const expired = await postConfirm(ann);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('<input type="hidden" name="action" value="resend">');
    expect(f.store.findSubscriber('ann@example.com')?.status).toBe('pending');
    const resent = await postConfirm(ann, { action: 'resend' });
    expect(resent.status).toBe(200);
    await f.idle();
    expect(f.smtp.copiesTo('ann@example.com')).toHaveLength(2);
    const fresh = tokenOf(confirmLink((await f.smtp.parsed()).filter((m) => m.text?.includes('ann@')).at(-1)?.text));
    expect((await postConfirm(fresh)).status).toBe(200);
    expect(f.store.findSubscriber('ann@example.com')?.status).toBe('active');
  });

  it('answers byte-identical pages for new, pending, active and unsubscribed addresses', async () => {
    const f = await setup({ config: '  perIpPerHour: 100\n' });
    f.store.addSubscriber('active@example.com', null, new Date(T0));
    f.store.addSubscriber('gone@example.com', null, new Date(T0));
    f.store.removeSubscriber('gone@example.com', new Date(T0));
    await personSubmits(f, 'pending@example.com');
    const bodies: string[] = [];
    const types: (string | null)[] = [];
    for (const email of ['new@example.com', 'pending@example.com', 'active@example.com', 'gone@example.com']) {
      const res = await personSubmits(f, email);
      expect(res.status).toBe(200);
      types.push(`${res.headers.get('content-type')} | ${res.headers.get('content-security-policy')}`);
      bodies.push(await res.text());
    }
    expect(new Set(bodies).size).toBe(1);
    expect(new Set(types).size).toBe(1);
    // and the JSON answer for fetch() is as uniform
    const json: string[] = [];
    for (const email of ['new2@example.com', 'active@example.com']) {
      const ts = await formStamp(f);
      const altcha = await solvedProof(f);
      f.clock.now += 5_000;
      const res = await fetch(`${f.url}subscribe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, ts, altcha }) });
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      json.push(await res.text());
    }
    expect(json[0]).toBe(json[1]);
    expect(JSON.parse(json[0]!)).toMatchObject({ ok: true, status: 'checkInbox' });
    await f.idle();
    // new, new2, pending (first time), gone (comes back): four confirmations; active got none
    expect(f.smtp.copiesTo('active@example.com')).toHaveLength(0);
    expect(f.smtp.copiesTo('gone@example.com')).toHaveLength(1);
    expect(f.smtp.copiesTo('pending@example.com')).toHaveLength(1);
  });
});

describe('the welcome email', () => {
  it('with subscribe.welcome, a confirmed reader gets welcome.mjml rendered, with the feeds and without the name', async () => {
    const f = await setup({ config: '  welcome: true\n' });
    await personSubmits(f, 'new@example.com', { name: 'Spam Name' });
    await f.idle();
    const link = confirmLink((await f.smtp.parsed())[0]?.text);
    expect((await fetch(`${f.url}confirm`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(tokenOf(link))}` })).status).toBe(200);
    await waitFor(() => f.smtp.messages.length >= 2);
    await f.idle();
    const welcome = (await f.smtp.parsed())[1];
    expect(welcome?.subject).toBe('Welcome to Notes <&> "Q"');
    const html = String(welcome?.html);
    expect(html).toContain('href="https://blog.example.com/feed.json"');
    expect(html).toContain('Notes &lt;&amp;&gt; &#34;Q&#34;');
    expect(html).not.toContain('<&>');
    expect(`${welcome?.text}${html}`).not.toContain('Spam Name');
  });

  it('a broken welcome.mjml stops the start with TEMPLATE_INVALID', async () => {
    await expect(setup({ config: '  welcome: true\ndigest:\n  templates: tpl\n', files: { 'tpl/welcome.mjml': '<mjml>{{ nope </mjml>' } })).rejects.toMatchObject({ code: 'TEMPLATE_INVALID' });
  });
});

describe('bots and abuse', () => {
  it('a missing, forged or replayed proof of work, a filled honeypot, a too-fast or forged stamp: no email', async () => {
    const f = await setup({ config: '  perIpPerHour: 100\n' });
    const ts = await formStamp(f);
    f.clock.now += 5_000;
    const noProof = await post(f, { email: 'a@example.com', ts });
    expect(noProof.status).toBe(400);
    expect(await noProof.text()).toContain('automatic check');

    const altcha = await solvedProof(f);
    // The proof is the derived key (the challenge only shows its first half): a guessed one fails.
    const forged = JSON.parse(Buffer.from(altcha, 'base64').toString()) as { solution: { derivedKey: string } };
    forged.solution.derivedKey = `${forged.solution.derivedKey.slice(0, -1)}${forged.solution.derivedKey.endsWith('0') ? '1' : '0'}`;
    expect((await post(f, { email: 'a@example.com', ts, altcha: Buffer.from(JSON.stringify(forged)).toString('base64') })).status).toBe(400);

    expect((await post(f, { email: 'b@example.com', ts, altcha })).status).toBe(200);
    const replay = await post(f, { email: 'c@example.com', ts, altcha });
    expect(replay.status).toBe(400);

    const honey = await post(f, { email: 'd@example.com', ts, altcha: await solvedProof(f), website: 'http://spam.example/' });
    expect(honey.status).toBe(200);

    const fresh = await formStamp(f);
    const fast = await post(f, { email: 'e@example.com', ts: fresh, altcha: await solvedProof(f) });
    expect(fast.status).toBe(400);
    expect(await fast.text()).toContain('very fast');

    const [ms, mac] = fresh.split('.');
    const forgedStamp = await post(f, { email: 'f@example.com', ts: `${Number(ms) - 60_000}.${mac}`, altcha: await solvedProof(f) });
    expect(forgedStamp.status).toBe(400);

    // an embedded form has no stamp: the challenge's own time counts, so an instant answer is refused too
    const instant = await post(f, { email: 'g@example.com', altcha: await solvedProof(f) });
    expect(instant.status).toBe(400);
    f.clock.now += 5_000;

    await f.idle();
    expect(f.smtp.messages.map((m) => m.envelope.to).flat()).toEqual(['b@example.com']);
  });

  it('200 signups for different addresses from one IP send at most the per-IP limit of emails', async () => {
    const f = await setup({ config: '  perIpPerHour: 10\n  minSubmitSeconds: 0\n' });
    const ts = await formStamp(f);
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) {
      const res = await post(f, { email: `user${i}@example.com`, ts, altcha: i < 15 ? await solvedProof(f) : '' });
      statuses.push(res.status);
    }
    await f.idle();
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(190);
    expect(f.smtp.messages).toHaveLength(10);
    // another client (behind the local proxy) is not affected
    const other = await personSubmits(f, 'other@example.com', {}, { 'x-forwarded-for': '198.51.100.23' });
    expect(other.status).toBe(200);
  });

  it('the client IP comes from the last X-Forwarded-For entry of a local proxy, never from one the client wrote, and not at all with trustProxy none', async () => {
    const f = await setup({ config: '  perIpPerHour: 1\n' });
    // the client's own claims come first; our proxy appends the address it saw
    expect((await personSubmits(f, 'a@example.com', {}, { 'x-forwarded-for': '10.9.9.9, 198.51.100.7' })).status).toBe(200);
    expect((await personSubmits(f, 'b@example.com', {}, { 'x-forwarded-for': '10.9.9.8, 198.51.100.7' })).status).toBe(429);
    expect(f.store.findSubscriber('a@example.com')?.consent.signupIp).toBe('198.51.100.7');
    // garbage is not an address: the peer is used
    expect((await personSubmits(f, 'c@example.com', {}, { 'x-forwarded-for': 'not-an-ip' })).status).toBe(200);
    expect(f.store.findSubscriber('c@example.com')?.consent.signupIp).toBe('127.0.0.1');

    const g = await setup({ config: '  trustProxy: none\n  storeIp: hash\n' });
    await personSubmits(g, 'd@example.com', {}, { 'x-forwarded-for': '198.51.100.7' });
    const stored = g.store.findSubscriber('d@example.com')?.consent.signupIp;
    expect(stored).toMatch(/^hmac:/);
    expect(stored).toBe(ipForRecord('127.0.0.1', 'hash', g.secret));
  });

  it('one address posted 20 times from 20 IPs gets one email', async () => {
    const f = await setup();
    for (let i = 0; i < 20; i++) {
      const res = await personSubmits(f, 'victim@example.com', {}, { 'x-forwarded-for': `203.0.113.${i + 1}` });
      expect(res.status).toBe(200);
    }
    await f.idle();
    expect(f.smtp.copiesTo('victim@example.com')).toHaveLength(1);
  });

  it('header injection and oversized values are refused or neutralised', async () => {
    const f = await setup({ config: '  perIpPerHour: 100\n' });
    for (const email of ['a@example.com\r\nBcc: victim@example.org', 'a@example.com\nSubject: hi', '<a@example.com>', '"a"@example.com', 'a@example.com, b@example.com', `${'a'.repeat(300)}@example.com`]) {
      const res = await personSubmits(f, email);
      expect(res.status, JSON.stringify(email)).toBe(400);
      expect(await res.text()).toContain('does not look like an email address');
    }
    const ok = await personSubmits(f, 'name@example.com', { name: 'X\r\nBcc: victim@example.org\r\n<script>alert(1)</script>"' });
    expect(ok.status).toBe(200);
    const huge = await post(f, { email: 'big@example.com', name: 'n'.repeat(20_000) });
    expect(huge.status).toBe(413);
    await f.idle();
    expect(f.smtp.messages).toHaveLength(1);
    expect(f.smtp.messages[0]?.envelope.to).toEqual(['name@example.com']);
    const raw = f.smtp.messages[0]?.raw.toString('utf8') ?? '';
    expect(raw).not.toMatch(/victim|<script>/);
    expect(f.store.findSubscriber('name@example.com')?.name).toBe('X Bcc: victim@example.org <script>alert(1)</script>"');
  });

  it('an internationalised domain signs up and gets its confirmation', async () => {
    const f = await setup();
    expect((await personSubmits(f, 'reader@Bücher.example')).status).toBe(200);
    await f.idle();
    expect(f.store.findSubscriber('reader@bücher.example')?.status).toBe('pending');
    const [message] = f.smtp.messages;
    // the domain goes out as punycode (RFC 5891), which servers without SMTPUTF8 accept too
    // (smtp-server shows the envelope decoded; the header is as sent)
    expect(message?.envelope.to[0]).toBe('reader@bücher.example');
    expect(message?.raw.toString('latin1')).toMatch(/^To: reader@xn--bcher-kva\.example\r$/m);
    expect((await f.smtp.parsed())[0]?.text).toContain('reader@bücher.example');
  });

  it('a confirmation the SMTP server refused does not hold the address for resendAfter', async () => {
    const f = await setup({ smtp: { onRcptTo: ({ attempt }) => (attempt === 1 ? 550 : undefined) } });
    await personSubmits(f, 'retry@example.com');
    await f.idle();
    expect(f.smtp.messages).toHaveLength(0);
    expect(f.store.findSubscriber('retry@example.com')?.confirmSentAt).toBeNull();
    await personSubmits(f, 'retry@example.com');
    await f.idle();
    expect(f.smtp.copiesTo('retry@example.com')).toHaveLength(1);
    // and once one went out, the slot holds again
    await personSubmits(f, 'retry@example.com');
    await f.idle();
    expect(f.smtp.copiesTo('retry@example.com')).toHaveLength(1);
  });

  it('a slow SMTP server does not slow the page', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const f = await setup({ smtp: { onData: async () => held.then(() => undefined) } });
    const res = await personSubmits(f, 'slow@example.com');
    // The page is answered while the server still holds the message.
    expect(res.status).toBe(200);
    expect(f.smtp.messages).toHaveLength(0);
    release();
    await f.idle();
    expect(f.smtp.messages).toHaveLength(1);
  });
});

describe('the unsubscribe page', () => {
  it('offers "subscribe me again" with the same token, which brings the subscriber back', async () => {
    const f = await setup();
    const { subscriber } = f.store.addSubscriber('leaver@example.com', null, new Date(T0));
    const token = signToken(f.secret, subscriber.id, new Date(T0));
    const done = await fetch(`${f.url}unsubscribe?token=${encodeURIComponent(token)}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(done.status).toBe(200);
    const html = await done.text();
    expect(html).toContain('<form method="post" action="resubscribe">');
    expect(html).toContain(`name="token" value="${token}"`);
    expect(f.store.getSubscriber(subscriber.id)?.status).toBe('unsubscribed');
    // a GET does nothing; a forged token does nothing
    expect((await fetch(`${f.url}resubscribe?token=${encodeURIComponent(token)}`)).status).toBe(405);
    const forged = await fetch(`${f.url}resubscribe`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(token)}x` });
    expect(forged.status).toBe(400);
    expect(f.store.getSubscriber(subscriber.id)?.status).toBe('unsubscribed');
    const again = await fetch(`${f.url}resubscribe`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${encodeURIComponent(token)}` });
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('You are subscribed again');
    expect(f.store.getSubscriber(subscriber.id)?.status).toBe('active');
  });
});
