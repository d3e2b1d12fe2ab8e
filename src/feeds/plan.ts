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
  const { limit } = config.feeds;
  const seen = new Set<string>();
  const sorted: PostHeader[] = [];
  for (const header of [...headers].filter((h) => isValidDate(h.date)).sort(newestFirst)) {
    if (seen.has(header.id)) continue;
    seen.add(header.id);
    sorted.push(header);
  }

  const sets: FeedSet[] = [{ kind: 'site', term: undefined, dir: '', title: config.site.title, content: config.feeds.content, posts: sorted.slice(0, limit) }];
  const kinds: Array<{ kind: 'category' | 'tag'; folder: string; enabled: boolean; terms: (h: PostHeader) => string[] }> = [
    { kind: 'category', folder: 'categories', enabled: config.feeds.categories, terms: (h) => h.categories },
    { kind: 'tag', folder: 'tags', enabled: config.feeds.tags, terms: (h) => h.tags },
  ];
  for (const { kind, folder, enabled, terms } of kinds) {
    if (!enabled) continue;
    // `sorted` is newest first, so each group fills in order and stops growing at the limit.
    const groups = new Map<string, PostHeader[]>();
    for (const header of sorted) {
      for (const key of new Set(terms(header).map(termKey))) {
        if (key.trim() === '') continue;
        let group = groups.get(key);
        if (group === undefined) groups.set(key, (group = []));
        if (group.length < limit) group.push(header);
      }
    }
    const terms_ = [...groups.keys()].sort();
    const slugs = assignSlugs(terms_);
    const label = termLabel(kind, config.site.language);
    for (const term of terms_) {
      sets.push({
        kind,
        term,
        dir: `${folder}/${slugs.get(term) ?? termSlug(term)}`,
        title: `${config.site.title} — ${label}: ${term}`,
        content: config.feeds.taxonomyContent,
        posts: groups.get(term) ?? [],
      });
    }
  }
  return sets;
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
