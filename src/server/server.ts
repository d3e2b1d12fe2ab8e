import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FeedletterError } from '../errors.js';
import type { Logger } from '../log.js';
import { createLogSummary, type LogSummary } from './log-summary.js';
import { renderPage, type PageKind } from './pages.js';
import { classifyUnsubscribePost } from './unsubscribe-post.js';

/**
 * The daemon's small HTTP server: RFC 8058 one-click unsubscribe, a confirmation page for
 * people who click the link, and a health check. It binds to 127.0.0.1 by default; the public
 * side is the site's HTTPS reverse proxy (which may serve it under a prefix such as
 * /newsletter/: nothing here builds an absolute URL).
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

/** Largest request body read. A one-click body is 26 bytes; the confirmation form a few hundred. */
export const MAX_BODY_BYTES = 8 * 1024;

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  // The unsubscribe button must not be clickable inside someone else's frame.
  'X-Frame-Options': 'DENY',
};

const ROUTES: Record<string, string[]> = {
  '/unsubscribe': ['GET', 'HEAD', 'POST'],
  '/healthz': ['GET', 'HEAD'],
};

export async function startServer(deps: ServerDeps, options: ServerOptions): Promise<RunningServer> {
  const refused = createLogSummary({ logger: deps.logger, msg: 'unsubscribe requests refused', intervalMs: options.logSummaryMs ?? 60_000 });
  const server = createServer(
    {
      // Slow clients (slowloris) are cut off; nothing here takes long.
      requestTimeout: 10_000,
      headersTimeout: 5_000,
      keepAliveTimeout: 5_000,
      maxHeaderSize: 16 * 1024,
    },
    (req, res) => {
      handle(deps, refused, req, res).catch((error: unknown) => {
        if (clientWentAway(error)) {
          refused.count('client-aborted');
          res.destroy();
          return;
        }
        deps.logger.error({ err: error, method: req.method, path: pathOf(req) }, 'HTTP request failed');
        if (!res.headersSent) sendPage(deps, res, 500, 'error');
        else res.destroy();
      });
    },
  );
  server.timeout = 15_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
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
        server.closeIdleConnections();
      });
      return closing;
    },
  };
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

/** Path without query and trailing slash; never the token (it must not reach the logs). */
function pathOf(req: IncomingMessage): string {
  const raw = (req.url ?? '/').split('?')[0] ?? '/';
  return raw.length > 1 ? raw.replace(/\/+$/, '') : raw;
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

async function handle(deps: ServerDeps, refused: LogSummary, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const pathname = pathOf(req);
  const method = req.method ?? 'GET';
  const allowed = ROUTES[pathname];
  if (!allowed) return sendPage(deps, res, 404, 'notFound');
  if (!allowed.includes(method)) {
    res.setHeader('Allow', allowed.join(', '));
    return sendPage(deps, res, 405, 'methodNotAllowed');
  }

  if (pathname === '/healthz') {
    let jobs: unknown;
    try {
      jobs = deps.health();
    } catch (error) {
      deps.logger.error({ err: error }, 'health check failed');
      return sendJson(res, 500, { ok: false, error: 'health check failed' });
    }
    return sendJson(res, 200, { ok: true, jobs });
  }

  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  if (method === 'POST') {
    const body = await readBody(req, MAX_BODY_BYTES);
    if (body === 'tooLarge') {
      refused.count('too-large');
      return refuseTooLarge(deps, req, res);
    }
    // RFC 8058 one-click or the confirmation page's form; anything else is refused.
    const request = await classifyUnsubscribePost({ contentType: req.headers['content-type'], body, queryToken: query.get('token') ?? undefined });
    if ('error' in request) {
      refused.count(`request-${request.error}`);
      return sendPage(deps, res, 400, request.error === 'no-token' ? 'invalid' : 'badRequest');
    }
    const verified = verify(deps, request.token);
    if (!verified.ok) {
      refused.count(verified.reason);
      return sendPage(deps, res, 400, verified.reason === 'expired' ? 'expired' : 'invalid');
    }
    const removed = deps.unsubscribe(verified.subscriberId);
    deps.logger.info({ subscriberId: verified.subscriberId, found: removed !== undefined, via: request.via }, 'unsubscribed');
    return sendPage(deps, res, 200, removed ? 'done' : 'unknown');
  }

  // GET and HEAD never change anything: mail scanners and link previews fetch every link.
  const token = query.get('token') ?? '';
  const verified = verify(deps, token);
  if (!verified.ok) return sendPage(deps, res, 400, verified.reason === 'expired' ? 'expired' : 'invalid');
  return sendPage(deps, res, 200, 'confirm', token);
}

function verify(deps: ServerDeps, token: string): { ok: true; subscriberId: number } | { ok: false; reason: 'malformed' | 'forged' | 'expired' } {
  if (token === '' || token.length > 1024) return { ok: false, reason: 'malformed' };
  return deps.verifyToken(token);
}

/** The body, or 'tooLarge' as soon as it passes `limit` (by Content-Length or by counting). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'tooLarge'> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve('tooLarge');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.off('end', onEnd);
        resolve('tooLarge');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    // A client hanging up mid-body ends here ("aborted", ECONNRESET): the caller tells it from a bug.
    req.on('error', reject);
  });
}

function refuseTooLarge(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): void {
  // Close the connection after the answer; what is still coming is discarded unread, and the
  // socket is cut if the client keeps sending.
  res.setHeader('Connection', 'close');
  sendPage(deps, res, 413, 'tooLarge');
  req.resume();
  setTimeout(() => req.socket.destroy(), 2_000).unref();
}

function sendPage(deps: ServerDeps, res: ServerResponse, status: number, kind: PageKind, token?: string): void {
  const html = renderPage({ kind, language: deps.language, siteTitle: deps.siteTitle, siteUrl: deps.siteUrl, ...(token === undefined ? {} : { token }) });
  send(res, status, 'text/html; charset=utf-8', html);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  const bytes = Buffer.from(body, 'utf8');
  res.statusCode = status;
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', bytes.length);
  res.end(bytes);
}
