import {
  canonicalUrl,
  feedDescription,
  feedFileUrl,
  itemAuthors,
  itemContent,
  itemTerms,
  itemUpdated,
  outputFileUrl,
  rfc3339,
  type FeedDocument,
} from './document.js';
import { cleanText } from './xml.js';

export type { FeedDocument } from './document.js';

/**
 * JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), written here: the `feed` package only
 * writes version 1.0. In summary mode an item carries the summary as `content_text` (an item
 * must have `content_html` or `content_text`). Every string is cleaned like the XML formats so
 * that all three carry the same text.
 */
export function renderJsonFeed(doc: FeedDocument): string {
  const { set, config } = doc;
  const site = config.site;
  const feed = {
    version: 'https://jsonfeed.org/version/1.1',
    title: cleanText(set.title),
    home_page_url: site.url,
    // An archive page names the site feed as the one to subscribe to.
    feed_url: set.kind === 'archive' ? outputFileUrl(config, config.feeds.json) : feedFileUrl(config, set, config.feeds.json),
    // With feeds.archive: the next page of older posts, month by month (JSON Feed 1.1 `next_url`).
    ...(set.archive?.prev === undefined ? {} : { next_url: outputFileUrl(config, `${set.archive.prev}/${config.feeds.json}`) }),
    description: cleanText(feedDescription(config, set)),
    language: site.language,
    authors: [{ name: cleanText(site.author.name) }],
    // JSON Feed 1.1 `hubs`: the WebSub hubs a reader may subscribe with.
    ...(config.feeds.websub.hubs.length === 0 ? {} : { hubs: config.feeds.websub.hubs.map((url) => ({ type: 'WebSub', url })) }),
    items: doc.posts.map((post) => {
      const body = itemContent(set, post);
      return {
        id: canonicalUrl(post.id),
        url: canonicalUrl(post.url),
        title: cleanText(post.title),
        ...(body === undefined ? { content_text: cleanText(post.summary) } : { content_html: cleanText(body) }),
        ...(post.summary === '' ? {} : { summary: cleanText(post.summary) }),
        date_published: rfc3339(post.date),
        date_modified: rfc3339(itemUpdated(post)),
        authors: itemAuthors(config, post).map((name) => ({ name: cleanText(name) })),
        tags: itemTerms(post).map(cleanText),
        ...(post.language === undefined ? {} : { language: post.language }),
      };
    }),
  };
  return `${JSON.stringify(feed, null, 2)}\n`;
}
