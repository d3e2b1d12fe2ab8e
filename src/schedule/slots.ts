import { validateDetailed } from 'node-cron';
import { FeedletterError } from '../errors.js';

/**
 * Pure schedule arithmetic: which instants a cron expression names in a time zone, the most
 * recent one before a given moment, and whether a run was missed while the daemon was down.
 *
 * The expression is parsed by node-cron itself (`validateDetailed`, its public parser), so what
 * we compute and what node-cron fires agree on syntax: 5 fields or 6 with seconds first, names
 * (`MON`, `jan`), ranges, steps, `L`, `nW`, `L-n`, `nL`, `n#k`. node-cron's own time walker
 * (`TimeMatcher`) is not exported, and its `getNextRuns()` always starts at the real clock, so
 * the search over time is ours: a walk over local calendar days that skips by field (days, then
 * hours, minutes, seconds) instead of testing every second.
 *
 * Semantics follow node-cron, which fires the jobs:
 * - day of month AND day of week must both match (Vixie cron ORs them when both are restricted);
 * - a local time that does not exist (the hour skipped when DST starts) is no slot at all;
 * - a local time that happens twice (the hour repeated when DST ends) is one slot, here its
 *   first occurrence. (node-cron picks either occurrence depending on the zone; the difference
 *   only matters for a daemon started inside that repeated hour.)
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How far back `lastSlotAtOrBefore` looks. More than a year, so yearly schedules are found. */
const LOOKBACK_DAYS = 400;
/** How far ahead `nextRuns` looks: Feb 29 on a given weekday recurs within 28 years. */
const LOOKAHEAD_DAYS = 366 * 29;
/** Largest jump of a zone's UTC offset in one transition (Antarctica/Troll: 2 h), with margin. */
const MAX_SHIFT = 3 * HOUR;

type DayField = (number | string)[];

interface Spec {
  secondsAsc: number[];
  minutesAsc: number[];
  hoursAsc: number[];
  months: Set<number>;
  dayOfMonth: DayField;
  dayOfWeek: DayField;
}

export function validateCron(expr: string): { ok: true } | { ok: false; message: string } {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return { ok: false, message: `"${expr}" has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron expression has 5 (minute hour day month weekday) or 6 (second first)` };
  }
  const result = validateDetailed(expr);
  if (!result.valid) return { ok: false, message: `"${expr}": ${result.errors.map((e) => e.message).join('; ')}` };
  return { ok: true };
}

function parseSpec(expr: string): Spec {
  const checked = validateCron(expr);
  if (!checked.ok) throw new FeedletterError('CONFIG_INVALID', `invalid cron expression ${checked.message}`, { hint: 'e.g. "0 8 * * *" (every day at 08:00) or "*/15 * * * *"' });
  const result = validateDetailed(expr);
  const fields = result.fields;
  if (!fields) throw new FeedletterError('CONFIG_INVALID', `invalid cron expression "${expr}"`);
  const numbersAsc = (values: number[]): number[] => [...new Set(values)].sort((a, b) => a - b);
  return {
    secondsAsc: numbersAsc(fields.second),
    minutesAsc: numbersAsc(fields.minute),
    hoursAsc: numbersAsc(fields.hour),
    months: new Set(fields.month),
    dayOfMonth: fields.dayOfMonth,
    dayOfWeek: fields.dayOfWeek,
  };
}

// --- Day matching, the same rules as node-cron's matchesDayOfMonth / matchesDayOfWeek -------

const lastDayOfMonth = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

function nearestWeekday(year: number, month: number, target: number): number {
  const last = lastDayOfMonth(year, month);
  if (target < 1 || target > last) return -1;
  const weekday = new Date(Date.UTC(year, month - 1, target)).getUTCDay();
  if (weekday === 6) return target === 1 ? target + 2 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}

function matchesDayOfMonth(field: DayField, year: number, month: number, day: number): boolean {
  for (const value of field) {
    if (value === day) return true;
    if (typeof value !== 'string') continue;
    if (value === 'L' && day === lastDayOfMonth(year, month)) return true;
    const weekdayToken = /^(\d{1,2}|L)W$/.exec(value);
    if (weekdayToken) {
      const target = weekdayToken[1] === 'L' ? lastDayOfMonth(year, month) : Number(weekdayToken[1]);
      if (nearestWeekday(year, month, target) === day) return true;
    }
    const offsetToken = /^L-(\d{1,2})$/.exec(value);
    if (offsetToken && lastDayOfMonth(year, month) - Number(offsetToken[1]) === day) return true;
  }
  return false;
}

function matchesDayOfWeek(field: DayField, year: number, month: number, day: number, weekday: number): boolean {
  for (const value of field) {
    if (value === weekday) return true;
    if (typeof value !== 'string') continue;
    const nth = /^([0-7])#([1-5])$/.exec(value);
    if (nth) {
      if (Number(nth[1]) % 7 === weekday && Math.floor((day - 1) / 7) + 1 === Number(nth[2])) return true;
      continue;
    }
    const last = /^([0-7])L$/i.exec(value);
    if (last && Number(last[1]) % 7 === weekday && day + 7 > lastDayOfMonth(year, month)) return true;
  }
  return false;
}

function dayMatches(spec: Spec, dayStart: number): boolean {
  const date = new Date(dayStart);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  return spec.months.has(month) && matchesDayOfMonth(spec.dayOfMonth, year, month, day) && matchesDayOfWeek(spec.dayOfWeek, year, month, day, date.getUTCDay());
}

// --- Time zones through Intl -----------------------------------------------------------------
// A "wall" time is the local date and time of the zone written as if it were UTC milliseconds,
// so calendar arithmetic on it is plain Date.UTC arithmetic.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    } catch (cause) {
      throw new FeedletterError('CONFIG_INVALID', `"${timeZone}" is not an IANA time zone`, { cause, hint: 'e.g. "Asia/Tokyo", "Europe/Berlin", "UTC"' });
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** UTC offset of the zone at an instant, in milliseconds (Tokyo: +9 h). */
function offsetAt(timeZone: string, instant: number): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const wall = Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
  return wall - Math.floor(instant / SECOND) * SECOND;
}

/**
 * Converts wall times of one zone back to instants. The offsets that can apply on a local day are
 * the ones in force from 14 h before to 14 h after it (the widest UTC offsets); sampling that
 * window finds a DST change, whose instant is then found by bisection, once per day. With it,
 * converting a wall time is arithmetic, which keeps every-second schedules cheap.
 */
class WallClock {
  private readonly days = new Map<number, { before: number; after: number; change: number }>();
  constructor(readonly timeZone: string) {}

  wallOf(instant: number): number {
    return Math.floor(instant / SECOND) * SECOND + offsetAt(this.timeZone, instant);
  }

  /** Earliest instant showing this wall time, or undefined when the time is skipped (DST gap). */
  instantOf(wall: number): number | undefined {
    const { before, after, change } = this.day(Math.floor(wall / DAY) * DAY);
    // Before the change the old offset applies, from it on the new one. When the clock goes
    // back both can read the same wall time (take the earlier); when it goes forward neither.
    const early = wall - before;
    if (early < change) return early;
    const late = wall - after;
    return late >= change ? late : undefined;
  }

  private day(dayStart: number): { before: number; after: number; change: number } {
    let info = this.days.get(dayStart);
    if (!info) {
      const times = [-14, -6, 0, 6, 12, 18, 24, 30, 38].map((h) => dayStart + h * HOUR);
      const offsets = times.map((t) => offsetAt(this.timeZone, t));
      const first = offsets[0] ?? 0;
      const i = offsets.findIndex((o) => o !== first);
      if (i < 0) {
        info = { before: first, after: first, change: Number.POSITIVE_INFINITY };
      } else {
        // Bisect to the second at which the offset changes.
        let lo = times[i - 1] ?? 0;
        let hi = times[i] ?? 0;
        while (hi - lo > SECOND) {
          const mid = Math.floor((lo + hi) / 2 / SECOND) * SECOND;
          if (offsetAt(this.timeZone, mid) === first) lo = mid;
          else hi = mid;
        }
        info = { before: first, after: offsets[i] ?? first, change: hi };
      }
      this.days.set(dayStart, info);
    }
    return info;
  }
}

// --- The walk ----------------------------------------------------------------------------------

/** Wall times named by the spec, latest first, starting at or before `fromWall`. */
function* wallsDescending(spec: Spec, fromWall: number, days: number): Generator<number> {
  const hours = [...spec.hoursAsc].reverse();
  const minutes = [...spec.minutesAsc].reverse();
  const seconds = [...spec.secondsAsc].reverse();
  let dayStart = Math.floor(fromWall / DAY) * DAY;
  for (let i = 0; i <= days; i++, dayStart -= DAY) {
    if (!dayMatches(spec, dayStart)) continue;
    for (const hour of hours) {
      const hourStart = dayStart + hour * HOUR;
      if (hourStart > fromWall) continue;
      for (const minute of minutes) {
        const minuteStart = hourStart + minute * MINUTE;
        if (minuteStart > fromWall) continue;
        for (const second of seconds) {
          const wall = minuteStart + second * SECOND;
          if (wall <= fromWall) yield wall;
        }
      }
    }
  }
}

/** Wall times named by the spec, earliest first, starting at or after `fromWall`. */
function* wallsAscending(spec: Spec, fromWall: number, days: number): Generator<number> {
  let dayStart = Math.floor(fromWall / DAY) * DAY;
  for (let i = 0; i <= days; i++, dayStart += DAY) {
    if (!dayMatches(spec, dayStart)) continue;
    for (const hour of spec.hoursAsc) {
      const hourStart = dayStart + hour * HOUR;
      if (hourStart + HOUR <= fromWall) continue;
      for (const minute of spec.minutesAsc) {
        const minuteStart = hourStart + minute * MINUTE;
        if (minuteStart + MINUTE <= fromWall) continue;
        for (const second of spec.secondsAsc) {
          const wall = minuteStart + second * SECOND;
          if (wall >= fromWall) yield wall;
        }
      }
    }
  }
}

/**
 * The next `count` scheduled instants strictly after `after` (for `daemon --print-schedule`).
 * Fewer when the expression names no time within the next 29 years (e.g. "0 0 30 2 *" is
 * refused by the parser, but "0 0 29 2 1" is rare).
 */
export function nextRuns(expr: string, timeZone: string, after: Date, count: number): Date[] {
  const spec = parseSpec(expr);
  const clock = new WallClock(timeZone);
  const runs: Date[] = [];
  if (count <= 0) return runs;
  let last = after.getTime();
  // Start a little before `after` on the wall clock: around a DST change, a wall time earlier
  // than after's own wall time can still be a later instant.
  for (const wall of wallsAscending(spec, clock.wallOf(last) - MAX_SHIFT, LOOKAHEAD_DAYS)) {
    const instant = clock.instantOf(wall);
    if (instant === undefined || instant <= last) continue;
    runs.push(new Date(instant));
    last = instant;
    if (runs.length >= count) break;
  }
  return runs;
}

/** The most recent scheduled instant at or before `now`, looking back at most 400 days. */
export function lastSlotAtOrBefore(expr: string, timeZone: string, now: Date): Date | undefined {
  const spec = parseSpec(expr);
  const clock = new WallClock(timeZone);
  const nowMs = now.getTime();
  // Earliest-occurrence instants grow with the wall time, so the first wall time (walking back)
  // whose instant is not after `now` is the answer. Start a little after now's wall time, for
  // the repeated hour at the end of DST.
  for (const wall of wallsDescending(spec, clock.wallOf(nowMs) + MAX_SHIFT, LOOKBACK_DAYS)) {
    const instant = clock.instantOf(wall);
    if (instant !== undefined && instant <= nowMs) return new Date(instant);
  }
  return undefined;
}

/**
 * The one slot to catch up after downtime: the latest scheduled instant at or before `now` that
 * came after the last run, or undefined. Never one per missed slot: a daemon down for a week
 * sends one digest, not seven.
 *
 * `lastRun` is when the job last started (a run started at or after a slot covers it). A job
 * that never ran: `neverRanPolicy` 'run' catches up the latest slot, 'skip' (the default) waits
 * for the next tick, so a fresh install does not send at the moment it starts.
 */
export function missedSlot(input: { expr: string; timeZone: string; lastRun: Date | undefined; now: Date; neverRanPolicy?: 'run' | 'skip' }): Date | undefined {
  const slot = lastSlotAtOrBefore(input.expr, input.timeZone, input.now);
  if (slot === undefined) return undefined;
  if (input.lastRun === undefined) return (input.neverRanPolicy ?? 'skip') === 'run' ? slot : undefined;
  return input.lastRun.getTime() >= slot.getTime() ? undefined : slot;
}
