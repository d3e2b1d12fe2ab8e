import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON lines when not on a terminal (systemd, cron, files); readable lines on a
 * terminal. Only the CLI and the daemon create a logger; stages receive it as a parameter.
 */
export function createLogger(options: { level?: string; pretty?: boolean; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.FEEDLETTER_LOG_LEVEL ?? 'info';
  const pretty = options.pretty ?? Boolean(process.stderr.isTTY);
  if (pretty) {
    return pino({ level, transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } });
  }
  return pino({ level, base: undefined }, options.destination ?? pino.destination(2));
}

/** A logger that drops everything: for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
