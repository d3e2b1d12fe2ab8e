import { hashId } from '../../src/content/owners.js';

/**
 * Two different permalinks under `base` whose ids have one `hashId`, found by brute force (the
 * birthday bound of 31 bits: about 50,000 tries).
 */
export function collidingIds(base = 'https://blog.example.com'): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const id = `${base}/2026/01/${i}/`;
    const h = hashId(id);
    const other = seen.get(h);
    if (other !== undefined) return [other, id];
    seen.set(h, id);
  }
}
