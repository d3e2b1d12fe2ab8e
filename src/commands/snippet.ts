import { publicServerUrl } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { encodePath } from '../feeds/document.js';
import { subscribeTexts } from '../server/subscribe-pages.js';

/**
 * `feedletter snippet`: the HTML to paste into the blog's layout (a Jekyll `_includes/` file as
 * it is): the feed autodiscovery links for <head>, and the signup form posting to the daemon with
 * the ALTCHA widget, which the daemon serves itself. Pure; every value is escaped, and `{`/`}`
 * too, so that no Liquid (Jekyll) or other template engine reads anything in it.
 */
const escape = (value: string): string =>
  value.replace(/[&<>"'{}]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '{': '&#123;', '}': '&#125;' })[c] ?? c);

export function snippet(config: Config): string {
  const server = publicServerUrl(config);
  const at = (relative: string): string => new URL(relative, server).href;
  const feed = (file: string): string => new URL(encodePath(file), config.site.url).href;
  const t = subscribeTexts(config.site.language);
  const title = escape(config.site.title);
  const lang = /^ja\b/i.test(config.site.language) ? 'ja' : 'en';
  const form = config.subscribe.enabled
    ? `
<!-- feedletter: signup form (double opt-in; the proof of work and honeypot keep bots out) -->
<form class="feedletter-signup" method="post" action="${escape(at('subscribe'))}">
  <label for="feedletter-email">${escape(t.email)}</label>
  <input id="feedletter-email" type="email" name="email" required maxlength="254" autocomplete="email" inputmode="email" autocapitalize="off" spellcheck="false">
  <div style="position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden" aria-hidden="true"><label for="feedletter-website">${escape(t.honeypot)}</label><input id="feedletter-website" type="text" name="website" tabindex="-1" autocomplete="off"></div>
${config.subscribe.proofOfWork ? `  <altcha-widget challenge="${escape(at('altcha/challenge'))}" name="altcha" language="${lang}" auto="onfocus"></altcha-widget>\n` : ''}  <button type="submit">${escape(t.subscribe)}</button>
</form>
${config.subscribe.proofOfWork ? `<script type="module" src="${escape(at('altcha.js'))}"></script>\n` : ''}`
    : '';
  return `<!-- feedletter: feed autodiscovery (inside <head>) -->
<link rel="alternate" type="application/rss+xml" title="${title} (RSS)" href="${escape(feed(config.feeds.rss))}">
<link rel="alternate" type="application/atom+xml" title="${title} (Atom)" href="${escape(feed(config.feeds.atom))}">
<link rel="alternate" type="application/feed+json" title="${title} (JSON Feed)" href="${escape(feed(config.feeds.json))}">
${form}`;
}
