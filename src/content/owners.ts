/**
 * Which post holds each permalink, for a scan's duplicate check, without keeping the ids: an id
 * is a percent-encoded URL, often 200 to 400 characters (35 MB for 100,000 posts, all of it
 * live until the scan ends). Kept instead: a 31-bit hash of the id (a small integer, stored
 * without allocating) and the holder's position in the scan. A hash met again is checked against
 * the holder's real id, read again from its file, so two different ids are never taken for one.
 * That read happens for real duplicates (rare, and an error) and for hash collisions (about two
 * in a scan of 100,000 posts).
 */
export class PermalinkOwners {
  private readonly byHash = new Map<number, number | number[]>();

  /**
   * @param idAt the id of the post at a scan position, as it was when scanned; undefined when
   *   that cannot be told any more (the file changed or vanished since).
   */
  constructor(private readonly idAt: (position: number) => string | undefined) {}

  /** The scan position of the post holding `id`, if one does. */
  holder(id: string): number | undefined {
    const found = this.byHash.get(hashId(id));
    if (found === undefined) return undefined;
    for (const position of typeof found === 'number' ? [found] : found) {
      const held = this.idAt(position);
      // A holder whose id can no longer be told is taken to hold this one: a feed must never
      // carry one id twice, and the next build reads both posts afresh.
      if (held === undefined || held === id) return position;
    }
    return undefined;
  }

  /** Records that the post at `position` holds `id` (which `holder` said none did). */
  add(id: string, position: number): void {
    const key = hashId(id);
    const found = this.byHash.get(key);
    if (found === undefined) this.byHash.set(key, position);
    else if (typeof found === 'number') this.byHash.set(key, [found, position]);
    else found.push(position);
  }
}

/** FNV-1a over the UTF-16 code units, folded to 31 bits (a small integer in V8). */
export function hashId(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 31)) & 0x7fffffff;
}
