import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { FeedletterError } from '../errors.js';
import type { Logger } from '../log.js';
import { route, sendHtml, sendJson, type Env } from './http.js';
import { renderPage, type PageKind } from './pages.js';
import { registerSubscribeRoutes, type SubscribeDeps } from './subscribe.js';
import { resubscribeForm } from './subscribe-pages.js';

/**
 * The daemon's HTTP server, on Hono (routing, body limits) with its Node adapter: RFC 8058
 * one-click unsubscribe with a confirmation page for people, the health check, and (when
 * `subscribe` is given) the public signup with double opt-in (see subscribe.ts). It binds to
 * 127.0.0.1 by default; the public side is the site's HTTPS reverse proxy (which may serve it
 * under a prefix such as /newsletter/: nothing here builds an absolute URL).
 */

export interface ServerDeps {
  /** BCP 47 tag of the site; `ja…` gets Japanese pages, anything else English. */
  language: string;
  siteTitle: string;
  siteUrl: string;
  verifyToken: (token: string) => { ok: true; subscriberId: number } | { ok: false; reason: 'malformed' | 'forged' | 'expired' };
  /** Unsubscribe now; undefined when there is no such subscriber. */
  unsubscribe: (subscriberId: number) => { email: string } | undefined;
  /** What /healthz reports under `jobs`. */
  health: () => unknown;
  logger: Logger;
  /** The public signup; absent: no /subscribe, /confirm, /resubscribe. */
  subscribe?: SubscribeDeps;
}

export interface ServerOptions {
  host: string;
  port: number;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8787/ */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Largest request body read. A one-click body is 26 bytes; the signup form with its proof of work about 1.5 KB. */
export const MAX_BODY_BYTES = 8 * 1024;

function page(deps: ServerDeps, c: Context<Env>, status: number, kind: PageKind, options: { token?: string; after?: string } = {}): Response {
  return sendHtml(c, status, renderPage({ kind, language: deps.language, siteTitle: deps.siteTitle, siteUrl: deps.siteUrl, ...options }));
}

function buildApp(deps: ServerDeps): Hono<Env> {
  // strict: false — /unsubscribe/ is /unsubscribe.
  const app = new Hono<Env>({ strict: false });
  const notAllowed = (c: Context<Env>): Response => page(deps, c, 405, 'methodNotAllowed');

  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        // Close the connection after the answer: what is still coming is not read.
        c.header('Connection', 'close');
        return page(deps, c as Context<Env>, 413, 'tooLarge');
      },
    }),
  );

  route(app, notAllowed, '/healthz', ['GET', 'HEAD'], (c) => {
    let jobs: unknown;
    try {
      jobs = deps.health();
    } catch (error) {
      deps.logger.error({ err: error }, 'health check failed');
      return sendJson(c, 500, { ok: false, error: 'health check failed' });
    }
    return sendJson(c, 200, { ok: true, jobs });
  });

  route(app, notAllowed, '/unsubscribe', ['GET', 'HEAD', 'POST'], async (c) => {
    const form = c.req.method === 'POST' && /^application\/x-www-form-urlencoded\b/i.test(c.req.header('content-type') ?? '') ? new URLSearchParams(await c.req.text()) : undefined;
    const result = handleUnsubscribe(deps, c.req.method, c.req.query('token') ?? null, form);
    const after = result.kind === 'done' && deps.subscribe !== undefined && result.token !== undefined ? resubscribeForm(deps.language, result.token) : undefined;
    return page(deps, c, result.status, result.kind, { ...(result.kind === 'confirm' && result.token !== undefined ? { token: result.token } : {}), ...(after ? { after } : {}) });
  });

  if (deps.subscribe !== undefined) registerSubscribeRoutes(app, deps, deps.subscribe, notAllowed);

  app.notFound((c) => page(deps, c as Context<Env>, 404, 'notFound'));
  app.onError((error, c) => {
    deps.logger.error({ err: error, method: c.req.method, path: c.req.path }, 'HTTP request failed');
    return page(deps, c as Context<Env>, 500, 'error');
  });
  return app;
}

/**
 * The unsubscribe endpoint's whole logic, kept apart from the HTTP plumbing. RFC 8058 §3.1: the
 * token is in the URL of the List-Unsubscribe header and the body is "List-Unsubscribe=One-Click"
 * (form-urlencoded or multipart); our confirmation form sends the token in its urlencoded body
 * instead. GET and HEAD never change anything: mail scanners and link previews fetch every link.
 */
export function handleUnsubscribe(deps: ServerDeps, method: string, queryToken: string | null, form: URLSearchParams | undefined): { status: number; kind: PageKind; token?: string } {
  const token = queryToken ?? form?.get('token') ?? '';
  const verified = verify(deps, token);
  if (method === 'POST') {
    if (!verified.ok) {
      deps.logger.info({ reason: verified.reason }, 'unsubscribe refused: bad token');
      return { status: 400, kind: verified.reason === 'expired' ? 'expired' : 'invalid' };
    }
    const removed = deps.unsubscribe(verified.subscriberId);
    deps.logger.info({ subscriberId: verified.subscriberId, found: removed !== undefined, oneClick: form?.get('List-Unsubscribe') === 'One-Click' }, 'unsubscribed');
    return removed ? { status: 200, kind: 'done', token } : { status: 200, kind: 'unknown' };
  }
  if (!verified.ok) return { status: 400, kind: verified.reason === 'expired' ? 'expired' : 'invalid' };
  return { status: 200, kind: 'confirm', token };
}

export function verify(deps: ServerDeps, token: string): { ok: true; subscriberId: number } | { ok: false; reason: 'malformed' | 'forged' | 'expired' } {
  if (token === '' || token.length > 1024) return { ok: false, reason: 'malformed' };
  return deps.verifyToken(token);
}

export async function startServer(deps: ServerDeps, options: ServerOptions): Promise<RunningServer> {
  const app = buildApp(deps);
  const server = createAdaptorServer({
    fetch: app.fetch,
    serverOptions: {
      // Slow clients (slowloris) are cut off; nothing here takes long.
      requestTimeout: 10_000,
      headersTimeout: 5_000,
      keepAliveTimeout: 5_000,
      maxHeaderSize: 16 * 1024,
    },
  });
  server.setTimeout(15_000);

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new FeedletterError('CONFIG_INVALID', `cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`, {
          cause: error,
          hint: error.code === 'EADDRINUSE' ? 'another process uses this port: set server.port to a free one' : 'check server.host and server.port',
        }),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (error) => deps.logger.error({ err: error }, 'HTTP server error'));

  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}/`;
  deps.logger.info({ url }, 'HTTP server listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      });
      return closing;
    },
  };
}
