import { wallClock } from './dates.js';

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
  const w = wallClock(facts.date.getTime(), facts.timeZone);
  const values: Record<string, () => string> = {
    year: () => String(w.year),
    month: () => pad(w.month),
    day: () => pad(w.day),
    i_month: () => String(w.month),
    i_day: () => String(w.day),
    short_year: () => pad(w.year % 100),
    hour: () => pad(w.hour),
    minute: () => pad(w.minute),
    second: () => pad(w.second),
    y_day: () => pad(Math.round((Date.UTC(w.year, w.month - 1, w.day) - Date.UTC(w.year, 0, 1)) / 86_400_000) + 1, 3),
    title: () => facts.slug,
    slug: () => slugifyDefault(facts.slug),
    categories: () => [...new Set(facts.categories.map(categorySegment).filter((c) => c !== ''))].join('/'),
    output_ext: () => '.html',
  };
  const expanded = pattern.replace(/:([a-z_]+)/g, (match, name: string) => (Object.hasOwn(values, name) ? (values[name]?.() ?? match) : match));
  return expanded.replace(/\/{2,}/g, '/');
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
