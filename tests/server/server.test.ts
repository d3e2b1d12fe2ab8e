import { createHmac, timingSafeEqual } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Parser } from 'htmlparser2';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { startServer, type ServerDeps } from '../../src/server/server.js';

// Tokens as the digest stage makes them, reduced to what the server needs to trust:
// "<subscriberId>.<issuedAt seconds>.<base64url HMAC-SHA256 of both>".
const SECRET = 'test-secret';
const NOW = Date.parse('2026-11-23T08:00:00Z');
const MAX_AGE_MS = 730 * 86_400_000;

function sign(id: number, issuedAt = NOW, secret = SECRET): string {
  const payload = `${id}.${Math.floor(issuedAt / 1000)}`;
  return `${payload}.${createHmac('sha256', secret).update(payload).digest('base64url')}`;
}

function verifyToken(token: string): ReturnType<ServerDeps['verifyToken']> {
  const match = /^(\d+)\.(\d+)\.([A-Za-z0-9_-]+)$/.exec(token);
  if (!match) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', SECRET).update(`${match[1]}.${match[2]}`).digest();
  const given = Buffer.from(match[3]!, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'forged' };
  if (NOW - Number(match[2]) * 1000 > MAX_AGE_MS) return { ok: false, reason: 'expired' };
  return { ok: true, subscriberId: Number(match[1]) };
}

interface Fixture {
  url: string;
  active: Map<number, string>;
  unsubscribed: number[];
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function serve(overrides: Partial<ServerDeps> = {}): Promise<Fixture> {
  const active = new Map<number, string>([
    [1, 'ann@example.com'],
    [2, 'bob@example.com'],
  ]);
  const unsubscribed: number[] = [];
  const server = await startServer(
    {
      language: 'en',
      siteTitle: 'Notes <&> "Quotes"',
      siteUrl: 'https://blog.example.com/',
      verifyToken,
      unsubscribe: (id) => {
        unsubscribed.push(id);
        const email = active.get(id);
        active.delete(id);
        return email === undefined ? undefined : { email };
      },
      health: () => ({ digest: { lastRun: '2026-11-23T08:00:00.000Z', ok: true } }),
      logger: silentLogger(),
      ...overrides,
    },
    { host: '127.0.0.1', port: 0 },
  );
  closers.push(() => server.close());
  expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  return { url: server.url, active, unsubscribed };
}

const oneClick = (url: string, token: string): Promise<Response> =>
  fetch(`${url}unsubscribe?token=${encodeURIComponent(token)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });

describe('unsubscribe endpoint', () => {
  it('POST one-click (RFC 8058) with a valid token unsubscribes at once', async () => {
    const f = await serve();
    const res = await oneClick(f.url, sign(2));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toContain('You will receive no more');
    expect(f.unsubscribed).toEqual([2]);
    expect([...f.active.keys()]).toEqual([1]);
  });

  it('POST one-click as multipart/form-data (the RFC\'s SHOULD) also works', async () => {
    const f = await serve();
    const form = new FormData();
    form.set('List-Unsubscribe', 'One-Click');
    const res = await fetch(`${f.url}unsubscribe?token=${sign(1)}`, { method: 'POST', body: form });
    expect(res.status).toBe(200);
    expect(f.unsubscribed).toEqual([1]);
  });

  it('POST of the confirmation page\'s own form, as a browser sends it, unsubscribes', async () => {
    const f = await serve();
    const page = `${f.url}unsubscribe?token=${sign(1)}`;
    // the fields of the page's form, read with an independent HTML parser
    const fields: [string, string][] = [];
    let method = '';
    const parser = new Parser({
      onopentag(name, attributes) {
        if (name === 'form') method = attributes.method ?? '';
        if (name === 'input') fields.push([attributes.name ?? '', attributes.value ?? '']);
      },
    });
    parser.end(await (await fetch(page)).text());
    expect(method).toBe('post');
    expect(fields.map(([name]) => name).sort()).toEqual(['confirm', 'token']);
    expect(fields.some(([name]) => name === 'List-Unsubscribe')).toBe(false);
    // no action attribute: the browser posts to the page's own URL, query included
    const res = await fetch(page, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('You will receive no more');
    expect(f.unsubscribed).toEqual([1]);
  });

  const multipart = (entries: [string, string | Blob][]): FormData => {
    const form = new FormData();
    for (const [name, value] of entries) form.append(name, value);
    return form;
  };
  it.each<[string, string | undefined, string | FormData, boolean]>([
    ['an empty urlencoded body', 'application/x-www-form-urlencoded', '', true],
    ['an empty body without a type', undefined, '', true],
    ['one-click plus another field', 'application/x-www-form-urlencoded', 'List-Unsubscribe=One-Click&x=1', true],
    ['the one-click field twice', 'application/x-www-form-urlencoded', 'List-Unsubscribe=One-Click&List-Unsubscribe=One-Click', true],
    ['a lower-case value', 'application/x-www-form-urlencoded', 'List-Unsubscribe=one-click', true],
    ['a lower-case key', 'application/x-www-form-urlencoded', 'list-unsubscribe=One-Click', true],
    ['one-click as text/plain', 'text/plain', 'List-Unsubscribe=One-Click', true],
    ['one-click as JSON', 'application/json', '{"List-Unsubscribe":"One-Click"}', true],
    ['the form without confirm', 'application/x-www-form-urlencoded', 'TOKEN_ONLY', false],
    ['the form with confirm=no', 'application/x-www-form-urlencoded', 'CONFIRM_NO', false],
    ['the form with one-click mixed in', 'application/x-www-form-urlencoded', 'MIXED', false],
    ['the form with another token than the URL', 'application/x-www-form-urlencoded', 'MISMATCH', true],
    ['multipart one-click plus a field', undefined, multipart([['List-Unsubscribe', 'One-Click'], ['x', '1']]), true],
    ['multipart with a file', undefined, multipart([['List-Unsubscribe', new Blob(['One-Click'])]]), true],
    ['a broken multipart body', 'multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click', true],
  ])('refuses %s with 400 and unsubscribes nobody', async (_what, type, body, tokenInUrl) => {
    const f = await serve();
    const token = sign(1);
    const text = typeof body === 'string' ? body.replace('TOKEN_ONLY', `token=${token}`).replace('CONFIRM_NO', `token=${token}&confirm=no`).replace('MIXED', `token=${token}&confirm=yes&List-Unsubscribe=One-Click`).replace('MISMATCH', `token=${sign(2)}&confirm=yes`) : body;
    const res = await fetch(`${f.url}unsubscribe${tokenInUrl ? `?token=${token}` : ''}`, { method: 'POST', ...(type ? { headers: { 'content-type': type } } : {}), body: text });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/not an unsubscribe request|not valid/);
    expect(f.unsubscribed).toEqual([]);
    expect(f.active.size).toBe(2);
  });

  it('answers 200 for a valid token whose subscriber is gone', async () => {
    const f = await serve();
    const res = await oneClick(f.url, sign(99));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('not on the');
  });

  it('GET shows a confirmation page with a relative POST form and unsubscribes nobody', async () => {
    const f = await serve();
    const token = sign(1);
    const res = await fetch(`${f.url}unsubscribe?token=${token}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<html lang="en">');
    // Posts back to its own URL: no action, so nothing absolute that a path-stripping proxy would break.
    expect(html).toContain('<form method="post">');
    expect(html).not.toMatch(/action=/);
    expect(html).toContain(`name="token" value="${token}"`);
    expect(html).toContain('<button type="submit">Unsubscribe</button>');
    // Escaped site title, never raw.
    expect(html).toContain('Notes &lt;&amp;&gt; &quot;Quotes&quot;');
    expect(html).not.toContain('<&>');
    expect(f.unsubscribed).toEqual([]);
    const head = await fetch(`${f.url}unsubscribe?token=${token}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(f.unsubscribed).toEqual([]);
  });

  it('shows the page in Japanese for a Japanese site', async () => {
    const f = await serve({ language: 'ja', siteTitle: 'ブログ' });
    const html = await (await fetch(`${f.url}unsubscribe?token=${sign(1)}`)).text();
    expect(html).toContain('<html lang="ja">');
    expect(html).toContain('配信を停止する');
    expect(html).toContain('ブログ のニュースレター');
    const bad = await fetch(`${f.url}unsubscribe?token=nope`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('無効なリンク');
  });

  it.each([
    ['forged', () => sign(1, NOW, 'another-secret'), 'not valid'],
    ['expired', () => sign(1, NOW - MAX_AGE_MS - 86_400_000), 'expired'],
    ['malformed', () => 'not-a-token', 'not valid'],
    ['missing', () => '', 'not valid'],
  ])('refuses a %s token with 400 and changes nothing', async (_kind, token, text) => {
    const f = await serve();
    const post = await oneClick(f.url, token());
    expect(post.status).toBe(400);
    expect(await post.text()).toContain(text);
    const get = await fetch(`${f.url}unsubscribe?token=${encodeURIComponent(token())}`);
    expect(get.status).toBe(400);
    expect(f.unsubscribed).toEqual([]);
    expect(f.active.size).toBe(2);
  });

  it('sets the security headers on every answer', async () => {
    const f = await serve();
    for (const res of [await fetch(`${f.url}unsubscribe?token=${sign(1)}`), await fetch(`${f.url}nothing-here`), await fetch(`${f.url}healthz`)]) {
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });
});

describe('other routes and limits', () => {
  it('GET /healthz reports the jobs as JSON', async () => {
    const f = await serve();
    const res = await fetch(`${f.url}healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ ok: true, jobs: { digest: { lastRun: '2026-11-23T08:00:00.000Z', ok: true } } });
  });

  it('answers 500 JSON when the health callback throws', async () => {
    const f = await serve({
      health: () => {
        throw new Error('database is locked');
      },
    });
    const res = await fetch(`${f.url}healthz`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ ok: false, error: 'health check failed' });
  });

  it('unknown paths get 404', async () => {
    const f = await serve();
    for (const p of ['', 'unsubscribe/x', 'newsletter/unsubscribe', '..%2Fetc%2Fpasswd']) {
      const res = await fetch(`${f.url}${p}`);
      expect(res.status, p).toBe(404);
    }
  });

  it('wrong methods get 405 with Allow', async () => {
    const f = await serve();
    const del = await fetch(`${f.url}unsubscribe?token=${sign(1)}`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, HEAD, POST');
    const post = await fetch(`${f.url}healthz`, { method: 'POST', body: '' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(f.unsubscribed).toEqual([]);
  });

  it('refuses bodies over 8 KB with 413, by Content-Length and when streamed', async () => {
    const f = await serve();
    const big = await fetch(`${f.url}unsubscribe?token=${sign(1)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `List-Unsubscribe=One-Click&pad=${'x'.repeat(20_000)}`,
    });
    expect(big.status).toBe(413);

    // Chunked, no Content-Length: the server counts.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${f.url}unsubscribe?token=${sign(1)}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('List-Unsubscribe=One-Click&pad=');
      req.write('x'.repeat(9000));
      req.end();
    });
    expect(status).toBe(413);
    expect(f.unsubscribed).toEqual([]);
  });

  it('close() stops listening', async () => {
    const server = await startServer(
      { language: 'en', siteTitle: 't', siteUrl: 'https://x.example/', verifyToken, unsubscribe: () => undefined, health: () => ({}), logger: silentLogger() },
      { host: '127.0.0.1', port: 0 },
    );
    expect((await fetch(`${server.url}healthz`)).status).toBe(200);
    await server.close();
    await expect(fetch(`${server.url}healthz`)).rejects.toThrow();
  });

  it('reports a port in use as ADDRESS_IN_USE (temporary: exit 69), an address not of this machine as CONFIG_INVALID (78)', async () => {
    const f = await serve();
    const port = Number(new URL(f.url).port);
    const deps: ServerDeps = { language: 'en', siteTitle: 't', siteUrl: 'https://x.example/', verifyToken, unsubscribe: () => undefined, health: () => ({}), logger: silentLogger() };
    await expect(startServer(deps, { host: '127.0.0.1', port })).rejects.toMatchObject({ code: 'ADDRESS_IN_USE', message: `cannot listen on 127.0.0.1:${port}: the port is in use` });
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of this machine
    await expect(startServer(deps, { host: '192.0.2.1', port: 0 })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('EADDRNOTAVAIL'), hint: 'server.host is not an address of this machine' });
  });
});

describe('logging under load', () => {
  /** A debug-level logger whose lines the test reads. */
  function captured(): { logger: pino.Logger; lines: () => Array<Record<string, unknown> & { level: number; msg: string }> } {
    const out: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        out.push(String(chunk));
        callback();
      },
    });
    return { logger: pino({ level: 'debug' }, stream), lines: () => out.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown> & { level: number; msg: string }) };
  }

  it('300 refused requests make one debug summary line with counts per reason, nothing at info or above', async () => {
    const { logger, lines } = captured();
    const server = await startServer({ language: 'en', siteTitle: 't', siteUrl: 'https://x.example/', verifyToken, unsubscribe: () => undefined, health: () => ({}), logger }, { host: '127.0.0.1', port: 0 });
    const post = (query: string, body: string): Promise<Response> => fetch(`${server.url}unsubscribe${query}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    for (let i = 0; i < 100; i++) {
      expect((await post(`?token=${sign(1, NOW, `guess-${i}`)}`, 'List-Unsubscribe=One-Click')).status).toBe(400);
      expect((await post('?token=garbage', 'List-Unsubscribe=One-Click')).status).toBe(400);
      expect((await post(`?token=${sign(1)}`, '')).status).toBe(400);
    }
    await server.close();
    const logged = lines();
    expect(logged.filter((l) => l.level >= 30 && l.msg !== 'HTTP server listening')).toEqual([]);
    const summaries = logged.filter((l) => l.msg === 'unsubscribe requests refused');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ level: 20, total: 300, counts: { forged: 100, malformed: 100, 'request-fields': 100 } });
    expect(JSON.stringify(logged)).not.toContain(sign(1));
  });

  it('one summary line per interval, none for a quiet one', async () => {
    const { logger, lines } = captured();
    const server = await startServer({ language: 'en', siteTitle: 't', siteUrl: 'https://x.example/', verifyToken, unsubscribe: () => undefined, health: () => ({}), logger }, { host: '127.0.0.1', port: 0, logSummaryMs: 50 });
    await fetch(`${server.url}unsubscribe?token=nope`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    const summaries = (): unknown[] => lines().filter((l) => l.msg === 'unsubscribe requests refused');
    for (let i = 0; i < 100 && summaries().length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(summaries()).toEqual([expect.objectContaining({ total: 1, counts: { malformed: 1 } })]);
    await new Promise((r) => setTimeout(r, 150));
    await fetch(`${server.url}unsubscribe?token=nope`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    await server.close();
    expect(summaries()).toHaveLength(2);
  });

  it('a client hanging up mid-body is counted at debug, not logged as an error, and the server goes on', async () => {
    const { logger, lines } = captured();
    const server = await startServer({ language: 'en', siteTitle: 't', siteUrl: 'https://x.example/', verifyToken, unsubscribe: () => undefined, health: () => ({}), logger }, { host: '127.0.0.1', port: 0 });
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(server.port, '127.0.0.1', () => {
          socket.write(`POST /unsubscribe?token=${sign(1)} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 26\r\n\r\nList-Unsub`);
          setTimeout(() => {
            socket.destroy();
            resolve();
          }, 50);
        });
        socket.on('error', reject);
      });
    }
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`${server.url}healthz`)).status).toBe(200);
    await server.close();
    const logged = lines();
    expect(logged.filter((l) => l.level >= 40)).toEqual([]);
    expect(logged.find((l) => l.msg === 'unsubscribe requests refused')).toMatchObject({ level: 20, counts: { 'client-aborted': 3 } });
  });
});
