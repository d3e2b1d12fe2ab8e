import { fill, labelsFor } from './labels.js';

/**
 * Per-subscriber values travel through Liquid and MJML as plain ASCII markers and are substituted
 * afterwards, so a digest runs Liquid and MJML once, whatever the number of subscribers. The
 * markers are self-describing (the greeting one carries its language), so a compiled digest kept
 * in the store as four strings can be personalised again after a restart.
 */

export type PlaceholderKey = 'name' | 'email' | 'unsubscribe_url' | 'greeting';

/** The marker of a value: what templates receive as `subscriber.name`, `unsubscribe_url`, ... */
export function placeholder(key: Exclude<PlaceholderKey, 'greeting'>): string;
export function placeholder(key: 'greeting', language: string): string;
export function placeholder(key: PlaceholderKey, language?: string): string {
  return key === 'greeting' ? `%%feedletter:greeting:${language ?? 'en'}%%` : `%%feedletter:${key}%%`;
}

const MARKER = /%%feedletter:(name|email|unsubscribe_url|greeting:[a-z-]{1,35})%%/g;

/** A post or site text that happens to contain a marker is defused (a zero-width space), never personalised. */
export function defuse(text: string): string {
  return text.includes('%%feedletter:') ? text.replaceAll('%%feedletter:', '%%\u200Bfeedletter:') : text;
}

export interface Personal {
  name: string | null;
  email: string;
  unsubscribeUrl: string;
}

export interface Personalised {
  subject: string;
  html: string;
  text: string;
}

/** `{ parts, slots }` with parts.length === slots.length + 1: the string cut at its markers. */
interface Template {
  parts: string[];
  slots: string[];
}

function cut(source: string): Template {
  const parts: string[] = [];
  const slots: string[] = [];
  let last = 0;
  for (const match of source.matchAll(MARKER)) {
    parts.push(source.slice(last, match.index));
    slots.push(match[1] as string);
    last = match.index + match[0].length;
  }
  parts.push(source.slice(last));
  return { parts, slots };
}

function assemble(template: Template, value: (slot: string) => string): string {
  const { parts, slots } = template;
  let out = parts[0] as string;
  for (let i = 0; i < slots.length; i++) out += value(slots[i] as string) + (parts[i + 1] as string);
  return out;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element content and in quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
}

/** Control characters (CR, LF, ...) never reach a header or the text part from a subscriber's name. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const oneLine = (text: string): string => text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();

/**
 * Cuts the compiled strings at their markers once; the returned function only concatenates, so
 * personalising costs microseconds per subscriber even for a large HTML part. Values are
 * HTML-escaped in the html and kept as they are in the subject and text.
 */
export function preparePersonaliser(compiled: { subject: string; html: string; text: string }): (who: Personal) => Personalised {
  const subject = cut(compiled.subject);
  const html = cut(compiled.html);
  const text = cut(compiled.text);
  return (who) => {
    const name = who.name === null ? '' : oneLine(who.name);
    const raw = (slot: string): string => {
      switch (slot) {
        case 'name':
          return name;
        case 'email':
          return oneLine(who.email);
        case 'unsubscribe_url':
          return oneLine(who.unsubscribeUrl);
        default: {
          const labels = labelsFor(slot.slice('greeting:'.length));
          return name === '' ? labels.greetingAnonymous : fill(labels.greetingNamed, { name });
        }
      }
    };
    // Each value is escaped at most once per subscriber, however often the html uses it.
    const escaped = new Map<string, string>();
    const htmlValue = (slot: string): string => {
      let value = escaped.get(slot);
      if (value === undefined) {
        value = escapeHtml(raw(slot));
        escaped.set(slot, value);
      }
      return value;
    };
    return {
      subject: oneLine(assemble(subject, raw)),
      html: assemble(html, htmlValue),
      text: assemble(text, raw),
    };
  };
}

/** One-off personalisation; for many subscribers, prepare once with `preparePersonaliser`. */
export function personalise(compiled: { subject: string; html: string; text: string }, who: Personal): Personalised {
  return preparePersonaliser(compiled)(who);
}
