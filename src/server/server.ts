import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { FeedletterError } from '../errors.js';
import type { Logger } from '../log.js';
import { route, sendHtml, sendJson, type Env } from './http.js';
import { createLogSummary, type LogSummary } from './log-summary.js';
import { renderPage, type PageKind } from './pages.js';
import { registerSubscribeRoutes, type SubscribeDeps } from './subscribe.js';
import { resubscribeForm } from './subscribe-pages.js';
import { classifyUnsubscribePost, type UnsubscribePost } from './unsubscribe-post.js';

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
  /** Refused requests and clients hanging up are counted and logged (at debug) once per this interval. @default 60000 */
  logSummaryMs?: number;
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

function buildApp(deps: ServerDeps, refused: LogSummary): Hono<Env> {
  // strict: false — /unsubscribe/ is /unsubscribe.
  const app = new Hono<Env>({ strict: false });
  const notAllowed = (c: Context<Env>): Response => page(deps, c, 405, 'methodNotAllowed');

  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => {
        refused.count('too-large');
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
    const queryToken = c.req.query('token');
    const request =
      c.req.method === 'POST'
        ? await classifyUnsubscribePost({ contentType: c.req.header('content-type'), body: new Uint8Array(await c.req.arrayBuffer()), queryToken })
        : undefined;
    const result = handleUnsubscribe(deps, refused, queryToken ?? null, request);
    const after = result.kind === 'done' && deps.subscribe !== undefined && result.token !== undefined ? resubscribeForm(deps.language, result.token) : undefined;
    return page(deps, c, result.status, result.kind, { ...(result.kind === 'confirm' && result.token !== undefined ? { token: result.token } : {}), ...(after ? { after } : {}) });
  });

  if (deps.subscribe !== undefined) registerSubscribeRoutes(app, deps, deps.subscribe, notAllowed);

  app.notFound((c) => page(deps, c as Context<Env>, 404, 'notFound'));
  app.onError((error, c) => {
    if (clientWentAway(error)) {
      refused.count('client-aborted');
      return page(deps, c as Context<Env>, 400, 'error');
    }
    deps.logger.error({ err: error, method: c.req.method, path: c.req.path }, 'HTTP request failed');
    return page(deps, c as Context<Env>, 500, 'error');
  });
  return app;
}

/**
 * The unsubscribe endpoint's whole logic, kept apart from the HTTP plumbing. A POST is RFC 8058
 * one-click (exactly `List-Unsubscribe=One-Click`, the token in the URL) or the confirmation
 * page's own form, as `classifyUnsubscribePost` decided; anything else changes nothing. GET and
 * HEAD never change anything: mail scanners and link previews fetch every link. Refusals are
 * counted, not logged one by one (a flood of forged tokens must not flood the log).
 */
export function handleUnsubscribe(deps: ServerDeps, refused: LogSummary, queryToken: string | null, post: UnsubscribePost | undefined): { status: number; kind: PageKind; token?: string } {
  if (post !== undefined) {
    if ('error' in post) {
      refused.count(`request-${post.error}`);
      return { status: 400, kind: post.error === 'no-token' ? 'invalid' : 'badRequest' };
    }
    const verified = verify(deps, post.token);
    if (!verified.ok) {
      refused.count(verified.reason);
      return { status: 400, kind: verified.reason === 'expired' ? 'expired' : 'invalid' };
    }
    const removed = deps.unsubscribe(verified.subscriberId);
    deps.logger.info({ subscriberId: verified.subscriberId, found: removed !== undefined, via: post.via }, 'unsubscribed');
    return removed ? { status: 200, kind: 'done', token: post.token } : { status: 200, kind: 'unknown' };
  }
  const token = queryToken ?? '';
  const verified = verify(deps, token);
  if (!verified.ok) return { status: 400, kind: verified.reason === 'expired' ? 'expired' : 'invalid' };
  return { status: 200, kind: 'confirm', token };
}

/**
 * The client hung up (mid-body: Node's "aborted" ECONNRESET on the request): routine on the
 * internet, not our error. Judged by the error alone, so a bug that happens to meet a closed
 * socket is still logged as one.
 */
function clientWentAway(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ECONNABORTED' || code === 'EPIPE';
}

/**
 * Why the server cannot listen, as the error the CLI maps to an exit code: a port in use is
 * temporary (69, "unavailable": another process, often the previous instance still stopping,
 * holds it; systemd's Restart=on-failure tries again); an address that is not this machine's,
 * a privileged port or a host name that does not resolve is a config error (78).
 */
export function listenError(error: NodeJS.ErrnoException, options: ServerOptions): FeedletterError {
  const where = `${options.host}:${options.port}`;
  if (error.code === 'EADDRINUSE') {
    return new FeedletterError('ADDRESS_IN_USE', `cannot listen on ${where}: the port is in use`, {
      cause: error,
      hint: 'another process (perhaps a previous feedletter daemon) uses it: stop that process, or set server.port to a free port',
    });
  }
  const hints: Record<string, string> = {
    EACCES: 'ports below 1024 need privileges: use a higher server.port behind the reverse proxy',
    EADDRNOTAVAIL: 'server.host is not an address of this machine',
    ENOTFOUND: 'server.host does not resolve',
  };
  return new FeedletterError('CONFIG_INVALID', `cannot listen on ${where}: ${error.code ?? error.message}`, { cause: error, hint: hints[error.code ?? ''] ?? 'check server.host and server.port' });
}

export function verify(deps: ServerDeps, token: string): { ok: true; subscriberId: number } | { ok: false; reason: 'malformed' | 'forged' | 'expired' } {
  if (token === '' || token.length > 1024) return { ok: false, reason: 'malformed' };
  return deps.verifyToken(token);
}

export async function startServer(deps: ServerDeps, options: ServerOptions): Promise<RunningServer> {
  const refused = createLogSummary({ logger: deps.logger, msg: 'unsubscribe requests refused', intervalMs: options.logSummaryMs ?? 60_000 });
  const app = buildApp(deps, refused);
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
      refused.close();
      reject(listenError(error, options));
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
        server.close(() => {
          refused.close();
          resolve();
        });
        if ('closeIdleConnections' in server) server.closeIdleConnections();
      });
      return closing;
    },
  };
}
