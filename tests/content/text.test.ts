import { describe, expect, it } from 'vitest';
import { dropTrailingReplacementChar, markdownInlineToText, stripInvalidXmlChars, truncateText } from '../../src/content/text.js';

describe('stripInvalidXmlChars', () => {
  it('removes C0 controls except TAB, LF, CR', () => {
    expect(stripInvalidXmlChars('a\u0000b\u0001c\u0008d\u000Be\u000Cf\u001Fg')).toBe('abcdefg');
    expect(stripInvalidXmlChars('a\tb\nc\rd')).toBe('a\tb\nc\rd');
  });

  it('removes U+FFFE, U+FFFF and lone surrogates, keeps pairs', () => {
    expect(stripInvalidXmlChars('x\uFFFEy\uFFFFz')).toBe('xyz');
    expect(stripInvalidXmlChars('a\uD800b')).toBe('ab');
    expect(stripInvalidXmlChars('a\uDC00b')).toBe('ab');
    expect(stripInvalidXmlChars('end\uD83D')).toBe('end');
    expect(stripInvalidXmlChars('emoji 😀 ok')).toBe('emoji 😀 ok');
  });

  it('leaves clean text (and U+FFFD, which XML allows) unchanged', () => {
    expect(stripInvalidXmlChars('日本語 <b>&amp;</b> \uFFFD')).toBe('日本語 <b>&amp;</b> \uFFFD');
  });
});

describe('markdownInlineToText', () => {
  it('renders emphasis, links, images and code to text', () => {
    expect(markdownInlineToText('**bold** and *em* [link](https://x.test/) ![alt text](a.png) `code`')).toBe('bold and em link alt text code');
  });

  it('decodes entities and collapses whitespace', () => {
    expect(markdownInlineToText('A &amp; B &lt;3 &#x41;\n  next')).toBe('A & B <3 A next');
  });

  it('keeps raw HTML as literal text by default, drops tags with html: true', () => {
    expect(markdownInlineToText('<script>alert(1)</script> x')).toBe('<script>alert(1)</script> x');
    expect(markdownInlineToText('<b>bold</b> x', { html: true })).toBe('bold x');
  });

  it('drops an unclosed ** (a title cut upstream) but keeps a lone *', () => {
    expect(markdownInlineToText('**Inflection AIとAMDの提タッグの')).toBe('Inflection AIとAMDの提タッグの');
    expect(markdownInlineToText('2 * 3 = 6')).toBe('2 * 3 = 6');
    expect(markdownInlineToText('**Inflection AI、次世代AIチップ開発でAMDと提携**について')).toBe('Inflection AI、次世代AIチップ開発でAMDと提携について');
  });

  it('never lets characters XML cannot carry through', () => {
    expect(markdownInlineToText('a\u0000b\u0007 ]]> c')).toBe('ab ]]> c');
  });
});

describe('dropTrailingReplacementChar', () => {
  it('drops a trailing U+FFFD and says so', () => {
    expect(dropTrailingReplacementChar('タッグの\uFFFD')).toEqual({ text: 'タッグの', dropped: true });
    expect(dropTrailingReplacementChar('a\uFFFDb')).toEqual({ text: 'a\uFFFDb', dropped: false });
  });
});

describe('truncateText', () => {
  it('caps on a code point boundary with an ellipsis', () => {
    const long = '😀'.repeat(400);
    const cut = truncateText(long, 300);
    expect(Array.from(cut)).toHaveLength(300);
    expect(cut.endsWith('…')).toBe(true);
    expect(stripInvalidXmlChars(cut)).toBe(cut);
    expect(truncateText('short', 300)).toBe('short');
  });
});
