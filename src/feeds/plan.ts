import type { Config } from '../config/schema.js';
import type { PostHeader } from '../post.js';
import { foldKey, suffixedSlug, termKey, termSlug } from './slug.js';

export { termSlug } from './slug.js';

export interface FeedSet {
  /** 'archive': one month of the site's posts (RFC 5005), with `feeds.archive`. */
  kind: 'site' | 'category' | 'tag' | 'archive';
  /**
   * The category or tag (NFC-normalised): of the spellings that differ only by case, the one most
   * posts use (the first in code-point order on a tie); undefined for the site feed.
   */
  term: string | undefined;
  /** Output folder relative to the output dir, posix separators: '' for the site, e.g. 'tags/c++-1a2b3c4d'. */
  dir: string;
  /** Feed title: the site title, or e.g. 'ALLFORCES — タグ: AI'. */
  title: string;
  content: 'full' | 'summary';
  /** Newest first, at most `feeds.limit` (an archive set: every post of its month). */
  posts: PostHeader[];
  /**
   * RFC 5005 links, with `feeds.archive`, as set dirs: for the site set `prev` is the newest
   * month; for a month, `prev` the month before and `next` the month after (when there is one).
   */
  archive?: { prev?: string; next?: string } | undefined;
}

/** The folder of the archive sets. */
export const ARCHIVE_FOLDER = 'archive';

const monthFormats = new Map<string, Intl.DateTimeFormat>();

/** 'YYYY-MM' of a date in a time zone: the month a post is archived under. */
export function monthOf(date: Date, timeZone: string): string {
  let format = monthFormats.get(timeZone);
  if (format === undefined) monthFormats.set(timeZone, (format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' })));
  const parts = format.formatToParts(date);
  const year = parts.find((p) => p.type === 'year')?.value ?? '0000';
  const month = parts.find((p) => p.type === 'month')?.value ?? '00';
  return `${year.padStart(4, '0')}-${month}`;
}

const LABELS: Record<'category' | 'tag', { ja: string; en: string }> = {
  category: { ja: 'カテゴリ', en: 'Category' },
  tag: { ja: 'タグ', en: 'Tag' },
};

/** "Tag" or "タグ", by the site's language. */
export function termLabel(kind: 'category' | 'tag', language: string): string {
  return /^ja\b/i.test(language) ? LABELS[kind].ja : LABELS[kind].en;
}

/** Newest first; equal dates by id, so the order never depends on the order files were listed in. */
function newestFirst(a: PostHeader, b: PostHeader): number {
  const byDate = b.date.getTime() - a.date.getTime();
  if (byDate !== 0) return byDate;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const isValidDate = (d: Date): boolean => Number.isFinite(d.getTime());

/**
 * Which feed sets exist and which posts each carries. Pure. The site set comes first, then the
 * categories and the tags, each sorted by term. A post with an invalid date is left out (the
 * content stage reports it; a feed never says `Invalid Date`), and of two headers with one id
 * only the newer is kept, so no feed carries one id twice.
 */
export function planFeeds(config: Config, headers: readonly PostHeader[]): FeedSet[] {
  // The planner needs unique ids (the content stage guarantees them); here the newer of two
  // headers with one id wins, the first given on equal dates, as the stable sort always did.
  const seen = new Set<string>();
  const planner = new FeedPlanner(config);
  for (const header of [...headers].filter((h) => isValidDate(h.date)).sort(newestFirst)) {
    if (seen.has(header.id)) continue;
    seen.add(header.id);
    planner.add(header);
  }
  return planner.sets();
}

/** Keeps the `limit` first headers by `newestFirst`, in that order. */
class Newest {
  readonly posts: PostHeader[] = [];
  constructor(private readonly limit: number) {}

  add(header: PostHeader): void {
    const { posts, limit } = this;
    const last = posts[posts.length - 1];
    // Posts usually come oldest first (files named by date): the common case is a new front.
    if (posts.length === limit && (last === undefined || newestFirst(header, last) >= 0)) return;
    let lo = 0;
    let hi = posts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (newestFirst(posts[mid] as PostHeader, header) <= 0) lo = mid + 1;
      else hi = mid;
    }
    posts.splice(lo, 0, header);
    if (posts.length > limit) posts.pop();
  }
}

/**
 * `planFeeds` fed one header at a time, in any order, holding only the newest `feeds.limit` posts
 * of each set (and the set's term): a build of 100,000 posts keeps a few thousand headers, not
 * all of them. Ids must be unique (the content stage skips a second post with one permalink);
 * posts with an invalid date are left out. `sets()` equals `planFeeds` of the same headers.
 */
export class FeedPlanner {
  private readonly config: Config;
  private readonly site: Newest;
  private readonly groups: Record<'category' | 'tag', Map<string, TermGroup>> = { category: new Map(), tag: new Map() };
  /** Warnings of the last `sets()`: terms whose slugs collided. */
  notices: SlugNotice[] = [];
  /** With `feeds.archive`: every post by month ('YYYY-MM'), in the order added. */
  private readonly months = new Map<string, PostHeader[]>();

  constructor(config: Config) {
    this.config = config;
    this.site = new Newest(config.feeds.limit);
  }

  add(header: PostHeader): void {
    if (!isValidDate(header.date)) return;
    const { feeds } = this.config;
    this.site.add(header);
    if (feeds.archive) {
      const month = monthOf(header.date, this.config.site.timezone);
      let list = this.months.get(month);
      if (list === undefined) this.months.set(month, (list = []));
      list.push(header);
    }
    if (feeds.categories && header.categories.length > 0) this.addTerms('category', header.categories, header);
    if (feeds.tags && header.tags.length > 0) this.addTerms('tag', header.tags, header);
  }

  private addTerms(kind: 'category' | 'tag', terms: readonly string[], header: PostHeader): void {
    const groups = this.groups[kind];
    // Each spelling counts once per post, and a post joins each group once.
    const spellings = terms.length === 1 ? [termKey(terms[0] as string)] : [...new Set(terms.map(termKey))];
    const joined = spellings.length === 1 ? undefined : new Set<string>();
    for (const spelling of spellings) {
      if (spelling.trim() === '') continue;
      const key = foldKey(spelling);
      let group = groups.get(key);
      if (group === undefined) groups.set(key, (group = { newest: new Newest(this.config.feeds.limit), spellings: new Map() }));
      group.spellings.set(spelling, (group.spellings.get(spelling) ?? 0) + 1);
      if (joined?.has(key)) continue;
      joined?.add(key);
      group.newest.add(header);
    }
  }

  /** The site set first, then the categories and the tags, each sorted by term. */
  sets(): FeedSet[] {
    const { config } = this;
    this.notices = [];
    const sets: FeedSet[] = [{ kind: 'site', term: undefined, dir: '', title: config.site.title, content: config.feeds.content, posts: [...this.site.posts] }];
    const kinds: Array<{ kind: 'category' | 'tag'; folder: string; enabled: boolean }> = [
      { kind: 'category', folder: 'categories', enabled: config.feeds.categories },
      { kind: 'tag', folder: 'tags', enabled: config.feeds.tags },
    ];
    for (const { kind, folder, enabled } of kinds) {
      if (!enabled) continue;
      const groups = [...this.groups[kind].values()].map((group) => ({ term: displayName(group.spellings), posts: group.newest.posts }));
      groups.sort((a, b) => (a.term < b.term ? -1 : a.term > b.term ? 1 : 0));
      const slugs = assignSlugs(groups.map((g) => g.term));
      const label = termLabel(kind, config.site.language);
      for (const { term, posts } of groups) {
        const slug = slugs.get(term) ?? { slug: termSlug(term) };
        if (slug.collidesWith !== undefined) this.notices.push({ kind, term, other: slug.collidesWith, slug: slug.slug, post: posts[0] });
        sets.push({
          kind,
          term,
          dir: `${folder}/${slug.slug}`,
          title: `${config.site.title} — ${label}: ${term}`,
          content: config.feeds.taxonomyContent,
          posts: [...posts],
        });
      }
    }
    if (config.feeds.archive) sets.push(...this.archiveSets(sets[0]!));
    return sets;
  }

  /**
   * One set per month with posts, newest month first, each linked to its neighbours; the site
   * set gets `prev` = the newest month. Every post is in exactly one month.
   */
  private archiveSets(site: FeedSet): FeedSet[] {
    const { config } = this;
    const months = [...this.months.keys()].sort().reverse();
    const dir = (month: string): string => `${ARCHIVE_FOLDER}/${month}`;
    if (months.length > 0) site.archive = { prev: dir(months[0]!) };
    return months.map((month, i) => ({
      kind: 'archive' as const,
      term: undefined,
      dir: dir(month),
      title: config.site.title,
      content: config.feeds.content,
      posts: [...(this.months.get(month) ?? [])].sort(newestFirst),
      archive: {
        ...(i + 1 < months.length ? { prev: dir(months[i + 1]!) } : {}),
        ...(i > 0 ? { next: dir(months[i - 1]!) } : {}),
      },
    }));
  }
}

interface TermGroup {
  newest: Newest;
  /** Each spelling of the term (differing only by case) and how many posts use it. */
  spellings: Map<string, number>;
}

/** A term whose readable slug another term already had: it got a suffix. */
export interface SlugNotice {
  kind: 'category' | 'tag';
  term: string;
  /** The term that kept the plain slug. */
  other: string;
  /** The suffixed slug this term got. */
  slug: string;
  /** The newest post carrying the term, to name in the warning. */
  post: PostHeader | undefined;
}

/** The most used spelling; on a tie the first in code-point order, so the answer never depends on reading order. */
function displayName(spellings: ReadonlyMap<string, number>): string {
  let best: string | undefined;
  let bestCount = 0;
  for (const [spelling, count] of spellings) {
    if (best === undefined || count > bestCount || (count === bestCount && spelling < best)) {
      best = spelling;
      bestCount = count;
    }
  }
  return best ?? '';
}

/**
 * `termSlug` of every term (sorted), made distinct within one build. Only a true collision —
 * two terms that are not case variants of each other, one slug (`a/b` and `a b`) — changes
 * anything: the term that sorts later gets a short stable suffix (a hash of the term), longer
 * only if that too is taken.
 */
function assignSlugs(sortedTerms: readonly string[]): Map<string, { slug: string; collidesWith?: string }> {
  const result = new Map<string, { slug: string; collidesWith?: string }>();
  const owner = new Map<string, string>();
  const later: string[] = [];
  for (const term of sortedTerms) {
    const slug = termSlug(term);
    if (owner.has(slug)) {
      later.push(term);
    } else {
      owner.set(slug, term);
      result.set(term, { slug });
    }
  }
  for (const term of later) {
    const plain = termSlug(term);
    let slug = suffixedSlug(plain, term);
    for (let length = 16; owner.has(slug) && length <= 64; length *= 2) slug = suffixedSlug(plain, term, length);
    owner.set(slug, term);
    result.set(term, { slug, collidesWith: owner.get(plain) ?? '' });
  }
  return result;
}

/** Ids of the posts that need a rendered body: those in a set with full content. */
export function postsNeedingContent(sets: readonly FeedSet[]): Set<string> {
  const ids = new Set<string>();
  for (const set of sets) {
    if (set.content !== 'full') continue;
    for (const post of set.posts) ids.add(post.id);
  }
  return ids;
}
