import { htmlTitleToText, markdownInlineToText } from './text.js';

/**
 * What the header needs from the start of a body (first paragraph, first heading), and the end
 * marker cut. Works on the first chunk of a file: each answer says whether it needed more text.
 */

/** The body up to (not including) the first line equal to `marker`; the whole body without one. */
export function cutAtEndMarker(body: string, marker: string | undefined): { body: string; cut: boolean } {
  if (marker === undefined) return { body, cut: false };
  let start = 0;
  while (start <= body.length) {
    const nl = body.indexOf('\n', start);
    const end = nl === -1 ? body.length : nl;
    if (body.slice(start, end).trim() === marker) return { body: body.slice(0, start), cut: true };
    if (nl === -1) break;
    start = nl + 1;
  }
  return { body, cut: false };
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const THEMATIC = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const SETEXT = /^ {0,3}(?:=+|-+)[ \t]*$/;
// Lines that are markup around a paragraph, not one: Liquid tags, kramdown attribute lists, HTML comments.
const NOT_TEXT = /^\s*(?:\{%.*%\}|\{:.*\}|<!--.*-->)\s*$/;

export type Found = { status: 'found'; text: string } | { status: 'none' } | { status: 'more' };

/** A plain-text paragraph longer than this many markdown characters is long enough to summarise. */
const ENOUGH = 4_000;

/**
 * The first paragraph of `body` as plain text. `complete` says whether `body` is all of it; when it
 * is not and the paragraph may go on past its end, the answer is `more`.
 */
export function firstParagraph(body: string, complete: boolean): Found {
  const lines = body.split('\n');
  // The last line of a partial chunk may be cut in the middle: never judge by it.
  const usable = complete ? lines.length : lines.length - 1;
  let i = 0;
  while (i < usable) {
    const line = lines[i] ?? '';
    if (line.trim() === '' || ATX.test(line) || THEMATIC.test(line) || NOT_TEXT.test(line)) {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const close = new RegExp(`^ {0,3}${fence[1]?.[0] === '`' ? '`' : '~'}{${fence[1]?.length ?? 3},}[ \\t]*$`);
      i++;
      while (i < usable && !close.test(lines[i] ?? '')) i++;
      if (i >= usable && !complete) return { status: 'more' };
      i++;
      continue;
    }
    if (/^\s*<!--/.test(line)) {
      while (i < usable && !(lines[i] ?? '').includes('-->')) i++;
      if (i >= usable && !complete) return { status: 'more' };
      i++;
      continue;
    }
    const paragraph: string[] = [];
    let size = 0;
    let closed = false;
    while (i < usable) {
      const l = lines[i] ?? '';
      if (l.trim() === '' || ATX.test(l) || FENCE.test(l)) {
        closed = true;
        break;
      }
      if (paragraph.length > 0 && SETEXT.test(l)) {
        // "Text\n====": a heading, not a paragraph.
        paragraph.length = 0;
        i++;
        closed = true;
        break;
      }
      paragraph.push(l.replace(/^\s{0,3}(?:>\s?)+/, '').replace(/^\s*(?:[-*+]|\d{1,9}[.)])\s+/, ''));
      size += l.length;
      i++;
      if (size > ENOUGH) {
        closed = true;
        break;
      }
    }
    if (!closed && !complete) return { status: 'more' };
    if (paragraph.length === 0) continue;
    const text = markdownInlineToText(paragraph.join('\n'), { html: true });
    if (text !== '') return { status: 'found', text };
  }
  return complete ? { status: 'none' } : { status: 'more' };
}

/** The first ATX heading of `body` as plain text (the title fallback). */
export function firstHeading(body: string, complete: boolean): Found {
  const lines = body.split('\n');
  const usable = complete ? lines.length : lines.length - 1;
  let inFence = false;
  for (let i = 0; i < usable; i++) {
    const line = lines[i] ?? '';
    if (FENCE.test(line)) inFence = !inFence;
    if (inFence) continue;
    const m = ATX.exec(line);
    if (m?.[2] !== undefined) {
      const text = htmlTitleToText(m[2]);
      if (text !== '') return { status: 'found', text };
    }
  }
  return complete ? { status: 'none' } : { status: 'more' };
}

// Han, Hiragana, Katakana (with the prolonged sound mark), Hangul: read by the character.
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}ー]/gu;

/** Minutes to read `text`: CJK at about 500 characters a minute, other text at 200 words. At least 1. */
export function readingMinutes(text: string): number {
  const cjk = text.match(CJK)?.length ?? 0;
  const rest = text.replace(CJK, ' ');
  const words = rest.match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu)?.length ?? 0;
  return Math.max(1, Math.ceil(cjk / 500 + words / 200));
}
