import { describe, expect, it } from 'vitest';
import { digestJobSummary } from '../../src/commands/daemon.js';
import type { DeliverReport } from '../../src/delivery/send.js';

const report = (sent: number, failed: number, complete: boolean): DeliverReport => ({
  sent,
  failed: Array.from({ length: failed }, (_, i) => ({ email: `f${i}@example.com`, error: '550 no such user' })),
  aborted: !complete,
  complete,
});

describe('digestJobSummary (what /healthz shows of a digest run)', () => {
  it('tells a finished catch-up from "nothing new"', () => {
    expect(digestJobSummary({ kind: 'nothing-new', problems: [], resumed: report(2679, 0, true) }, 7)).toEqual({ kind: 'resumed', resumed: { digestId: 7, sent: 2679, failed: 0, complete: true } });
    expect(digestJobSummary({ kind: 'nothing-new', problems: [], resumed: undefined }, undefined)).toEqual({ kind: 'nothing-new' });
  });

  it('a resume that is still not finished is "resumed" with complete: false, not a new digest', () => {
    expect(digestJobSummary({ kind: 'sent', digestId: 7, posts: 3, report: report(10, 1, false), problems: [], resumed: undefined, outbox: undefined }, 7)).toEqual({
      kind: 'resumed',
      resumed: { digestId: 7, sent: 10, failed: 1, complete: false },
    });
  });

  it('a new digest carries its counts, and the resumed one before it', () => {
    expect(digestJobSummary({ kind: 'sent', digestId: 8, posts: 2, report: report(30, 0, true), problems: [], resumed: report(5, 0, true), outbox: undefined }, 7)).toEqual({
      kind: 'sent',
      digestId: 8,
      posts: 2,
      sent: 30,
      failed: 0,
      complete: true,
      resumed: { digestId: 7, sent: 5, failed: 0, complete: true },
    });
    expect(digestJobSummary({ kind: 'sent', digestId: 8, posts: 2, report: report(30, 0, true), problems: [], resumed: undefined, outbox: undefined }, undefined)).toEqual({ kind: 'sent', digestId: 8, posts: 2, sent: 30, failed: 0, complete: true });
  });
});
