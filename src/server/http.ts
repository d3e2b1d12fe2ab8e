import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { HttpBindings } from '@hono/node-server';
import type { Context, Hono } from 'hono';

/** Answers and request details shared by the routes of the daemon's server. */

export type Env = { Bindings: HttpBindings };

/** Every answer: no framing, no sniffing, no referrer, no caching. Pages with a script add a nonce. */
const BASE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  // The unsubscribe button must not be clickable inside someone else's frame.
  'X-Frame-Options': 'DENY',
};


/** A page's answer: status, HTML, and the script nonce it uses (if any) for its CSP. */
export function sendHtml(c: Context<Env>, status: number, html: string, options: { nonce?: string; connect?: boolean } = {}): Response {
  let csp = BASE_CSP;
  if (options.nonce !== undefined) {
    // The ALTCHA widget (served by us) solves in blob: workers and fetches its challenge from us.
    csp += `; script-src 'nonce-${options.nonce}'; connect-src 'self'; worker-src blob:; img-src data:`;
  }
  return respond(c, status, 'text/html; charset=utf-8', html, csp);
}

export function sendJson(c: Context<Env>, status: number, value: unknown): Response {
  return respond(c, status, 'application/json; charset=utf-8', JSON.stringify(value), BASE_CSP);
}

function respond(c: Context<Env>, status: number, type: string, body: string, csp: string): Response {
  const headers = new Headers({ ...SECURITY_HEADERS, 'Content-Security-Policy': csp, 'Content-Type': type });
  const allow = c.get('allow' as never) as string | undefined;
  if (allow) headers.set('Allow', allow);
  if (c.req.method === 'HEAD') return new Response(null, { status, headers });
  return new Response(body, { status, headers });
}

/** A fresh CSP nonce (128 bits). */
export function newCspNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The client's IP: the socket's peer, or, when that peer is a proxy on this machine and
 * `trustProxy` allows it, the last X-Forwarded-For entry (the one our own proxy appended; earlier
 * ones are whatever the client claimed).
 */
export function clientIp(c: Context<Env>, trustProxy: 'loopback' | 'none'): string | null {
  const peer = c.env.incoming.socket.remoteAddress ?? null;
  if (trustProxy === 'loopback' && peer !== null && /^(127\.|::1$|::ffff:127\.)/.test(peer)) {
    const forwarded = (c.req.header('x-forwarded-for') ?? '').split(',').at(-1)?.trim() ?? '';
    if (isIP(forwarded) !== 0) return forwarded;
    const real = (c.req.header('x-real-ip') ?? '').trim();
    if (isIP(real) !== 0) return real;
  }
  return peer;
}

/**
 * Registers `handler` for `methods` on `path`, and `notAllowed` (405 with Allow) for any other
 * method. HEAD is answered like GET, without a body.
 */
export function route(app: Hono<Env>, notAllowed: (c: Context<Env>) => Response, path: string, methods: string[], handler: (c: Context<Env>) => Response | Promise<Response>): void {
  app.on(methods, path, handler);
  app.all(path, (c) => {
    c.set('allow' as never, methods.join(', ') as never);
    return notAllowed(c);
  });
}
