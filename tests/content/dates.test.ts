import { describe, expect, it } from 'vitest';
import { parseDateByPattern, parseDateString, zonedWallClockToUtc, zoneOffset, type DateParse } from '../../src/content/dates.js';

const iso = (s: string, tz: string): string => {
  const r = parseDateString(s, tz);
  if (!r.ok) throw new Error(r.message);
  return r.date.toISOString();
};

describe('parseDateString', () => {
  it("reads Jekyll's form with a +0000 / +09:00 offset", () => {
    expect(iso('2026-01-11 04:57:32 +0000', 'Asia/Tokyo')).toBe('2026-01-11T04:57:32.000Z');
    expect(iso('2026-01-11 04:57:32 +09:00', 'UTC')).toBe('2026-01-10T19:57:32.000Z');
    expect(iso('2026-01-11 04:57:32 -0500', 'UTC')).toBe('2026-01-11T09:57:32.000Z');
  });

  it('reads ISO 8601 with and without offset', () => {
    expect(iso('2026-01-11T04:57:32Z', 'Asia/Tokyo')).toBe('2026-01-11T04:57:32.000Z');
    expect(iso('2026-01-11T04:57:32.250+09:00', 'UTC')).toBe('2026-01-10T19:57:32.250Z');
    expect(iso('2026-01-11T04:57:32', 'Asia/Tokyo')).toBe('2026-01-10T19:57:32.000Z');
    expect(iso('2026-01-11T04:57', 'UTC')).toBe('2026-01-11T04:57:00.000Z');
  });

  it('reads a date alone as midnight in the site time zone', () => {
    expect(iso('2026-01-11', 'Asia/Tokyo')).toBe('2026-01-10T15:00:00.000Z');
    expect(iso('2026-01-11', 'UTC')).toBe('2026-01-11T00:00:00.000Z');
    expect(iso('2026-07-01', 'Europe/Berlin')).toBe('2026-06-30T22:00:00.000Z');
    expect(iso('2026-01-01', 'Europe/Berlin')).toBe('2025-12-31T23:00:00.000Z');
  });

  it('handles the DST changes of Europe/Berlin', () => {
    // 2026-03-29: 02:00 CET jumps to 03:00 CEST. 01:30 is CET, 03:30 is CEST.
    expect(iso('2026-03-29 01:30:00', 'Europe/Berlin')).toBe('2026-03-29T00:30:00.000Z');
    expect(iso('2026-03-29 03:30:00', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
    // 02:30 does not exist: read with the offset before the change (as Luxon does).
    expect(iso('2026-03-29 02:30:00', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
    // 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice, a valid instant either way.
    const overlap = iso('2026-10-25 02:30:00', 'Europe/Berlin');
    expect(['2026-10-25T00:30:00.000Z', '2026-10-25T01:30:00.000Z']).toContain(overlap);
    expect(iso('2026-10-25 12:00:00', 'Europe/Berlin')).toBe('2026-10-25T11:00:00.000Z');
  });

  it('refuses impossible dates instead of rolling them over', () => {
    for (const bad of ['2026-02-30', '2026-13-01', '2026-01-11 25:00:00', '2026-01-11 10:61:00', 'yesterday', '11/01/2026', '']) {
      const r = parseDateString(bad, 'UTC');
      expect(r.ok, bad).toBe(false);
    }
    expect(parseDateString('2024-02-29', 'UTC').ok).toBe(true);
  });
});

describe('zonedWallClockToUtc', () => {
  it('is the inverse of the zone offset', () => {
    expect(new Date(zonedWallClockToUtc(Date.UTC(2026, 0, 11, 9, 0, 0), 'Asia/Tokyo')).toISOString()).toBe('2026-01-11T00:00:00.000Z');
    expect(new Date(zonedWallClockToUtc(Date.UTC(2026, 6, 1, 12, 0, 0), 'America/New_York')).toISOString()).toBe('2026-07-01T16:00:00.000Z');
  });
});

describe("parseDateString's shortcut for Jekyll's form", () => {
  const outcome = (r: DateParse): string => (r.ok ? `ok ${r.date.getTime()} ${Object.is(r.date.getTime(), -0)}` : `error ${r.message}`);

  it('gives what the pattern gives, on generated texts near the form', () => {
    let a = 3;
    const next = (): number => {
      a = (a * 1103515245 + 12345) % 2147483648;
      return a / 2147483648;
    };
    const pick = (list: string): string => list[Math.floor(next() * list.length)] as string;
    let shortcut = 0;
    for (let n = 0; n < 20000; n++) {
      const year = String(Math.floor(next() * 10000)).padStart(4, '0');
      const two = (max: number): string => String(Math.floor(next() * max)).padStart(2, '0');
      let s = `${year}-${two(14)}-${two(33)} ${two(26)}:${two(62)}:${two(62)} ${pick('+-')}${two(26)}${two(62)}`;
      // Now and then one character replaced, one added or taken away, or spaces around.
      const r = next();
      const at = Math.floor(next() * s.length);
      if (r < 0.15) s = s.slice(0, at) + pick('0123456789 -:+T\tZx.,') + s.slice(at + 1);
      else if (r < 0.2) s = s.slice(0, at) + pick('0 :-') + s.slice(at);
      else if (r < 0.25) s = s.slice(0, at) + s.slice(at + 1);
      else if (r < 0.3) s = ` ${s}\t`;
      if (s.trim().length === 25) shortcut++;
      for (const zone of ['UTC', 'Asia/Tokyo']) expect(outcome(parseDateString(s, zone)), s).toBe(outcome(parseDateByPattern(s, zone)));
    }
    expect(shortcut).toBeGreaterThan(15000);
  });

  it('reads the corpus form and reports impossible fields as before', () => {
    expect(iso('2023-03-10 22:41:44 +0000', 'Asia/Tokyo')).toBe('2023-03-10T22:41:44.000Z');
    expect(iso('2023-03-10 22:41:44 -0930', 'UTC')).toBe('2023-03-11T08:11:44.000Z');
    expect(parseDateString('2023-02-29 22:41:44 +0000', 'UTC')).toEqual({ ok: false, message: '"2023-02-29 22:41:44 +0000" is not a day of the calendar (2023-02 has 28 days)' });
    expect(parseDateString('2023-03-10 22:41:44 +2400', 'UTC')).toEqual({ ok: false, message: '"2023-03-10 22:41:44 +2400" has an impossible offset' });
  });
});

describe('zoneOffset', () => {
  /** The offset at `instant` straight from Intl, nothing cached (rounded down to its second). */
  const formats = new Map<string, Intl.DateTimeFormat>();
  function reference(instant: number, timeZone: string): number {
    const second = instant - (((instant % 1000) + 1000) % 1000);
    let format = formats.get(timeZone);
    if (format === undefined) {
      format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
      formats.set(timeZone, format);
    }
    const parts = format.formatToParts(new Date(second));
    const n = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
    return Date.UTC(n('year'), n('month') - 1, n('day'), n('hour') % 24, n('minute'), n('second')) - second;
  }

  it('agrees with Intl around the transitions of zones with DST, odd offsets and skipped days', () => {
    let a = 17;
    const next = (): number => {
      a = (a * 1103515245 + 12345) % 2147483648;
      return a / 2147483648;
    };
    const from = Date.UTC(1985, 0, 1);
    const to = Date.UTC(2035, 0, 1);
    for (const zone of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'Africa/Casablanca', 'Pacific/Apia', 'Asia/Tokyo', 'America/St_Johns']) {
      const instants = Array.from({ length: 300 }, () => from + Math.floor(next() * (to - from)));
      instants.sort((x, y) => x - y);
      const probes: number[] = [...instants];
      // Each change of offset between two samples: find its second, and probe all around it.
      for (let i = 1; i < instants.length; i++) {
        let lo = instants[i - 1] as number;
        let hi = instants[i] as number;
        if (reference(lo, zone) === reference(hi, zone)) continue;
        while (hi - lo > 1000) {
          const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
          if (reference(mid, zone) === reference(lo, zone)) lo = mid;
          else hi = mid;
        }
        for (const d of [-86_400_000, -43_200_000, -3_600_000, -1000, -1, 0, 1, 999, 1000, 3_600_000, 43_200_000, 86_400_000]) probes.push(hi + d);
      }
      // In an order that fills the caches from all sides.
      probes.sort(() => next() - 0.5);
      for (const t of probes) expect(zoneOffset(t, zone), `${zone} ${new Date(t).toISOString()}`).toBe(reference(t, zone));
    }
  });
});
