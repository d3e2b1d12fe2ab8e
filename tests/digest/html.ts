import { Parser } from 'htmlparser2';

export interface ParsedHtml {
  /** Every tag name, lower case, in document order. */
  tags: string[];
  /** Values of every href and src attribute. */
  links: string[];
  /** `<a>` elements: href and their visible text. */
  anchors: { href: string; text: string }[];
  /** `lang` of the <html> element. */
  lang: string | undefined;
  /** Decoded text of the body, outside style/script/head, whitespace collapsed. */
  text: string;
}

/** Parses HTML with htmlparser2 (independent of MJML's output code) and collects what the tests look at. */
export function parseHtml(html: string): ParsedHtml {
  const result: ParsedHtml = { tags: [], links: [], anchors: [], lang: undefined, text: '' };
  const chunks: string[] = [];
  let skip = 0;
  let anchor: { href: string; text: string } | undefined;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        result.tags.push(name);
        chunks.push(' ');
        if (name === 'html') result.lang = attributes.lang;
        for (const key of ['href', 'src']) if (attributes[key] !== undefined) result.links.push(attributes[key]);
        if (name === 'a') anchor = { href: attributes.href ?? '', text: '' };
        if (name === 'style' || name === 'script' || name === 'head' || name === 'title') skip++;
      },
      ontext(text) {
        if (skip > 0) return;
        chunks.push(text);
        if (anchor) anchor.text += text;
      },
      onclosetag(name) {
        chunks.push(' ');
        if (name === 'style' || name === 'script' || name === 'head' || name === 'title') skip--;
        if (name === 'a' && anchor) {
          result.anchors.push({ href: anchor.href, text: anchor.text.replace(/\s+/g, ' ').trim() });
          anchor = undefined;
        }
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  result.text = chunks.join('').replace(/\s+/g, ' ').trim();
  return result;
}
