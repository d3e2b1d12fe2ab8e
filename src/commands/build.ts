import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ResolvedConfig } from '../config/schema.js';
import { CACHE_VERSION } from '../content/cache.js';
import { problemFile } from '../content/util.js';
import type { ScanResult } from '../content/index.js';
import { requireContentDir } from '../content/folder.js';
import { isListingStamp, stampPosts, type ListingStampResult } from '../content/listing.js';
import { FeedletterError, ioFailure, type Problem } from '../errors.js';
import type { BuildFeedsResult } from '../feeds/index.js';
import type { PingResult } from '../feeds/websub.js';
import { currentSets, filesUnchanged, fingerprintSet, loadManifest, saveManifest, setFiles, stampOf, type FeedManifest, type FileStamp } from '../feeds/manifest.js';
import type { Logger } from '../log.js';
import type { Post, PostHeader } from '../post.js';

export interface BuildOptions {
  resolved: ResolvedConfig;
  now: Date;
  logger?: Logger | undefined;
  /** Write feeds with no item even where the feeds on disk have items (see `refuseToEmpty`). */
  allowEmpty?: boolean | undefined;
}

export interface BuildResult {
  problems: Problem[];
  /** Posts that could not be read or rendered: `build` still writes the others, the CLI exits non-zero. */
  skipped: number;
  published: number;
  /** Posts whose markdown was rendered: only those of feed sets that needed writing. */
  rendered: number;
  feeds: BuildFeedsResult;
  /** WebSub pings after this build: none without hubs or without a changed feed file. */
  websub: PingResult;
}

/** Where the header cache lives: in the state folder, never beside the content. */
export function headerCacheFile(resolved: ResolvedConfig): string | undefined {
  return resolved.config.content.cache ? path.join(resolved.paths.state, 'cache', 'headers.json') : undefined;
}

/**
 * What a build that changed nothing reports, recorded in the feed manifest with what it depended
 * on. A later build whose inputs are all the same (see `unchangedBuild`) returns it without
 * reading a post: the result of today's build path for unchanged inputs is a function of those
 * inputs, and this is that result.
 */
interface Snapshot {
  /** `buildFingerprint`: the config, the resolved folders, the format versions. */
  config: string;
  /** `postStamps`: every post file's path, size and mtime. */
  posts: string;
  /** The listing and its folders' stamps (no glob while no folder changed), or why there is none ("later": try again). */
  listing: ListingStampResult;
  /** The header cache as this build left it (null without one): deleting it means a full build, which writes it again. */
  headerCache: FileStamp | null;
  /** The same posts are published for any `now` in [validFrom, validUntil) (ms; null: unbounded). */
  validFrom: number | null;
  validUntil: number | null;
  stats: ScanResult['stats'];
  /** The scan's problems (errors and warnings of the posts), printed again on every build. */
  problems: Problem[];
}

/** Bump when what a snapshot means or holds changes. */
const SNAPSHOT_VERSION = 1;

/**
 * Everything outside the post files that a build's result depends on: the whole config (more
 * than it needs: a change to, say, the digest's schedule only costs one full build), the
 * resolved folders (problems name files relative to them) and the formats of the header cache
 * and of this snapshot. The feed formats are covered by the manifest's own version.
 */
function buildFingerprint(resolved: ResolvedConfig): string {
  return createHash('sha256')
    .update(JSON.stringify([SNAPSHOT_VERSION, CACHE_VERSION, resolved.config, resolved.paths.content, resolved.paths.output, resolved.paths.state]))
    .digest('hex');
}

const isStamp = (v: unknown): v is FileStamp => typeof v === 'object' && v !== null && typeof (v as FileStamp).size === 'number' && typeof (v as FileStamp).mtimeMs === 'number';
const isBound = (v: unknown): v is number | null => v === null || typeof v === 'number';

function isSnapshot(v: unknown): v is Snapshot {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<Snapshot>;
  const stats = s.stats as Record<string, unknown> | undefined;
  return (
    typeof s.config === 'string' &&
    typeof s.posts === 'string' &&
    (s.listing === 'later' || s.listing === 'never' || isListingStamp(s.listing)) &&
    (s.headerCache === null || isStamp(s.headerCache)) &&
    isBound(s.validFrom) &&
    isBound(s.validUntil) &&
    typeof stats === 'object' &&
    stats !== null &&
    ['files', 'published', 'drafts', 'future', 'skipped', 'cacheHits'].every((key) => typeof stats[key] === 'number') &&
    Array.isArray(s.problems) &&
    s.problems.every((p: unknown) => typeof p === 'object' && p !== null && typeof (p as Problem).message === 'string' && typeof (p as Problem).file === 'string')
  );
}

/** Folders of `outputDir/folder` (e.g. "tags/ai"), as `writeFeeds` lists them; [] when there is none, undefined when it cannot be listed. */
function termDirs(outputDir: string, folder: string): string[] | undefined {
  try {
    return readdirSync(path.join(outputDir, folder), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `${folder}/${e.name}`);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? [] : undefined;
  }
}

/**
 * The manifest's snapshot when a build now would find nothing to do and report exactly it:
 * same config, same post files (path, size, mtime), `now` inside the interval over which the
 * same posts are published, the header cache as left, every feed file of every set as written,
 * and no term folder that the full build would clean up. Undefined otherwise: then the full
 * build runs, exactly as if there were no snapshot.
 */
async function unchangedBuild(resolved: ResolvedConfig, now: Date, manifest: FeedManifest, manifestFile: string, fingerprint: string): Promise<Snapshot | undefined> {
  const snapshot = manifest.snapshot;
  if (!isSnapshot(snapshot) || snapshot.config !== fingerprint) return undefined;
  const time = now.getTime();
  if ((snapshot.validFrom !== null && time < snapshot.validFrom) || (snapshot.validUntil !== null && time >= snapshot.validUntil)) return undefined;
  const cacheFile = headerCacheFile(resolved);
  const cache = cacheFile === undefined ? undefined : stampOf(cacheFile);
  if (snapshot.headerCache === null ? cache !== undefined : cache === undefined || cache.size !== snapshot.headerCache.size || cache.mtimeMs !== snapshot.headerCache.mtimeMs) return undefined;
  const outputDir = resolved.paths.output;
  // A folder under categories/ or tags/ that is no set's: the full build removes its feeds (or
  // reports why it cannot).
  const live = manifest.sets;
  for (const folder of ['archive', 'categories', 'tags']) {
    const dirs = termDirs(outputDir, folder);
    if (dirs === undefined || dirs.some((dir) => live[dir] === undefined)) return undefined;
  }
  for (const set of Object.values(live)) {
    if (typeof set !== 'object' || set === null || typeof set.files !== 'object' || set.files === null) return undefined;
    if (!filesUnchanged(outputDir, set.files)) return undefined;
  }
  // The one cost that grows with the blog: listing the posts and one stat each.
  const { listing } = snapshot;
  const posts = await stampPosts(resolved.config, resolved.paths.content, typeof listing === 'string' ? undefined : listing, listing === 'later');
  if (posts?.digest !== snapshot.posts) return undefined;
  // The build that recorded the snapshot ran too soon after a folder changed to trust its
  // stamps; now they may be, so that the next build need not list the posts again.
  if (listing === 'later' && typeof posts.listing !== 'string') {
    try {
      await saveManifest(manifestFile, { ...manifest, snapshot: { ...snapshot, listing: posts.listing } });
    } catch {
      // only a saving lost: the next build lists the posts again
    }
  }
  return snapshot;
}

/** Pings every WebSub hub for every changed feed file; never throws. */
async function announce(resolved: ResolvedConfig, written: readonly string[]): Promise<PingResult> {
  const { config } = resolved;
  const { hubs, retries, retryDelayMs, timeoutMs } = config.feeds.websub;
  if (hubs.length === 0 || written.length === 0) return { accepted: 0, failed: [] };
  const [{ outputFileUrl }, { pingHubs }] = await Promise.all([import('../feeds/document.js'), import('../feeds/websub.js')]);
  // Archive documents are nobody's subscription (RFC 5005 §4): only the feeds readers follow.
  const files = new Map(written.filter((relative) => !relative.startsWith('archive/')).map((relative) => [outputFileUrl(config, relative), relative]));
  if (files.size === 0) return { accepted: 0, failed: [] };
  const result = await pingHubs({ hubs, topics: [...files.keys()], retries, retryDelayMs, timeoutMs });
  return { ...result, failed: result.failed.map((failure) => ({ ...failure, file: files.get(failure.topic) })) };
}

/** One warning per post that a feed file carries as summary + link (or leaves out) to stay within feeds.maxBytes. */
function trimmedProblems(resolved: ResolvedConfig, trimmed: BuildFeedsResult['trimmed']): Problem[] {
  const byPost = new Map<string, { sourcePath: string | undefined; id: string; summary: string[]; dropped: string[] }>();
  // A month of a busy blog rarely fits in full: one warning per archive folder, not one per post.
  const byMonth = new Map<string, { summary: Set<string>; dropped: Set<string> }>();
  for (const t of trimmed) {
    if (t.file.startsWith('archive/')) {
      const month = t.file.slice(0, t.file.lastIndexOf('/'));
      let posts = byMonth.get(month);
      if (posts === undefined) byMonth.set(month, (posts = { summary: new Set(), dropped: new Set() }));
      posts[t.how === 'summary' ? 'summary' : 'dropped'].add(t.id);
      continue;
    }
    const key = `${t.sourcePath ?? ''}\n${t.id}`;
    let entry = byPost.get(key);
    if (entry === undefined) byPost.set(key, (entry = { sourcePath: t.sourcePath, id: t.id, summary: [], dropped: [] }));
    entry[t.how === 'summary' ? 'summary' : 'dropped'].push(t.file);
  }
  const limit = `feeds.maxBytes (${resolved.config.feeds.maxBytes} bytes)`;
  const count = (n: number): string => `${n} ${n === 1 ? 'post' : 'posts'}`;
  const months: Problem[] = [...byMonth].map(([month, { summary, dropped }]) => ({
    file: `${resolved.config.output.dir}/${month}/`,
    field: 'feeds.maxBytes',
    message: [
      summary.size > 0 ? `${count(summary.size)} of this month carried as summary + link to keep within ${limit}` : '',
      // The one case where the archive is not complete: say so plainly.
      dropped.size > 0 ? `${count(dropped.size)} left out of this month's archive: even their summaries pass ${limit}` : '',
    ]
      .filter((part) => part !== '')
      .join('; '),
    hint: dropped.size > 0 ? 'raise feeds.maxBytes, or the archive misses those posts' : 'raise feeds.maxBytes for full archives; readers still get every summary and link',
    severity: 'warning' as const,
  }));
  return [...months, ...[...byPost.values()].map((entry) => ({
    file: entry.sourcePath === undefined ? entry.id : problemFile(resolved.config, resolved.paths.content, entry.sourcePath),
    field: 'feeds.maxBytes',
    message: [
      entry.summary.length > 0 ? `carried as summary + link in ${entry.summary.join(', ')} to keep within ${limit}` : '',
      entry.dropped.length > 0 ? `left out of ${entry.dropped.join(', ')}: even as a summary it would pass ${limit}` : '',
    ]
      .filter((part) => part !== '')
      .join('; '),
    hint: 'shorten the post or raise feeds.maxBytes; readers still get its summary and link',
    severity: 'warning' as const,
  }))];
}

/**
 * A build that publishes no post while the site feed on disk has items would empty every feed
 * and delete every per-term one: a content folder emptied by a deploy, posts all failing after a
 * config change. That is refused, writing nothing, unless asked for with `allowEmpty`; the
 * posts' problems go with the error, since they are usually the reason.
 */
function refuseToEmpty(resolved: ResolvedConfig, problems: readonly Problem[]): void {
  const file = path.join(resolved.paths.output, resolved.config.feeds.json);
  let items = 0;
  try {
    const feed = JSON.parse(readFileSync(file, 'utf8')) as { items?: unknown };
    items = Array.isArray(feed.items) ? feed.items.length : 0;
  } catch {
    return; // no feed (or not ours) on disk: nothing to lose
  }
  if (items === 0) return;
  const shown = path.relative(resolved.cwd, file) || file;
  throw new FeedletterError('CONTENT_MISSING', `no post would be published, but ${shown} has ${items} item${items === 1 ? '' : 's'}: this build would empty every feed; nothing was written`, {
    hint: 'if the blog really has no published post now, run again with --allow-empty; otherwise check content.dir and the problems above',
    problems,
  });
}

/**
 * `feedletter build`: read every post's header, render only the posts a full-content feed
 * carries, write the feeds. One bad post is reported and skipped; the rest are written.
 */
export async function build(options: BuildOptions): Promise<BuildResult> {
  const { resolved, now } = options;
  const { config } = resolved;
  const started = performance.now();
  requireContentDir(resolved.paths.content, resolved.cwd);
  const manifestFile = path.join(resolved.paths.state, 'cache', 'feeds.json');
  const manifest = await loadManifest(manifestFile);
  const fingerprint = buildFingerprint(resolved);

  // Nothing changed since the last build: its result stands, and no post needs reading.
  const unchanged = await unchangedBuild(resolved, now, manifest, manifestFile, fingerprint);
  if (unchanged !== undefined) {
    const files = Object.values(manifest.sets).flatMap((set) => Object.keys(set.files));
    const result: BuildResult = { problems: unchanged.problems, skipped: unchanged.stats.skipped, published: unchanged.stats.published, rendered: 0, feeds: { written: [], unchanged: files.sort(), removed: [], trimmed: [] }, websub: { accepted: 0, failed: [] } };
    options.logger?.info(
      {
        job: 'build',
        ...unchanged.stats,
        rendered: 0,
        feedSets: Object.keys(manifest.sets).length,
        written: 0,
        unchanged: files.length,
        removed: 0,
        snapshot: true,
        ms: Math.round(performance.now() - started),
      },
      'feeds built',
    );
    return result;
  }

  // Only a build with something to do loads the header reader, the markdown renderer and the
  // feed writers.
  const [{ renderPosts, scanPosts }, { FeedPlanner, postsNeedingContent }, { writeFeeds }] = await Promise.all([import('../content/index.js'), import('../feeds/plan.js'), import('../feeds/index.js')]);
  // Headers stream through the planner, which keeps only the newest few of each set: memory does
  // not grow with the number of posts.
  const planner = new FeedPlanner(config);
  const cacheFile = headerCacheFile(resolved);
  const content = await scanPosts({ config, contentDir: resolved.paths.content, now, cacheFile, stamp: true }, (header) => planner.add(header));
  const scanned = performance.now();
  if (content.stats.published === 0 && options.allowEmpty !== true) refuseToEmpty(resolved, content.problems);
  const sets = planner.sets();
  // Sets whose inputs and files are exactly as the last build left them need no work at all.
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
  const beforeWrite = performance.now();
  const feeds = await writeFeeds({ config, outputDir: resolved.paths.output, sets: usable, posts, current }).catch((error: unknown) => {
    throw ioFailure(error, `write the feeds into ${config.output.dir}/`) ?? error;
  });
  const written = performance.now();
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
  // Recorded only when the next build, given the same inputs, would do nothing and report just
  // this: every set is in the manifest (no render failure), every post was read (a file that
  // could not be read may become readable without a new mtime), the header cache was written.
  const headerCache = cacheFile === undefined ? null : (stampOf(cacheFile) ?? undefined);
  if (content.inputs !== undefined && unrendered.size === 0 && Object.keys(next.sets).length === sets.length && headerCache !== undefined) {
    // What the next scan would count: every file read is in the header cache now, so all are hits.
    const stats = { ...content.stats, cacheHits: cacheFile === undefined ? 0 : content.stats.files };
    const snapshot: Snapshot = { config: fingerprint, posts: content.inputs.posts, listing: content.inputs.listing, headerCache, validFrom: content.inputs.validFrom, validUntil: content.inputs.validUntil, stats, problems: content.problems };
    next.snapshot = snapshot;
  }
  await saveManifest(manifestFile, next).catch((error: unknown) => {
    throw ioFailure(error, `record the build in the state folder ${config.state.dir}/`) ?? error;
  });
  const collisions: Problem[] = planner.notices.map((notice) => ({
    file: notice.post === undefined ? resolved.config.content.dir : problemFile(config, resolved.paths.content, notice.post.sourcePath),
    field: notice.kind === 'tag' ? 'tags' : 'categories',
    message: `"${notice.term}" and "${notice.other}" make the same URL; "${notice.term}" gets ${notice.kind === 'tag' ? 'tags' : 'categories'}/${notice.slug}/`,
    hint: `spell the two ${notice.kind === 'tag' ? 'tags' : 'categories'} alike if they mean the same, or more apart if not`,
    severity: 'warning',
  }));
  // Only files whose bytes changed: an unchanged feed is never announced.
  const websub = await announce(resolved, feeds.written);
  const pingProblems: Problem[] = websub.failed.map((failure) => ({
    file: `${config.output.dir}/${failure.file ?? ''}`,
    field: 'feeds.websub.hubs',
    message: `the hub ${failure.hub} did not take the ping for ${failure.topic} (${failure.reason}, ${failure.tries} ${failure.tries === 1 ? 'try' : 'tries'})`,
    hint: 'readers still see the change at their next poll; check the hub URL, or that the hub is up',
    severity: 'warning',
  }));
  const problems = [...content.problems, ...rendered.problems, ...collisions, ...trimmedProblems(resolved, feeds.trimmed), ...pingProblems];
  const result: BuildResult = {
    problems,
    skipped: content.stats.skipped + unrendered.size,
    published: content.stats.published - unrendered.size,
    rendered: rendered.posts.length,
    feeds,
    websub,
  };
  options.logger?.info(
    {
      job: 'build',
      files: content.stats.files,
      published: result.published,
      drafts: content.stats.drafts,
      future: content.stats.future,
      expired: content.stats.expired,
      skipped: result.skipped,
      cacheHits: content.stats.cacheHits,
      rendered: rendered.posts.length,
      feedSets: sets.length,
      written: feeds.written.length,
      unchanged: feeds.unchanged.length,
      removed: feeds.removed.length,
      snapshot: false,
      ms: Math.round(performance.now() - started),
      // Where the time went: reading headers, writing feeds (the rest is rendering bodies and the manifest).
      scanMs: Math.round(scanned - started),
      // Chunks of 64 posts read by worker threads; absent when none was started.
      workerChunks: content.workerChunks,
      writeMs: Math.round(written - beforeWrite),
      ...(config.feeds.websub.hubs.length === 0 ? {} : { websubAccepted: websub.accepted, websubFailed: websub.failed.length }),
    },
    'feeds built',
  );
  return result;
}
