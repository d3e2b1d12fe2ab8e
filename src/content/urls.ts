import { decodeHTMLAttribute } from 'entities/decode';

/**
 * Every relative URL in a post's HTML made absolute against the post's URL: a feed reader has no
 * page to resolve them against, and relative links are the first complaint about feeds.
 * Covers `href`, `src`, `srcset` and `poster`, in markdown output and in raw HTML alike.
 */

const URL_ATTRIBUTES = new Set(['href', 'src', 'srcset', 'poster']);

// A start tag: name, then attributes (quoted, unquoted or bare). markdown-it escapes `<` in text
// and code, so every match is a real tag.
const TAG_RE = /<([A-Za-z][A-Za-z0-9:-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)(\s*\/?)>/g;
const ATTR_RE = /(\s+)([^\s"'>/=]+)(?:(\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

/** Resolves one URL against `base`; scheme URLs (`https:`, `mailto:`, `data:`...) stay as they are. */
export function absoluteUrl(value: string, base: string): string {
  const v = value.trim();
  if (v === '' || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(v)) return value;
  try {
    // Protocol-relative: a feed is read outside any page, so pick the secure scheme.
    return v.startsWith('//') ? new URL(`https:${v}`).href : new URL(v, base).href;
  } catch {
    return value;
  }
}

/**
 * `srcset` candidates (https://html.spec.whatwg.org/multipage/images.html#parsing-a-srcset-attribute):
 * a URL (no whitespace; trailing commas end the candidate), then descriptors up to a comma.
 */
export function absoluteSrcset(value: string, base: string): string {
  const out: string[] = [];
  let i = 0;
  const n = value.length;
  while (i < n) {
    while (i < n && /[\s,]/.test(value[i] ?? '')) i++;
    if (i >= n) break;
    let j = i;
    while (j < n && !/\s/.test(value[j] ?? '')) j++;
    let url = value.slice(i, j);
    i = j;
    let descriptor = '';
    if (url.endsWith(',')) {
      url = url.replace(/,+$/, '');
    } else {
      let depth = 0;
      while (i < n) {
        const c = value[i];
        if (c === '(') depth++;
        else if (c === ')') depth = Math.max(0, depth - 1);
        else if (c === ',' && depth === 0) break;
        descriptor += c;
        i++;
      }
      i++; // the comma
    }
    const d = descriptor.trim();
    out.push(d === '' ? absoluteUrl(url, base) : `${absoluteUrl(url, base)} ${d}`);
  }
  return out.join(', ');
}

function escapeAttribute(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Rewrites the URL attributes of every tag in `html`. Other text is left byte for byte. */
export function absolutizeHtml(html: string, base: string): string {
  if (!/(?:href|src|srcset|poster)\s*=/i.test(html)) return html;
  return html.replace(TAG_RE, (tag: string, name: string, attrs: string, end: string) => {
    if (!/(?:href|src|srcset|poster)\s*=/i.test(attrs)) return tag;
    const rewritten = attrs.replace(ATTR_RE, (attr: string, space: string, attrName: string, eq: string | undefined, dq?: string, sq?: string, bare?: string) => {
      const lower = attrName.toLowerCase();
      const raw = dq ?? sq ?? bare;
      if (eq === undefined || raw === undefined || !URL_ATTRIBUTES.has(lower)) return attr;
      const value = decodeHTMLAttribute(raw);
      const resolved = lower === 'srcset' ? absoluteSrcset(value, base) : absoluteUrl(value, base);
      return resolved === value ? attr : `${space}${attrName}="${escapeAttribute(resolved)}"`;
    });
    return `<${name}${rewritten}${end}>`;
  });
}
