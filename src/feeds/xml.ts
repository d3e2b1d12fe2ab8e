/**
 * Text safety for everything the feeds write. The content stage already cleans every field (see
 * `src/post.ts`); these are a second line of defence so that a renderer never emits a document a
 * reader rejects, whatever it is given.
 */

/**
 * Code points XML 1.0 cannot carry (§2.2 Char): C0 controls other than tab, LF and CR, lone
 * surrogates, U+FFFE and U+FFFF. With the `u` flag a lone surrogate is one code point outside
 * every allowed range, while a valid pair is one code point above U+FFFF.
 */
const INVALID_XML_CHARS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
/**
 * A cheap first look without the `u` flag (which makes V8 walk the string code point by code
 * point): any character that could be invalid, including every surrogate, valid pairs too.
 * Bodies of 20 KB go through here once per format and set; almost none holds one.
 */
// eslint-disable-next-line no-control-regex
const MAYBE_INVALID = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

export function stripInvalidXmlChars(text: string): string {
  return MAYBE_INVALID.test(text) ? text.replace(INVALID_XML_CHARS, '') : text;
}

/**
 * What every text field goes through before any format: invalid characters removed and line ends
 * normalised to LF. XML parsers turn CR LF and lone CR into LF anyway (XML 1.0 §2.11), so doing it
 * here makes all three formats carry the same text.
 */
export function cleanText(text: string): string {
  const clean = stripInvalidXmlChars(text);
  return clean.includes('\r') ? clean.replace(/\r\n?/g, '\n') : clean;
}

const TEXT_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
// Tab, LF and CR in an attribute are turned into spaces by attribute-value normalisation
// (XML 1.0 §3.3.3) unless written as character references.
const ATTR_ESCAPES: Record<string, string> = { ...TEXT_ESCAPES, '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };

/** Character data: `&`, `<` and `>` escaped (`>` so that `]]>` can never appear). Cleans first. */
export function escapeXmlText(text: string): string {
  return cleanText(text).replace(/[&<>]/g, (c) => TEXT_ESCAPES[c] ?? c);
}

/** An attribute value for either quote style. Cleans first. */
export function escapeXmlAttr(text: string): string {
  return stripInvalidXmlChars(text).replace(/[&<>"'\t\n\r]/g, (c) => ATTR_ESCAPES[c] ?? c);
}

/**
 * Plain text as HTML source that displays as that text: for fields a reader renders as HTML
 * (RSS `description`), so that a summary mentioning `<video>` shows the word, not a player.
 */
export function plainTextToHtml(text: string): string {
  return cleanText(text).replace(/[&<>"']/g, (c) => (c === '"' ? '&quot;' : c === "'" ? '&#39;' : (TEXT_ESCAPES[c] ?? c)));
}

/*
 * Workarounds for the `feed` package, which writes XML through xml-js (node_modules/xml-js/lib/js2xml.js).
 * Issue 2, "Content rules": `]]>` and `& < > " '` must be safe in every field.
 */

/**
 * A string for a field `feed` writes as a CDATA section. xml-js splits only the first `]]>`
 * (`cdata.replace(']]>', ...)`), and one left whole ends the section early: split every later one
 * here and leave the first to xml-js. Splitting the first too would split it twice.
 */
export function forFeedCdata(text: string): string {
  const clean = cleanText(text);
  const first = clean.indexOf(']]>');
  if (first < 0) return clean;
  return clean.slice(0, first + 3) + clean.slice(first + 3).replaceAll(']]>', ']]]]><![CDATA[>');
}

/**
 * A string for a field `feed` writes as character data. xml-js first turns every `&amp;` back
 * into `&` ("desanitize to avoid double sanitization") and then escapes, so a literal `&amp;`
 * in a title would reach readers as `&`. Doubling it here makes that one pass yield the original.
 * (URLs need nothing: `feed` already escapes `&` in them, which this pass then undoes.)
 */
export function forFeedText(text: string): string {
  return cleanText(text).replaceAll('&amp;', '&amp;amp;');
}
