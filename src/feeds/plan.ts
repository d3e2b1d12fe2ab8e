import type { Config } from '../config/schema.js';
import type { PostHeader } from '../post.js';
import { slugWithHash, termKey, termSlug } from './slug.js';

export { termSlug } from './slug.js';

export interface FeedSet {
  kind: 'site' | 'category' | 'tag';
  /** The category or tag (NFC-normalised); undefined for the site feed. */
  term: string | undefined;
  /** Output folder relative to the output dir, posix separators: '' for the site, e.g. 'tags/c++-1a2b3c4d'. */
  dir: string;
  /** Feed title: the site title, or e.g. 'ALLFORCES — タグ: AI'. */
  title: string;
  content: 'full' | 'summary';
  /** Newest first, at most `feeds.limit`. */
  posts: PostHeader[];
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
  private readonly groups: Record<'category' | 'tag', Map<string, Newest>> = { category: new Map(), tag: new Map() };

  constructor(config: Config) {
    this.config = config;
    this.site = new Newest(config.feeds.limit);
  }

  add(header: PostHeader): void {
    if (!isValidDate(header.date)) return;
    const { feeds } = this.config;
    this.site.add(header);
    if (feeds.categories) this.addTerms('category', header.categories, header);
    if (feeds.tags) this.addTerms('tag', header.tags, header);
  }

  private addTerms(kind: 'category' | 'tag', terms: readonly string[], header: PostHeader): void {
    const groups = this.groups[kind];
    const keys = terms.length === 1 ? [termKey(terms[0] as string)] : new Set(terms.map(termKey));
    for (const key of keys) {
      if (key.trim() === '') continue;
      let group = groups.get(key);
      if (group === undefined) groups.set(key, (group = new Newest(this.config.feeds.limit)));
      group.add(header);
    }
  }

  /** The site set first, then the categories and the tags, each sorted by term. */
  sets(): FeedSet[] {
    const { config } = this;
    const sets: FeedSet[] = [{ kind: 'site', term: undefined, dir: '', title: config.site.title, content: config.feeds.content, posts: [...this.site.posts] }];
    const kinds: Array<{ kind: 'category' | 'tag'; folder: string; enabled: boolean }> = [
      { kind: 'category', folder: 'categories', enabled: config.feeds.categories },
      { kind: 'tag', folder: 'tags', enabled: config.feeds.tags },
    ];
    for (const { kind, folder, enabled } of kinds) {
      if (!enabled) continue;
      const groups = this.groups[kind];
      const terms = [...groups.keys()].sort();
      const slugs = assignSlugs(terms);
      const label = termLabel(kind, config.site.language);
      for (const term of terms) {
        sets.push({
          kind,
          term,
          dir: `${folder}/${slugs.get(term) ?? termSlug(term)}`,
          title: `${config.site.title} — ${label}: ${term}`,
          content: config.feeds.taxonomyContent,
          posts: [...(groups.get(term)?.posts ?? [])],
        });
      }
    }
    return sets;
  }
}

/**
 * `termSlug` of every term, made distinct within one build. Slugs equal to their term are
 * distinct already and are never changed; a hashed slug that meets a taken one (a 32-bit hash
 * collision) gets a longer hash, so only the colliding term's folder differs from `termSlug`.
 */
function assignSlugs(sortedTerms: readonly string[]): Map<string, string> {
  const result = new Map<string, string>();
  const taken = new Set<string>();
  const hashed: string[] = [];
  for (const term of sortedTerms) {
    const slug = termSlug(term);
    if (slug === termKey(term)) {
      result.set(term, slug);
      taken.add(slug);
    } else {
      hashed.push(term);
    }
  }
  for (const term of hashed) {
    let slug = termSlug(term);
    for (let length = 16; taken.has(slug) && length <= 64; length *= 2) slug = slugWithHash(term, length);
    result.set(term, slug);
    taken.add(slug);
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
