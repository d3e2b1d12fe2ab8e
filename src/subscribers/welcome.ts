import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Liquid } from 'liquidjs';
import mjml2html from 'mjml';
import type { Config } from '../config/schema.js';
import { BUILTIN_TEMPLATES_DIR } from '../digest/templates.js';
import { FeedletterError } from '../errors.js';
import { subscriberMailTexts } from './mail.js';

/**
 * The optional welcome email (`subscribe.welcome`): `welcome.mjml` from the blog's template
 * folder, else the built-in one, rendered with Liquid (every output HTML-escaped) and MJML.
 * Its variables: `site.title`, `site.url`, `site.language`, `feeds.rss|atom|json`, `email`
 * (the address, the only text the reader chose) and `labels.subject|lines|button`.
 */
export const WELCOME_TEMPLATE = 'welcome.mjml';

export interface WelcomeRenderer {
  /** The HTML part for this address. */
  render(email: string): Promise<string>;
}

export function loadWelcome(config: Config, templatesDir: string, feeds: { rss: string; atom: string; json: string }): WelcomeRenderer {
  const file = [templatesDir, BUILTIN_TEMPLATES_DIR].map((dir) => path.join(dir, WELCOME_TEMPLATE)).find((candidate) => existsSync(candidate));
  if (file === undefined) throw new FeedletterError('TEMPLATE_INVALID', `${WELCOME_TEMPLATE}: template not found`, { hint: 'add it to digest.templates, or set subscribe.welcome: false' });
  const shown = file.startsWith(BUILTIN_TEMPLATES_DIR) ? `email-templates (built-in)/${WELCOME_TEMPLATE}` : `${path.basename(templatesDir)}/${WELCOME_TEMPLATE}`;
  const engine = new Liquid({ outputEscape: 'escape', strictFilters: true, strictVariables: true, ownPropertyOnly: true });
  let template;
  try {
    template = engine.parse(readFileSync(file, 'utf8'), file);
  } catch (cause) {
    throw new FeedletterError('TEMPLATE_INVALID', `${shown}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, hint: 'fix the Liquid syntax' });
  }
  return {
    async render(email) {
      const texts = subscriberMailTexts(config.site.language, 'welcome');
      const fill = (s: string): string => s.replaceAll('{site}', config.site.title).replaceAll('{email}', email);
      const context = {
        site: { title: config.site.title, url: config.site.url, language: config.site.language },
        feeds,
        email,
        labels: { subject: fill(texts.subject), lines: texts.lines.map(fill), button: fill(texts.button) },
      };
      try {
        const source = (await engine.render(template, context)) as string;
        return (await mjml2html(source, { validationLevel: 'strict', fonts: {}, keepComments: false })).html;
      } catch (cause) {
        throw new FeedletterError('TEMPLATE_INVALID', `${shown}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, hint: 'the variables a welcome template can use are listed in email-templates/README.md' });
      }
    },
  };
}
