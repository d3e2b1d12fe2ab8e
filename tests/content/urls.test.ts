import { describe, expect, it } from 'vitest';
import { absoluteSrcset, absoluteUrl, absolutizeHtml } from '../../src/content/urls.js';

const base = 'https://blog.example.com/tech/2026/01/11/post.html';

describe('absoluteUrl', () => {
  it('resolves root-, page- and protocol-relative URLs', () => {
    expect(absoluteUrl('/img/a.png', base)).toBe('https://blog.example.com/img/a.png');
    expect(absoluteUrl('img/a.png', base)).toBe('https://blog.example.com/tech/2026/01/11/img/a.png');
    expect(absoluteUrl('../x', base)).toBe('https://blog.example.com/tech/2026/01/x');
    expect(absoluteUrl('//cdn.example.net/x.js', base)).toBe('https://cdn.example.net/x.js');
    expect(absoluteUrl('#part', base)).toBe(`${base}#part`);
  });

  it('leaves scheme URLs alone', () => {
    for (const url of ['mailto:a@b.test', 'data:image/png;base64,AAAA', 'https://other.test/x', 'tel:+81000', 'http://x.test/']) {
      expect(absoluteUrl(url, base)).toBe(url);
    }
  });

  it('percent-encodes non-ASCII paths once', () => {
    expect(absoluteUrl('画像/a b.png', base)).toBe('https://blog.example.com/tech/2026/01/11/%E7%94%BB%E5%83%8F/a%20b.png');
    expect(absoluteUrl('%E7%94%BB.png', base)).toBe('https://blog.example.com/tech/2026/01/11/%E7%94%BB.png');
  });
});

describe('absoluteSrcset', () => {
  it('resolves every candidate and keeps descriptors', () => {
    expect(absoluteSrcset('a.png 1x, /b.png 2x,c.png', base)).toBe(
      'https://blog.example.com/tech/2026/01/11/a.png 1x, https://blog.example.com/b.png 2x, https://blog.example.com/tech/2026/01/11/c.png',
    );
    expect(absoluteSrcset('small.jpg 480w, large.jpg 1080w', base)).toBe(
      'https://blog.example.com/tech/2026/01/11/small.jpg 480w, https://blog.example.com/tech/2026/01/11/large.jpg 1080w',
    );
  });
});

describe('absolutizeHtml', () => {
  it('rewrites href/src/srcset/poster in any tag, quoted or not, and nothing else', () => {
    const html = `<p><a href="/x?a=1&amp;b=2" title="/not-a-url">x</a> <img src='img/a.png' srcset="a.png 1x, b.png 2x" alt="img/a.png"></p>
<video poster=poster.jpg src="//cdn.test/v.mp4"></video><a href="mailto:me@x.test">m</a><a href="#top">t</a>
<code>&lt;a href=&quot;/raw&quot;&gt;</code>`;
    const out = absolutizeHtml(html, base);
    expect(out).toContain('<a href="https://blog.example.com/x?a=1&amp;b=2" title="/not-a-url">');
    expect(out).toContain('src="https://blog.example.com/tech/2026/01/11/img/a.png"');
    expect(out).toContain('srcset="https://blog.example.com/tech/2026/01/11/a.png 1x, https://blog.example.com/tech/2026/01/11/b.png 2x"');
    expect(out).toContain('alt="img/a.png"');
    expect(out).toContain('poster="https://blog.example.com/tech/2026/01/11/poster.jpg"');
    expect(out).toContain('src="https://cdn.test/v.mp4"');
    expect(out).toContain('href="mailto:me@x.test"');
    expect(out).toContain(`href="${base}#top"`);
    expect(out).toContain('<code>&lt;a href=&quot;/raw&quot;&gt;</code>');
  });
});
