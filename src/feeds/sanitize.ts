import { createRequire } from 'node:module';
import type sanitizeHtmlType from 'sanitize-html';

/**
 * Feed HTML made safe for readers (issue 14, "Hostile HTML"). A post's raw HTML passes through
 * markdown-it untouched, as Jekyll passes it; a feed reader renders it inside its own page, so
 * what reaches `content:encoded`, Atom `content` and `content_html` is cut down to an allowlist
 * with sanitize-html: scripts, styles, event handlers, forms, objects and `javascript:` /
 * `vbscript:` / `data:` URLs go (entity-encoded and whitespace tricks included: sanitize-html
 * decodes attribute values before it looks at the scheme); ordinary markup, images, tables, code
 * and footnotes stay. An `<iframe>` stays only when its `src` is an http(s) URL on one of the
 * embed hosts; any other becomes a link to its `src`, so the reader still finds the video.
 *
 * Runs only on the bodies of posts that go into a feed file being written (see writeFeeds), once
 * per post whatever the number of sets and formats carrying it.
 */

const require = createRequire(import.meta.url);
let sanitizeHtml: typeof sanitizeHtmlType | undefined;

const TAGS = [
  // Text and structure
  'p', 'br', 'hr', 'div', 'span', 'section', 'article', 'aside', 'header', 'footer', 'main', 'nav', 'address',
  'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'q', 'cite', 'pre', 'code', 'kbd', 'samp', 'var',
  'b', 'strong', 'i', 'em', 'u', 's', 'strike', 'del', 'ins', 'mark', 'small', 'sub', 'sup', 'abbr', 'dfn', 'time', 'bdi', 'bdo', 'wbr', 'ruby', 'rt', 'rp',
  'ul', 'ol', 'li', 'dl', 'dt', 'dd', 'details', 'summary',
  'a',
  // Media
  'img', 'figure', 'figcaption', 'picture', 'source', 'video', 'audio', 'track',
  // Tables
  'table', 'caption', 'colgroup', 'col', 'thead', 'tbody', 'tfoot', 'tr', 'th', 'td',
  // Only from an embed host (see transformTags)
  'iframe',
];

const GLOBAL_ATTRIBUTES = ['id', 'class', 'title', 'lang', 'dir'];

const ATTRIBUTES: Record<string, string[]> = {
  '*': GLOBAL_ATTRIBUTES,
  a: ['href', 'name', 'rel', 'hreflang'],
  img: ['src', 'srcset', 'sizes', 'alt', 'width', 'height', 'loading'],
  source: ['src', 'srcset', 'sizes', 'type', 'media'],
  video: ['src', 'poster', 'controls', 'width', 'height', 'loop', 'muted', 'preload', 'playsinline'],
  audio: ['src', 'controls', 'loop', 'muted', 'preload'],
  track: ['src', 'kind', 'srclang', 'label', 'default'],
  ol: ['start', 'reversed', 'type'],
  li: ['value'],
  td: ['colspan', 'rowspan', 'headers', 'align'],
  th: ['colspan', 'rowspan', 'headers', 'scope', 'align'],
  col: ['span'],
  colgroup: ['span'],
  time: ['datetime'],
  del: ['datetime', 'cite'],
  ins: ['datetime', 'cite'],
  blockquote: ['cite'],
  q: ['cite'],
  details: ['open'],
  iframe: ['src', 'width', 'height', 'title', 'allow', 'allowfullscreen', 'frameborder', 'loading', 'referrerpolicy'],
};

export interface SanitizeOptions {
  /** Host names (exact, case-insensitive) whose iframes are kept. */
  embedHosts: readonly string[];
}

/** The host of an http(s) URL, lower-case; undefined for anything else. */
function httpHost(src: string): string | undefined {
  if (!URL.canParse(src.trim())) return undefined;
  const url = new URL(src.trim());
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.hostname.toLowerCase() : undefined;
}

/**
 * An iframe from an embed host stays; any other becomes a link to its http(s) `src`, with the URL
 * as its text (an iframe with another scheme becomes a bare span: its fallback text stays).
 */
function iframeOrLink(allowed: ReadonlySet<string>): sanitizeHtmlType.Transformer {
  return (tagName, attribs) => {
    const src = (attribs.src ?? '').trim();
    const host = httpHost(src);
    if (host !== undefined && allowed.has(host)) return { tagName, attribs };
    return host === undefined ? { tagName: 'span', attribs: {} } : { tagName: 'a', attribs: { href: src }, text: src };
  };
}

function sanitizerOptions(embedHosts: readonly string[]): sanitizeHtmlType.IOptions {
  const hosts = [...new Set(embedHosts.map((h) => h.toLowerCase()))];
  const allowed = new Set(hosts);
  return {
    allowedTags: TAGS,
    allowedAttributes: ATTRIBUTES,
    allowedSchemes: ['http', 'https', 'mailto', 'tel'],
    allowedSchemesAppliedToAttributes: ['href', 'src', 'cite', 'poster', 'srcset'],
    allowProtocolRelative: false,
    // Dropped with everything inside; any other disallowed tag goes and its text stays.
    nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'template', 'title', 'xmp', 'plaintext', 'noembed', 'noframes', 'select', 'object', 'applet', 'embed', 'math', 'svg'],
    allowedIframeHostnames: hosts,
    allowIframeRelativeUrls: false,
    transformTags: { iframe: iframeOrLink(allowed) },
    // markdown-it writes `"` in text as `&quot;`; sanitize-html would write it raw. Same meaning,
    // but ordinary markup should come out byte for byte.
    textFilter: (text) => text.replaceAll('"', '&quot;'),
  };
}

/**
 * The first of two passes for a body with an iframe: sanitize-html ignores a transform's `text`
 * when a `textFilter` is set, so the iframes are turned into links here, everything else kept as
 * it is (the second pass then filters the whole result).
 */
function iframePassOptions(embedHosts: readonly string[]): sanitizeHtmlType.IOptions {
  return { allowedTags: false, allowedAttributes: false, allowVulnerableTags: true, transformTags: { iframe: iframeOrLink(new Set(embedHosts.map((h) => h.toLowerCase()))) } };
}

let cached: { key: string; options: sanitizeHtmlType.IOptions; iframes: sanitizeHtmlType.IOptions } | undefined;

/**
 * `html` with everything outside the allowlist removed. Markup that is already safe comes back
 * byte for byte as markdown-it writes it (void elements as `<br>`, not `<br />`).
 */
export function sanitizeFeedHtml(html: string, options: SanitizeOptions): string {
  sanitizeHtml ??= require('sanitize-html') as typeof sanitizeHtmlType;
  const key = options.embedHosts.join('\n');
  if (cached?.key !== key) cached = { key, options: sanitizerOptions(options.embedHosts), iframes: iframePassOptions(options.embedHosts) };
  const source = /<iframe/i.test(html) ? sanitizeHtml(html, cached.iframes) : html;
  // In sanitize-html's output `>` only appears raw at the end of a tag (text and attribute values
  // are escaped), so ` />` is always the end of a void element it wrote.
  return sanitizeHtml(source, cached.options).replaceAll(' />', '>');
}
