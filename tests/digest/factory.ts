import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import matter from 'gray-matter';
import { configSchema, type Config, type ConfigInput } from '../../src/config/schema.js';
import type { Post, PostHeader } from '../../src/post.js';
import { SEEDS_DIR } from '../helpers/tmp.js';

/** A fresh config of a Japanese site like the sample one, with `overrides` merged per section. */
export function makeConfig(overrides: ConfigInput = {}): Config {
  return configSchema.parse({
    ...overrides,
    site: { title: 'ALLFORCES', url: 'https://allforces.example.jp/', language: 'ja', timezone: 'Asia/Tokyo', ...overrides.site },
  });
}

let counter = 0;

/** A fresh, clean Post; every call gets its own id and URL unless given. */
export function makePost(overrides: Partial<Post> = {}): Post {
  counter++;
  const url = overrides.url ?? `https://allforces.example.jp/posts/${counter}/`;
  const date = overrides.date ?? new Date(Date.UTC(2026, 0, 10, 0, 0, counter));
  return {
    id: url,
    url,
    title: `Post ${counter}`,
    date,
    updated: date,
    authors: ['ALLFORCES編集部'],
    categories: ['投資分析'],
    tags: ['AI', 'チップ'],
    summary: `Summary of post ${counter}.`,
    contentHtml: `<p>Body ${counter}</p>`,
    readingTime: 3,
    sourcePath: `_posts/post-${counter}.md`,
    slug: `post-${counter}`,
    ...overrides,
  };
}

/** A fresh PostHeader (what the content stage yields before rendering bodies). */
export function makeHeader(overrides: Partial<PostHeader> = {}): PostHeader {
  const { contentHtml: _body, readingTime, ...rest } = makePost();
  return { ...rest, readingTime, size: 100, mtimeMs: 0, ...overrides };
}

/**
 * The two seed posts of the sample blog as Posts, read here with gray-matter so these tests do not
 * depend on the content stage: title with markdown emphasis and the truncation mark dropped.
 */
export function seedPosts(): Post[] {
  return readdirSync(SEEDS_DIR)
    .filter((name) => name.endsWith('.md'))
    .map((name) => {
      const { data, content } = matter(readFileSync(path.join(SEEDS_DIR, name), 'utf8'));
      const slug = name.replace(/^\d{4}-\d{2}-\d{2}-|\.md$/g, '');
      const url = `https://allforces.example.jp/${slug}/`;
      // "2026-01-14 16:51:02 +0000" is not a YAML timestamp; gray-matter leaves it a string.
      const date = new Date(String(data.date).replace(/^(\S+) (\S+) ([+-]\d\d)(\d\d)$/, '$1T$2$3:$4'));
      const text = (value: unknown): string => String(value).replace(/\*\*/g, '').replace(/\uFFFD+$/, '').trim();
      return makePost({
        url,
        title: text(data.title),
        date,
        authors: [String(data.author)],
        categories: (data.categories as string[]) ?? [],
        tags: (data.tags as string[]) ?? [],
        summary: text(data.excerpt),
        contentHtml: `<p>${content.slice(0, 100)}</p>`,
        readingTime: Number(data.reading_time),
        sourcePath: `_posts/${name}`,
        slug,
      });
    })
    .sort((a, b) => b.date.getTime() - a.date.getTime());
}
