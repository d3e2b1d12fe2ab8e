import type { Config } from '../config/schema.js';
import { wallClock, type WallClock } from './dates.js';
import { datePlaceholder } from './permalink.js';

/**
 * Jekyll's own rules for posts, as Jekyll 4.3 computes them (lib/jekyll/utils.rb `slugify`,
 * lib/jekyll/url.rb, lib/jekyll/drops/url_drop.rb, lib/jekyll/document.rb,
 * lib/jekyll/frontmatter_defaults.rb). Pure: the header builder gives the facts.
 */

export type SlugifyMode = 'raw' | 'default' | 'pretty' | 'ascii' | 'latin' | 'none';

const SLUGIFY: Record<Exclude<SlugifyMode, 'none' | 'latin'>, RegExp> = {
  raw: /\s+/gu,
  default: /[^\p{M}\p{L}\p{Nd}]+/gu,
  pretty: /[^\p{M}\p{L}\p{Nd}._~!$&'()+,;=@]+/gu,
  ascii: /[^A-Za-z0-9]+/g,
};

/**
 * Jekyll's `Utils.slugify`: runs of what the mode does not keep become one `-`, one leading and
 * one trailing `-` go, and the result is lowercased unless `cased`. "latin" first drops accents
 * (I18n.transliterate; here: Unicode decomposition, and other non-ASCII letters become `?` as
 * there, which the default rule then turns into `-`).
 */
export function jekyllSlugify(input: string, mode: SlugifyMode = 'default', cased = false): string {
  if (mode === 'none') return cased ? input : input.toLowerCase();
  let s = input;
  if (mode === 'latin') s = s.normalize('NFKD').replace(/\p{M}/gu, '').replace(/[^\p{ASCII}]/gu, '?');
  const re = mode === 'latin' ? SLUGIFY.default : SLUGIFY[mode];
  s = s.replace(re, '-').replace(/^-|-$/g, '');
  return cased ? s : s.toLowerCase();
}

/**
 * Jekyll's `URL.escape_path` (Addressable::URI.encode, then `#`): every character outside
 * RFC 3986's unreserved, sub-delims, `:`, `@` and `/` is percent-encoded as UTF-8, `%` included.
 * A `?` is encoded too (Jekyll keeps it, which makes its own link point at a query).
 */
export function jekyllEscapePath(value: string): string {
  if (/^[a-zA-Z0-9./-]*$/.test(value)) return value;
  return value.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/gu, (c) => {
    try {
      return encodeURIComponent(c);
    } catch {
      return ''; // a lone surrogate
    }
  });
}

/** Jekyll's `URL#sanitize_url`: a leading `/`, `..` becomes `/`, `./` goes, runs of `/` become one. */
export function jekyllSanitizeUrl(url: string): string {
  return `/${url}`.replace(/\.\./g, '/').replace(/\.\//g, '').replace(/\/{2,}/g, '/');
}

export interface JekyllFacts {
  date: Date;
  timeZone: string;
  /** The front matter `slug`, else the slug of the file name (`2026-01-11-hello.md` → "hello"). */
  slug: string;
  /** The file name without its extension (`2026-01-11-hello`). */
  basename: string;
  /** Path relative to the site, forward slashes (`_posts/2026-01-11-hello.md`). */
  relativePath: string;
  categories: readonly string[];
}

/**
 * The site-relative URL of a post: `template` (a pattern or a post's own `permalink`) with every
 * placeholder replaced by its escaped value, then sanitized as Jekyll does. A placeholder Jekyll
 * does not know is an error there (NoMethodError): here too.
 */
export function jekyllUrl(template: string, facts: JekyllFacts): { ok: true; path: string } | { ok: false; unknown: string } {
  let clock: WallClock | undefined;
  let unknown: string | undefined;
  const expanded = template.replace(/:([a-z_]+)/g, (match, name: string) => {
    // Jekyll: a name ending in `_` may stand for the name without it (`:title_` before text).
    const pool = name.endsWith('_') ? [name, name.slice(0, -1)] : [name];
    for (const key of pool) {
      const value = placeholder(key, facts, () => (clock ??= wallClock(facts.date.getTime(), facts.timeZone)));
      if (value !== undefined) return match.replace(`:${key}`, jekyllEscapePath(value));
    }
    unknown ??= name;
    return match;
  });
  if (unknown !== undefined) return { ok: false, unknown };
  return { ok: true, path: jekyllSanitizeUrl(expanded) };
}

function placeholder(name: string, facts: JekyllFacts, clock: () => WallClock): string | undefined {
  switch (name) {
    case 'title':
      return jekyllSlugify(facts.slug, 'pretty', true) || jekyllSlugify(facts.basename, 'pretty', true);
    case 'slug':
      return jekyllSlugify(facts.slug) || jekyllSlugify(facts.basename);
    case 'name':
      return jekyllSlugify(facts.basename);
    case 'categories':
      return [...new Set(facts.categories.map((c) => c.toLowerCase()))].join('/');
    case 'slugified_categories':
      return [...new Set(facts.categories.map((c) => jekyllSlugify(c)))].join('/');
    case 'output_ext':
      return '.html';
    case 'collection':
      return 'posts';
    case 'path': {
      // cleaned_relative_path: without the extension, the collection folder and trailing dots.
      return facts.relativePath.replace(/\.[^./]*$/, '').replace('_posts', '').replace(/\.*$/, '');
    }
    default:
      return datePlaceholder(name, clock());
  }
}

/** One entry of `defaults:` in `_config.yml`. */
export type JekyllDefault = Config['jekyll']['defaults'][number];

function sanitizeScopePath(p: string | undefined): string {
  if (p === undefined || p === '') return '';
  return p.startsWith('/') ? p.replace(/^\/|(?<=[^/])$/g, '') : p;
}

const globs = new Map<string, RegExp>();

/** A regex matching the paths that start with a match of `glob` (`*` within a folder, `**` across), compiled once. */
function globPrefix(glob: string): RegExp {
  let compiled = globs.get(glob);
  if (compiled === undefined) {
    compiled = compileGlob(glob);
    if (globs.size >= 1000) globs.clear();
    globs.set(glob, compiled);
  }
  return compiled;
}

function compileGlob(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}`);
}

function appliesPath(scopePath: string | undefined, relativePath: string): boolean {
  if (typeof scopePath !== 'string' || scopePath === '') return true;
  const sanitized = sanitizeScopePath(relativePath);
  // Jekyll globs the scope against the files of the site, then asks whether the post's path starts
  // with one of them: the same as asking whether a prefix of the path matches the glob.
  if (scopePath.includes('*')) return globPrefix(scopePath).test(sanitized);
  return sanitized.startsWith(scopePath);
}

function hasPrecedence(old: JekyllDefault['scope'] | undefined, next: JekyllDefault['scope']): boolean {
  if (old === undefined) return true;
  const newPath = sanitizeScopePath(next?.path);
  const oldPath = sanitizeScopePath(old?.path);
  if (newPath.length !== oldPath.length) return newPath.length >= oldPath.length;
  if (next?.type !== undefined) return true;
  return old?.type === undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Jekyll's `Utils.deep_merge_hashes`: `over` wins, nested hashes are merged. */
export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const mine = out[key];
    out[key] = isPlainObject(mine) && isPlainObject(value) ? deepMerge(mine, value) : value;
  }
  return out;
}

/** The values of every `defaults:` entry that applies to a post at `relativePath`, merged as Jekyll does. */
export function jekyllDefaults(defaults: readonly JekyllDefault[], relativePath: string, type = 'posts'): Record<string, unknown> {
  let merged: Record<string, unknown> = {};
  let oldScope: JekyllDefault['scope'] | undefined;
  for (const set of defaults) {
    const scope = set.scope;
    if (scope !== undefined && !((scope.type === undefined || scope.type === type) && appliesPath(scope.path, relativePath))) continue;
    if (hasPrecedence(oldScope, scope ?? {})) {
      merged = deepMerge(merged, set.values);
      oldScope = scope;
    } else {
      merged = deepMerge(set.values, merged);
    }
  }
  return merged;
}

/** Jekyll's DATE_FILENAME_MATCHER on a post's path: its date text and slug, or undefined. */
export function jekyllFileName(relativePath: string): { date: string; slug: string } | undefined {
  const m = /^(?:.+\/)*?(\d{2,4}-\d{1,2}-\d{1,2})-([^/]*)(\.[^.]+)$/u.exec(relativePath);
  if (m === null) return undefined;
  return { date: m[1] as string, slug: (m[2] as string).replace(/\.*$/, '') };
}
