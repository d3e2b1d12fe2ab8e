import { describe, expect, it } from 'vitest';
import { progressReporter } from '../../src/schedule/progress.js';

describe('progressReporter', () => {
  it('logs at most once per interval, and always the last message', () => {
    let now = 0;
    const lines: string[] = [];
    const report = progressReporter({ intervalMs: 10_000, clock: () => now, log: (c) => lines.push(`${c.done}/${c.total}`) });
    const counts = (sent: number, failed = 0) => ({ pending: 100 - sent - failed, sending: 0, sent, failed });
    report(counts(1));
    now = 5_000;
    report(counts(40));
    expect(lines).toEqual([]);
    now = 10_000;
    report(counts(80));
    now = 12_000;
    report(counts(90));
    report(counts(99, 1));
    expect(lines).toEqual(['80/100', '100/100']);
  });
});
