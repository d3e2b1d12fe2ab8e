import type { Config } from '../config/schema.js';
import { labelsFor } from '../digest/labels.js';
import { escapeHtml } from '../digest/personalise.js';
import { digestPageUrl } from './page.js';

/** What the index and the feed show of one sent digest. */
export interface SentDigest {
  number: number;
  sentAt: Date;
  subject: string;
  preheader: string;
}

const xml = (text: string): string => escapeHtml(text.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, ''));
const rfc3339 = (date: Date): string => date.toISOString().replace('.000Z', 'Z');

/** The archive's index page: every sent digest, newest first. Pure. */
export function archiveIndex(config: Config, digests: readonly SentDigest[]): string {
  const { site } = config;
  const labels = labelsFor(site.language);
  const title = `${site.title} — ${labels.archiveTitle}`;
  const dates = new Intl.DateTimeFormat(site.language, { timeZone: site.timezone, dateStyle: 'long' });
  const feed = new URL(`${config.digest.archiveDir.replace(/\/+$/, '')}/atom.xml`, site.url).href;
  const items = [...digests]
    .sort((a, b) => b.number - a.number)
    .map((d) => `  <li><a href="${xml(digestPageUrl(config, d.number))}">${xml(d.subject)}</a> <time datetime="${rfc3339(d.sentAt)}">${xml(dates.format(d.sentAt))}</time></li>`);
  return [
    '<!doctype html>',
    `<html lang="${xml(site.language)}">`,
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${xml(title)}</title>`,
    `<link rel="alternate" type="application/atom+xml" title="${xml(title)}" href="${xml(feed)}">`,
    '</head>',
    '<body>',
    `<h1>${xml(title)}</h1>`,
    `<p><a href="${xml(site.url)}">${xml(site.title)}</a></p>`,
    '<ul>',
    ...items,
    '</ul>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Atom 1.0 of the sent digests, newest first, each linking to its page. Pure; no build clock. */
export function archiveFeed(config: Config, digests: readonly SentDigest[]): string {
  const { site } = config;
  const labels = labelsFor(site.language);
  const base = new URL(`${config.digest.archiveDir.replace(/\/+$/, '')}/`, site.url).href;
  const sorted = [...digests].sort((a, b) => b.number - a.number);
  const updated = sorted.reduce((latest, d) => Math.max(latest, d.sentAt.getTime()), 0);
  const out = [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="${xml(site.language)}">`,
    `  <id>${xml(base)}</id>`,
    `  <title>${xml(`${site.title} — ${labels.archiveTitle}`)}</title>`,
    `  <updated>${rfc3339(new Date(updated))}</updated>`,
    `  <link rel="alternate" type="text/html" href="${xml(base)}"/>`,
    `  <link rel="self" type="application/atom+xml" href="${xml(`${base}atom.xml`)}"/>`,
    '  <author>',
    `    <name>${xml(site.author.name)}</name>`,
    '  </author>',
  ];
  for (const d of sorted) {
    const url = digestPageUrl(config, d.number);
    out.push(
      '  <entry>',
      `    <id>${xml(url)}</id>`,
      `    <title>${xml(d.subject)}</title>`,
      `    <link rel="alternate" type="text/html" href="${xml(url)}"/>`,
      `    <published>${rfc3339(d.sentAt)}</published>`,
      `    <updated>${rfc3339(d.sentAt)}</updated>`,
      ...(d.preheader === '' ? [] : [`    <summary>${xml(d.preheader)}</summary>`]),
      '  </entry>',
    );
  }
  out.push('</feed>', '');
  return out.join('\n');
}
