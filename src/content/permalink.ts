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

/** Expands the placeholders of `pattern`; unknown ones stay as written. Runs of `/` collapse. */
export function expandPermalink(pattern: string, facts: PermalinkFacts): string {
  let w: WallClock | undefined;
  const clock = (): WallClock => (w ??= wallClock(facts.date.getTime(), facts.timeZone));
  const expanded = pattern.replace(PLACEHOLDER, (match, name: string) => {
    switch (name) {
      case 'year':
        return String(clock().year);
      case 'month':
        return pad(clock().month);
      case 'day':
        return pad(clock().day);
      case 'i_month':
        return String(clock().month);
      case 'i_day':
        return String(clock().day);
      case 'short_year':
        return pad(clock().year % 100);
      case 'hour':
        return pad(clock().hour);
      case 'minute':
        return pad(clock().minute);
      case 'second':
        return pad(clock().second);
      case 'y_day': {
        const c = clock();
        return pad(Math.round((Date.UTC(c.year, c.month - 1, c.day) - Date.UTC(c.year, 0, 1)) / 86_400_000) + 1, 3);
      }
      case 'title':
        return facts.slug;
      case 'slug':
        return slugifyDefault(facts.slug);
      case 'categories':
        return categoriesPath(facts.categories);
      case 'output_ext':
        return '.html';
      default:
        return match;
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
