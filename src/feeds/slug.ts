import { createHash } from 'node:crypto';

/** Longest readable part of a slug, in UTF-8 bytes; file systems allow 255 per name. */
const MAX_BASE_BYTES = 80;
/** Hex digits of the hash suffix: 32 bits, plenty for a few thousand terms. */
export const SHORT_HASH_LENGTH = 8;

// Names Windows refuses whatever the extension (a feed folder may be synced or served from there).
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$/i;

/** The term as feedletter identifies it: NFC, so composed and decomposed spellings are one term. */
export function termKey(term: string): string {
  return term.normalize('NFC');
}

function hashOf(key: string, length: number): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, length);
}

/** Lower-case letters, digits and `+ _ - .` survive; every other run of characters becomes `-`. */
function readablePart(key: string): string {
  let base = key
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}+_.-]+/gu, '-')
    .replace(/-{2,}/g, '-')
    // No leading dot (hidden files, `.` and `..`), no trailing dot (Windows drops it), no dangling dash.
    .replace(/^[-.]+|[-.]+$/g, '');
  if (Buffer.byteLength(base, 'utf8') > MAX_BASE_BYTES) {
    let cut = '';
    for (const ch of base) {
      if (Buffer.byteLength(cut + ch, 'utf8') > MAX_BASE_BYTES) break;
      cut += ch;
    }
    base = cut.replace(/[-.]+$/g, '');
  }
  return base;
}

/**
 * The term as feedletter groups it: NFC and lower-case, so `AI`, `Ai` and `ai` (and composed and
 * decomposed spellings) are one term with one feed, as in Hugo.
 */
export function foldKey(term: string): string {
  return termKey(term).toLowerCase();
}

/**
 * The folder name of a category or tag feed set, the way Hugo users know it: lower-case, every
 * run of spaces and characters unsafe in a path or URL segment turned into `-`, non-ASCII letters
 * kept (percent-encoded once in URLs). Depends on the term alone.
 *
 *   `AI` → `ai`, `C++` → `c++`, `a/b` and `A B` → `a-b`, `タグ with space` → `タグ-with-space`
 *
 * Two exceptions get a short hash of the term: nothing readable is left (`..`, `🚀`), or the name
 * is one Windows refuses (`con`, `lpt1`). A true collision (two different terms, one slug) is
 * settled by the planner (`assignSlugs`), which suffixes the later term.
 */
export function termSlug(term: string): string {
  const key = foldKey(term);
  let base = readablePart(key);
  if (WINDOWS_RESERVED.test(base)) {
    // Windows reserves `COM1` whatever follows the first dot, so `com1.txt-<hash>` would still be refused.
    base = base.replace(/\.+/g, '-');
  } else if (base !== '') {
    return base;
  }
  const hash = hashOf(key, SHORT_HASH_LENGTH);
  return base === '' ? hash : `${base}-${hash}`;
}

/** `slug` with a hash of the term's fold key: how the later of two colliding terms is told apart. */
export function suffixedSlug(slug: string, term: string, hashLength = SHORT_HASH_LENGTH): string {
  return `${slug}-${hashOf(foldKey(term), hashLength)}`;
}
