import type { ResolvedConfig } from '../config/schema.js';
import { requireContentDir } from '../content/folder.js';
import { readPosts, renderPosts } from '../content/index.js';
import type { Problem } from '../errors.js';

export interface CheckResult {
  problems: Problem[];
  files: number;
  published: number;
  drafts: number;
  future: number;
  skipped: number;
}

/**
 * `feedletter check`: every problem of every post, bodies included, without writing anything
 * (not even the header cache).
 */
export async function check(options: { resolved: ResolvedConfig; now: Date }): Promise<CheckResult> {
  const { resolved, now } = options;
  const { config } = resolved;
  requireContentDir(resolved.paths.content, resolved.cwd);
  const content = await readPosts({ config, contentDir: resolved.paths.content, now });
  const rendered = await renderPosts(content.headers, { config, contentDir: resolved.paths.content });
  const renderFailures = content.headers.length - rendered.posts.length;
  return {
    problems: [...content.problems, ...rendered.problems],
    files: content.stats.files,
    published: content.headers.length - renderFailures,
    drafts: content.stats.drafts,
    future: content.stats.future,
    skipped: content.stats.skipped + renderFailures,
  };
}
