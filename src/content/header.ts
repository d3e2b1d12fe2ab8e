import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Problem } from '../errors.js';
import type { PostHeader } from '../post.js';
import { cutAtEndMarker, firstHeading, firstParagraph, type Found } from './body.js';
import { DATE_HINT, daysInMonth, parseDateString, zonedWallClockToUtc } from './dates.js';
import { dateText, keyLine, rawScalar, type Split } from './frontmatter.js';
import { firstKey, HUGO_DATE_KEYS, hugoClock, hugoDefaultPath, hugoExpand, hugoSection, hugoTargetPath, hugoUrlize } from './hugo.js';
import { deepMerge, jekyllDefaults, jekyllFileName, jekyllSlugify, jekyllUrl } from './jekyll.js';
import { expandPermalink, permalinkUrl, slugifyPretty } from './permalink.js';
import { collapseWhitespace, detach, dropTrailingReplacementChar, htmlTitleToText, markdownInlineToText, stripInvalidXmlChars, truncateText } from './text.js';

/**
 * From parsed front matter and the start of the body to a `PostHeader`, by Jekyll's rules. Pure:
 * no file system, no clock; the reader decides what text to give it.
 */

/** A problem before the reader adds the file it belongs to. */
export type FileProblem = Omit<Problem, 'file'>;

export type HeaderCore = Omit<PostHeader, 'size' | 'mtimeMs'>;

export interface HeaderInput {
  /** Path relative to the content folder, forward slashes. */
  sourcePath: string;
  data: Record<string, unknown>;
  /** The raw front-matter block (for key lines and dates as written); '' without front matter. */
  matter: string;
  split: Extract<Split, { kind: 'ok' | 'none' }>;
  /** Whether `split.body` is the whole body or only its start. */
  complete: boolean;
  /** The file's size and mtime, when known: the header is then a whole `PostHeader`. */
  stat?: { size: number; mtimeMs: number } | undefined;
  /** Hugo: the page's current section path (`notes/sub`), which depends on `_index.md` files the reader sees. */
  sections?: string | undefined;
}

/**
 * When a post is out besides its date (Hugo): from `from` (publishDate, when it is not the
 * date) until `until` (expiryDate), both in ms. The scan decides with its `now`.
 */
export interface PublishWindow {
  from?: number;
  until?: number;
}

export type HeaderResult =
  | { status: 'more' }
  | { status: 'done'; header: HeaderCore | undefined; draft: boolean; problems: FileProblem[]; window?: PublishWindow };

/** Strings shared by many posts (authors, tags, categories) are kept once. */
export type Intern = (s: string) => string;

const FILE_DATE = /^(\d{4})-(\d{2})-(\d{2})-(.+)$/;

export function buildHeader(input: HeaderInput, config: Config, intern: Intern = detach): HeaderResult {
  const { matter, sourcePath } = input;
  const jekyll = config.site.generator === 'jekyll';
  const hugo = config.site.generator === 'hugo';
  // Jekyll: front matter over the `defaults:` that apply to the post's path.
  const defaults = jekyll && config.jekyll.defaults.length > 0 ? jekyllDefaults(config.jekyll.defaults, sourcePath) : undefined;
  let data = defaults === undefined ? input.data : deepMerge(defaults, input.data);
  // Hugo reads front matter keys in any case (`Title`, `Date`): each also under its lowercase name.
  if (hugo && Object.keys(data).some((k) => k !== k.toLowerCase())) {
    data = { ...data };
    for (const k of Object.keys(data)) if (!Object.hasOwn(data, k.toLowerCase())) data[k.toLowerCase()] = data[k];
  }
  const problems: FileProblem[] = [];
  const lineOf = (key: string): { line?: number } => {
    const line = keyLine(matter, key);
    return line === undefined ? {} : { line };
  };
  const error = (field: string | undefined, message: string, hint: string): void => {
    problems.push({ ...(field === undefined ? {} : { field, ...lineOf(field) }), message, hint, severity: 'error' });
  };
  const warn = (field: string, message: string, hint: string): void => {
    problems.push({ field, ...lineOf(field), message, hint, severity: 'warning' });
  };
  const timeZone = config.site.timezone;

  // The body as far as the header needs it: cut at the end marker first.
  const cut = cutAtEndMarker(input.split.body, config.content.endMarker);
  const complete = input.complete || cut.cut;
  const body = cut.body;

  // File name: YYYY-MM-DD-slug.md gives the date and the slug.
  const base = path.posix.basename(sourcePath).replace(/\.[^.]+$/, '');
  const jekyllName = jekyll ? jekyllFileName(sourcePath) : undefined;
  const plainName = jekyll ? null : FILE_DATE.exec(base);
  // [text, year, month, day] of the date in the file name.
  const fileMatch = jekyll ? (jekyllName === undefined ? null : /^(\d{2,4})-(\d{1,2})-(\d{1,2})$/.exec(jekyllName.date)) : plainName;
  const fileSlug = jekyll ? (jekyllName?.slug ?? base) : (plainName?.[4] ?? base);

  // Title first: whether it needs the first heading decides how much body we need.
  let title = '';
  const rawTitle = data.title;
  if (typeof rawTitle === 'string' || typeof rawTitle === 'number') {
    const dropped = dropTrailingReplacementChar(stripInvalidXmlChars(String(rawTitle)));
    if (dropped.dropped) warn('title', 'ends with U+FFFD (a character cut in half); dropped it', 'fix the title in the front matter');
    title = htmlTitleToText(dropped.text);
  } else if (rawTitle !== undefined && rawTitle !== null) {
    warn('title', 'is not text', 'write the title as a quoted string');
  }

  let summary = '';
  const excerptKey = data.excerpt !== undefined && data.excerpt !== null ? 'excerpt' : data.description !== undefined && data.description !== null ? 'description' : undefined;
  if (excerptKey !== undefined) {
    const raw = data[excerptKey];
    if (typeof raw === 'string' || typeof raw === 'number') {
      const dropped = dropTrailingReplacementChar(stripInvalidXmlChars(String(raw)));
      if (dropped.dropped) warn(excerptKey, 'ends with U+FFFD (a character cut in half); dropped it', `fix the ${excerptKey} in the front matter`);
      summary = markdownInlineToText(dropped.text);
    } else {
      warn(excerptKey, 'is not text; using the first paragraph instead', `write the ${excerptKey} as a quoted string`);
    }
  }

  let heading: Found | undefined;
  if (title === '') {
    heading = firstHeading(body, complete);
    if (heading.status === 'more') return { status: 'more' };
  }
  let paragraph: Found | undefined;
  if (summary === '') {
    paragraph = firstParagraph(body, complete);
    if (paragraph.status === 'more') return { status: 'more' };
    if (paragraph.status === 'found') summary = dropTrailingReplacementChar(paragraph.text).text;
  }
  summary = truncateText(summary);

  // Slug: front matter `slug`, else the file name without its date (Jekyll's :title).
  let slug = '';
  const ownSlug = typeof data.slug === 'string' || typeof data.slug === 'number' ? stripInvalidXmlChars(String(data.slug)) : undefined;
  if (jekyll) slug = jekyllSlugify(ownSlug ?? fileSlug, 'pretty', true) || jekyllSlugify(base, 'pretty', true);
  else if (hugo) slug = hugoUrlize(ownSlug || (typeof data.title === 'string' ? data.title : '') || fileSlug, config.hugo);
  else {
    if (ownSlug !== undefined) slug = slugifyPretty(ownSlug);
    if (slug === '') slug = slugifyPretty(stripInvalidXmlChars(fileSlug));
  }
  if (slug === '') slug = 'post';

  if (title === '') {
    const fallback = heading?.status === 'found' ? heading.text : fileSlug;
    warn('title', `is empty; using "${fallback}"`, 'give the post a title in its front matter');
    title = collapseWhitespace(stripInvalidXmlChars(fallback)) || slug;
  }

  // Date: front matter, else the file name (Hugo: its date keys, never the file name).
  let date: Date | undefined;
  let dateWritten: string | undefined;
  const window: PublishWindow = {};
  if (hugo) {
    const readDate = (key: string | undefined, what: string): { date: Date; text: string } | undefined => {
      if (key === undefined) return undefined;
      const text = rawScalar(matter, key) ?? dateText(data[key], matter, key);
      const parsed = text === undefined ? undefined : parseDateString(text, timeZone);
      if (parsed?.ok) return { date: parsed.date, text: text as string };
      error(key, `${parsed?.message ?? `${JSON.stringify(data[key])} is not a date`} (the ${what})`, DATE_HINT);
      return undefined;
    };
    const main = readDate(firstKey(data, HUGO_DATE_KEYS.date), 'date');
    if (main === undefined) {
      if (firstKey(data, HUGO_DATE_KEYS.date) === undefined) error('date', 'the page has no date (Hugo would publish it dated 0001-01-01)', 'add "date: 2026-01-11" to the front matter');
    } else {
      date = main.date;
      dateWritten = main.text;
    }
    const publish = readDate(firstKey(data, HUGO_DATE_KEYS.publishDate), 'publishDate');
    if (publish !== undefined && date !== undefined && publish.date.getTime() !== date.getTime()) window.from = publish.date.getTime();
    const expiry = readDate(firstKey(data, HUGO_DATE_KEYS.expiryDate), 'expiryDate');
    if (expiry !== undefined) window.until = expiry.date.getTime();
  } else if (data.date !== undefined && data.date !== null && data.date !== '') {
    const text = dateText(data.date, matter, 'date');
    // Jekyll: a YAML timestamp with a time and no offset is UTC (YAML 1.1, as Psych reads it);
    // a date alone, or a time in a quoted string, is in the site's time zone.
    const zone = jekyll && data.date instanceof Date && text !== undefined && /\d[Tt ]+\d/.test(text) ? 'UTC' : timeZone;
    const parsed = text === undefined ? undefined : parseDateString(text, zone);
    if (parsed?.ok) date = parsed.date;
    else error('date', parsed?.message ?? `${JSON.stringify(data.date)} is not a date`, DATE_HINT);
  } else if (fileMatch) {
    const [, ys = '', ms = '', ds = ''] = fileMatch;
    const y = Number(ys);
    const m = Number(ms);
    const d = Number(ds);
    if (m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m)) date = new Date(zonedWallClockToUtc(Date.UTC(y, m - 1, d), timeZone));
    else error('date', `the file name's date ${ys}-${ms}-${ds} is not a day of the calendar`, 'rename the file to YYYY-MM-DD-slug.md with a real date');
  } else {
    error('date', 'the post has no date', 'add "date: 2026-01-11" to the front matter or name the file YYYY-MM-DD-slug.md');
  }

  let updated: Date | undefined;
  const updatedKey = hugo
    ? firstKey(data, HUGO_DATE_KEYS.lastmod.slice(0, 2))
    : data.last_modified_at !== undefined && data.last_modified_at !== null ? 'last_modified_at' : data.updated !== undefined && data.updated !== null ? 'updated' : undefined;
  if (updatedKey !== undefined) {
    const text = dateText(data[updatedKey], matter, updatedKey);
    const parsed = text === undefined ? undefined : parseDateString(text, timeZone);
    if (parsed?.ok) updated = parsed.date;
    else warn(updatedKey, `${parsed?.message ?? 'is not a date'}; using the post date`, DATE_HINT);
  }

  // Jekyll publishes every post in _posts/ but those with `published: false` (the boolean), never
  // one in _drafts/, and only files whose name starts with a date.
  const draft = hugo
    ? isTrue(data.draft)
    : jekyll
    ? input.data.published === false || defaults?.published === false || /(?:^|\/)_drafts\//.test(sourcePath) || jekyllName === undefined
    : isFalse(data.published) || isTrue(data.draft);
  if (jekyll && jekyllName === undefined) warn('date', 'Jekyll publishes only posts named YYYY-MM-DD-slug.md; this one is left out as Jekyll leaves it out', 'rename the file to YYYY-MM-DD-slug.md');

  // Jekyll: the folders above _posts, then the defaults', then the post's own (each list once).
  const categories = unique(
    (jekyll
      ? [...categoriesFromPath(sourcePath), ...(defaults === undefined ? [] : jekyllList(defaults, 'category', 'categories')), ...jekyllList(input.data, 'categories', 'categories'), ...jekyllList(input.data, 'category', 'category')]
      : [...categoriesFromPath(sourcePath), ...jekyllList(data, 'category', 'categories')]
    ).map(intern),
  );
  const tags = unique(jekyllList(data, 'tag', 'tags').map(intern));
  let authors = unique(authorList(data.authors ?? data.author).map(intern));
  if (authors.length === 0) authors = [intern(config.site.author.name)];

  let readingTime: number | undefined;
  if (data.reading_time !== undefined && data.reading_time !== null) {
    const n = typeof data.reading_time === 'number' ? data.reading_time : Number.parseFloat(String(data.reading_time));
    if (Number.isFinite(n) && n > 0) readingTime = Math.max(1, Math.round(n));
    else warn('reading_time', `${JSON.stringify(data.reading_time)} is not a number of minutes; computing it`, 'write reading_time: 8, or leave it out');
  }

  if (date === undefined) return { status: 'done', header: undefined, draft, problems };

  let url: string;
  const permalink = data.permalink;
  const facts = { date, timeZone, slug, categories };
  if (hugo) {
    const pageUrl = typeof data.url === 'string' && data.url.trim() !== '' ? stripInvalidXmlChars(data.url.trim()) : undefined;
    let pagePath: string;
    if (pageUrl !== undefined) {
      pagePath = pageUrl.startsWith('/') ? pageUrl : `/${pageUrl}`;
    } else {
      const rawTitle = typeof data.title === 'string' || typeof data.title === 'number' ? String(data.title) : '';
      const facts = { clock: hugoClock(dateWritten, date, timeZone), title: rawTitle, slug: ownSlug ?? '', sourcePath, sections: input.sections ?? hugoSection(sourcePath) };
      const pattern = config.hugo.permalinks[hugoSection(sourcePath)];
      if (pattern === undefined) pagePath = hugoDefaultPath(facts, config.hugo);
      else {
        const made = hugoExpand(pattern, facts, config.hugo);
        if (!made.ok) {
          error(undefined, `:${made.unknown} is not a permalink token Hugo knows (in "${pattern}", hugo.permalinks.${hugoSection(sourcePath)})`, 'see https://gohugo.io/content-management/urls/#tokens');
          return { status: 'done', header: undefined, draft, problems };
        }
        pagePath = made.path;
      }
      pagePath = hugoTargetPath(pagePath.replace(/\/{2,}/g, '/'));
      // The whole path, the pattern's own text too, is lowercased (disablePathToLower keeps it).
      if (!config.hugo.disablePathToLower) pagePath = pagePath.toLowerCase();
    }
    // Hugo serves every page at a folder of its own (uglyURLs off): "/x" is "/x/", `url` too.
    if (!pagePath.endsWith('/') && !/\.[A-Za-z0-9]+$/.test(pagePath)) pagePath += '/';
    url = permalinkUrl(pagePath, config.site.url);
  } else if (jekyll) {
    const own = typeof permalink === 'string' && permalink.trim() !== '' ? stripInvalidXmlChars(permalink.trim()) : undefined;
    const made = jekyllUrl(own ?? config.permalink, { date, timeZone, slug: ownSlug ?? fileSlug, basename: base, relativePath: sourcePath, categories });
    if (!made.ok) {
      error(own === undefined ? undefined : 'permalink', `:${made.unknown} is not a placeholder Jekyll knows (in "${own ?? config.permalink}")`, 'see https://jekyllrb.com/docs/permalinks/#placeholders');
      return { status: 'done', header: undefined, draft, problems };
    }
    url = permalinkUrl(made.path, config.site.url);
  } else if (typeof permalink === 'string' && permalink.trim() !== '') {
    const p = stripInvalidXmlChars(permalink.trim());
    url = /^https?:\/\//i.test(p) ? new URL(p).href : permalinkUrl(expandPermalink(p, facts), config.site.url);
  } else {
    if (permalink !== undefined && permalink !== null && permalink !== '') warn('permalink', 'is not text; using the site pattern', 'write permalink: /path/of/the/post/');
    url = permalinkUrl(expandPermalink(config.permalink, facts), config.site.url);
  }

  // Jekyll's `lang` per post (jekyll-seo-tag, jekyll-feed): kept when it is a language tag other than the site's.
  let language: string | undefined;
  if (!hugo && data.lang !== undefined && data.lang !== null) {
    const tag = String(data.lang).trim().replace(/_/g, '-');
    if (/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(tag)) {
      if (tag.toLowerCase() !== config.site.language.toLowerCase()) language = intern(tag);
    } else warn('lang', `${JSON.stringify(data.lang)} is not a language tag; the post is taken to be in the site's language`, 'write a BCP 47 tag such as "en" or "ja-JP"');
  }

  url = detach(url);
  title = detach(title);
  summary = detach(summary);
  slug = detach(slug);
  const latest = updated !== undefined && updated.getTime() > date.getTime() ? updated : new Date(date.getTime());
  const stat = input.stat;
  // With the stat, the whole PostHeader in one literal: adding size and mtimeMs afterwards would
  // give each of 100,000 headers a second block for the two properties.
  const header: HeaderCore | PostHeader =
    stat === undefined
      ? { id: url, url, title, date, updated: latest, authors, categories, tags, summary, readingTime, sourcePath, slug }
      : { id: url, url, title, date, updated: latest, authors, categories, tags, summary, readingTime, sourcePath, slug, size: stat.size, mtimeMs: stat.mtimeMs };
  if (language !== undefined) header.language = language;
  return { status: 'done', header, draft, problems, ...(window.from === undefined && window.until === undefined ? {} : { window }) };
}

function isFalse(v: unknown): boolean {
  return v === false || v === 'false' || v === 'no';
}
function isTrue(v: unknown): boolean {
  return v === true || v === 'true' || v === 'yes';
}

/** `[...new Set(list)]`; `list` itself when it has no repeats (a post's few tags: no Set). */
function unique(list: string[]): string[] {
  if (list.length > 16) return [...new Set(list)];
  for (let i = 1; i < list.length; i++) {
    if (list.indexOf(list[i] as string) < i) return [...new Set(list)];
  }
  return list;
}

function textItem(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '' && !/^\s|\s$|\s\s|[\n\t\r]/.test(v)) return stripInvalidXmlChars(v);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
    const s = collapseWhitespace(stripInvalidXmlChars(String(v)));
    return s === '' ? undefined : s;
  }
  return undefined;
}

/**
 * Jekyll's `pluralized_array_from_hash`: the singular key is one value (a list is flattened), the
 * plural key is a list or a space-separated string.
 */
export function jekyllList(data: Record<string, unknown>, singular: string, plural: string): string[] {
  const one = data[singular];
  if (one !== undefined && one !== null) return textItems(Array.isArray(one) ? one : [one]);
  const many = data[plural];
  if (typeof many === 'string') return textItems(many.split(/\s+/));
  if (Array.isArray(many)) return textItems(many);
  const single = textItem(many);
  return single === undefined ? [] : [single];
}

function textItems(list: readonly unknown[]): string[] {
  const out: string[] = [];
  for (const item of list) {
    if (Array.isArray(item)) out.push(...textItems(item));
    else {
      const text = textItem(item);
      if (text !== undefined) out.push(text);
    }
  }
  return out;
}

/** Jekyll: folders above `_posts` are categories (`tech/_posts/x.md` → "tech"). */
function categoriesFromPath(sourcePath: string): string[] {
  if (!sourcePath.includes('/_posts/')) return [];
  const parts = sourcePath.split('/');
  const at = parts.indexOf('_posts');
  return at > 0 ? parts.slice(0, at) : [];
}

function authorList(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const item of list) {
    const name = typeof item === 'object' && item !== null && 'name' in item ? (item as { name: unknown }).name : item;
    const text = textItem(name);
    if (text !== undefined) out.push(text);
  }
  return out;
}
