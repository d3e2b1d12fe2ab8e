import { createRequire } from 'node:module';
import type * as Pino from 'pino';

const require = createRequire(import.meta.url);

type LogFn = {
  (obj: object, msg?: string): void;
  (msg: string): void;
};

/**
 * What the stages use of a logger. A pino logger is one; `createLogger` returns a stand-in that
 * loads pino only when something is logged at an enabled level: pino and its dependencies cost
 * about 70 ms to load, and a quiet `build` or `run` from cron logs nothing at all.
 */
export interface Logger {
  readonly level: string;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Number.POSITIVE_INFINITY };

export interface LoggerOptions {
  level?: string;
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
}

/**
 * Structured JSON lines when not on a terminal (systemd, cron, files); readable lines on a
 * terminal. Only the CLI and the daemon create a logger; stages receive it as a parameter.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? process.env.FEEDLETTER_LOG_LEVEL ?? 'info';
  const threshold = LEVELS[level];
  if (threshold === undefined) throw new Error(`unknown log level "${level}" (use one of ${Object.keys(LEVELS).join(', ')})`);
  return deferred(threshold, level, () => pinoLogger(level, options));
}

function pinoLogger(level: string, options: LoggerOptions): Pino.Logger {
  const { pino } = require('pino') as typeof Pino;
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  if (pretty) {
    return pino({ level, transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } });
  }
  return pino({ level, base: undefined }, options.destination ?? pino.destination(2));
}

/** A logger that calls `materialise` on the first line it must write, and never before. Exported for tests. */
export function deferred(threshold: number, level: string, materialise: () => Pino.Logger): Logger {
  let real: Pino.Logger | undefined;
  const target = (): Pino.Logger => (real ??= materialise());
  const method = (name: 'debug' | 'info' | 'warn' | 'error'): LogFn => {
    if ((LEVELS[name] as number) < threshold) return () => undefined;
    return ((first: object | string, msg?: string) => {
      if (typeof first === 'string') target()[name](first);
      else target()[name](first, msg);
    }) as LogFn;
  };
  return {
    level,
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    child: (bindings) => deferred(threshold, level, () => target().child(bindings)),
  };
}

/** A logger that drops everything: for tests and library use. */
export function silentLogger(): Logger {
  return deferred(Number.POSITIVE_INFINITY, 'silent', () => {
    throw new Error('a silent logger never writes');
  });
}
