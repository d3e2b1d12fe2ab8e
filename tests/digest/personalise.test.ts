import { describe, expect, it } from 'vitest';
import { digestContext } from '../../src/digest/context.js';
import { defuse, personalise, placeholder, preparePersonaliser } from '../../src/digest/personalise.js';
import { makeConfig, makePost } from './factory.js';
import { parseHtml } from './html.js';

const URL_WITH_AMP = 'https://allforces.example.jp/newsletter/unsubscribe?token=abc.def&x=1';

/** A compiled digest as compileDigest leaves it: markers in the subject, an attribute, the body and the text. */
function compiled(language = 'ja') {
  const greeting = placeholder('greeting', language);
  return {
    subject: `News for ${placeholder('name')}`,
    preheader: 'pre',
    html: `<html><body><p>${greeting}</p><p>${placeholder('email')}</p><a href="${placeholder('unsubscribe_url')}">unsubscribe</a><p title="${placeholder('name')}">${placeholder('name')}</p></body></html>`,
    text: `${greeting}\n${placeholder('email')}\n${placeholder('unsubscribe_url')}\n`,
  };
}

describe('personalise', () => {
  it('HTML-escapes every value in the html, in text and in attributes, so a hostile name cannot break it', () => {
    const out = personalise(compiled(), { name: '<b>&"\'', email: 'taro@example.jp', unsubscribeUrl: URL_WITH_AMP });
    expect(out.html).not.toContain('<b>');
    const parsed = parseHtml(out.html);
    expect(parsed.tags).toEqual(['html', 'body', 'p', 'p', 'a', 'p']);
    expect(parsed.anchors).toEqual([{ href: URL_WITH_AMP, text: 'unsubscribe' }]);
    expect(parsed.text).toContain(`<b>&"'さん、こんにちは。`);
    expect(parsed.text).toContain('taro@example.jp');
    expect(out.html).toContain('title="&lt;b&gt;&amp;&quot;&#39;"');
  });

  it('keeps values as they are in the text part and the subject', () => {
    const out = personalise(compiled(), { name: '<b>&"', email: 'taro@example.jp', unsubscribeUrl: URL_WITH_AMP });
    expect(out.text).toBe(`<b>&"さん、こんにちは。\ntaro@example.jp\n${URL_WITH_AMP}\n`);
    expect(out.subject).toBe('News for <b>&"');
  });

  it('never lets a name carry a line break into the subject or text', () => {
    const out = personalise(compiled(), { name: 'Evil\r\nBcc: x@y', email: 'e@example.jp', unsubscribeUrl: URL_WITH_AMP });
    expect(out.subject).toBe('News for Evil Bcc: x@y');
    expect(out.text.split('\n')[0]).toBe('Evil Bcc: x@yさん、こんにちは。');
  });

  it('greets by name when there is one, in the language the marker records', () => {
    const who = { email: 'e@example.jp', unsubscribeUrl: URL_WITH_AMP };
    expect(personalise(compiled('ja'), { ...who, name: null }).text.split('\n')[0]).toBe('こんにちは。');
    expect(personalise(compiled('en'), { ...who, name: 'Ann' }).text.split('\n')[0]).toBe('Hi Ann,');
    expect(personalise(compiled('en'), { ...who, name: null }).text.split('\n')[0]).toBe('Hi,');
    expect(personalise(compiled('en'), { ...who, name: null }).subject).toBe('News for');
  });

  it('a prepared personaliser gives each subscriber their own values and leaves no marker', () => {
    const prepared = preparePersonaliser(compiled());
    const a = prepared({ name: 'A', email: 'a@example.jp', unsubscribeUrl: 'https://x.example/u?token=a' });
    const b = prepared({ name: 'B', email: 'b@example.jp', unsubscribeUrl: 'https://x.example/u?token=b' });
    expect(a).toEqual(personalise(compiled(), { name: 'A', email: 'a@example.jp', unsubscribeUrl: 'https://x.example/u?token=a' }));
    expect(a.html).toContain('a@example.jp');
    expect(b.html).toContain('b@example.jp');
    expect(b.html).not.toContain('a@example.jp');
    for (const part of [a.subject, a.html, a.text]) expect(part).not.toContain('%%feedletter:');
  });

  it('accepts a stored digest record (subject, html and text only)', () => {
    const { subject, html, text } = compiled();
    const out = preparePersonaliser({ subject, html, text })({ name: null, email: 'e@example.jp', unsubscribeUrl: URL_WITH_AMP });
    expect(out.text).toContain(URL_WITH_AMP);
  });

  it('a marker written in a post is defused, not replaced by the reader’s data', () => {
    const post = makePost({ title: `Look: ${placeholder('email')}`, summary: placeholder('unsubscribe_url') });
    const context = digestContext({ config: makeConfig(), posts: [post], totalCount: 1, summaryLimit: 300, now: new Date('2026-02-01T00:00:00Z'), moreUrl: 'https://allforces.example.jp/' });
    const source = { subject: context.posts[0]!.title, html: context.posts[0]!.summary, text: context.posts[0]!.title };
    const out = personalise(source, { name: 'N', email: 'secret@example.jp', unsubscribeUrl: URL_WITH_AMP });
    expect(out.subject).not.toContain('secret@example.jp');
    expect(out.html).not.toContain(URL_WITH_AMP);
    expect(defuse('plain text')).toBe('plain text');
  });
});
