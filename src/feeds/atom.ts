import {
  authorEmail,
  canonicalUrl,
  EPOCH,
  feedDescription,
  feedFileUrl,
  feedId,
  feedUpdated,
  FH_NS,
  historyLinks,
  itemAuthors,
  itemContent,
  itemTerms,
  itemUpdated,
  rfc3339,
  type FeedDocument,
} from './document.js';
import { escapeXmlAttr as attr, escapeXmlText as text } from './xml.js';

export type { FeedDocument } from './document.js';

const ATOM_NS = 'http://www.w3.org/2005/Atom';

/**
 * Atom 1.0 (RFC 4287), written here rather than with the `feed` package, which cannot produce a
 * valid document for every input (issue 2, "Feeds": write a format yourself only where it cannot):
 * it has no `xml:lang`, escapes only `&` in attribute values (a tag `a<b` in `category term`
 * makes the document ill-formed), and labels plain-text titles and summaries `type="html"`.
 *
 * Titles and summaries are plain text (`type="text"`, the default); the body is escaped HTML
 * (`type="html"`), so no CDATA and no `]]>` problem. Feed `updated` is the newest post's date,
 * or 1970-01-01T00:00:00Z for a set without posts (Atom requires one; the clock is not allowed).
 */
export function renderAtom(doc: FeedDocument): string {
  const { set, config } = doc;
  const site = config.site;
  const out: string[] = [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<feed xmlns="${ATOM_NS}" xml:lang="${attr(site.language)}">`,
    `  <id>${text(feedId(config, set))}</id>`,
    `  <title>${text(set.title)}</title>`,
    `  <subtitle>${text(feedDescription(config, set))}</subtitle>`,
    `  <updated>${rfc3339(feedUpdated(doc.posts) ?? EPOCH)}</updated>`,
    `  <link rel="alternate" type="text/html" href="${attr(site.url)}"/>`,
    `  <link rel="self" type="application/atom+xml" href="${attr(feedFileUrl(config, set, config.feeds.atom))}"/>`,
    // WebSub §4: the hubs a subscriber may use (https://www.w3.org/TR/websub/#discovery).
    ...config.feeds.websub.hubs.map((hub) => `  <link rel="hub" href="${attr(hub)}"/>`),
    // RFC 5005 archived feeds.
    ...historyLinks(config, set, config.feeds.atom).map((link) => `  <link rel="${link.rel}" type="application/atom+xml" href="${attr(link.href)}"/>`),
    ...(set.kind === 'archive' ? [`  <fh:archive xmlns:fh="${FH_NS}"/>`] : []),
    // A feed-level author keeps the document valid even if an entry had none (RFC 4287 §4.1.1).
    ...person(site.author.name, site.author.email, '  '),
    '  <generator>feedletter</generator>',
  ];
  for (const post of doc.posts) {
    const url = canonicalUrl(post.url);
    out.push(
      post.language === undefined ? '  <entry>' : `  <entry xml:lang="${attr(post.language)}">`,
      `    <id>${text(canonicalUrl(post.id))}</id>`,
      `    <title>${text(post.title)}</title>`,
      `    <link rel="alternate" type="text/html" href="${attr(url)}"/>`,
      `    <published>${rfc3339(post.date)}</published>`,
      `    <updated>${rfc3339(itemUpdated(post))}</updated>`,
    );
    for (const name of itemAuthors(config, post)) out.push(...person(name, authorEmail(config, name), '    '));
    for (const term of itemTerms(post)) out.push(`    <category term="${attr(term)}"/>`);
    if (post.summary !== '') out.push(`    <summary>${text(post.summary)}</summary>`);
    const body = itemContent(set, post);
    if (body !== undefined) out.push(`    <content type="html">${text(body)}</content>`);
    out.push('  </entry>');
  }
  out.push('</feed>', '');
  return out.join('\n');
}

function person(name: string, email: string | undefined, indent: string): string[] {
  return [
    `${indent}<author>`,
    `${indent}  <name>${text(name)}</name>`,
    ...(email === undefined ? [] : [`${indent}  <email>${text(email)}</email>`]),
    `${indent}</author>`,
  ];
}
