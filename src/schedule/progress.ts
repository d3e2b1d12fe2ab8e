import type { DeliveryCounts } from '../store/index.js';

/**
 * Progress of a long send for the logs: at most one line per `intervalMs`, plus the last one, so
 * a digest to 100,000 subscribers shows where it is without a line per message. Pure apart from
 * the `log` callback; the clock is a parameter.
 */
export function progressReporter(options: { intervalMs: number; clock: () => number; log: (counts: DeliveryCounts & { total: number; done: number }) => void }): (counts: DeliveryCounts) => void {
  let last = options.clock();
  return (counts) => {
    const total = counts.pending + counts.sending + counts.sent + counts.failed;
    const done = counts.sent + counts.failed;
    const now = options.clock();
    if (done === total || now - last >= options.intervalMs) {
      last = now;
      options.log({ ...counts, total, done });
    }
  };
}
