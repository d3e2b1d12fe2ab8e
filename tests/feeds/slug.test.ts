import { describe, expect, test } from 'vitest';
import { encodePath } from '../../src/feeds/document.js';
import { termSlug } from '../../src/feeds/plan.js';

const HASH = '[0-9a-f]{8}';

describe('termSlug', () => {
  test.each([
    // Safe, lower-case terms are their own folder name.
    ['ai', /^ai$/],
    ['日本語', /^日本語$/],
    ['c++', /^c\+\+$/],
    ['node_js', /^node_js$/],
    // Anything else keeps a readable part and gains a hash of the term.
    ['C++', new RegExp(`^c\\+\\+-${HASH}$`)],
    ['AI', new RegExp(`^ai-${HASH}$`)],
    ['a/b', new RegExp(`^a-b-${HASH}$`)],
    ['a\\b', new RegExp(`^a-b-${HASH}$`)],
    ['タグ with space', new RegExp(`^タグ-with-space-${HASH}$`)],
    ['.hidden', new RegExp(`^hidden-${HASH}$`)],
    ['Node.js', new RegExp(`^node\\.js-${HASH}$`)],
    ['trailing.', new RegExp(`^trailing-${HASH}$`)],
    // Reserved on Windows, in any case.
    ['CON', new RegExp(`^con-${HASH}$`)],
    ['con', new RegExp(`^con-${HASH}$`)],
    ['lpt1', new RegExp(`^lpt1-${HASH}$`)],
    // Nothing readable: the hash alone, never `.`, `..` or an empty name.
    ['.', new RegExp(`^${HASH}$`)],
    ['..', new RegExp(`^${HASH}$`)],
    ['   ', new RegExp(`^${HASH}$`)],
    ['🚀', new RegExp(`^${HASH}$`)],
    ['<>:"|?*', new RegExp(`^${HASH}$`)],
  ])('%j → %s', (term, pattern) => {
    expect(termSlug(term)).toMatch(pattern);
  });

  test('is pinned: a term keeps its folder across versions, so feed URLs never move', () => {
    expect(termSlug('C++')).toBe('c++-f1deb75f');
    expect(termSlug('a/b')).toBe('a-b-c14cddc0');
    expect(termSlug('タグ with space')).toBe('タグ-with-space-d468565d');
    expect(termSlug('..')).toBe('5ec1f7e7');
    expect(termSlug('CON')).toBe('con-a3dbc4b6');
  });

  test('depends on the term alone: same answer whatever was slugged before', () => {
    const first = termSlug('Machine Learning');
    for (const other of ['machine learning', 'Machine-Learning', 'MACHINE LEARNING']) termSlug(other);
    expect(termSlug('Machine Learning')).toBe(first);
  });

  test('gives distinct folders to terms that differ only in case, punctuation or spacing', () => {
    const terms = ['C++', 'c++', 'c+ +', 'C', 'c', 'a/b', 'a-b', 'a b', 'a\\b', 'A B', 'a  b', 'ai', 'AI', 'Ai', '.', '..', '...', 'CON', 'con', 'タグ', 'タグ '];
    const slugs = terms.map(termSlug);
    expect(new Set(slugs).size).toBe(terms.length);
    // And distinct on a case-insensitive file system too.
    expect(new Set(slugs.map((s) => s.toLowerCase())).size).toBe(terms.length);
  });

  test('treats composed and decomposed spellings as one term', () => {
    expect(termSlug('Cafe\u0301')).toBe(termSlug('Caf\u00e9'));
    expect(termSlug('e\u0301')).toBe('\u00e9');
  });

  test('caps long terms in bytes, cutting whole characters, and keeps them distinct', () => {
    const ascii = termSlug('x'.repeat(300));
    const japanese = termSlug('日本語'.repeat(60));
    const japanese2 = termSlug(`${'日本語'.repeat(60)}違い`);
    for (const slug of [ascii, japanese, japanese2]) {
      expect(Buffer.byteLength(slug, 'utf8')).toBeLessThanOrEqual(89);
      expect(Buffer.from(slug, 'utf8').toString('utf8')).toBe(slug); // no character cut in half
      expect(slug).toMatch(new RegExp(`-${HASH}$`));
    }
    expect(japanese).not.toBe(japanese2);
  });

  test('every slug is one safe path segment that survives percent-encoding', () => {
    const terms = ['C++', 'a/b', '../../etc/passwd', 'タグ with space', 'x\u0000y', 'tab\there', 'new\nline', 'q?a#b', '%20', 'COM1.txt', ' lead', 'trail ', '-dash-', '日本語'];
    for (const term of terms) {
      const slug = termSlug(term);
      expect(slug).toMatch(/^[\p{L}\p{M}\p{N}+_.-]+$/u);
      expect(slug).not.toMatch(/^[.-]|[.-]$/);
      expect(slug).not.toMatch(/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i);
      const encoded = encodePath(`tags/${slug}`);
      expect(encoded).toMatch(/^tags\/[A-Za-z0-9%+_.!~*'()-]+$/);
      expect(decodeURIComponent(encoded)).toBe(`tags/${slug}`);
    }
  });
});
