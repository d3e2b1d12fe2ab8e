import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderPosts } from '../../src/content/index.js';
import { testdir } from '../helpers/tmp.js';
import { makeConfig, post, read } from './helpers.js';

const P = 'content/_posts';

async function renderAll(root: string, config = makeConfig()) {
  const r = await read(root, { config });
  const rendered = await renderPosts(r.headers, { config, contentDir: path.join(root, 'content') });
  return { ...rendered, read: r };
}

describe('renderPosts', () => {
  it('renders markdown to HTML, raw HTML passing through, no linkify', async () => {
    const root = testdir({ [`${P}/2026-01-11-a.md`]: post('title: A', '# Head\n\nSome **bold** and <span class="x">raw</span>.\n\nhttps://not-linked.example.com\n') });
    const { posts, problems } = await renderAll(root);
    expect(problems).toEqual([]);
    const html = posts[0]?.contentHtml ?? '';
    expect(html).toContain('<h1>Head</h1>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<span class="x">raw</span>');
    expect(html).not.toContain('<a href="https://not-linked');
  });

  it('makes every relative URL absolute against the post URL, in markdown and raw HTML', async () => {
    const body = [
      '[root](/about/) [page](img/a.png) [up](../x) [cdn](//cdn.example.net/a.js) [frag](#part) [mail](mailto:a@b.test)',
      '',
      '![pic](pics/画像.png)',
      '',
      '<img src="/raw.png" srcset="s.png 1x, /l.png 2x"><video poster="p.jpg"></video><a href=\'rel.html\'>r</a>',
      '',
    ].join('\n');
    const root = testdir({ [`${P}/2026-01-11-a.md`]: post('title: A\ndate: 2026-01-11 12:00:00 +0900', body) });
    const { posts } = await renderAll(root, makeConfig({ permalink: '/:year/:month/:day/:title.html' }));
    const post0 = posts[0];
    expect(post0?.url).toBe('https://blog.example.com/2026/01/11/a.html');
    const html = post0?.contentHtml ?? '';
    const dir = 'https://blog.example.com/2026/01/11/';
    expect(html).toContain('href="https://blog.example.com/about/"');
    expect(html).toContain(`href="${dir}img/a.png"`);
    expect(html).toContain('href="https://blog.example.com/2026/01/x"');
    expect(html).toContain('href="https://cdn.example.net/a.js"');
    expect(html).toContain(`href="${dir}a.html#part"`);
    expect(html).toContain('href="mailto:a@b.test"');
    expect(html).toContain(`src="${dir}pics/%E7%94%BB%E5%83%8F.png"`);
    expect(html).toContain('src="https://blog.example.com/raw.png"');
    expect(html).toContain(`srcset="${dir}s.png 1x, https://blog.example.com/l.png 2x"`);
    expect(html).toContain(`poster="${dir}p.jpg"`);
    expect(html).toContain(`href="${dir}rel.html"`);
    // Nothing relative left in any URL attribute.
    for (const m of html.matchAll(/\b(?:href|src|poster)="([^"]*)"/g)) expect(m[1]).toMatch(/^(https:|mailto:)/);
  });

  it('cuts the body at the first line equal to the end marker', async () => {
    const root = testdir({ [`${P}/2026-01-11-a.md`]: post('title: A', 'Kept.\n\n---END---\n\nRepeated after.\n\n---END---\n\nAgain.\n') });
    const { posts } = await renderAll(root);
    expect(posts[0]?.contentHtml).toContain('Kept.');
    expect(posts[0]?.contentHtml).not.toContain('Repeated');
    expect(posts[0]?.contentHtml).not.toContain('END');
    const noMarker = await renderAll(root, makeConfig({ content: { endMarker: undefined } }));
    expect(noMarker.posts[0]?.contentHtml).toContain('Repeated after.');
  });

  it('removes characters XML cannot carry from the HTML', async () => {
    const root = testdir({ [`${P}/2026-01-11-a.md`]: post('title: A', 'bad\u0001 \u0008chars \uFFFF ]]> <b>&amp;</b>\n') });
    const { posts } = await renderAll(root);
    const html = posts[0]?.contentHtml ?? '';
    // eslint-disable-next-line no-control-regex
    expect(html).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/);
    expect(html).toContain('bad chars');
  });

  it('computes reading time: CJK by characters, other text by words, at least 1', async () => {
    const root = testdir({
      [`${P}/2026-01-01-ja.md`]: post('title: JA', `${'あ'.repeat(1200)}\n`),
      [`${P}/2026-01-02-en.md`]: post('title: EN', `${'word '.repeat(450)}\n`),
      [`${P}/2026-01-03-short.md`]: post('title: Short', 'Hi.\n'),
      [`${P}/2026-01-04-fm.md`]: post('title: FM\nreading_time: 12', 'Hi.\n'),
    });
    const { posts } = await renderAll(root);
    const get = (t: string) => posts.find((p) => p.title === t)?.readingTime;
    expect(get('JA')).toBe(3);
    expect(get('EN')).toBe(3);
    expect(get('Short')).toBe(1);
    expect(get('FM')).toBe(12);
  });

  it('reports a body that is not UTF-8 past the first chunk and leaves the post out', async () => {
    const bytes = Buffer.concat([Buffer.from(post('title: A', `Short.\n\n${'a'.repeat(20_000)}\n\n`)), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]);
    const root = testdir({ [`${P}/2026-01-11-a.md`]: bytes, [`${P}/2026-01-12-b.md`]: post('title: B') });
    const { posts, problems, read: r } = await renderAll(root);
    // readPosts read only the start of the file (it never saw the bad bytes): bodies are not read there.
    expect(r.problems).toEqual([]);
    expect(r.headers).toHaveLength(2);
    expect(posts.map((p) => p.title)).toEqual(['B']);
    expect(problems).toEqual([expect.objectContaining({ file: `${P}/2026-01-11-a.md`, severity: 'error', message: expect.stringContaining('UTF-8') })]);
  });

  it('parses a file again when it changed after its header was read', async () => {
    const root = testdir({ [`${P}/2026-01-11-a.md`]: post('title: Old', 'Old body.\n') });
    const config = makeConfig();
    const r = await read(root, { config });
    const file = path.join(root, P, '2026-01-11-a.md');
    writeFileSync(file, post('title: New title here', 'New body.\n'));
    utimesSync(file, new Date('2026-02-01T00:00:00Z'), new Date('2026-02-01T00:00:00Z'));
    const { posts } = await renderPosts(r.headers, { config, contentDir: path.join(root, 'content') });
    expect(posts[0]?.title).toBe('New title here');
    expect(posts[0]?.contentHtml).toContain('New body.');
  });

  it('carries every header field into the post', async () => {
    const root = testdir({ [`${P}/2026-01-11-a.md`]: post('title: A\ntags: [t]\ncategories: [c]\nauthor: Z\nexcerpt: S', 'Body.\n') });
    const { posts, read: r } = await renderAll(root);
    const { size: _size, mtimeMs: _mtime, readingTime: _rt, ...header } = r.headers[0] ?? ({} as never);
    expect(posts[0]).toMatchObject(header);
    expect(Object.keys(posts[0] ?? {}).sort()).toEqual(['authors', 'categories', 'contentHtml', 'date', 'id', 'readingTime', 'slug', 'sourcePath', 'summary', 'tags', 'title', 'updated', 'url']);
  });
});
