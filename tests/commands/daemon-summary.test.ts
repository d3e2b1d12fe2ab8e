import { describe, expect, it } from 'vitest';
import { digestJobSummary, withRetries } from '../../src/commands/daemon.js';
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

describe('withRetries (/healthz jobs)', () => {
  it('adds retryAt to a job waiting to retry its unfinished work, and only to it', () => {
    const runs = { digest: { ok: false, summary: { error: 'SMTP unavailable' } }, feeds: { ok: true, summary: {} } };
    expect(withRetries(runs, [{ name: 'digest', retryAt: '2026-12-01T08:01:00.000Z' }, { name: 'feeds', retryAt: undefined }])).toEqual({
      digest: { ok: false, summary: { error: 'SMTP unavailable' }, retryAt: '2026-12-01T08:01:00.000Z' },
      feeds: { ok: true, summary: {} },
    });
    // a job that never ran in the store (killed during its first run) still shows its retry
    expect(withRetries({}, [{ name: 'digest', retryAt: '2026-12-01T08:01:00.000Z' }])).toEqual({ digest: { retryAt: '2026-12-01T08:01:00.000Z' } });
    expect(runs.digest).not.toHaveProperty('retryAt');
  });
});
