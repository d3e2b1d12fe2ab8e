import path from 'node:path';
import type { ResolvedConfig } from '../config/schema.js';
import { renderPosts, scanPosts } from '../content/index.js';
import type { Problem } from '../errors.js';
import { FeedPlanner, postsNeedingContent } from '../feeds/plan.js';
import { currentSets, fingerprintSet, loadManifest, saveManifest, setFiles, stampOf, writeFeeds, type BuildFeedsResult, type FeedManifest, type FileStamp } from '../feeds/index.js';
import type { Logger } from '../log.js';
import type { Post, PostHeader } from '../post.js';

export interface BuildOptions {
  resolved: ResolvedConfig;
  now: Date;
  logger?: Logger | undefined;
}

export interface BuildResult {
  problems: Problem[];
  /** Posts that could not be read or rendered: `build` still writes the others, the CLI exits non-zero. */
  skipped: number;
  published: number;
  /** Posts whose markdown was rendered: only those of feed sets that needed writing. */
  rendered: number;
  feeds: BuildFeedsResult;
}

/** Where the header cache lives: in the state folder, never beside the content. */
export function headerCacheFile(resolved: ResolvedConfig): string | undefined {
  return resolved.config.content.cache ? path.join(resolved.paths.state, 'cache', 'headers.json') : undefined;
}

/**
 * `feedletter build`: read every post's header, render only the posts a full-content feed
 * carries, write the feeds. One bad post is reported and skipped; the rest are written.
 */
export async function build(options: BuildOptions): Promise<BuildResult> {
  const { resolved, now } = options;
  const { config } = resolved;
  const started = performance.now();
  // Headers stream through the planner, which keeps only the newest few of each set: memory does
  // not grow with the number of posts.
  const planner = new FeedPlanner(config);
  const content = await scanPosts({ config, contentDir: resolved.paths.content, now, cacheFile: headerCacheFile(resolved) }, (header) => planner.add(header));
  const sets = planner.sets();
  // Sets whose inputs and files are exactly as the last build left them need no work at all.
  const manifestFile = path.join(resolved.paths.state, 'cache', 'feeds.json');
  const manifest = await loadManifest(manifestFile);
  const fingerprints = new Map(sets.map((set) => [set.dir, fingerprintSet(config, set)]));
  const current = currentSets({ config, outputDir: resolved.paths.output, sets, manifest, fingerprints });
  const needed = postsNeedingContent(sets.filter((set) => !current.has(set.dir)));
  const carried = new Map<string, PostHeader>();
  for (const set of sets) for (const header of set.posts) if (needed.has(header.id)) carried.set(header.id, header);
  // In the order readPosts gives (newest first, then by path), so problems come in the same order.
  const toRender = [...carried.values()].sort((a, b) => b.date.getTime() - a.date.getTime() || (a.sourcePath < b.sourcePath ? -1 : a.sourcePath > b.sourcePath ? 1 : 0));
  const rendered = await renderPosts(toRender, { config, contentDir: resolved.paths.content });
  const posts = new Map<string, Post>(rendered.posts.map((post) => [post.id, post]));
  // A post whose body failed to render is left out of the feeds, like a post whose header failed.
  const unrendered = new Set([...needed].filter((id) => !posts.has(id)));
  const usable = unrendered.size === 0 ? sets : sets.map((set) => ({ ...set, posts: set.posts.filter((p) => !unrendered.has(p.id)) }));
  const feeds = await writeFeeds({ config, outputDir: resolved.paths.output, sets: usable, posts, current });
  // Record what is on disk now; a set that lost a post to a render failure is not recorded as
  // current, so the next build tries it again.
  const next: FeedManifest = { version: manifest.version, sets: {} };
  usable.forEach((set, i) => {
    const previous = manifest.sets[set.dir];
    if (current.has(set.dir) && previous) {
      next.sets[set.dir] = previous;
      return;
    }
    if (set.posts.length !== sets[i]?.posts.length) return;
    const files: Record<string, FileStamp> = {};
    for (const relative of setFiles(config, set)) {
      const stamp = stampOf(path.join(resolved.paths.output, ...relative.split('/')));
      if (!stamp) return;
      files[relative] = stamp;
    }
    next.sets[set.dir] = { fingerprint: fingerprints.get(set.dir)!, files };
  });
  await saveManifest(manifestFile, next);
  const problems = [...content.problems, ...rendered.problems];
  const result: BuildResult = {
    problems,
    skipped: content.stats.skipped + unrendered.size,
    published: content.stats.published - unrendered.size,
    rendered: rendered.posts.length,
    feeds,
  };
  options.logger?.info(
    {
      job: 'build',
      files: content.stats.files,
      published: result.published,
      drafts: content.stats.drafts,
      future: content.stats.future,
      skipped: result.skipped,
      cacheHits: content.stats.cacheHits,
      rendered: rendered.posts.length,
      feedSets: sets.length,
      written: feeds.written.length,
      unchanged: feeds.unchanged.length,
      removed: feeds.removed.length,
      ms: Math.round(performance.now() - started),
    },
    'feeds built',
  );
  return result;
}
