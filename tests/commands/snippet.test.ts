import { parseDocument, DomUtils } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { snippet } from '../../src/commands/snippet.js';
import { parseConfig } from '../../src/config/load.js';

const config = (yaml: string) => {
  const { config: parsed, errors } = parseConfig(yaml, 'test.yaml');
  expect(errors).toEqual([]);
  return parsed!;
};

describe('feedletter snippet', () => {
  it('has the three autodiscovery links and a form posting to the daemon with the self-hosted widget', () => {
    const html = snippet(config('site:\n  title: "My {{ site }} & <blog>"\n  url: https://blog.example.com/\n  language: ja\n'));
    const doc = parseDocument(html);
    const links = DomUtils.getElementsByTagName('link', doc).map((l) => [l.attribs.type, l.attribs.href]);
    expect(links).toEqual([
      ['application/rss+xml', 'https://blog.example.com/feed.xml'],
      ['application/atom+xml', 'https://blog.example.com/atom.xml'],
      ['application/feed+json', 'https://blog.example.com/feed.json'],
    ]);
    expect(DomUtils.getElementsByTagName('link', doc)[0]?.attribs.title).toBe('My {{ site }} & <blog> (RSS)');
    const form = DomUtils.getElementsByTagName('form', doc)[0];
    expect(form?.attribs).toMatchObject({ method: 'post', action: 'https://blog.example.com/newsletter/subscribe' });
    const inputs = DomUtils.getElementsByTagName('input', doc).map((i) => i.attribs.name);
    expect(inputs).toEqual(['email', 'website']);
    expect(DomUtils.getElementsByTagName('label', doc)[0]?.attribs.for).toBe('feedletter-email');
    expect(DomUtils.getElementsByTagName('altcha-widget', doc)[0]?.attribs).toMatchObject({ challenge: 'https://blog.example.com/newsletter/altcha/challenge', name: 'altcha', language: 'ja' });
    expect(DomUtils.getElementsByTagName('script', doc)[0]?.attribs.src).toBe('https://blog.example.com/newsletter/altcha.js');
    // Nothing a Jekyll include (Liquid) would read as a tag or an output
    expect(html).not.toMatch(/\{\{|\{%/);
    expect(html).toContain('メールアドレス');
  });

  it('follows server.publicUrl and the feed file names, and leaves the form out when signup is off', () => {
    const html = snippet(config('site:\n  url: https://example.org/blog/\nserver:\n  publicUrl: https://news.example.org/\nfeeds:\n  rss: rss.xml\nsubscribe:\n  enabled: false\n'));
    expect(html).toContain('href="https://example.org/blog/rss.xml"');
    expect(html).not.toContain('<form');
    const withForm = snippet(config('site:\n  url: https://example.org/blog/\nserver:\n  publicUrl: https://news.example.org/\nsubscribe:\n  proofOfWork: false\n'));
    expect(withForm).toContain('action="https://news.example.org/subscribe"');
    expect(withForm).not.toContain('altcha');
  });
});
