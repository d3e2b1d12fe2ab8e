import path from 'node:path';
import type { Config } from '../config/schema.js';

/** Runs `fn` over `items` with at most `limit` at a time; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * How a problem names a post file: relative to the working directory when `content.dir` is the
 * relative path that led to `contentDir` ("content/_posts/x.md"), else relative to the content
 * folder's parent.
 */
export function problemFile(config: Config, contentDir: string, sourcePath: string): string {
  const dir = config.content.dir;
  if (!path.isAbsolute(dir)) {
    const normal = path.normalize(dir).replace(/[\\/]+$/, '');
    if (normal === '.' ) return sourcePath;
    if (path.resolve(contentDir).endsWith(`${path.sep}${normal}`)) return `${normal.split(path.sep).join('/')}/${sourcePath}`;
  }
  return `${path.basename(contentDir)}/${sourcePath}`;
}
