import type { Config } from '../config/schema.js';
import { utcWallClock, wallClock, type WallClock } from './dates.js';
import { weekday, yearDay } from './permalink.js';

/**
 * Hugo's own rules for content pages, as Hugo 0.111 (Debian's) computes them: the permalink
 * tokens of resources/page/permalinks.go, the path sanitising of common/paths (Sanitize, as
 * `urlize` uses it), the front matter date keys of config/frontmatter, drafts, publishDate and
 * expiryDate. Pure: the header builder gives the facts. Where the source and the real program
 * differed, the program won (tests/sites/hugo.test.ts builds a fixture site with it).
 */

export type HugoConfig = Config['hugo'];

function isAllowedPathCharacter(s: readonly string[], i: number, r: string): boolean {
  if (r === ' ') return false;
  if (/[\p{L}\p{Nd}\p{M}./\\_#+~\-@]/u.test(r)) return true;
  return r === '%' && i + 2 < s.length && isHex(s[i + 1]) && isHex(s[i + 2]);
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);

/**
 * common/paths.Sanitize: characters outside letters, digits, marks and `./\_#+~-@` (and `%XX`)
 * go; a run of white space between kept characters becomes one `-` (none after a `-`).
 */
export function hugoSanitize(s: string): string {
  const source = [...s];
  let target = '';
  let prependHyphen = false;
  let wasHyphen = false;
  source.forEach((r, i) => {
    if (isAllowedPathCharacter(source, i, r)) {
      wasHyphen = r === '-';
      if (prependHyphen) {
        if (!wasHyphen) target += '-';
        prependHyphen = false;
      }
      target += r;
    } else if (target.length > 0 && !wasHyphen && /\s/u.test(r)) {
      prependHyphen = true;
    }
  });
  return target;
}

/** Hugo's `urlize` as the `:title` and `:slug` tokens use it: sanitized, lowercased unless disablePathToLower, accents dropped with removePathAccents. */
export function hugoUrlize(s: string, hugo: Pick<HugoConfig, 'disablePathToLower' | 'removePathAccents'>): string {
  let out = hugoSanitize(s);
  if (hugo.removePathAccents) out = out.normalize('NFD').replace(/\p{Mn}/gu, '').normalize('NFC');
  return hugo.disablePathToLower ? out : out.toLowerCase();
}

/**
 * What Hugo 0.111 does to a whole page path before it writes the page and links it: the path is
 * read as a query-escaped string (`+` is a space, `%XX` a byte), and every run of white space
 * becomes one `-` unless it follows one. (Found by building pages with the real hugo: "C++"
 * is served at "c-", "a%20b" at "a-b".)
 */
export function hugoTargetPath(path: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path.replace(/\+/g, ' '));
  } catch {
    decoded = path.replace(/\+/g, ' ');
  }
  let out = '';
  for (const c of decoded) {
    if (/\s/u.test(c)) {
      if (out.length > 0 && !out.endsWith('-')) out += '-';
    } else out += c;
  }
  return out;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export interface HugoFacts {
  /** The wall clock of the page's date as Hugo holds it (in the written offset, else the site's time zone). */
  clock: WallClock;
  title: string;
  /** Front matter `slug`; '' when there is none. */
  slug: string;
  /** Path relative to the content folder, forward slashes (`posts/foo/index.md`). */
  sourcePath: string;
  /** The page's current section path (`notes/sub`), '' at the root. */
  sections: string;
}

/** The file name Hugo's `:filename` means: the base name without extension, or the bundle's folder for index.md. */
export function hugoFilename(sourcePath: string): string {
  const parts = sourcePath.split('/');
  const name = (parts.at(-1) as string).replace(/\.[^.]*$/, '');
  if (name === 'index' && parts.length > 1) return parts.at(-2) as string;
  return name === '_index' ? '' : name;
}

/** The first section: the first folder of the path ('' for a page at the root). */
export function hugoSection(sourcePath: string): string {
  const parts = sourcePath.split('/');
  return parts.length > 1 ? (parts[0] as string) : '';
}

/** Expands a `[permalinks]` pattern; an unknown token is an error, as in Hugo. */
export function hugoExpand(pattern: string, facts: HugoFacts, hugo: HugoConfig): { ok: true; path: string } | { ok: false; unknown: string } {
  let unknown: string | undefined;
  const urlize = (s: string): string => hugoUrlize(s, hugo);
  const expanded = pattern.replace(/:(\w+)(\[[^\]]+?\])?/g, (match, name: string, cut: string | undefined) => {
    const c = facts.clock;
    if (cut !== undefined) {
      if (name !== 'sections') {
        unknown ??= `${name}${cut}`;
        return match;
      }
      return sliceSections(facts.sections.split('/').filter((s) => s !== ''), cut).join('/');
    }
    switch (name) {
      case 'year':
        return String(c.year);
      case 'month':
        return String(c.month).padStart(2, '0');
      case 'monthname':
        return MONTHS[c.month - 1] as string;
      case 'day':
        return String(c.day).padStart(2, '0');
      case 'weekday':
        return String(weekday(c));
      case 'weekdayname':
        return WEEKDAYS[weekday(c)] as string;
      case 'yearday':
        return String(yearDay(c));
      case 'section':
        return hugoSection(facts.sourcePath);
      case 'sections':
        return facts.sections;
      case 'title':
        return urlize(facts.title);
      case 'slug':
        return facts.slug !== '' ? urlize(facts.slug) : urlize(facts.title);
      case 'filename':
        return urlize(hugoFilename(facts.sourcePath));
      case 'slugorfilename':
        return facts.slug !== '' ? urlize(facts.slug) : urlize(hugoFilename(facts.sourcePath));
      // Hugo 0.144+ (not in Debian's 0.111, which refuses them; not checked against a real
      // build): the content file's base name, a bundle's folder; without a language code,
      // which feedletter never sees in a single-language site.
      case 'contentbasename':
        return urlize(hugoFilename(facts.sourcePath));
      case 'slugorcontentbasename':
        return facts.slug !== '' ? urlize(facts.slug) : urlize(hugoFilename(facts.sourcePath));
      default:
        unknown ??= name;
        return match;
    }
  });
  if (unknown !== undefined) return { ok: false, unknown };
  return { ok: true, path: expanded };
}

/** `:sections[low:high]`, `[n]`, `[last]`, lenient as Hugo's toSliceFunc. */
function sliceSections(s: string[], cutSpec: string): string[] {
  const cut = cutSpec.trim().toLowerCase();
  if (cut.length < 3 || !cut.startsWith('[') || !cut.endsWith(']')) return [];
  const inner = cut.slice(1, -1);
  const toN = (t: string, low: boolean): number => {
    if (t === '') return low ? 0 : s.length;
    if (t === 'last') return s.length - 1;
    const n = Math.max(0, Number.parseInt(t, 10) || 0);
    if (n >= s.length) return low ? -1 : s.length;
    return n;
  };
  if (!inner.includes(':')) {
    if (s.length === 0) return [];
    const n = toN(inner, true);
    if (n < 0) return [];
    const v = s[n];
    return v === undefined || v === '' ? [] : [v];
  }
  const [a = '', b = ''] = inner.split(':');
  if (s.length === 0) return [];
  const n1 = toN(a, true);
  const n2 = toN(b, false);
  if (n1 < 0 || n2 < 0) return [];
  return s.slice(n1, n2);
}

/**
 * The path of a page without a `[permalinks]` pattern for its section: its folder and its slug
 * (else its file name, else for a bundle its folder), each sanitized, lowercased.
 */
export function hugoDefaultPath(facts: HugoFacts, hugo: HugoConfig): string {
  const parts = facts.sourcePath.split('/');
  const bundle = /^index\.[^.]+$/.test(parts.at(-1) as string) && parts.length > 1;
  const dirs = parts.slice(0, bundle ? -2 : -1);
  const base = facts.slug !== '' ? facts.slug : hugoFilename(facts.sourcePath);
  const sanitize = (s: string): string => {
    const out = hugoSanitize(s);
    return hugo.disablePathToLower ? out : out.toLowerCase();
  };
  return `/${[...dirs, base].map(sanitize).join('/')}/`;
}

/**
 * The wall clock of a date as Hugo holds it: a date written with an offset keeps that offset
 * (Go's time.Time with a fixed zone), one without is in the site's time zone.
 */
export function hugoClock(text: string | undefined, date: Date, timeZone: string): WallClock {
  const m = text === undefined ? null : /(?:([Zz])|([+-])(\d{2}):?(\d{2}))\s*$/.exec(text.trim());
  if (m !== null && /[Tt ]\d/.test(text ?? '')) {
    const offset = m[1] !== undefined ? 0 : (m[2] === '-' ? -1 : 1) * (Number(m[3]) * 60 + Number(m[4])) * 60_000;
    return utcWallClock(date.getTime() + offset);
  }
  return wallClock(date.getTime(), timeZone);
}

/** Hugo's front matter date keys, in order (config/frontmatter defaults; keys are case-insensitive). */
export const HUGO_DATE_KEYS = {
  date: ['date', 'publishdate', 'pubdate', 'published', 'lastmod', 'modified'],
  publishDate: ['publishdate', 'pubdate', 'published', 'date'],
  lastmod: ['lastmod', 'modified', 'date', 'publishdate', 'pubdate', 'published'],
  expiryDate: ['expirydate', 'unpublishdate'],
} as const;

/** The front matter key (as written) of the first of `keys` present, comparing case-insensitively. */
export function firstKey(data: Record<string, unknown>, keys: readonly string[]): string | undefined {
  const lower = new Map<string, string>();
  for (const key of Object.keys(data)) {
    const v = data[key];
    // `published: false` and the like are no dates (Hugo's `published` is a publishDate alias).
    if (v === undefined || v === null || v === '' || typeof v === 'boolean') continue;
    if (!lower.has(key.toLowerCase())) lower.set(key.toLowerCase(), key);
  }
  for (const key of keys) {
    const found = lower.get(key);
    if (found !== undefined) return found;
  }
  return undefined;
}
