import type { Config } from '../config/schema.js';
import type { Post } from '../post.js';
import { fill, labelLanguage, labelsFor } from './labels.js';
import { defuse, placeholder } from './personalise.js';

/**
 * The variables the email templates see. Pure: config, posts and `now` in, plain data out.
 * Everything here is plain text; the HTML template's Liquid engine escapes it on output.
 * Per-subscriber values are markers (see `personalise.ts`), filled in after MJML.
 */

/** Longest title shown; a runaway title must not push the footer past the clipping limit. */
const TITLE_LIMIT = 300;
const PREHEADER_LIMIT = 150;

export interface ContextInput {
  config: Config;
  /** The posts that go into the email, newest first. */
  posts: readonly Post[];
  /** All posts due, including those left out: `more_count = totalCount - posts.length`. */
  totalCount: number;
  /** Longest summary shown, in characters (0: no summaries). */
  summaryLimit: number;
  now: Date;
  /** Where "and N more" points. */
  moreUrl: string;
  /** The digest's page on the site (the newsletter archive), for "view in browser"; '' for none. */
  webUrl?: string | undefined;
}

export interface PostContext {
  title: string;
  url: string;
  /** Date in the site's time zone and language, e.g. "2026年1月15日" or "January 15, 2026". */
  date: string;
  /** ISO 8601 instant, for templates that want their own format (`| date: ...`). */
  date_iso: string;
  categories: string[];
  tags: string[];
  authors: string[];
  /** Authors joined with ", ". */
  author: string;
  /** Cut to the current summary limit; may be empty. */
  summary: string;
  /** Minutes. */
  reading_time: number;
  /** "8分で読めます" / "8 min read". */
  reading_time_label: string;
}

export interface DigestContext {
  site: { title: string; url: string; description: string; language: string; author: string };
  labels: {
    heading: string;
    intro: string;
    read_more: string;
    more: string;
    categories: string;
    tags: string;
    unsubscribe: string;
    why: string;
    sent_to: string;
    visit_site: string;
    view_in_browser: string;
  };
  posts: PostContext[];
  post_count: number;
  total_count: number;
  more_count: number;
  more_url: string;
  /** This digest's page in the newsletter archive on the site; '' when there is none. */
  web_url: string;
  /** "ほか1件" / "and 1 more" for the subject: counts every post after the first, shown or not. */
  subject_more: string;
  preheader: string;
  /** `now` as a date in the site's time zone and language. */
  issue_date: string;
  unsubscribe_url: string;
  subscriber: { name: string; email: string; greeting: string };
}

/** Cut to at most `limit` characters (code points), at a word boundary when one is near, with "…". */
export function truncate(text: string, limit: number): string {
  if (limit <= 0) return '';
  const chars = Array.from(text);
  if (chars.length <= limit) return text;
  let cut = chars.slice(0, limit - 1).join('');
  const space = cut.lastIndexOf(' ');
  if (space > cut.length * 0.7) cut = cut.slice(0, space);
  return `${cut.trimEnd()}…`;
}

export function digestContext(input: ContextInput): DigestContext {
  const { config, posts, now } = input;
  const { site } = config;
  const labels = labelsFor(site.language);
  const dateFormat = new Intl.DateTimeFormat(site.language, { timeZone: site.timezone, dateStyle: 'long' });
  const siteTitle = defuse(site.title);
  const moreCount = Math.max(0, input.totalCount - posts.length);

  const postContexts = posts.map((post): PostContext => {
    const minutes = Math.max(1, Math.round(post.readingTime));
    const authors = post.authors.map(defuse);
    return {
      title: truncate(defuse(post.title), TITLE_LIMIT),
      url: post.url,
      date: dateFormat.format(post.date),
      date_iso: post.date.toISOString(),
      categories: post.categories.map(defuse),
      tags: post.tags.map(defuse),
      authors,
      author: authors.join(', '),
      summary: truncate(defuse(post.summary), input.summaryLimit),
      reading_time: minutes,
      reading_time_label: fill(labels.readingTime, { n: minutes }),
    };
  });

  return {
    site: { title: siteTitle, url: site.url, description: defuse(site.description), language: site.language, author: defuse(site.author.name) },
    labels: {
      heading: labels.heading,
      intro: fill(labels.intro, { site: siteTitle }),
      read_more: labels.readMore,
      more: fill(labels.more, { n: moreCount }),
      categories: labels.categories,
      tags: labels.tags,
      unsubscribe: labels.unsubscribe,
      why: fill(labels.why, { site: siteTitle }),
      sent_to: fill(labels.sentTo, { email: placeholder('email') }),
      visit_site: labels.visitSite,
      view_in_browser: labels.viewInBrowser,
    },
    posts: postContexts,
    post_count: postContexts.length,
    total_count: input.totalCount,
    more_count: moreCount,
    more_url: input.moreUrl,
    web_url: input.webUrl ?? '',
    subject_more: input.totalCount > 1 ? fill(labels.subjectMore, { n: input.totalCount - 1 }) : '',
    preheader: truncate(postContexts.map((p) => p.title).join(labels.listSeparator), PREHEADER_LIMIT),
    issue_date: dateFormat.format(now),
    unsubscribe_url: placeholder('unsubscribe_url'),
    subscriber: { name: placeholder('name'), email: placeholder('email'), greeting: placeholder('greeting', labelLanguage(site.language)) },
  };
}
