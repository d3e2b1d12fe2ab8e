/**
 * Dates as Jekyll reads them, and time-zone arithmetic with Intl only (no library).
 *
 * Accepted: `2026-01-11 04:57:32 +0000`, `2026-01-11 04:57:32 +09:00`, ISO 8601 with or without an
 * offset (`2026-01-11T04:57:32Z`, `2026-01-11T04:57:32.5+09:00`, `2026-01-11T04:57`), and a date
 * alone. Without an offset the wall-clock time is in the site's time zone, as in Jekyll.
 */

const DATE_RE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?[ \t]*(?:([Zz]|UTC|GMT)|([+-])(\d{2}):?(\d{2})?)?$/;

export type DateParse = { ok: true; date: Date } | { ok: false; message: string };

const HINT_FORMS = 'write it as "2026-01-11", "2026-01-11 04:57:32 +0900" or "2026-01-11T04:57:32+09:00"';
export const DATE_HINT = HINT_FORMS;

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Parses one of Jekyll's date forms; a value without an offset is read in `timeZone`. */
export function parseDateString(input: string, timeZone: string): DateParse {
  const s = input.trim();
  // Jekyll's own form, `2026-01-11 04:57:32 +0900`, read without the regex (and its 12 captures):
  // on such a text DATE_RE can only match one way, giving these fields.
  if (s.length === 25 && isJekyllForm(s)) {
    return dateFromFields(input, timeZone, digits(s, 0, 4), digits(s, 5, 7), digits(s, 8, 10), digits(s, 11, 13), digits(s, 14, 16), digits(s, 17, 19), 0, 'offset', s.charCodeAt(20) === 0x2d ? -1 : 1, digits(s, 21, 23), digits(s, 23, 25));
  }
  return parseDateByPattern(input, timeZone);
}

/** `parseDateString` by DATE_RE alone (the reference of its shortcut). */
export function parseDateByPattern(input: string, timeZone: string): DateParse {
  const m = DATE_RE.exec(input.trim());
  if (m === null) return { ok: false, message: `"${input}" is not a date` };
  const [, ys, mos, ds, hs, mis, ss, fs, zulu, sign, ohs, oms] = m;
  const ms = fs === undefined ? 0 : Number(fs.slice(0, 3).padEnd(3, '0'));
  const kind = zulu !== undefined ? 'zulu' : sign !== undefined ? 'offset' : 'local';
  return dateFromFields(input, timeZone, Number(ys), Number(mos), Number(ds), Number(hs ?? 0), Number(mis ?? 0), Number(ss ?? 0), ms, kind, sign === '-' ? -1 : 1, Number(ohs), Number(oms ?? 0));
}

// `dddd-dd-dd dd:dd:dd +dddd`: what each position of Jekyll's form holds (d: a digit 0-9).
const JEKYLL_FORM = 'dddd-dd-dd dd:dd:dd ±dddd';

function isJekyllForm(s: string): boolean {
  for (let i = 0; i < JEKYLL_FORM.length; i++) {
    const c = s.charCodeAt(i);
    const want = JEKYLL_FORM.charCodeAt(i);
    if (want === 0x64 /* d */) {
      if (c < 0x30 || c > 0x39) return false;
    } else if (want === 0xb1 /* ± */) {
      if (c !== 0x2b && c !== 0x2d) return false;
    } else if (c !== want) return false;
  }
  return true;
}

/** The number the decimal digits `s[start, end)` write. */
function digits(s: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) n = n * 10 + (s.charCodeAt(i) - 0x30);
  return n;
}

function dateFromFields(input: string, timeZone: string, year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number, kind: 'zulu' | 'offset' | 'local', sign: number, oh: number, om: number): DateParse {
  if (month < 1 || month > 12) return { ok: false, message: `"${input}" has no month ${month}` };
  if (day < 1 || day > daysInMonth(year, month)) return { ok: false, message: `"${input}" is not a day of the calendar (${year}-${String(month).padStart(2, '0')} has ${daysInMonth(year, month)} days)` };
  if (hour > 23 || minute > 59 || second > 59) return { ok: false, message: `"${input}" is not a time of day` };
  const wall = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (kind === 'zulu') return { ok: true, date: new Date(wall) };
  if (kind === 'offset') {
    if (oh > 23 || om > 59) return { ok: false, message: `"${input}" has an impossible offset` };
    const offset = sign * (oh * 60 + om) * 60_000;
    return { ok: true, date: new Date(wall - offset) };
  }
  return { ok: true, date: new Date(zonedWallClockToUtc(wall, timeZone)) };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function formattedWallClock(instant: number, timeZone: string): WallClock {
  const out: WallClock = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatter(timeZone).formatToParts(new Date(instant))) {
    if (part.type in out) out[part.type as keyof WallClock] = Number(part.value);
  }
  out.hour %= 24;
  return out;
}

export function utcWallClock(instant: number): WallClock {
  const d = new Date(instant);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

const DAY = 86_400_000;

/** What is known of one zone: offsets of whole UTC days, and offsets at the start of UTC days. */
interface ZoneCache {
  days: Map<number, number>;
  starts: Map<number, number>;
}
// formatToParts costs microseconds, and 100,000 posts fall on few days (a few per day).
const zoneCaches = new Map<string, ZoneCache>();

function offsetOfSecond(instant: number, timeZone: string): number {
  const w = formattedWallClock(instant, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - instant;
}

function startOffset(cache: ZoneCache, day: number, timeZone: string): number {
  let offset = cache.starts.get(day);
  if (offset === undefined) {
    offset = offsetOfSecond(day * DAY, timeZone);
    if (cache.starts.size > 100_000) cache.starts.clear();
    cache.starts.set(day, offset);
  }
  return offset;
}

/** Offset of `timeZone` at `instant`, in ms (local minus UTC). */
export function zoneOffset(instant: number, timeZone: string): number {
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return 0;
  const day = Math.floor(instant / DAY);
  let cache = zoneCaches.get(timeZone);
  if (cache === undefined) {
    cache = { days: new Map(), starts: new Map() };
    zoneCaches.set(timeZone, cache);
  }
  const known = cache.days.get(day);
  if (known !== undefined) return known;
  // Zones change offset at most once in 24 hours: the same offset at the start of this UTC day
  // and at the start of the next means the whole day has it. A day's end being the next day's
  // start, posts on days in a row cost one formatToParts a day, not two.
  const start = startOffset(cache, day, timeZone);
  if (start === startOffset(cache, day + 1, timeZone)) {
    if (cache.days.size > 100_000) cache.days.clear();
    cache.days.set(day, start);
    return start;
  }
  return offsetOfSecond(instant - (((instant % 1000) + 1000) % 1000), timeZone);
}

/** The wall-clock reading of `instant` in `timeZone`. */
export function wallClock(instant: number, timeZone: string): WallClock {
  return utcWallClock(instant + zoneOffset(instant, timeZone));
}

/**
 * The UTC instant of a wall-clock time in `timeZone` (`wall` is that wall-clock time written as if
 * it were UTC). In a DST gap the time is read with the offset before the change (02:30 on the
 * spring-forward night becomes 03:30 summer time); in an overlap the later reading wins. Same
 * rule as Luxon's `fixOffset`.
 */
export function zonedWallClockToUtc(wall: number, timeZone: string): number {
  const o1 = zoneOffset(wall, timeZone);
  let guess = wall - o1;
  const o2 = zoneOffset(guess, timeZone);
  if (o1 === o2) return guess;
  guess -= o2 - o1;
  const o3 = zoneOffset(guess, timeZone);
  if (o2 === o3) return guess;
  return wall - Math.min(o2, o3);
}
