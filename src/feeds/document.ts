import type { Config } from '../config/schema.js';
import type { PostHeader } from '../post.js';
import { termLabel, type FeedSet } from './plan.js';
import { cleanText } from './xml.js';

/**
 * What a renderer needs of one post. A `Post` is one; so is a `PostHeader` (no body), which is
 * all a summary-mode set needs.
 */
export type FeedItem = Pick<PostHeader, 'id' | 'url' | 'title' | 'date' | 'updated' | 'authors' | 'categories' | 'tags' | 'summary' | 'language'> & {
  /** The body as HTML; used only when the set's content is 'full'. */
  contentHtml?: string | undefined;
  /** The post's file (relative to the content folder), to name it in a warning. */
  sourcePath?: string | undefined;
};

export interface FeedDocument {
  set: FeedSet;
  config: Config;
  /**
   * One item per `set.posts` entry, same order. In a 'full' set an item without `contentHtml`
   * (its body could not be rendered) is written as in summary mode rather than dropped.
   */
  posts: readonly FeedItem[];
}

/** Feed-level date when a set has no post: Atom requires one, and the build clock is not allowed. */
export const EPOCH = new Date(0);

/**
 * Feed-level updated / lastBuildDate: the latest `updated` (or `date`) of the items, never the
 * build time, so an unchanged blog gives byte-identical feeds. `undefined` without items.
 */
export function feedUpdated(items: readonly FeedItem[]): Date | undefined {
  let latest: number | undefined;
  for (const item of items) {
    for (const d of [item.date, item.updated]) {
      const t = d.getTime();
      if (Number.isFinite(t) && (latest === undefined || t > latest)) latest = t;
    }
  }
  return latest === undefined ? undefined : new Date(latest);
}

/** `updated`, unless missing or invalid: then `date`. */
export function itemUpdated(item: FeedItem): Date {
  return Number.isFinite(item.updated.getTime()) ? item.updated : item.date;
}

/** RFC 3339 in UTC, without the `.000` milliseconds `toISOString` adds when they are zero. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

/** A relative output path (posix separators) as a URL path: each segment percent-encoded. */
export function encodePath(relative: string): string {
  return relative
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

/** Absolute URL of one of a set's files, e.g. `https://blog.example/tags/c%2B%2B-1a2b3c4d/atom.xml`. */
export function feedFileUrl(config: Config, set: FeedSet, fileName: string): string {
  const relative = set.dir === '' ? fileName : `${set.dir}/${fileName}`;
  return new URL(encodePath(relative), config.site.url).href;
}

/** Absolute URL of a file by its path relative to the output folder (posix separators). */
export function outputFileUrl(config: Config, relative: string): string {
  return new URL(encodePath(relative), config.site.url).href;
}

/** The RFC 5005 history namespace (`fh:archive`). */
export const FH_NS = 'http://purl.org/syndication/history/1.0';

/**
 * RFC 5005 §4 links of a set's file `fileName` (one of the feed file names): `prev-archive` and
 * `next-archive` to the neighbouring months, `current` from an archive to the site feed. Empty
 * without `feeds.archive`.
 */
export function historyLinks(config: Config, set: FeedSet, fileName: string): Array<{ rel: 'current' | 'prev-archive' | 'next-archive'; href: string }> {
  const links: Array<{ rel: 'current' | 'prev-archive' | 'next-archive'; href: string }> = [];
  if (set.archive === undefined) return links;
  if (set.kind === 'archive') links.push({ rel: 'current', href: outputFileUrl(config, fileName) });
  if (set.archive.prev !== undefined) links.push({ rel: 'prev-archive', href: outputFileUrl(config, `${set.archive.prev}/${fileName}`) });
  if (set.archive.next !== undefined) links.push({ rel: 'next-archive', href: outputFileUrl(config, `${set.archive.next}/${fileName}`) });
  return links;
}

/** Canonical serialisation of an absolute URL, so the three formats spell every link alike. */
export function canonicalUrl(url: string): string {
  return new URL(url).href;
}

/**
 * Permanent Atom / JSON Feed identity of a set: the site URL for the site feed, the URL of the
 * set's folder for a term (stable because `termSlug` is).
 */
export function feedId(config: Config, set: FeedSet): string {
  // RFC 5005: an archive document is a part of the site feed, with its identity.
  return set.dir === '' || set.kind === 'archive' ? config.site.url : new URL(`${encodePath(set.dir)}/`, config.site.url).href;
}

/** One line about the set: the site description, or "Tag: AI" for a term (never empty). */
export function feedDescription(config: Config, set: FeedSet): string {
  if (set.kind === 'site' || set.kind === 'archive' || set.term === undefined) return config.site.description || config.site.title;
  return `${termLabel(set.kind, config.site.language)}: ${set.term}`;
}

/** The body to write for an item, or undefined in summary mode. */
export function itemContent(set: FeedSet, item: FeedItem): string | undefined {
  return set.content === 'full' ? item.contentHtml : undefined;
}

/** Categories then tags, each once. */
export function itemTerms(item: FeedItem): string[] {
  return [...new Set([...item.categories, ...item.tags])].filter((t) => t.trim() !== '');
}

/** The site author's email for an author of that name, else undefined. */
export function authorEmail(config: Config, name: string): string | undefined {
  return cleanText(name) === cleanText(config.site.author.name) ? config.site.author.email : undefined;
}

/** Authors of an item; the site author when the list is empty (the contract says it never is). */
export function itemAuthors(config: Config, item: FeedItem): string[] {
  const names = item.authors.filter((n) => n.trim() !== '');
  return names.length > 0 ? names : [config.site.author.name];
}
