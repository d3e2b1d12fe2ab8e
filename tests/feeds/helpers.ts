import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { decodeHTML } from 'entities';
import { validateXML } from 'xmllint-wasm';
import { configSchema, type Config } from '../../src/config/schema.js';
import type { FeedDocument, FeedItem } from '../../src/feeds/document.js';
import type { FeedSet } from '../../src/feeds/plan.js';
import type { Post, PostHeader } from '../../src/post.js';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');

type SiteInput = Partial<Omit<Config['site'], 'author'>> & { author?: { name?: string; email?: string } };

/** A fresh config: a Japanese blog like the sample, with any site/feeds keys overridden. */
export function makeConfig(overrides: { site?: SiteInput; feeds?: Partial<Config['feeds']> } = {}): Config {
  return configSchema.parse({
    site: {
      title: 'ALLFORCES',
      url: 'https://blog.example.com/',
      description: 'Notes on software',
      language: 'ja',
      author: { name: 'Yamada Taro', email: 'taro@example.com' },
      timezone: 'Asia/Tokyo',
      ...overrides.site,
    },
    feeds: { ...overrides.feeds },
  });
}

/** A fresh header. `slug` decides id and url; `day` (of January 2026) the date. */
export function makeHeader(overrides: Partial<PostHeader> & { slug: string; day?: number }): PostHeader {
  const { day = 1, ...rest } = overrides;
  const url = `https://blog.example.com/2026/01/${String(day).padStart(2, '0')}/${encodeURIComponent(overrides.slug)}.html`;
  const date = new Date(Date.UTC(2026, 0, day, 4, 57, 32));
  return {
    id: url,
    url,
    title: `Post ${overrides.slug}`,
    date,
    updated: date,
    authors: ['Yamada Taro'],
    categories: [],
    tags: [],
    summary: `Summary of ${overrides.slug}`,
    readingTime: 3,
    sourcePath: `_posts/2026-01-${String(day).padStart(2, '0')}-${overrides.slug}.md`,
    size: 1000,
    mtimeMs: 0,
    ...rest,
  };
}

/** A fresh full post: a header plus a body (so it serves as either). */
export function makePost(overrides: Partial<Post> & { slug: string; day?: number }): Post & PostHeader {
  const { contentHtml, readingTime, ...rest } = overrides;
  const header = makeHeader(rest);
  return { ...header, readingTime: readingTime ?? 3, contentHtml: contentHtml ?? `<p>Body of ${overrides.slug}</p>` };
}

/** A site feed set holding exactly these items, in this order. */
export function siteSet(config: Config, posts: readonly PostHeader[], content: 'full' | 'summary' = 'full'): FeedSet {
  return { kind: 'site', term: undefined, dir: '', title: config.site.title, content, posts: [...posts] };
}

export function makeDoc(config: Config, set: FeedSet, posts: readonly FeedItem[]): FeedDocument {
  return { set, config, posts };
}

/** xmllint's complaints about `xml` as XML 1.0 with namespaces; empty when well-formed. */
export async function wellFormednessErrors(xml: string | readonly string[]): Promise<string[]> {
  // One xmllint run for many documents: each run starts a WebAssembly instance.
  const files = (typeof xml === 'string' ? [xml] : xml).map((contents, i) => ({ fileName: `feed${i}.xml`, contents }));
  const result = await validateXML({ xml: files, normalization: 'c14n' });
  // Namespace errors (an undeclared prefix) leave `valid` true and `errors` empty: read xmllint's own output.
  const complaints = result.rawOutput.split('\n').filter((line) => line.trim() !== '');
  return result.valid && complaints.length === 0 ? [] : [...result.errors.map((e) => e.rawMessage), ...complaints];
}

/** Errors of `xml` against the RFC 4287 RELAX NG grammar; empty when valid. */
export async function atomSchemaErrors(xml: string): Promise<string[]> {
  const schema = readFileSync(path.join(FIXTURES, 'atom.rng'), 'utf8');
  const result = await validateXML({ xml: [{ fileName: 'atom.xml', contents: xml }], schema: [{ fileName: 'atom.rng', contents: schema }], extension: 'relaxng' });
  return result.valid ? [] : result.errors.map((e) => e.rawMessage);
}

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

let jsonFeedValidator: ValidateFunction | undefined;

/** Errors of `json` against the JSON Feed 1.1 schema in fixtures/; empty when valid. */
export function jsonFeedSchemaErrors(json: string): string[] {
  if (jsonFeedValidator === undefined) {
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
    addFormats(ajv);
    jsonFeedValidator = ajv.compile(JSON.parse(readFileSync(path.join(FIXTURES, 'jsonfeed-1.1.schema.json'), 'utf8')) as object);
  }
  const validate = jsonFeedValidator;
  if (validate(JSON.parse(json))) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

/** What a reader shows for HTML source: entities decoded. */
export const htmlToText = (html: string): string => decodeHTML(html);

/**
 * Text full of what breaks feeds: every C0 control but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF, `]]>` (twice,
 * and overlapping), markup, quotes, ampersands (including a literal `&amp;`), emoji, Japanese.
 */
export function nastyText(label: string): string {
  const controls = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).filter((c) => !'\t\n\r'.includes(c)).join('');
  return `${label} ]]> x ]]]> <script>alert("x")</script> 'q' "dq" AT&T &amp; &lt; &#38; ${controls}\uDFFF\uD800\uFFFE\uFFFF end 🎉 日本語のテキスト ]]>`;
}

/** `nastyText` as it must come back from a parser: invalid characters gone, nothing else changed. */
export function nastyExpected(label: string): string {
  return `${label} ]]> x ]]]> <script>alert("x")</script> 'q' "dq" AT&T &amp; &lt; &#38;  end 🎉 日本語のテキスト ]]>`;
}

/** Two posts with the details every format must carry (markup in text, several authors, terms). */
export function twoPosts(): (Post & PostHeader)[] {
  return [
    makePost({
      slug: 'newer',
      day: 11,
      title: 'Newer <post>',
      summary: 'A summary & more',
      contentHtml: '<p>Hello <b>world</b></p>',
      authors: ['Yamada Taro', 'Guest Writer'],
      categories: ['Tech'],
      tags: ['AI', 'Tech'],
      updated: new Date('2026-01-20T00:00:00Z'),
    }),
    makePost({ slug: 'older', day: 5, title: '古い記事', summary: '', authors: ['Guest Writer'] }),
  ];
}
