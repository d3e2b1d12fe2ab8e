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
 * The folder name of a category or tag feed set. Stable: depends on the term alone, never on the
 * other terms, so a feed URL never moves. Safe on every file system and in a URL path segment
 * once percent-encoded. Lossless: whenever the readable part differs from the term (case,
 * spaces, `/`, length, reserved names), a short hash of the term is appended, so `C++` and
 * `c++`, or `a/b` and `a-b`, never share a folder.
 *
 *   `ai` → `ai`, `日本語` → `日本語`, `AI` → `ai-<hash>`, `a/b` → `a-b-<hash>`, `..` → `<hash>`
 */
export function termSlug(term: string): string {
  return slugWithHash(term, SHORT_HASH_LENGTH);
}

/**
 * `termSlug` with a hash of `hashLength` hex digits; `planFeeds` uses a longer one in the
 * (astronomically unlikely) case that two terms of one build share a short slug.
 */
export function slugWithHash(term: string, hashLength: number): string {
  const key = termKey(term);
  let base = readablePart(key);
  if (WINDOWS_RESERVED.test(base)) {
    // Windows reserves `COM1` whatever follows the first dot, so `com1.txt-<hash>` would still be refused.
    base = base.replace(/\.+/g, '-');
  } else if (base === key) {
    return base;
  }
  const hash = hashOf(key, hashLength);
  return base === '' ? hash : `${base}-${hash}`;
}
