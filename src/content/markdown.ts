import { createRequire } from 'node:module';
import type MarkdownItType from 'markdown-it';
import type { StateInline } from 'markdown-it';

/**
 * The markdown-it instances of the content stage, created on first use so that importing the
 * module costs nothing (the CLI imports it for every command). Even the package is loaded on
 * first use: it costs about 90 ms to import, and a warm build whose headers all come from the
 * cache and whose feeds are current never renders markdown.
 */
type MarkdownIt = MarkdownItType;
const require = createRequire(import.meta.url);
let MarkdownItClass: typeof MarkdownItType | undefined;
const newMarkdownIt = (options: ConstructorParameters<typeof MarkdownItType>[0]): MarkdownIt => {
  MarkdownItClass ??= require('markdown-it') as typeof MarkdownItType;
  return new MarkdownItClass(options);
};

let bodyParser: MarkdownIt | undefined;
const inlineParsers = new Map<boolean, MarkdownIt>();

/** Post bodies: raw HTML allowed (Jekyll passes it through), no linkify (kramdown does not either). */
export function bodyMarkdown(): MarkdownIt {
  bodyParser ??= newMarkdownIt({ html: true, linkify: false });
  return bodyParser;
}

/**
 * Inline markdown of text fields. With `html: false` a `<script>` in a title stays literal text
 * (the feed escapes it); with `html: true` inline tags are recognised and then dropped.
 */
export function inlineMarkdown(html: boolean): MarkdownIt {
  let md = inlineParsers.get(html);
  if (md === undefined) {
    md = newMarkdownIt({ html, linkify: false });
    md.inline.ruler2.before('fragments_join', 'drop_unmatched_strong', dropUnmatchedStrong);
    inlineParsers.set(html, md);
  }
  return md;
}

/**
 * A title cut upstream (`"**Inflection AIとAMDの提タッグの\uFFFD"`) keeps an opening `**` whose
 * closer was cut away; CommonMark leaves it as literal text. In plain text a run of two or more
 * `*`/`_` that matched nothing is markup debris, not content, so it is dropped. A single `*`
 * ("2 * 3", "*nix") is left alone.
 */
function dropUnmatchedStrong(state: StateInline): boolean {
  const lists = [state.delimiters, ...state.tokens_meta.map((meta) => meta?.delimiters ?? [])];
  for (const delimiters of lists) {
    for (const delimiter of delimiters) {
      if ((delimiter.marker !== 0x2a && delimiter.marker !== 0x5f) || delimiter.length < 2) continue;
      const token = state.tokens[delimiter.token];
      // Matched delimiters were turned into strong_open/em_open (or emptied) by the emphasis rule.
      if (token !== undefined && token.type === 'text' && token.content === String.fromCharCode(delimiter.marker)) token.content = '';
    }
  }
  return false;
}
