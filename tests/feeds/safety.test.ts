import { parseAtomFeed, parseJsonFeed, parseRssFeed } from 'feedsmith';
import { describe, expect, test } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { renderAtom } from '../../src/feeds/atom.js';
import type { FeedDocument } from '../../src/feeds/document.js';
import { renderJsonFeed } from '../../src/feeds/json.js';
import { planFeeds } from '../../src/feeds/plan.js';
import { renderRss } from '../../src/feeds/rss.js';
import { cleanText, forFeedCdata, forFeedText, stripInvalidXmlChars } from '../../src/feeds/xml.js';
import type { Post, PostHeader } from '../../src/post.js';
import { atomSchemaErrors, htmlToText, jsonFeedSchemaErrors, makeConfig, makeDoc, makePost, nastyExpected, nastyText, siteSet, wellFormednessErrors } from './helpers.js';

/** Every text field of config and post set to `text(field)`. */
function dirtyFixture(text: (field: string) => string): { config: Config; post: Post & PostHeader } {
  const config = makeConfig({ site: { title: text('site'), description: text('description'), author: { name: text('author'), email: 'taro@example.com' } } });
  const post = makePost({
    slug: 'dirty',
    title: text('title'),
    summary: text('summary'),
    contentHtml: `<p>${text('content')}</p>`,
    authors: [text('author'), text('guest')],
    categories: [text('category')],
    tags: [text('tag')],
  });
  return { config, post };
}

/** Every text as each format's independent parser reads it back, keyed by field. */
function readBack(doc: FeedDocument): Record<'rss' | 'atom' | 'json', Record<string, unknown>> {
  const rssXml = renderRss(doc);
  const rss = parseRssFeed(rssXml);
  const atom = parseAtomFeed(renderAtom(doc));
  const json = parseJsonFeed(JSON.parse(renderJsonFeed(doc)));
  const rssItem = rss.items?.[0];
  const atomEntry = atom.entries?.[0];
  const jsonItem = json.items?.[0];
  return {
    rss: {
      site: rss.title,
      description: rss.description,
      title: rssItem?.title,
      summary: htmlToText(rssItem?.description ?? ''),
      content: rssItem?.content?.encoded,
      terms: rssItem?.categories?.map((c) => c.name),
      authors: rssItem?.dc?.creators,
      // feedsmith guesses names out of `<author>` heuristically (and decodes entities twice), so
      // this one element is read directly: xml-js writes it as plain character data.
      email: /<author>taro@example\.com \(([^<]*)\)<\/author>/.exec(rssXml)?.[1]?.replace(/&(lt|gt|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&' })[e] ?? ''),
    },
    atom: {
      site: atom.title?.value,
      description: atom.subtitle?.value,
      title: atomEntry?.title?.value,
      summary: atomEntry?.summary?.value,
      content: atomEntry?.content?.value,
      terms: atomEntry?.categories?.map((c) => c.term),
      authors: atomEntry?.authors?.map((a) => a.name),
      email: atom.authors?.[0]?.name,
    },
    json: {
      site: json.title,
      description: json.description,
      title: jsonItem?.title,
      summary: jsonItem?.summary,
      content: jsonItem?.content_html,
      terms: jsonItem?.tags,
      authors: jsonItem?.authors?.map((a) => a.name),
      email: json.authors?.[0]?.name,
    },
  };
}

function expectedFields(text: (field: string) => string): Record<string, unknown> {
  return {
    site: text('site'),
    description: text('description'),
    title: text('title'),
    summary: text('summary'),
    content: `<p>${text('content')}</p>`,
    terms: [text('category'), text('tag')],
    authors: [text('author'), text('guest')],
    email: text('author'),
  };
}

describe('dirty input yields well-formed, valid feeds carrying the same text', () => {
  test('control characters, lone surrogates, ]]>, <script>, quotes, ampersands, emoji, Japanese', async () => {
    const { config, post } = dirtyFixture(nastyText);
    const full = makeDoc(config, siteSet(config, [post]), [post]);
    const summary = makeDoc(config, siteSet(config, [post], 'summary'), [post]);
    const tagSet = planFeeds(config, [post]).find((s) => s.kind === 'tag');
    if (!tagSet) throw new Error('no tag set');
    const tag = makeDoc(config, tagSet, [post]);

    const xmls = [full, summary, tag].flatMap((doc) => [renderRss(doc), renderAtom(doc)]);
    expect(await wellFormednessErrors(xmls)).toEqual([]);
    for (const doc of [full, summary, tag]) {
      expect(await atomSchemaErrors(renderAtom(doc))).toEqual([]);
      expect(jsonFeedSchemaErrors(renderJsonFeed(doc))).toEqual([]);
    }

    const back = readBack(full);
    const expected = expectedFields(nastyExpected);
    expect(back.rss).toEqual(expected);
    expect(back.atom).toEqual(expected);
    expect(back.json).toEqual(expected);
    // The renderers do not leak the raw characters into the bytes either.
    for (const out of [...xmls, renderJsonFeed(full)]) {
      // eslint-disable-next-line no-control-regex -- looking for exactly these characters
      expect(out).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
      expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
  });

  test('line ends: CR LF and CR arrive as LF in every format', () => {
    const text = (field: string): string => `${field} one\r\ntwo\rthree`;
    const { config, post } = dirtyFixture(text);
    const back = readBack(makeDoc(config, siteSet(config, [post]), [post]));
    const expected = expectedFields((field) => `${field} one\ntwo\nthree`);
    expect(back.rss.title).toBe(expected.title);
    expect(back.atom.title).toBe(expected.title);
    expect(back.json.title).toBe(expected.title);
    expect(back.atom.content).toBe(expected.content);
    expect(back.rss.content).toBe(expected.content);
  });

  test('a generated mix of dangerous fragments round-trips in every field (seeded, 40 cases)', async () => {
    const fragments = ['&', '&amp;', '&amp;amp;', '&lt;', '<', '>', ']]>', ']', ']]', '<![CDATA[', '"', "'", '\u0000', '\u001B', '\uD800', '\uDFFF', '\uFFFF', '🎉', 'ア', '漢', 'x', ' ', '\t', '\n'];
    // mulberry32: a tiny seeded generator, so every run tests the same 40 strings.
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    const cases = Array.from({ length: 40 }, () => `x${Array.from({ length: 12 }, () => fragments[random(fragments.length)]).join('')}x`);
    const docs = cases.map((c) => {
      const { config, post } = dirtyFixture((field) => `${field}${c}`);
      return makeDoc(config, siteSet(config, [post]), [post]);
    });
    expect(await wellFormednessErrors(docs.flatMap((doc) => [renderRss(doc), renderAtom(doc)]))).toEqual([]);
    cases.forEach((c, i) => {
      const doc = docs[i];
      if (!doc) throw new Error('doc');
      const back = readBack(doc);
      const expected = expectedFields((field) => cleanText(`${field}${c}`));
      expect(back.rss, JSON.stringify(c)).toEqual(expected);
      expect(back.atom, JSON.stringify(c)).toEqual(expected);
      expect(back.json, JSON.stringify(c)).toEqual(expected);
    });
  });

  test('the well-formedness check does reject a broken document among several', async () => {
    const config = makeConfig();
    const good = renderRss(makeDoc(config, siteSet(config, []), []));
    expect(await wellFormednessErrors([good, good.replace('</channel>', '')])).not.toEqual([]);
    expect(await wellFormednessErrors([good, good.replace('<channel>', '<channel><dc:creator>x</dc:creator>')])).not.toEqual([]);
  });
});

describe('text helpers', () => {
  test('stripInvalidXmlChars removes what XML 1.0 cannot carry and keeps everything else', () => {
    expect(stripInvalidXmlChars('a\u0000b\u0008c\u000Bd\u000Ce\u001Ff')).toBe('abcdef');
    expect(stripInvalidXmlChars('tab\tlf\ncr\r')).toBe('tab\tlf\ncr\r');
    expect(stripInvalidXmlChars('lone \uD800 and \uDC00, pair 😀 U+10FFFF \u{10FFFF}')).toBe('lone  and , pair 😀 U+10FFFF \u{10FFFF}');
    expect(stripInvalidXmlChars('\uFFFE\uFFFF\uFFFD')).toBe('\uFFFD');
    expect(stripInvalidXmlChars('\u007F\u0085\u00A0日本')).toBe('\u007F\u0085\u00A0日本');
  });

  test('stripInvalidXmlChars with its quick pre-check agrees with the full rule for every UTF-16 code unit', () => {
    const full = (s: string): string => s.replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '');
    const differ: number[] = [];
    for (let unit = 0; unit <= 0xffff; unit++) {
      const c = String.fromCharCode(unit);
      for (const s of [`a${c}b`, `${c}\uDC00`, `\uD83D${c}`]) if (stripInvalidXmlChars(s) !== full(s)) differ.push(unit);
    }
    expect(differ).toEqual([]);
  });

  test('forFeedCdata leaves the first ]]> for xml-js and splits the rest', () => {
    expect(forFeedCdata('no marker')).toBe('no marker');
    expect(forFeedCdata('a]]>b')).toBe('a]]>b');
    expect(forFeedCdata('a]]>b]]>c')).toBe('a]]>b]]]]><![CDATA[>c');
  });

  test('forFeedText doubles a literal &amp; that xml-js would otherwise turn into &', () => {
    expect(forFeedText('AT&T')).toBe('AT&T');
    expect(forFeedText('&amp; &amp;amp;')).toBe('&amp;amp; &amp;amp;amp;');
  });
});
