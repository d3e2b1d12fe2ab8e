import { describe, expect, it } from 'vitest';
import { describeChar, removeControlChars } from '../../src/content/frontmatter.js';
import { htmlTitleToText } from '../../src/content/text.js';
import { testdir } from '../helpers/tmp.js';
import { makeConfig, post, read } from './helpers.js';

describe('titles become text the way jekyll-feed writes them (strip_html), entities decoded once', () => {
  it.each([
    ['HTML heavy <b>post</b>', 'HTML heavy post'],
    ['<a href="https://x.example/">Linked</a> title', 'Linked title'],
    ['x<script>alert("1")</script>y', 'xy'],
    ['<style>p{}</style>Styled', 'Styled'],
    ['<!-- note -->Commented', 'Commented'],
    ['<img src=x onerror=alert(1)>Image', 'Image'],
    ['&lt;b&gt; stays visible', '<b> stays visible'],
    ['AT&amp;T &amp;amp;', 'AT&T &amp;'],
    ['a < b and c > d', 'a < b and c > d'],
    ['I <3 TypeScript', 'I <3 TypeScript'],
    ['**Bold** and <em>em</em>', 'Bold and em'],
    ['タイトル<br>改行', 'タイトル改行'],
  ])('%j → %j', (raw, text) => {
    expect(htmlTitleToText(raw)).toBe(text);
  });

  it('reaches the post header (and so feeds and digest), from front matter and from a first heading', async () => {
    const root = testdir({
      'content/_posts/2026-01-01-a.md': post('title: "HTML heavy <b>post</b>"'),
      'content/_posts/2026-01-02-b.md': post('layout: post', '# Heading <code>x</code> &amp; more\n\nBody.\n'),
    });
    const { headers: posts } = await read(root);
    expect(posts.map((p) => p.title).sort()).toEqual(['HTML heavy post', 'Heading x & more']);
  });
});

describe('control characters in front matter', () => {
  it('are removed with where they were, other characters untouched', () => {
    const block = 'title: "A\u0008B"\ntags: [x]\nexcerpt: "日本\u0001語\u009F"\n\tnote: tab\u007F\n';
    const { text, removed } = removeControlChars(block, 2);
    expect(text).toBe('title: "AB"\ntags: [x]\nexcerpt: "日本語"\n\tnote: tab\n');
    expect(removed).toEqual([
      { line: 2, column: 10, codePoint: 0x08 },
      { line: 4, column: 13, codePoint: 0x01 },
      { line: 4, column: 15, codePoint: 0x9f },
      { line: 5, column: 11, codePoint: 0x7f },
    ]);
    expect(removeControlChars('title: plain\u0085\n', 2).removed).toEqual([]);
    expect(describeChar(0x08)).toBe('U+0008 (BS)');
    expect(describeChar(0x9b)).toBe('U+009B (C1 control)');
  });

  it('a title with U+0008 is published, with a warning naming line, column and character', async () => {
    const root = testdir({ 'content/_posts/2026-01-01-bs.md': post('layout: post\ntitle: "Back\u0008space"\ntags: [a\u0007b]') });
    const result = await read(root);
    expect(result.headers.map((p) => [p.title, p.tags])).toEqual([['Backspace', ['ab']]]);
    expect(result.problems).toEqual([
      expect.objectContaining({ file: 'content/_posts/2026-01-01-bs.md', line: 3, severity: 'warning', message: expect.stringMatching(/U\+0008 \(BS\) at line 3, column 13/) }),
      expect.objectContaining({ line: 4, severity: 'warning', message: expect.stringMatching(/U\+0007 \(BEL\) at line 4, column 9/) }),
    ]);
  });

  it('a TOML front matter too', async () => {
    const root = testdir({ 'content/_posts/2026-01-01-t.md': '+++\ntitle = "To\u0000ml"\n+++\n\nBody.\n' });
    const result = await read(root, { config: makeConfig() });
    expect(result.headers.map((p) => p.title)).toEqual(['Toml']);
    expect(result.problems).toEqual([expect.objectContaining({ line: 2, severity: 'warning', message: expect.stringContaining('U+0000 (NUL)') })]);
  });
});
