import { describe, expect, test } from 'vitest';
import { encodePath } from '../../src/feeds/document.js';
import { termSlug } from '../../src/feeds/plan.js';
import { foldKey } from '../../src/feeds/slug.js';

const HASH = '[0-9a-f]{8}';

describe('termSlug: readable, as Hugo users know it', () => {
  test.each([
    ['ai', 'ai'],
    ['AI', 'ai'],
    ['Amazon', 'amazon'],
    ['C++', 'c++'],
    ['c++', 'c++'],
    ['node_js', 'node_js'],
    ['Node.js', 'node.js'],
    ['a/b', 'a-b'],
    ['a\\b', 'a-b'],
    ['A B', 'a-b'],
    ['a  b', 'a-b'],
    ['タグ with space', 'タグ-with-space'],
    ['日本語', '日本語'],
    ['Ünïcödé', 'ünïcödé'],
    ['.hidden', 'hidden'],
    ['trailing.', 'trailing'],
    ['q?a#b', 'q-a-b'],
    ['%20', '20'],
    ['-dash-', 'dash'],
  ])('%j → %j', (term, slug) => {
    expect(termSlug(term)).toBe(slug);
  });

  test.each([
    // Nothing readable: a hash of the term alone, never `.`, `..` or an empty name.
    ['.', new RegExp(`^${HASH}$`)],
    ['..', new RegExp(`^${HASH}$`)],
    ['   ', new RegExp(`^${HASH}$`)],
    ['🚀', new RegExp(`^${HASH}$`)],
    ['<>:"|?*', new RegExp(`^${HASH}$`)],
    // Reserved on Windows, in any case.
    ['CON', new RegExp(`^con-${HASH}$`)],
    ['lpt1', new RegExp(`^lpt1-${HASH}$`)],
    ['COM1.txt', new RegExp(`^com1-txt-${HASH}$`)],
  ])('%j → %s', (term, pattern) => {
    expect(termSlug(term)).toMatch(pattern);
  });

  test('case variants and composed / decomposed spellings share one slug and one fold key', () => {
    expect(termSlug('Cafe\u0301')).toBe(termSlug('caf\u00e9'));
    expect(foldKey('Cafe\u0301')).toBe(foldKey('CAF\u00c9'));
    expect(new Set(['AI', 'ai', 'Ai', 'aI'].map(termSlug))).toEqual(new Set(['ai']));
    expect(termSlug('..')).toBe(termSlug('..'));
  });

  test('caps long terms in bytes, cutting whole characters', () => {
    for (const term of ['x'.repeat(300), '日本語'.repeat(60)]) {
      const slug = termSlug(term);
      expect(Buffer.byteLength(slug, 'utf8')).toBeLessThanOrEqual(80);
      expect(Buffer.from(slug, 'utf8').toString('utf8')).toBe(slug); // no character cut in half
    }
  });

  test('every slug is one safe path segment, percent-encoded once in a URL', () => {
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
    expect(encodePath(`tags/${termSlug('タグ with space')}`)).toBe('tags/%E3%82%BF%E3%82%B0-with-space');
  });
});
