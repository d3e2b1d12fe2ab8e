import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Problem } from '../errors.js';
import type { Post, PostHeader } from '../post.js';
import { cutAtEndMarker, readingMinutes } from './body.js';
import { splitFrontMatter } from './frontmatter.js';
import { bodyMarkdown } from './markdown.js';
import { decodeUtf8, headerFromText, Utf8Error } from './read.js';
import { stripInvalidXmlChars } from './text.js';
import { absolutizeHtml } from './urls.js';
import { mapLimit, problemFile } from './util.js';

/** Files rendered at once: each is read whole and rendered, so fewer than headers. */
const RENDER_CONCURRENCY = 8;

/** The body of a post as feed-ready HTML: cut at the end marker, rendered, URLs absolute, XML-safe. */
export function renderBody(markdown: string, postUrl: string, endMarker: string | undefined): string {
  const body = cutAtEndMarker(markdown, endMarker).body;
  return stripInvalidXmlChars(absolutizeHtml(bodyMarkdown().render(body), postUrl));
}

/** Plain text of rendered HTML, for counting reading time. */
function htmlText(html: string): string {
  return html.replace(/<[^>]*>/g, ' ').replace(/&[a-z#0-9]+;/gi, ' ');
}

/**
 * Full posts for the given headers (in their order): each file read whole and rendered. A file
 * changed since its header was read is parsed again; a post that fails is left out with a problem.
 */
export async function renderPosts(headers: readonly PostHeader[], options: { config: Config; contentDir: string }): Promise<{ posts: Post[]; problems: Problem[] }> {
  const { config, contentDir } = options;
  const results = await mapLimit(headers, RENDER_CONCURRENCY, async (header): Promise<{ post?: Post; problems: Problem[] }> => {
    const file = problemFile(config, contentDir, header.sourcePath);
    let bytes: Buffer;
    let changed: boolean;
    try {
      const fh = await open(path.join(contentDir, header.sourcePath), 'r');
      try {
        const stat = await fh.stat();
        changed = stat.size !== header.size || stat.mtimeMs !== header.mtimeMs;
        bytes = await fh.readFile();
      } finally {
        await fh.close();
      }
    } catch (error) {
      return { problems: [{ file, message: `cannot be read: ${(error as Error).message}`, hint: 'was the file removed or renamed during the build?', severity: 'error' }] };
    }
    let text: string;
    try {
      text = decodeUtf8(bytes, false);
    } catch (error) {
      if (!(error instanceof Utf8Error)) throw error;
      return { problems: [{ file, line: error.line, message: 'is not valid UTF-8', hint: 'save the file as UTF-8', severity: 'error' }] };
    }
    let current: Omit<PostHeader, 'size' | 'mtimeMs'> = header;
    const problems: Problem[] = [];
    if (changed) {
      // Edited since the headers were read: trust the file as it is now.
      const parsed = headerFromText(text, true, header.sourcePath, config);
      if (parsed === 'more') throw new Error('unreachable: a whole file never needs more');
      for (const p of parsed.problems) problems.push({ file, ...p });
      if (parsed.header === undefined || parsed.draft) {
        if (parsed.draft) problems.push({ file, message: 'became a draft during the build; left out', severity: 'warning' });
        return { problems };
      }
      current = parsed.header;
    }
    const split = splitFrontMatter(text, true);
    const markdown = split.kind === 'unclosed' ? '' : split.body;
    const contentHtml = renderBody(markdown, current.url, config.content.endMarker);
    const post: Post = {
      id: current.id,
      url: current.url,
      title: current.title,
      date: current.date,
      updated: current.updated,
      authors: current.authors,
      categories: current.categories,
      tags: current.tags,
      summary: current.summary,
      contentHtml,
      readingTime: current.readingTime ?? readingMinutes(htmlText(contentHtml)),
      sourcePath: current.sourcePath,
      slug: current.slug,
      ...(current.language === undefined ? {} : { language: current.language }),
    };
    return { post, problems };
  });
  const posts: Post[] = [];
  const problems: Problem[] = [];
  for (const r of results) {
    if (r.post !== undefined) posts.push(r.post);
    problems.push(...r.problems);
  }
  return { posts, problems };
}
