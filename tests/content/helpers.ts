import path from 'node:path';
import { configSchema, type Config, type ConfigInput } from '../../src/config/schema.js';
import { readPosts, type ContentResult } from '../../src/content/index.js';

/** A config as the loader would give it, with a Japanese site by default. */
export function makeConfig(input: ConfigInput = {}): Config {
  return configSchema.parse({
    ...input,
    site: { title: 'Test', url: 'https://blog.example.com/', timezone: 'Asia/Tokyo', language: 'ja', author: { name: 'Site Author' }, ...input.site },
    content: { endMarker: '---END---', ...input.content },
  });
}

export const NOW = new Date('2026-06-01T00:00:00Z');

/** readPosts over `<root>/content` of a testdir. */
export function read(root: string, options: { config?: Config; now?: Date; cacheFile?: string } = {}): Promise<ContentResult> {
  return readPosts({
    config: options.config ?? makeConfig(),
    contentDir: path.join(root, 'content'),
    now: options.now ?? NOW,
    ...(options.cacheFile === undefined ? {} : { cacheFile: options.cacheFile }),
  });
}

/** A post file: front matter lines (already YAML) and a body. */
export function post(frontMatter: string, body = 'Hello world.\n'): string {
  return `---\n${frontMatter}\n---\n\n${body}`;
}
