import { createRequire } from 'node:module';
import type sanitizeHtmlType from 'sanitize-html';
import type { Config } from '../config/schema.js';
import { preparePersonaliser } from '../digest/personalise.js';

/**
 * The newsletter's archive on the site (issue 14): a sent digest as a public page, made from the
 * digest's one compiled HTML (the same MJML rendering every subscriber got). Pure.
 */

const require = createRequire(import.meta.url);
let sanitizeHtml: typeof sanitizeHtmlType | undefined;

/** Elements of the email the page leaves out: the footer ("sent to", unsubscribe) and the "view in browser" link. */
export const EMAIL_ONLY_CLASS = 'fl-email-only';

/** `<archiveDir>/<number>/` as an absolute URL. */
export function digestPageUrl(config: Config, number: number): string {
  return new URL(`${config.digest.archiveDir.replace(/\/+$/, '')}/${number}/`, config.site.url).href;
}

/**
 * The public page of a digest: every element marked `fl-email-only` removed with all it holds,
 * and the personal markers left filled for nobody in particular (the greeting without a name, no
 * address; an unsubscribe link outside those elements points at the site). Comments (Outlook's
 * conditional ones) go too; a browser needs none of them.
 */
export function digestPage(config: Config, compiledHtml: string): string {
  sanitizeHtml ??= require('sanitize-html') as typeof sanitizeHtmlType;
  const stripped = sanitizeHtml(compiledHtml, {
    allowedTags: false,
    allowedAttributes: false,
    allowVulnerableTags: true,
    exclusiveFilter: (frame) => (frame.attribs.class ?? '').split(/\s+/).includes(EMAIL_ONLY_CLASS),
    parser: { lowerCaseAttributeNames: false },
  });
  const fill = preparePersonaliser({ subject: '', html: stripped, text: '' });
  const { html } = fill({ name: null, email: '', unsubscribeUrl: config.site.url });
  return `<!doctype html>\n${html.replace(/^\s*<!doctype[^>]*>\s*/i, '')}`;
}
