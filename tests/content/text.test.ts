import { describe, expect, it } from 'vitest';
import { detach, dropTrailingReplacementChar, markdownInlineToText, markdownItInlineToText, stripInvalidXmlChars, truncateText } from '../../src/content/text.js';
import { seededRandom } from '../helpers/random.js';

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

// Text around emphasis markers: CJK letters and punctuation, ASCII letters, digits and
// punctuation, every kind of space, emoji, and characters markdown-it treats specially.
const TEXT = ['し', 'か', 'AI', 'x', '9', '、', '。', '「', '」', '！', '？', '（', '）', '…', '：', ' ', '  ', '\t', '\n', ' \n ', '\u3000', '\u00a0', '.', ',', ':', '-', '#', '(', ')', '"', "'", '$', '%', '+', '=', '@', '^', '{', '}', '😀', '\uFFFD', 'é'];
const MARKERS = ['*', '**', '***', '****', '_', '__', '___', '*_', '**__'];
const DOUBLED = ['**', '***', '****', '__', '___', '**__'];
// Markup the fast path must leave to markdown-it: each would change the text if ignored.
const OTHER = ['\\', '\\*', '\\_', '`', '``', '[', ']', '](u)', '[t](u)', '![a](b)', '<', '>', '<b>', '</b>', '<http://x.test/>', '&', '&amp;', '&#x41;', '!', '~', '~~', '\r', '\r\n'];

/**
 * Strings of text pieces and emphasis markers. `markers`: which runs to use; `withOther`: add one
 * kind of other markup once or twice.
 */
function generated(count: number, seed: number, markers: readonly string[], withOther: boolean): string[] {
  const next = seededRandom(seed);
  const pick = <T,>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const out: string[] = [];
  for (let n = 0; n < count; n++) {
    const parts: string[] = [];
    const length = 1 + Math.floor(next() * 12);
    for (let k = 0; k < length; k++) parts.push(next() < 0.35 ? pick(markers) : pick(TEXT));
    if (withOther) {
      const other = pick(OTHER);
      const times = 1 + Math.floor(next() * 2);
      for (let t = 0; t < times; t++) parts.splice(Math.floor(next() * (parts.length + 1)), 0, other);
    }
    out.push(parts.join(''));
  }
  return out;
}

describe('markdownInlineToText without markdown-it', () => {
  it('gives markdown-it\'s text for the shapes of real titles and excerpts', () => {
    const samples = [
      '**しかし、だからこそ、この提携は興味深いのだ。AIの進化は止ま**',
      '**しかし、だからこそ、この提携は興味深いのだ。AIの進化は止ま**について詳細に分析します。',
      '**「性能2倍」の衝撃**：AWSが示す**次の一手**',
      '**a** b **c**',
      '** spaced **',
      '****',
      '**unclosed',
      'closed**',
      '__under__score',
      'a__b__c',
      '***three*** and **two**',
      '**line\nbreak**  \n  next',
    ];
    for (const s of samples) {
      for (const html of [false, true]) expect(markdownInlineToText(s, { html }), JSON.stringify(s)).toBe(markdownItInlineToText(s, { html }));
    }
  });

  it('agrees with markdown-it on many generated strings', () => {
    const strings = [...generated(4000, 1, MARKERS, false), ...generated(4000, 2, DOUBLED, false), ...generated(6000, 3, DOUBLED, true)];
    let differing = 0;
    const firstDifferences: string[] = [];
    for (const s of strings) {
      for (const html of [false, true]) {
        if (markdownInlineToText(s, { html }) !== markdownItInlineToText(s, { html })) {
          differing++;
          if (firstDifferences.length < 5) firstDifferences.push(JSON.stringify(s));
        }
      }
    }
    expect(firstDifferences).toEqual([]);
    expect(differing).toBe(0);
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

describe('detach', () => {
  it('copies any string exactly', () => {
    const strings = ['', 'short', 'https://example.com/a/b/c/', '日本語のタイトルです、長め', 'quotes " and \\ backslash \u2028\u2029 \u0000\u001f', 'lone \uD800 and \uDC00 halves, pair 😀', 'x'.repeat(5000)];
    for (const s of strings) {
      const parent = `<<${s}>>`;
      expect(detach(parent.slice(2, -2))).toBe(s);
    }
  });
});
