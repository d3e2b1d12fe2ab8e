import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import mjml2html from 'mjml';
import { describe, expect, it } from 'vitest';
import { FeedletterError } from '../../src/errors.js';
import { compileDigest, HTML_SIZE_LIMIT, preparePersonaliser, type MjmlRender } from '../../src/digest/render.js';
import { DEFAULT_TEMPLATES_DIR } from '../../src/config/schema.js';
import { BUILTIN_TEMPLATES_DIR, chooseTemplates } from '../../src/digest/templates.js';
import { testdir } from '../helpers/tmp.js';
import { makeConfig, makePost, seedPosts } from './factory.js';
import { parseHtml } from './html.js';

const now = new Date('2026-01-16T00:00:00Z');
const UNSUBSCRIBE = 'https://allforces.example.jp/newsletter/unsubscribe?token=MTIzLjE3Njg1MjE2MDA.c2lnbmF0dXJl&x=1';
const who = { name: '山田 太郎', email: 'taro@example.jp', unsubscribeUrl: UNSUBSCRIBE };
const builtin = (name: string): string => readFileSync(path.join(BUILTIN_TEMPLATES_DIR, name), 'utf8');
/** A blog's template folder: the three built-in files, with `files` written over them. */
const templatesWith = (files: Record<string, string>): string => testdir({ 'digest.mjml': builtin('digest.mjml'), 'digest.txt': builtin('digest.txt'), 'subject.liquid': builtin('subject.liquid'), ...files });

/** Every href and src is absolute; the unsubscribe link is present and visible; no script. */
function expectSafeHtml(html: string, language: string): ReturnType<typeof parseHtml> {
  const parsed = parseHtml(html);
  expect(parsed.tags).not.toContain('script');
  expect(parsed.lang).toBe(language);
  for (const link of parsed.links) expect(link).toMatch(/^(https?:\/\/|mailto:)/);
  expect(html).not.toContain('%%feedletter:');
  return parsed;
}

async function templateError(promise: Promise<unknown>): Promise<FeedletterError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FeedletterError);
  expect((error as FeedletterError).code).toBe('TEMPLATE_INVALID');
  return error as FeedletterError;
}

describe('compileDigest + personalise', () => {
  it('renders the seed posts: Japanese subject, dates in Asia/Tokyo, reading time, links, footer', async () => {
    const posts = seedPosts();
    const compiled = await compileDigest({ config: makeConfig(), templatesDir: BUILTIN_TEMPLATES_DIR, posts, now });
    expect(compiled.subject).toBe('ALLFORCES: AWSのInferentia3の可能性とは？ ほか1件');
    expect(compiled.preheader).toContain('AWSのInferentia3の可能性とは？');

    const out = preparePersonaliser(compiled)(who);
    const html = expectSafeHtml(out.html, 'ja');
    // 2026-01-14 16:51 UTC is the 15th in Tokyo; 2026-01-11 04:57 UTC the 11th.
    expect(html.text).toContain('2026年1月15日');
    expect(html.text).toContain('2026年1月11日');
    expect(html.text).toContain('8分で読めます');
    expect(html.text).toContain('Inflection AIとAMDの提タッグの');
    expect(html.text).toContain('山田 太郎さん、こんにちは。');
    expect(html.text).toContain('taro@example.jp');
    for (const post of posts) {
      expect(html.anchors.filter((a) => a.href === post.url).map((a) => a.text)).toEqual(expect.arrayContaining([post.title, '記事を読む']));
    }
    expect(html.anchors).toContainEqual({ href: UNSUBSCRIBE, text: '配信を停止する' });
    expect(Buffer.byteLength(out.html)).toBeLessThan(HTML_SIZE_LIMIT);

    expect(out.text).toContain('AWSのInferentia3の可能性とは？');
    expect(out.text).toContain('2026年1月15日 · 8分で読めます');
    expect(out.text).toContain(posts[0]!.url);
    expect(out.text).toContain(`配信を停止する: ${UNSUBSCRIBE}`);
    expect(out.text).not.toMatch(/<[a-z]/i);
  });

  it('shows post text literally: <script>, & and quotes are escaped, never markup', async () => {
    const posts = [
      makePost({ title: '<script>alert(1)</script> & "Tom\'s"', summary: 'a < b && c > d <img src=x onerror=alert(1)>', categories: ['R&D'], tags: ['<i>'] }),
    ];
    const compiled = await compileDigest({ config: makeConfig(), templatesDir: BUILTIN_TEMPLATES_DIR, posts, now });
    const out = preparePersonaliser(compiled)({ name: '<b>&"', email: 'x@example.jp', unsubscribeUrl: UNSUBSCRIBE });
    const html = expectSafeHtml(out.html, 'ja');
    expect(html.tags).not.toContain('img');
    expect(html.tags).not.toContain('i');
    expect(html.tags).not.toContain('b');
    expect(html.text).toContain('<script>alert(1)</script> & "Tom\'s"');
    expect(html.text).toContain('a < b && c > d <img src=x onerror=alert(1)>');
    expect(html.text).toContain('R&D');
    expect(html.text).toContain('#<i>');
    expect(html.text).toContain('<b>&"さん、こんにちは。');
    expect(out.subject).toBe('ALLFORCES: <script>alert(1)</script> & "Tom\'s"');
    expect(out.text).toContain('<script>alert(1)</script> & "Tom\'s"');
  });

  it('runs MJML once per digest, however many subscribers; English labels for an English site', async () => {
    let calls = 0;
    const counting: MjmlRender = (source, options) => {
      calls++;
      return mjml2html(source, options);
    };
    const config = makeConfig({ site: { title: 'My Blog', url: 'https://blog.example.com/', language: 'en', timezone: 'UTC' } });
    const posts = [makePost({ title: 'Third', date: new Date('2026-01-12T10:00:00Z'), readingTime: 3 }), makePost({ title: 'Second' }), makePost({ title: 'First' })];
    const compiled = await compileDigest({ config, templatesDir: BUILTIN_TEMPLATES_DIR, posts, now, mjml: counting });
    expect(calls).toBe(1);
    expect(compiled.subject).toBe('My Blog: Third and 2 more');

    const personalise = preparePersonaliser(compiled);
    const messages = Array.from({ length: 200 }, (_, i) => personalise({ name: i % 2 ? `Reader ${i}` : null, email: `r${i}@example.com`, unsubscribeUrl: `https://blog.example.com/newsletter/unsubscribe?token=t${i}` }));
    expect(calls).toBe(1);
    expect(messages[1]!.text.startsWith('Hi Reader 1,')).toBe(true);
    expect(messages[0]!.text.startsWith('Hi,')).toBe(true);
    expect(messages[7]!.html).toContain('href="https://blog.example.com/newsletter/unsubscribe?token=t7"');

    const html = expectSafeHtml(messages[3]!.html, 'en');
    expect(html.text).toContain('January 12, 2026');
    expect(html.text).toContain('3 min read');
    expect(html.anchors).toContainEqual({ href: 'https://blog.example.com/newsletter/unsubscribe?token=t3', text: 'Unsubscribe' });
    expect(html.text).toContain('You receive this email because you subscribed to new posts from My Blog.');
  });

  it('includes at most digest.maxPosts posts and links the rest as "and N more"', async () => {
    const posts = Array.from({ length: 50 }, (_, i) => makePost({ title: `記事${i}`, date: new Date(Date.UTC(2026, 0, 15) - i * 3_600_000) }));
    const compiled = await compileDigest({ config: makeConfig(), templatesDir: BUILTIN_TEMPLATES_DIR, posts, now, archiveUrl: 'https://allforces.example.jp/archive/' });
    const out = preparePersonaliser(compiled)(who);
    const html = expectSafeHtml(out.html, 'ja');
    expect(html.anchors.filter((a) => a.text === '記事を読む')).toHaveLength(10);
    expect(html.text).toContain('記事9');
    expect(html.text).not.toContain('記事10');
    expect(html.anchors).toContainEqual({ href: 'https://allforces.example.jp/archive/', text: 'ほか40件の記事はサイトでご覧いただけます →' });
    expect(out.text).toContain('ほか40件の記事はサイトでご覧いただけます: https://allforces.example.jp/archive/');
    expect(compiled.subject).toBe('ALLFORCES: 記事0 ほか49件');
  });

  it('keeps the HTML under 100 KB with 50 huge posts: shorter summaries, fewer posts, the footer intact', async () => {
    const posts = Array.from({ length: 50 }, (_, i) =>
      makePost({
        title: `${i}: ${'とても長いタイトル'.repeat(60)}`,
        summary: '要約の文章が延々と続きます。'.repeat(500),
        tags: Array.from({ length: 20 }, (_, t) => `タグ${t}`),
        date: new Date(Date.UTC(2026, 0, 15) - i * 3_600_000),
      }),
    );
    const config = makeConfig({ digest: { maxPosts: 50 } });
    let calls = 0;
    const counting: MjmlRender = (source, options) => {
      calls++;
      return mjml2html(source, options);
    };
    const compiled = await compileDigest({ config, templatesDir: BUILTIN_TEMPLATES_DIR, posts, now, mjml: counting });
    // Shrinking estimates instead of stepping one post at a time: a handful of MJML runs at most.
    expect(calls).toBeGreaterThan(1);
    expect(calls).toBeLessThanOrEqual(4);
    const out = preparePersonaliser(compiled)({ ...who, name: '<長い名前>'.repeat(12) });
    expect(Buffer.byteLength(out.html)).toBeLessThan(HTML_SIZE_LIMIT);
    const html = expectSafeHtml(out.html, 'ja');
    const shown = html.anchors.filter((a) => a.text === '記事を読む').length;
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(50);
    expect(html.anchors).toContainEqual({ href: 'https://allforces.example.jp/', text: `ほか${50 - shown}件の記事はサイトでご覧いただけます →` });
    expect(html.anchors).toContainEqual({ href: UNSUBSCRIBE, text: '配信を停止する' });
    // The summaries were shortened before any post was dropped.
    expect(html.text).not.toContain('要約の文章が延々と続きます。'.repeat(20));
  });

  it('uses the blog’s own templates, and digest.subject over its subject.liquid', async () => {
    const templatesDir = templatesWith({ 'subject.liquid': '[{{ site.title }}] {{ post_count }}件: {{ posts.first.title }}' });
    const posts = [makePost({ title: 'A', date: new Date('2026-01-15T00:00:00Z') }), makePost({ title: 'B', date: new Date('2026-01-14T00:00:00Z') })];
    const compiled = await compileDigest({ config: makeConfig(), templatesDir, posts, now });
    expect(compiled.subject).toBe('[ALLFORCES] 2件: A');
    expect(compiled.text).toContain('* A');

    const overridden = await compileDigest({ config: makeConfig({ digest: { subject: '{{ site.title }} — {{ total_count }} new' } }), templatesDir, posts, now, mjml: async () => ({ html: '<html lang="ja"></html>' }) });
    expect(overridden.subject).toBe('ALLFORCES — 2 new');
  });

  it('a template missing from the blog’s folder is an error naming it, never a silent switch to the built-in one', async () => {
    for (const name of ['digest.mjml', 'digest.txt', 'subject.liquid']) {
      const templatesDir = templatesWith({});
      rmSync(path.join(templatesDir, name));
      const error = await templateError(compileDigest({ config: makeConfig(), templatesDir, posts: [makePost()], now, mjml: async () => ({ html: '<html lang="ja"></html>' }) }));
      expect(error.message).toBe(`email-templates/${name}: template not found`);
      expect(error.hint).toMatch(/remove the whole email-templates\/ folder to use every built-in template/);
    }
    // With digest.subject in the config, subject.liquid is not needed.
    const templatesDir = templatesWith({});
    rmSync(path.join(templatesDir, 'subject.liquid'));
    const compiled = await compileDigest({ config: makeConfig({ digest: { subject: 'S' } }), templatesDir, posts: [makePost()], now, mjml: async () => ({ html: '<html lang="ja"></html>' }) });
    expect(compiled.subject).toBe('S');
  });

  it('chooseTemplates: the blog’s folder, else the built-in one only when the config does not name a folder', () => {
    const blog = testdir({ 'email-templates/digest.mjml': '' });
    expect(chooseTemplates({ templatesDir: path.join(blog, 'email-templates'), configured: 'email-templates', defaultDir: DEFAULT_TEMPLATES_DIR })).toEqual({ dir: path.join(blog, 'email-templates'), builtin: false });
    const bare = testdir();
    expect(chooseTemplates({ templatesDir: path.join(bare, 'email-templates'), configured: 'email-templates/', defaultDir: DEFAULT_TEMPLATES_DIR })).toEqual({ dir: BUILTIN_TEMPLATES_DIR, builtin: true });
    expect(() => chooseTemplates({ templatesDir: path.join(bare, 'mail'), configured: 'mail', defaultDir: DEFAULT_TEMPLATES_DIR })).toThrow(/digest\.templates: the folder mail does not exist/);
  });
});

describe('template errors', () => {
  it('a Liquid syntax error names email-templates/digest.mjml and its line, before MJML runs', async () => {
    const lines = builtin('digest.mjml').split('\n');
    lines.splice(20, 0, '        <mj-text>{% if post %}unclosed</mj-text>');
    const templatesDir = templatesWith({ 'digest.mjml': lines.join('\n') });
    let calls = 0;
    const error = await templateError(compileDigest({ config: makeConfig(), templatesDir, posts: [makePost()], now, mjml: async () => ({ html: String(++calls) }) }));
    expect(error.message).toMatch(/^email-templates\/digest\.mjml:21:\d+: /);
    expect(error.message).not.toContain(templatesDir);
    expect(calls).toBe(0);
  });

  it('an unknown variable or filter is an error (strict), naming file and line', async () => {
    const templatesDir = templatesWith({ 'digest.txt': 'line one\n{{ posts.first.title | shout }}\n', 'subject.liquid': '{{ site.title }}\n{{ nope }}' });
    const filter = await templateError(compileDigest({ config: makeConfig(), templatesDir, posts: [makePost()], now, mjml: async () => ({ html: '<html lang="ja"></html>' }) }));
    expect(filter.message).toMatch(/^email-templates\/digest\.txt:2:\d+: .*shout/);

    const variableDir = templatesWith({ 'subject.liquid': '{{ site.title }}\n{{ nope }}' });
    const variable = await templateError(compileDigest({ config: makeConfig(), templatesDir: variableDir, posts: [makePost()], now, mjml: async () => ({ html: '<html lang="ja"></html>' }) }));
    expect(variable.message).toMatch(/^email-templates\/subject\.liquid:2:\d+: .*nope/);

    const config = makeConfig({ digest: { subject: '{{ site.title }} {{ site.nope }}' } });
    const fromConfig = await templateError(compileDigest({ config, templatesDir: BUILTIN_TEMPLATES_DIR, posts: [makePost()], now, mjml: async () => ({ html: '<html lang="ja"></html>' }) }));
    expect(fromConfig.message).toMatch(/^digest\.subject \(config\):1:\d+: .*nope/);
  });

  it('an MJML validation error (strict) names the template file and its own line', async () => {
    const lines = builtin('digest.mjml').split('\n');
    const at = lines.findIndex((line) => line.includes('{{ labels.heading }}</mj-text>'));
    lines[at] = lines[at]!.replace('<mj-text ', '<mj-text colour="red" ');
    const templatesDir = templatesWith({ 'digest.mjml': lines.join('\n') });
    const error = await templateError(compileDigest({ config: makeConfig(), templatesDir, posts: [makePost(), makePost()], now }));
    expect(error.message).toContain(`email-templates/digest.mjml:${at + 1}: MJML validation failed`);
    expect(error.message).toContain(`Line ${at + 1} of email-templates/digest.mjml (mj-text) — Attribute colour is illegal`);
    expect(error.message).not.toContain(templatesDir);
    expect(error.message).not.toContain(process.cwd());
  });
});

describe('compileDigest ordering', () => {
  it('puts the newest post first whatever the input order (it names the subject)', async () => {
    const posts = [makePost({ title: 'Older', date: new Date('2026-01-10T00:00:00Z') }), makePost({ title: 'Newest', date: new Date('2026-01-12T00:00:00Z') })];
    const compiled = await compileDigest({ config: makeConfig(), templatesDir: BUILTIN_TEMPLATES_DIR, posts, now, mjml: async () => ({ html: '<html lang="ja"></html>' }) });
    expect(compiled.subject).toBe('ALLFORCES: Newest ほか1件');
    expect(compiled.text.indexOf('Newest')).toBeLessThan(compiled.text.indexOf('Older'));
  });
});
