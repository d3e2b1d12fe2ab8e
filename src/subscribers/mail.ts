import { createHash } from 'node:crypto';
import { domainToASCII, domainToUnicode } from 'node:url';
import type Mail from 'nodemailer/lib/mailer';
import { publicServerUrl } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { DKIM_HEADER_FIELDS, siteHost, type DkimKey } from '../digest/message.js';
import type { OutgoingMessage } from '../delivery/transport.js';

/**
 * The confirmation (double opt-in) and welcome emails. They carry no text the submitter chose
 * except the address itself: the name typed into the form is never echoed (spammers put their
 * ads in the name field to have us deliver them, listmonk #1133). Plain text plus a minimal
 * HTML part, in the site's language (Japanese for `ja`, English otherwise).
 */

export type SubscriberMailKind = 'confirm' | 'welcome';

interface MailTexts {
  subject: string;
  lines: string[];
  button: string;
  ignore: string;
}

const TEXTS: Record<'en' | 'ja', Record<SubscriberMailKind, MailTexts>> = {
  en: {
    confirm: {
      subject: 'Confirm your subscription to {site}',
      lines: ['Someone, hopefully you, asked to receive the {site} newsletter at {email}.', 'To confirm, open this link:'],
      button: 'Confirm my subscription',
      ignore: 'If you did not ask for this, ignore this email: nothing will be sent to you, and the address is forgotten in a few days.',
    },
    welcome: {
      subject: 'Welcome to {site}',
      lines: ['{email} is now subscribed to the {site} newsletter.', 'Every newsletter has a link to unsubscribe at the bottom.'],
      button: 'Visit {site}',
      ignore: '',
    },
  },
  ja: {
    confirm: {
      subject: '{site} の購読確認',
      lines: ['{email} で {site} のニュースレターの購読が申し込まれました。', '購読を確定するには、次のリンクを開いてください:'],
      button: '購読を確定する',
      ignore: 'お心当たりがない場合は、このメールを無視してください。今後メールが届くことはなく、アドレスは数日で削除されます。',
    },
    welcome: {
      subject: '{site} へようこそ',
      lines: ['{email} で {site} のニュースレターの購読が始まりました。', '配信停止のリンクは毎回のニュースレターの末尾にあります。'],
      button: '{site} を見る',
      ignore: '',
    },
  },
};

/** The texts of one kind of email in the site's language (Japanese for `ja`, English otherwise). */
export function subscriberMailTexts(language: string, kind: SubscriberMailKind): MailTexts {
  return TEXTS[/^ja\b/i.test(language) ? 'ja' : 'en'][kind];
}

const escapeHtml = (value: string): string =>
  value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** `<publicUrl>confirm?token=…`: the page a person opens (GET shows it; only its POST confirms). */
export function confirmUrl(config: Config, token: string): string {
  return `${new URL('confirm', publicServerUrl(config)).href}?token=${encodeURIComponent(token)}`;
}

/**
 * The address with its domain in ASCII (punycode, RFC 5891): an internationalised domain then
 * reaches servers without SMTPUTF8 too. The text of the email keeps the address as written.
 */
export function asciiAddress(email: string): string {
  const at = email.lastIndexOf('@');
  const ascii = domainToASCII(email.slice(at + 1));
  return ascii === '' ? email : `${email.slice(0, at)}@${ascii}`;
}

/** The address as a person reads it: an internationalised domain in its own letters, not punycode. */
export function displayAddress(email: string): string {
  const at = email.lastIndexOf('@');
  const unicode = domainToUnicode(email.slice(at + 1));
  return unicode === '' ? email : `${email.slice(0, at)}@${unicode}`;
}

export interface SubscriberMailInput {
  config: Config;
  kind: SubscriberMailKind;
  subscriberId: number;
  /** Validated and normalised (no CR/LF, no angle brackets): the only submitted text in the mail. */
  email: string;
  /** confirm: the confirmation link; welcome: the site. */
  url: string;
  now: Date;
  dkim?: DkimKey | undefined;
  /** The HTML part when a template made it (the welcome email); else the built-in one. */
  html?: string;
}

export function buildSubscriberMail(input: SubscriberMailInput): OutgoingMessage {
  const { config } = input;
  const host = siteHost(config);
  const texts = TEXTS[/^ja\b/i.test(config.site.language) ? 'ja' : 'en'][input.kind];
  const site = config.site.title;
  // Stored with the domain in punycode; shown as the reader wrote it.
  const shown = displayAddress(input.email);
  const fill = (template: string, html: boolean): string =>
    (html ? escapeHtml(template) : template).replaceAll('{site}', html ? escapeHtml(site) : site).replaceAll('{email}', html ? escapeHtml(shown) : shown);
  const hash = createHash('sha256').update(`${input.kind}\n${input.subscriberId}\n${input.url}\n${input.now.getTime()}`).digest('hex').slice(0, 16);
  const messageId = `<${input.kind}-${input.subscriberId}.${hash}@${host}>`;
  const text = [...texts.lines.map((line) => fill(line, false)), '', input.url, '', ...(texts.ignore ? [fill(texts.ignore, false), ''] : []), `-- `, site, config.site.url, ''].join('\n');
  const lang = escapeHtml(config.site.language);
  const html =
    input.html ??
    `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${fill(texts.subject, true)}</title></head>
<body style="font-family:system-ui,sans-serif;line-height:1.6;color:#222;max-width:32rem;margin:0 auto;padding:1rem">
${texts.lines.map((line) => `<p>${fill(line, true)}</p>`).join('\n')}
<p><a href="${escapeHtml(input.url)}" style="display:inline-block;padding:.6rem 1.2rem;background:#1a5fb4;color:#fff;text-decoration:none;border-radius:.3rem">${fill(texts.button, true)}</a></p>
<p style="word-break:break-all;font-size:.9em"><a href="${escapeHtml(input.url)}">${escapeHtml(input.url)}</a></p>
${texts.ignore ? `<p style="color:#555;font-size:.9em">${fill(texts.ignore, true)}</p>\n` : ''}<p style="color:#555;font-size:.9em">${escapeHtml(site)}</p>
</body></html>
`;
  const options: Mail.Options = {
    from: { name: config.digest.from.name ?? site, address: config.digest.from.address ?? `newsletter@${host}` },
    to: asciiAddress(input.email),
    ...(config.digest.replyTo ? { replyTo: config.digest.replyTo } : {}),
    subject: fill(texts.subject, false),
    text,
    html,
    date: input.now,
    messageId,
    headers: {
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'OOF, AutoReply',
    },
    ...(input.dkim
      ? { dkim: { domainName: input.dkim.domainName, keySelector: input.dkim.keySelector, privateKey: input.dkim.privateKey, headerFieldNames: DKIM_HEADER_FIELDS } }
      : {}),
  };
  return { to: { name: null, address: asciiAddress(input.email) }, messageId, options };
}
