import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAtomFeed, parseJsonFeed, parseRssFeed } from 'feedsmith';
import { parseDocument } from 'htmlparser2';
import { describe, expect, test } from 'vitest';
import { build } from '../../src/commands/build.js';
import { loadConfig } from '../../src/config/load.js';
import { sanitizeFeedHtml } from '../../src/feeds/sanitize.js';
import { testdir } from '../helpers/tmp.js';
import { atomSchemaErrors, jsonFeedSchemaErrors, wellFormednessErrors } from './helpers.js';

const HOSTS = { embedHosts: ['www.youtube.com', 'player.vimeo.com'] };
const clean = (html: string): string => sanitizeFeedHtml(html, HOSTS);

describe('sanitizeFeedHtml keeps ordinary markup byte for byte', () => {
  test.each([
    '<p>Hello <strong>world</strong>, <em>again</em> &amp; &lt;tags&gt; &quot;quoted&quot; it\'s</p>',
    '<h2 id="intro">Intro</h2>\n<ul>\n<li>one</li>\n<li><a href="https://example.com/a?b=1&amp;c=2">two</a></li>\n</ul>',
    '<p><img src="https://blog.example.com/a.png" alt="An image"><br>\nnext line</p>\n<hr>',
    '<pre><code class="language-ts">const a = b &lt; c &amp;&amp; d;\n</code></pre>',
    '<table>\n<thead>\n<tr>\n<th>h</th>\n<th style="text-align:right">r</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td colspan="2">2</td>\n</tr>\n</tbody>\n</table>'.replace(' style="text-align:right"', ''),
    '<p>Text<sup id="fnref:1"><a href="#fn:1" class="footnote" rel="footnote">1</a></sup></p>\n<div class="footnotes">\n<ol>\n<li id="fn:1"><p>Note. <a href="#fnref:1" class="reversefootnote">↩</a></p></li>\n</ol>\n</div>',
    '<blockquote>\n<p>日本語の引用 🎉</p>\n</blockquote>\n<figure><img src="https://x.example/p.jpg" alt=""><figcaption>cap</figcaption></figure>',
    '<details><summary>more</summary><p>hidden <kbd>Ctrl</kbd> <del>old</del> <mark>new</mark></p></details>',
    '<p><a href="mailto:me@example.com">mail</a> <a href="https://example.com/">https</a></p>',
    '<iframe src="https://www.youtube.com/embed/abc" width="560" height="315" title="Video" allowfullscreen></iframe>',
  ])('%s', (html) => {
    expect(clean(html)).toBe(html);
  });
});

describe('sanitizeFeedHtml removes every dangerous form', () => {
  test.each([
    ['<script>alert(1)</script><p>x</p>', '<p>x</p>'],
    ['<SCRIPT SRC="https://evil.example/x.js"></SCRIPT>', ''],
    ['<scr<script>ipt>alert(1)</script>', 'ipt&gt;alert(1)'],
    ['<style>body{display:none}</style><p style="color:red">s</p>', '<p>s</p>'],
    ['<img src="https://a.example/x.png" onerror="alert(1)">', '<img src="https://a.example/x.png">'],
    ['<p onclick="alert(1)" ONMOUSEOVER=alert(1)>p</p>', '<p>p</p>'],
    ['<a href="javascript:alert(1)">a</a>', '<a>a</a>'],
    ['<a href="jav&#x61;script:alert(1)">a</a>', '<a>a</a>'],
    ['<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">a</a>', '<a>a</a>'],
    ['<a href="&#x6A;avascript&colon;alert(1)">a</a>', '<a>a</a>'],
    ['<a href="  JaVaScRiPt:alert(1)">a</a>', '<a>a</a>'],
    ['<a href="java\tscript:alert(1)">a</a>', '<a>a</a>'],
    ['<a href="java&#x09;script:alert(1)">a</a>', '<a>a</a>'],
    ['<a href="vbscript:msgbox(1)">a</a>', '<a>a</a>'],
    ['<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">a</a>', '<a>a</a>'],
    ['<img src="data:image/svg+xml,<svg onload=alert(1)>">', '<img>'],
    ['<form action="https://evil.example/"><input name="password"><button>go</button></form>', 'go'],
    ['<object data="x.swf"><embed src="x.swf"></object>', ''],
    ['<svg><script>alert(1)</script><a xlink:href="javascript:alert(1)">x</a></svg>', ''],
    ['<math><mi xlink:href="javascript:alert(1)">x</mi></math>', ''],
    ['<meta http-equiv="refresh" content="0;url=https://evil.example/"><link rel="stylesheet" href="x.css">', ''],
    ['<base href="https://evil.example/"><p>b</p>', '<p>b</p>'],
    ['<iframe src="https://evil.example/frame"></iframe>', '<a href="https://evil.example/frame">https://evil.example/frame</a>'],
    ['<iframe src="https://www.youtube.com.evil.example/embed/x"></iframe>', '<a href="https://www.youtube.com.evil.example/embed/x">https://www.youtube.com.evil.example/embed/x</a>'],
    ['<iframe src="javascript:alert(1)">fallback</iframe>', '<span>fallback</span>'],
    ['<iframe srcdoc="<script>alert(1)</script>"></iframe>', '<span></span>'],
    ['<iframe src="https://www.youtube.com/embed/x" onload="alert(1)" srcdoc="<script>x</script>"></iframe>', '<iframe src="https://www.youtube.com/embed/x"></iframe>'],
    ['<a href="//evil.example/x">p</a>', '<a>p</a>'],
    ['<!--<script>alert(1)</script>--><p>c</p>', '<p>c</p>'],
    ['<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>', ''],
    ['<textarea><script>alert(1)</script></textarea>', ''],
  ])('%s', (html, expected) => {
    expect(clean(html)).toBe(expected);
  });

  test('a clean result is a fixed point: sanitising again changes nothing', () => {
    const html = '<p onclick=x>a<script>b</script><a href="jav&#x61;script:c">d</a><iframe src="https://evil.example/"></iframe><img src=x onerror=y></p>';
    const once = clean(html);
    expect(clean(once)).toBe(once);
  });

  test('embed hosts come from the option, compared without case and exactly', () => {
    const frame = '<iframe src="https://PLAYER.vimeo.com/video/1"></iframe>';
    expect(clean(frame)).toBe(frame);
    expect(sanitizeFeedHtml(frame, { embedHosts: [] })).toBe('<a href="https://PLAYER.vimeo.com/video/1">https://PLAYER.vimeo.com/video/1</a>');
    expect(sanitizeFeedHtml('<iframe src="https://vimeo.com/1"></iframe>', HOSTS)).toContain('<a href=');
  });
});

// --- A validator-style check, independent of sanitize-html --------------------------------------

/**
 * What the W3C feed validator reports as `SecurityRisk` / `SecurityRiskAttr` in feed HTML (its
 * lists of acceptable elements and attributes, cut to what the HTML of a post uses): any element
 * outside the list, any attribute outside its list (event handlers, `style`), and a URL attribute
 * whose scheme, after decoding and removing whitespace, is `javascript:`, `vbscript:` or `data:`.
 */
const ACCEPTABLE_ELEMENTS = new Set(
  'a abbr acronym address area article aside audio b bdi bdo big blockquote br caption center cite code col colgroup dd del details dfn div dl dt em figcaption figure footer h1 h2 h3 h4 h5 h6 header hr i img ins kbd li main mark nav ol p picture pre q rp rt ruby s samp section small source span strike strong sub summary sup table tbody td tfoot th thead time tr track tt u ul var video wbr'.split(' '),
);
const ACCEPTABLE_ATTRIBUTES = new Set(
  'abbr align alt cite class colspan controls datetime default dir headers height href hreflang id kind label lang loading loop media muted name open playsinline poster preload rel reversed rowspan scope sizes span src srcset srclang start title type value width'.split(' '),
);
const URL_ATTRIBUTES = new Set(['href', 'src', 'cite', 'poster', 'srcset']);

interface Element {
  type: string;
  name?: string;
  attribs?: Record<string, string>;
  children?: Element[];
}

function securityRisks(html: string): string[] {
  const risks: string[] = [];
  const walk = (nodes: readonly Element[]): void => {
    for (const node of nodes) {
      if (node.type === 'script' || node.type === 'style') risks.push(`SecurityRisk: <${node.name ?? node.type}>`);
      if (node.type === 'tag' || node.type === 'script' || node.type === 'style') {
        const name = (node.name ?? '').toLowerCase();
        if (!ACCEPTABLE_ELEMENTS.has(name)) risks.push(`SecurityRisk: <${name}>`);
        for (const [attribute, value] of Object.entries(node.attribs ?? {})) {
          if (!ACCEPTABLE_ATTRIBUTES.has(attribute.toLowerCase())) risks.push(`SecurityRiskAttr: ${name}@${attribute}`);
          // eslint-disable-next-line no-control-regex -- control characters browsers skip in a scheme
          if (URL_ATTRIBUTES.has(attribute) && /^(javascript|vbscript|data):/i.test(value.replace(/[\s\u0000-\u001F]+/g, ''))) risks.push(`SecurityRisk: ${name}@${attribute}=${value}`);
        }
      }
      walk(node.children ?? []);
    }
  };
  walk(parseDocument(html, { decodeEntities: true }).children as unknown as Element[]);
  return risks;
}

/** Posts as hostile as real ones get: every trick above in one body, in raw HTML in markdown. */
const HOSTILE_BODY = [
  'Ordinary **markdown** with `code` and a [link](https://example.com/).',
  '',
  '<script>alert("x")</script>',
  '<img src="https://blog.example.com/x.png" onerror="alert(1)" style="width:1px">',
  '<a href="jav&#x61;script:alert(1)">encoded</a> <a href="java&#x09;script:alert(1)">tab</a> <a href="vbscript:x">vb</a>',
  '<iframe src="https://evil.example/embed"></iframe>',
  '<form action="https://evil.example/"><input name="p"></form>',
  '<svg onload="alert(1)"><script>alert(2)</script></svg>',
  '<object data="x.swf"></object><embed src="x.swf">',
  '<p onmouseover="alert(1)">hover</p>',
  '<style>body { display: none }</style>',
  '',
  '| a | b |',
  '|---|---|',
  '| 1 | 2 |',
].join('\n');

function hostileBlog(extra = ''): string {
  return testdir({
    'config/feedletter.yaml': `site:\n  title: Hostile\n  url: https://blog.example.com/\nfeeds:\n  taxonomyContent: full\n${extra}`,
    'content/_posts/2026-01-01-hostile.md': `---\ntitle: "Hostile <b>post</b>"\ntags: [x]\n---\n\n${HOSTILE_BODY}\n`,
    'content/_posts/2026-01-02-plain.md': `---\ntitle: Plain\ntags: [x]\n---\n\nJust text.\n`,
  });
}

async function buildIn(dir: string) {
  const { resolved } = loadConfig({ cwd: dir, env: {} });
  return build({ resolved, now: new Date('2026-03-01T00:00:00Z') });
}

/** Every item body of the three site files, as an independent parser reads them. */
function bodies(dir: string, folder = ''): string[] {
  const read = (name: string): string => readFileSync(path.join(dir, 'public', folder, name), 'utf8');
  const rss = parseRssFeed(read('feed.xml'));
  const atom = parseAtomFeed(read('atom.xml'));
  const json = parseJsonFeed(JSON.parse(read('feed.json')));
  return [
    ...(rss.items ?? []).map((i) => i.content?.encoded ?? ''),
    ...(atom.entries ?? []).map((e) => e.content?.value ?? ''),
    ...(json.items ?? []).map((i) => i.content_html ?? ''),
  ];
}

describe('feeds built from hostile posts', () => {
  test('the validator-style check finds what an unsanitised feed carries', async () => {
    const dir = hostileBlog('  sanitize: false\n');
    await buildIn(dir);
    const risks = bodies(dir).flatMap(securityRisks);
    for (const kind of ['<script>', '<iframe>', '<form>', '<object>', '<style>', 'img@onerror', 'p@onmouseover', 'a@href=javascript']) {
      expect(risks.some((r) => r.includes(kind)), kind).toBe(true);
    }
  });

  test('carry no SecurityRisk in RSS, Atom or JSON Feed, site and tag feeds, and stay valid', async () => {
    const dir = hostileBlog();
    await buildIn(dir);
    for (const folder of ['', 'tags/x']) {
      const all = bodies(dir, folder);
      expect(all.length).toBe(6);
      expect(all.flatMap(securityRisks)).toEqual([]);
      const hostile = all.filter((b) => b.includes('Ordinary'));
      expect(hostile).toHaveLength(3);
      for (const body of hostile) {
        // What an ordinary post has is still there.
        expect(body).toContain('<strong>markdown</strong>');
        expect(body).toContain('<code>code</code>');
        expect(body).toContain('<a href="https://example.com/">link</a>');
        expect(body).toContain('<img src="https://blog.example.com/x.png">');
        expect(body).toContain('<td>1</td>');
        expect(body).toContain('<a href="https://evil.example/embed">https://evil.example/embed</a>');
        expect(body).toContain('<p>hover</p>');
      }
      const read = (name: string): string => readFileSync(path.join(dir, 'public', folder, name), 'utf8');
      expect(await wellFormednessErrors([read('feed.xml'), read('atom.xml')])).toEqual([]);
      expect(await atomSchemaErrors(read('atom.xml'))).toEqual([]);
      expect(jsonFeedSchemaErrors(read('feed.json'))).toEqual([]);
    }
  });

  test('an embed host iframe stays, only with the embed hosts configured', async () => {
    const frame = '<iframe src="https://www.youtube.com/embed/abc" allowfullscreen></iframe>';
    const files = (extra: string) =>
      testdir({
        'config/feedletter.yaml': `site:\n  url: https://blog.example.com/\n${extra}`,
        'content/_posts/2026-01-01-video.md': `---\ntitle: Video\n---\n\n${frame}\n`,
      });
    const withDefault = files('');
    await buildIn(withDefault);
    expect(bodies(withDefault).every((b) => b.includes(frame))).toBe(true);
    const none = files('feeds:\n  embedHosts: []\n');
    await buildIn(none);
    expect(bodies(none).every((b) => !b.includes('<iframe') && b.includes('<a href="https://www.youtube.com/embed/abc">'))).toBe(true);
  });
});
