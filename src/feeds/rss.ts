import { Feed, type Extension, type Item } from 'feed';
import {
  authorEmail,
  canonicalUrl,
  EPOCH,
  feedDescription,
  feedFileUrl,
  feedUpdated,
  FH_NS,
  historyLinks,
  itemAuthors,
  itemContent,
  itemTerms,
  type FeedDocument,
} from './document.js';
import { cleanText, escapeXmlAttr, forFeedCdata, forFeedText, plainTextToHtml } from './xml.js';

export type { FeedDocument } from './document.js';

const DC_NS = 'http://purl.org/dc/elements/1.1/';

/**
 * RSS 2.0 through the `feed` package (the user's choice), with its gaps closed here:
 * - every string is cleaned and prepared for xml-js's escaping (`forFeedText`, `forFeedCdata`);
 * - `feed` writes a bare name into `<author>`, which RSS defines as an email address: names go
 *   to `dc:creator`, and `<author>` only carries authors with a known email;
 * - `feed` declares `xmlns:dc` only when some item has `content:encoded`; in summary mode each
 *   `dc:creator` declares it itself;
 * - `feed` uses the build clock when `updated` is missing: we always pass the newest post's date,
 *   or the epoch for a feed without posts;
 * - the summary is plain text but readers render `description` as HTML, so it is escaped as HTML.
 * `pubDate` and `lastBuildDate` are `toUTCString()`, an RFC 822 date with a four-digit year.
 */
export function renderRss(doc: FeedDocument): string {
  const { set, config } = doc;
  const site = config.site;
  const feed = new Feed({
    title: forFeedText(set.title),
    description: forFeedText(feedDescription(config, set)),
    link: site.url,
    language: site.language,
    updated: feedUpdated(doc.posts) ?? EPOCH,
    generator: false,
    feedLinks: { rss: feedFileUrl(config, set, config.feeds.rss) },
  });

  const bodies = doc.posts.map((post) => itemContent(set, post));
  const declareDcPerElement = bodies.every((body) => body === undefined);
  doc.posts.forEach((post, index) => {
    const body = bodies[index];
    const names = itemAuthors(config, post).map(cleanText);
    const creators = names.map((name) => ({
      ...(declareDcPerElement ? { _attributes: { 'xmlns:dc': DC_NS } } : {}),
      _text: forFeedText(name),
    }));
    const withEmail = names.flatMap((name) => {
      const email = authorEmail(config, name);
      return email === undefined ? [] : [{ name: forFeedText(name), email: forFeedText(email) }];
    });
    const item: Item = {
      title: forFeedCdata(post.title),
      // No `id`/`guid`: then `feed` writes the link as `<guid isPermaLink="true">`.
      link: canonicalUrl(post.url),
      date: post.date,
      description: forFeedCdata(plainTextToHtml(post.summary)),
      category: itemTerms(post).map((term) => ({ name: forFeedText(term) })),
      // `feed` types `objects` as one record, but hands it to xml-js, which writes an array as repeated elements.
      extensions: [{ name: 'dc:creator', objects: creators as unknown as Extension['objects'] }],
    };
    if (body !== undefined) item.content = forFeedCdata(body);
    if (withEmail.length > 0) item.author = withEmail;
    feed.addItem(item);
  });
  const links = [...config.feeds.websub.hubs.map((hub) => ({ rel: 'hub', href: hub })), ...historyLinks(config, set, config.feeds.rss)];
  return `${withChannelLinks(feed.rss2(), links, set.kind === 'archive' ? [`<fh:archive xmlns:fh="${FH_NS}"/>`] : [])}\n`;
}

/**
 * `atom:link`s added to the channel after its self link: `feed` writes at most one hub, and no
 * other relation. The self link is always there (feedLinks.rss), written by xml-js on one line.
 */
export function withChannelLinks(xml: string, links: ReadonlyArray<{ rel: string; href: string }>, elements: readonly string[] = []): string {
  if (links.length === 0 && elements.length === 0) return xml;
  const self = /^([ \t]*)<atom:link href="[^"]*" rel="self" type="application\/rss\+xml"\/>\n/m.exec(xml);
  if (self === null) throw new Error('the RSS channel has no self link to add links after');
  const indent = self[1] ?? '';
  const added = [...links.map((link) => `<atom:link href="${escapeXmlAttr(link.href)}" rel="${escapeXmlAttr(link.rel)}"/>`), ...elements].map((line) => `${indent}${line}\n`).join('');
  const at = self.index + self[0].length;
  return xml.slice(0, at) + added + xml.slice(at);
}
