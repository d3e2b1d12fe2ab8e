import { describe, expect, it } from 'vitest';
import { lastSlotAtOrBefore, missedSlot, nextRuns, validateCron } from '../../src/schedule/slots.js';

const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString());
const at = (s: string): Date => new Date(s);

describe('validateCron', () => {
  it('accepts 5 and 6 fields, names, steps and ranges', () => {
    for (const expr of ['0 8 * * *', '*/15 * * * *', '*/1 * * * * *', '0 9 * * MON-FRI', '0 0 L * *', '0 0 * * 1#2']) {
      expect(validateCron(expr), expr).toEqual({ ok: true });
    }
  });

  it('refuses wrong field counts and out-of-range values with a message', () => {
    const four = validateCron('0 8 * *');
    expect(four.ok).toBe(false);
    if (!four.ok) expect(four.message).toMatch(/4 fields/);
    const minute = validateCron('60 * * * *');
    expect(minute.ok).toBe(false);
    if (!minute.ok) expect(minute.message).toMatch(/minute/);
    expect(validateCron('*/0 * * * *').ok).toBe(false);
    expect(validateCron('0 0 31 2 *').ok).toBe(false);
    expect(validateCron('@daily').ok).toBe(false);
  });

  it('makes nextRuns throw CONFIG_INVALID for a bad expression or zone', () => {
    expect(() => nextRuns('0 25 * * *', 'UTC', at('2026-01-01T00:00:00Z'), 1)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => nextRuns('0 8 * * *', 'Mars/Olympus', at('2026-01-01T00:00:00Z'), 1)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

describe('nextRuns', () => {
  it('gives daily 08:00 in Asia/Tokyo as 23:00 UTC the day before', () => {
    expect(iso(nextRuns('0 8 * * *', 'Asia/Tokyo', at('2026-11-23T00:00:00Z'), 3))).toEqual(['2026-11-23T23:00:00.000Z', '2026-11-24T23:00:00.000Z', '2026-11-25T23:00:00.000Z']);
  });

  it('is strictly after `after`', () => {
    expect(iso(nextRuns('0 8 * * *', 'UTC', at('2026-11-23T08:00:00Z'), 1))).toEqual(['2026-11-24T08:00:00.000Z']);
    expect(iso(nextRuns('*/15 * * * *', 'UTC', at('2026-11-23T08:14:59.999Z'), 2))).toEqual(['2026-11-23T08:15:00.000Z', '2026-11-23T08:30:00.000Z']);
  });

  it('handles seconds, weekdays, last day of month', () => {
    expect(iso(nextRuns('*/20 * * * * *', 'UTC', at('2026-11-23T08:00:05Z'), 3))).toEqual(['2026-11-23T08:00:20.000Z', '2026-11-23T08:00:40.000Z', '2026-11-23T08:01:00.000Z']);
    // 2026-11-27 is a Friday, the next weekday after Thursday 26th.
    expect(iso(nextRuns('0 9 * * FRI', 'UTC', at('2026-11-23T00:00:00Z'), 2))).toEqual(['2026-11-27T09:00:00.000Z', '2026-12-04T09:00:00.000Z']);
    expect(iso(nextRuns('0 0 L * *', 'UTC', at('2027-02-01T00:00:00Z'), 2))).toEqual(['2027-02-28T00:00:00.000Z', '2027-03-31T00:00:00.000Z']);
  });

  it('follows local time across the spring DST change in Europe/Berlin (UTC+1 → UTC+2 on 2026-03-29)', () => {
    expect(iso(nextRuns('0 8 * * *', 'Europe/Berlin', at('2026-03-27T12:00:00Z'), 3))).toEqual(['2026-03-28T07:00:00.000Z', '2026-03-29T06:00:00.000Z', '2026-03-30T06:00:00.000Z']);
    // 02:30 does not exist on 2026-03-29 in Berlin: no slot that day (as node-cron does).
    expect(iso(nextRuns('30 2 * * *', 'Europe/Berlin', at('2026-03-28T00:00:00Z'), 2))).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-30T00:30:00.000Z']);
  });

  it('runs a time repeated at the autumn DST change once (America/New_York, 2026-11-01)', () => {
    // 01:30 happens at 05:30Z (EDT) and 06:30Z (EST): one slot, the first.
    expect(iso(nextRuns('30 1 * * *', 'America/New_York', at('2026-10-31T12:00:00Z'), 3))).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z', '2026-11-03T06:30:00.000Z']);
  });
});

describe('lastSlotAtOrBefore', () => {
  it('finds the slot at or before now, in the zone', () => {
    expect(lastSlotAtOrBefore('0 8 * * *', 'Asia/Tokyo', at('2026-11-23T23:00:00Z'))?.toISOString()).toBe('2026-11-23T23:00:00.000Z');
    expect(lastSlotAtOrBefore('0 8 * * *', 'Asia/Tokyo', at('2026-11-23T22:59:59Z'))?.toISOString()).toBe('2026-11-22T23:00:00.000Z');
    expect(lastSlotAtOrBefore('0 8 * * *', 'UTC', at('2026-11-23T22:59:59Z'))?.toISOString()).toBe('2026-11-23T08:00:00.000Z');
  });

  it('looks back across a year for yearly schedules, and not forever', () => {
    expect(lastSlotAtOrBefore('0 0 1 1 *', 'UTC', at('2026-11-23T00:00:00Z'))?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    // Feb 29 on a Monday: last 2016, next 2044. Beyond the 400-day horizon.
    expect(lastSlotAtOrBefore('0 0 29 2 1', 'UTC', at('2026-11-23T00:00:00Z'))).toBeUndefined();
  });

  it('is second-precise for 6-field expressions, also on a DST day', () => {
    expect(lastSlotAtOrBefore('*/10 * * * * *', 'UTC', at('2026-11-23T08:00:09.999Z'))?.toISOString()).toBe('2026-11-23T08:00:00.000Z');
    // Berlin 2026-10-25: 03:00 CEST → 02:00 CET at 01:00Z. 01:10:00.5Z is 02:10 CET, second pass;
    // every wall time up to 02:59:59 has already happened in the first pass, the latest at 00:59:59Z.
    expect(lastSlotAtOrBefore('* * * * * *', 'Europe/Berlin', at('2026-10-25T01:10:00.500Z'))?.toISOString()).toBe('2026-10-25T00:59:59.000Z');
    expect(lastSlotAtOrBefore('0 3 * * *', 'Europe/Berlin', at('2026-10-25T02:00:00Z'))?.toISOString()).toBe('2026-10-25T02:00:00.000Z');
  });

  it('agrees with nextRuns: the run after the last slot is after now', () => {
    const now = at('2026-03-29T00:59:30Z');
    for (const expr of ['*/7 * * * *', '30 2 * * *', '15 */3 * * *']) {
      const last = lastSlotAtOrBefore(expr, 'Europe/Berlin', now);
      expect(last).toBeDefined();
      if (!last) continue;
      const [following] = nextRuns(expr, 'Europe/Berlin', last, 1);
      expect(following!.getTime()).toBeGreaterThan(now.getTime());
    }
  });
});

describe('missedSlot', () => {
  const base = { expr: '0 8 * * *', timeZone: 'Asia/Tokyo' };

  it('is undefined when the last run covered the latest slot', () => {
    expect(missedSlot({ ...base, lastRun: at('2026-11-22T23:00:00.200Z'), now: at('2026-11-23T10:00:00Z') })).toBeUndefined();
  });

  it('gives the one slot missed while down over one slot', () => {
    // Ran at 08:00 JST on the 22nd, down from before 08:00 on the 23rd until 12:00.
    expect(missedSlot({ ...base, lastRun: at('2026-11-21T23:00:01Z'), now: at('2026-11-23T03:00:00Z') })?.toISOString()).toBe('2026-11-22T23:00:00.000Z');
  });

  it('gives only the latest slot when down over many slots', () => {
    expect(missedSlot({ ...base, lastRun: at('2026-11-01T23:00:00Z'), now: at('2026-11-23T03:00:00Z') })?.toISOString()).toBe('2026-11-22T23:00:00.000Z');
    expect(missedSlot({ expr: '*/15 * * * *', timeZone: 'UTC', lastRun: at('2026-11-20T00:00:00Z'), now: at('2026-11-23T03:07:00Z') })?.toISOString()).toBe('2026-11-23T03:00:00.000Z');
  });

  it('follows the policy for a job that never ran', () => {
    const now = at('2026-11-23T03:00:00Z');
    expect(missedSlot({ ...base, lastRun: undefined, now })).toBeUndefined();
    expect(missedSlot({ ...base, lastRun: undefined, now, neverRanPolicy: 'skip' })).toBeUndefined();
    expect(missedSlot({ ...base, lastRun: undefined, now, neverRanPolicy: 'run' })?.toISOString()).toBe('2026-11-22T23:00:00.000Z');
  });

  it('treats a manual run before the slot as not covering it', () => {
    expect(missedSlot({ ...base, lastRun: at('2026-11-22T22:59:00Z'), now: at('2026-11-23T01:00:00Z') })?.toISOString()).toBe('2026-11-22T23:00:00.000Z');
  });

  it('counts slots in the zone across a DST change (America/New_York, spring 2026-03-08)', () => {
    // Daily 09:00 local: 14:00Z before the change, 13:00Z after.
    const slot = missedSlot({ expr: '0 9 * * *', timeZone: 'America/New_York', lastRun: at('2026-03-07T14:00:00Z'), now: at('2026-03-08T13:30:00Z') });
    expect(slot?.toISOString()).toBe('2026-03-08T13:00:00.000Z');
  });
});
