import type Token from 'markdown-it/lib/token.mjs';
import { inlineMarkdown } from './markdown.js';

/*
 * Plain-text helpers shared by the content stage and the stages after it (feeds, digest).
 */

// Characters XML 1.0 cannot carry (https://www.w3.org/TR/xml/#charsets): C0 controls other than
// TAB/LF/CR, U+FFFE/U+FFFF, and UTF-16 surrogates that are not part of a pair.
// eslint-disable-next-line no-control-regex
const INVALID_XML_TEST = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Removes every character XML 1.0 cannot carry. Strings without one are returned as they are. */
export function stripInvalidXmlChars(s: string): string {
  // The cheap test first: almost every string has none, and most have no surrogate at all.
  return INVALID_XML_TEST.test(s) ? s.replace(INVALID_XML, '') : s;
}

/** Collapses every run of whitespace into one space and trims. */
export function collapseWhitespace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * Markdown (inline) to plain text: `**bold**` → `bold`, `[text](url)` → `text`, images → their alt
 * text, entities decoded, whitespace collapsed. With `html: true` inline HTML tags are dropped
 * (for text taken from a body); by default they stay literal text (front-matter fields are text).
 */
export function markdownInlineToText(s: string, options: { html?: boolean } = {}): string {
  const clean = stripInvalidXmlChars(s);
  if (!/[\\`*_[\]<>&!~]/.test(clean)) return collapseWhitespace(clean);
  if (onlyDoubledEmphasisMarkers(clean)) return collapseWhitespace(stripInvalidXmlChars(clean.replace(EMPHASIS_MARKERS, '')));
  return markdownItInlineToText(clean, options);
}

const OTHER_SPECIALS = /[\\`[\]<>&!~]/;
const EMPHASIS_MARKERS = /[*_]/g;

/**
 * Whether markdown-it's answer is known without running it: `*` and `_` are the only inline
 * markup characters in `s`, and every run of them (of one marker) is at least two long, as in
 * `**title**` and `**title**について…`.
 *
 * Why every such marker then disappears, whatever the flanking rules decide: without `\`, `` ` ``,
 * `[`, `<`, `&`, `!`, `~` no other inline rule can take a `*` or `_`, so the emphasis rule makes
 * each one a text token of its own with a delimiter of `length` = its run's length. A delimiter
 * the emphasis pass matches becomes an `em`/`strong` token or an emptied text token; one left
 * unmatched stays text, and `drop_unmatched_strong` (markdown.ts) empties it because its run is
 * two or more long. Every other character is text as written, a `\n` aside: the newline rule
 * makes it a break (a space in the output) and drops spaces next to it, which collapsing
 * whitespace does anyway (a `\r`, which markdown-it first turns into `\n`, likewise). `!`, `]`
 * and `>` are listed for safety: alone they are text. tests/content/text.test.ts compares this
 * with markdown-it on many generated strings.
 */
function onlyDoubledEmphasisMarkers(s: string): boolean {
  if (OTHER_SPECIALS.test(s)) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x2a && c !== 0x5f) continue;
    let end = i + 1;
    while (s.charCodeAt(end) === c) end++;
    if (end - i < 2) return false;
    i = end - 1;
  }
  return true;
}

/** `markdownInlineToText` by markdown-it alone, every time (the fast path's reference). */
export function markdownItInlineToText(s: string, options: { html?: boolean } = {}): string {
  const clean = stripInvalidXmlChars(s);
  const tokens = inlineMarkdown(options.html ?? false).parseInline(clean, {});
  let out = '';
  for (const token of tokens) out += tokensToText(token.children ?? []);
  return collapseWhitespace(stripInvalidXmlChars(out));
}

function tokensToText(tokens: readonly Token[]): string {
  let out = '';
  for (const token of tokens) {
    switch (token.type) {
      case 'text':
      case 'code_inline':
        out += token.content;
        break;
      case 'softbreak':
      case 'hardbreak':
        out += ' ';
        break;
      case 'image':
        out += tokensToText(token.children ?? []);
        break;
      default:
        // link_open/close, strong/em markers, html_inline: no text of their own.
        break;
    }
  }
  return out;
}

// What Liquid's `strip_html` removes with its content (scripts, styles, comments), then any tag.
// A tag here must start with a letter (or `/` and a letter): "a < b" and "<3" stay text, where
// Liquid's looser `<.*?>` would eat them.
const HTML_BLOCKS = /<script\b[\s\S]*?<\/script\s*>|<style\b[\s\S]*?<\/style\s*>|<!--[\s\S]*?-->/gi;
const HTML_TAG = /<\/?[A-Za-z][^<>]*>/g;

/**
 * A title as text, the way jekyll-feed writes one (`title | strip_html`): `HTML heavy <b>post</b>`
 * → `HTML heavy post`. Markup is removed first and entities are decoded after, once, by the
 * markdown step (`&lt;b&gt;` stays the visible text `<b>`). Then as `markdownInlineToText`.
 */
export function htmlTitleToText(s: string): string {
  const stripped = s.includes('<') ? s.replace(HTML_BLOCKS, '').replace(HTML_TAG, '') : s;
  return markdownInlineToText(stripped);
}

/** Drops a trailing run of U+FFFD (a character cut in half upstream). Returns whether it did. */
export function dropTrailingReplacementChar(s: string): { text: string; dropped: boolean } {
  if (!s.includes('\uFFFD')) return { text: s, dropped: false }; // the pattern needs one
  const text = s.replace(/[\uFFFD\s]*\uFFFD[\uFFFD\s]*$/u, '');
  return { text: text === s ? s : text.trimEnd(), dropped: text !== s };
}

/** Default cap of summaries, in characters (code points). */
export const SUMMARY_MAX_CHARS = 300;

/**
 * Cuts `s` to at most `max` code points (never inside a surrogate pair), ending with "…" when it
 * was cut.
 */
export function truncateText(s: string, max = SUMMARY_MAX_CHARS): string {
  if (s.length <= max) return s;
  const points = Array.from(s);
  if (points.length <= max) return s;
  return `${points.slice(0, max - 1).join('').trimEnd()}…`;
}

/**
 * A copy of `s` that does not keep a larger string alive. V8 represents `slice()`/regex results
 * of 13+ characters as views into their parent: a title taken from a file's first 2 KB would keep
 * all 2 KB in memory for as long as the header lives (100,000 headers: hundreds of MB).
 */
export function detach(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}
