/**
 * The contract between the content stage and everything after it (feeds, digest). Every field is
 * already clean: plain text where text is expected, absolute URLs, characters XML 1.0 can carry.
 */
export interface Post {
  /** Stable identity of the post: its absolute permalink URL. Never changes once published. */
  id: string;
  /** Absolute URL of the post, non-ASCII percent-encoded once. */
  url: string;
  /** Plain text (markdown rendered to text, trailing U+FFFD dropped); never empty. */
  title: string;
  /** Publication time. */
  date: Date;
  /** Last modification (`last_modified_at` / `updated`), else equal to `date`. */
  updated: Date;
  /** Author names; falls back to the site author. Never empty. */
  authors: string[];
  categories: string[];
  tags: string[];
  /** Plain-text summary: `excerpt`/`description`, else the first paragraph of the body. */
  summary: string;
  /** Full body as HTML, every relative URL made absolute, cut at the end marker. */
  contentHtml: string;
  /** Minutes, from front matter `reading_time` or computed from the text. At least 1. */
  readingTime: number;
  /** Path of the source file relative to the content folder, with forward slashes. */
  sourcePath: string;
  /** Path-safe slug used for the permalink (from the file name or front matter `slug`). */
  slug: string;
  /** Front matter `lang` (BCP 47) when the post says it is in another language than the site. */
  language?: string | undefined;
}

/**
 * What every post file yields before its body is rendered: enough to sort, filter and select.
 * Only posts that go into a feed or a digest are turned into full `Post`s.
 */
export interface PostHeader {
  id: string;
  url: string;
  title: string;
  date: Date;
  updated: Date;
  authors: string[];
  categories: string[];
  tags: string[];
  /** Plain-text summary: front-matter `excerpt`/`description`, else the first paragraph of the body. */
  summary: string;
  /** Minutes, from front matter `reading_time`, else computed when the body is rendered. */
  readingTime: number | undefined;
  sourcePath: string;
  slug: string;
  /** Front matter `lang` (BCP 47) when the post says it is in another language than the site. */
  language?: string | undefined;
  /** File size and mtime (ms) when read: the cache key, and how `renderPosts` knows the file changed. */
  size: number;
  mtimeMs: number;
}
