import type { Logger } from '../log.js';

/**
 * Counts of routine events (refused tokens, refused bodies, clients hanging up) logged as one
 * debug line per interval instead of one line each: under load or a token-guessing run,
 * a line per request filled 69 MB of logs in two minutes. Nothing is logged for an interval
 * without events, and the timer does not keep the process alive.
 *
 *   const refused = createLogSummary({ logger, msg: 'unsubscribe requests refused', intervalMs: 60_000 });
 *   refused.count('forged');   // … many times
 *   refused.close();           // on shutdown: logs what is counted, stops the timer
 *
 * → `{"level":20,"counts":{"forged":1234,"client-aborted":2},"total":1236,"intervalMs":60000,"msg":"unsubscribe requests refused"}`
 */
export interface LogSummary {
  count(reason: string): void;
  /** Log the counts now (if any) and start a new interval. */
  flush(): void;
  /** Flush and stop: later counts are logged on the next flush only. */
  close(): void;
}

export interface LogSummaryOptions {
  logger: Logger;
  msg: string;
  /** At most one line per this many milliseconds. */
  intervalMs: number;
  /** @default 'debug' */
  level?: 'debug' | 'info' | 'warn';
}

export function createLogSummary(options: LogSummaryOptions): LogSummary {
  const level = options.level ?? 'debug';
  let counts = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (counts.size === 0) return;
    const entries = Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b)));
    const total = [...counts.values()].reduce((sum, n) => sum + n, 0);
    counts = new Map();
    options.logger[level]({ counts: entries, total, intervalMs: options.intervalMs }, options.msg);
  };

  return {
    count(reason) {
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
      if (timer === undefined && !closed) {
        timer = setTimeout(flush, options.intervalMs);
        timer.unref();
      }
    },
    flush,
    close() {
      closed = true;
      flush();
    },
  };
}
