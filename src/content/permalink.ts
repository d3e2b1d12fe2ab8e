import { wallClock, type WallClock } from './dates.js';

/**
 * Permalinks with Jekyll's placeholders (https://jekyllrb.com/docs/permalinks/#placeholders) and
 * one percent-encoding of everything a URL path cannot carry as is.
 */

/** Jekyll's `slugify` in "pretty" mode, cased: keeps letters, digits and `._~!$&'()+,;=@`. */
export function slugifyPretty(s: string): string {
  return s
    .replace(/[^\p{L}\p{M}\p{N}._~!$&'()+,;=@]+/gu, '-')
    .replace(/^-+|-+$/g, '');
}

/** Jekyll's `slugify` in "default" mode: letters and digits only, lowercased. */
export function slugifyDefault(s: string): string {
  return s
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
}

/** A category as a path segment: lowercased as Jekyll does, spaces and URL-breaking characters as `-`. */
export function categorySegment(category: string): string {
  return category
    .toLowerCase()
    .replace(/[\s/\\?#%]+/gu, '-')
    .replace(/^-+|-+$/g, '');
}

const SAFE_PATH = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

/**
 * Percent-encodes every character a URL path cannot carry, exactly once: an existing `%XX` is kept
 * (uppercased), a `%` not followed by two hex digits is encoded. Running it twice changes nothing.
 */
export function encodePathOnce(path: string): string {
  if (SAFE_PATH.test(path)) return path;
  // encodeURI keeps every character SAFE_PATH allows and encodes every other one as
  // encodeURIComponent does, except `#` and `?` (kept) and `%` (never taken for an escape): without
  // those three the answer is the same, in one native call instead of a callback per character.
  if (!NOT_FOR_ENCODE_URI.test(path)) {
    try {
      return encodeURI(path);
    } catch {
      // a lone surrogate: below, it is dropped
    }
  }
  return encodePathByCharacter(path);
}

const NOT_FOR_ENCODE_URI = /[%#?]/;

/** `encodePathOnce` one character at a time (the reference for its shortcut). */
export function encodePathByCharacter(path: string): string {
  return path.replace(/%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/gu, (m) => {
    if (m.length === 3 && m.startsWith('%')) return m.toUpperCase();
    try {
      return encodeURIComponent(m);
    } catch {
      return ''; // a lone surrogate: nothing to encode
    }
  });
}

export interface PermalinkFacts {
  date: Date;
  timeZone: string;
  /** The :title value: slug from the file name or front matter `slug`. */
  slug: string;
  categories: readonly string[];
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Day of the week of a calendar day, 0 = Sunday (the time zone is already applied). */
export function weekday(c: Pick<WallClock, 'year' | 'month' | 'day'>): number {
  return new Date(Date.UTC(c.year, c.month - 1, c.day)).getUTCDay();
}

/** Day of the year, 1-based. */
export function yearDay(c: Pick<WallClock, 'year' | 'month' | 'day'>): number {
  return Math.round((Date.UTC(c.year, c.month - 1, c.day) - Date.UTC(c.year, 0, 1)) / 86_400_000) + 1;
}

/** ISO 8601 week-numbering year and week (strftime's %G and %V). */
export function isoWeek(c: Pick<WallClock, 'year' | 'month' | 'day'>): { year: number; week: number } {
  const isoDay = weekday(c) || 7; // Monday 1 .. Sunday 7
  // The Thursday of this week decides the year.
  const thursday = new Date(Date.UTC(c.year, c.month - 1, c.day + 4 - isoDay));
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 / 7) + 1;
  return { year, week };
}

/**
 * The date placeholders Jekyll documents (https://jekyllrb.com/docs/permalinks/#placeholders),
 * each as Jekyll's strftime writes it (English names); undefined for a name that is not one.
 */
export function datePlaceholder(name: string, c: WallClock): string | undefined {
  switch (name) {
    case 'year':
      return String(c.year);
    case 'month':
      return pad(c.month);
    case 'day':
      return pad(c.day);
    case 'i_month':
      return String(c.month);
    case 'i_day':
      return String(c.day);
    case 'short_year':
      return pad(c.year % 100);
    case 'hour':
      return pad(c.hour);
    case 'minute':
      return pad(c.minute);
    case 'second':
      return pad(c.second);
    case 'y_day':
      return pad(yearDay(c), 3);
    case 'short_month':
      return (MONTHS[c.month - 1] as string).slice(0, 3);
    case 'long_month':
      return MONTHS[c.month - 1] as string;
    case 'w_year':
      return String(isoWeek(c).year);
    case 'week':
      return pad(isoWeek(c).week);
    case 'w_day':
      return String(weekday(c) || 7);
    case 'short_day':
      return (WEEKDAYS[weekday(c)] as string).slice(0, 3);
    case 'long_day':
      return WEEKDAYS[weekday(c)] as string;
    default:
      return undefined;
  }
}

/** Expands the placeholders of `pattern`; unknown ones stay as written. Runs of `/` collapse. */
export function expandPermalink(pattern: string, facts: PermalinkFacts): string {
  let w: WallClock | undefined;
  const clock = (): WallClock => (w ??= wallClock(facts.date.getTime(), facts.timeZone));
  const expanded = pattern.replace(PLACEHOLDER, (match, name: string) => {
    switch (name) {
      case 'title':
        return facts.slug;
      case 'slug':
        return slugifyDefault(facts.slug);
      case 'categories':
        return categoriesPath(facts.categories);
      case 'output_ext':
        return '.html';
      default:
        return datePlaceholder(name, clock()) ?? match;
    }
  });
  return expanded.replace(/\/{2,}/g, '/');
}

const PLACEHOLDER = /:([a-z_]+)/g;

// Posts share a few categories: each one's segment is computed once (bounded, for safety).
const segments = new Map<string, string>();

function segmentOf(category: string): string {
  let segment = segments.get(category);
  if (segment === undefined) {
    segment = categorySegment(category);
    if (segments.size >= 10_000) segments.clear();
    segments.set(category, segment);
  }
  return segment;
}

/** The `:categories` value: each category's segment, once, in order, empty ones left out. */
function categoriesPath(categories: readonly string[]): string {
  if (categories.length === 1) return segmentOf(categories[0] as string);
  return [...new Set(categories.map(segmentOf).filter((c) => c !== ''))].join('/');
}

let lastBase: [string, string] | undefined;

/** The site URL as the URL parser writes it (lowercase host, encoded path), computed once. */
function canonicalBase(siteUrl: string): string {
  if (lastBase?.[0] !== siteUrl) {
    const href = new URL(siteUrl).href;
    lastBase = [siteUrl, href.endsWith('/') ? href : `${href}/`];
  }
  return lastBase[1];
}

/**
 * The absolute URL of a permalink path under the site URL (which ends with `/`; a site under a
 * sub-path keeps it: `/2026/x.html` under `https://example.com/blog/` is
 * `https://example.com/blog/2026/x.html`).
 */
export function permalinkUrl(path: string, siteUrl: string): string {
  const encoded = encodePathOnce(path.startsWith('/') ? path : `/${path}`).replace(/\/{2,}/g, '/');
  // The common case needs no URL parser: no dot segments to resolve.
  if (!/\/\.\.?(?:\/|$)/.test(encoded)) return `${canonicalBase(siteUrl)}${encoded.slice(1)}`;
  // './' keeps a first segment with a colon ("a:b/") from being read as a URL scheme.
  return new URL(`./${encoded.slice(1)}`, siteUrl).href;
}
