import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { EXIT, main } from '../../src/cli.js';
import { loadConfig } from '../../src/config/load.js';
import { copySite, feedletterItems } from '../sites/helpers.js';
import { testdir } from '../helpers/tmp.js';
import { captureOutput } from '../helpers/output.js';

const io = captureOutput();

const cli = (cwd: string, ...args: string[]): Promise<number> => main(args, { cwd, env: {} });
const configOf = (dir: string): string => readFileSync(path.join(dir, 'config/feedletter.yaml'), 'utf8');

/** Every line that sets a key carries a comment saying where its value came from. */
function expectEveryKeySourced(text: string): void {
  const keyLines = text.split('\n').filter((line) => /^\s*[A-Za-z]+:/.test(line) && !/^\s*[A-Za-z]+:\s*$/.test(line));
  expect(keyLines.length).toBeGreaterThan(8);
  for (const line of keyLines) {
    // nested values of a block (defaults, permalinks) sit under a key that has the comment
    if (/^\s{4,}/.test(line) && !line.includes('#')) continue;
    expect(line, 'a key without its source').toMatch(/ # \S/);
  }
}

describe('feedletter init', () => {
  it('reads a Jekyll site: every key sourced, templates copied, next steps printed; refuses a second run without --force', async () => {
    const dir = copySite('jekyll');
    expect(await cli(dir, 'init')).toBe(EXIT.ok);
    const text = configOf(dir);
    expectEveryKeySourced(text);
    expect(text).toMatch(/url: https:\/\/example\.com\/blog\/\s+# from _config\.yml: url \+ baseurl/);
    expect(parse(text)).toMatchObject({ site: { generator: 'jekyll', timezone: 'Asia/Tokyo', language: 'ja' }, permalink: 'pretty', output: { dir: '_site' } });
    expect(existsSync(path.join(dir, 'email-templates/digest.mjml'))).toBe(true);
    const printed = io.stdout.join('');
    expect(printed).toContain('a Jekyll site (read _config.yml)');
    expect(printed).toContain('npx feedletter check');
    expect(printed).toContain('npx feedletter build');
    expect(printed).toContain('https://example.com/blog/feed.xml');

    // a second init changes nothing
    writeFileSync(path.join(dir, 'config/feedletter.yaml'), '# mine\n');
    expect(await cli(dir, 'init')).toBe(EXIT.usage);
    expect(io.stderr.join('')).toContain('config/feedletter.yaml exists already');
    expect(configOf(dir)).toBe('# mine\n');
    // --force replaces it, and keeps templates the user has
    writeFileSync(path.join(dir, 'email-templates/digest.txt'), 'my text template');
    expect(await cli(dir, 'init', '--force')).toBe(EXIT.ok);
    expect(configOf(dir)).toContain('generator: jekyll');
    expect(readFileSync(path.join(dir, 'email-templates/digest.txt'), 'utf8')).toBe('my text template');
  });

  it('reads a Hugo site, and one whose config is in config/_default/ with YAML', async () => {
    const dir = copySite('hugo');
    expect(await cli(dir, 'init')).toBe(EXIT.ok);
    const text = configOf(dir);
    expectEveryKeySourced(text);
    expect(parse(text)).toMatchObject({
      site: { generator: 'hugo', url: 'https://example.org/blog/', timezone: 'Asia/Tokyo', language: 'ja', author: { name: '山田 花子' } },
      content: { dir: 'content', include: ['posts/**/*.md', 'posts/**/*.markdown', 'notes/**/*.md', 'notes/**/*.markdown'] },
      hugo: { permalinks: { posts: '/:year/:month/:slug/', notes: '/:sections/:filename/' } },
    });

    const split = testdir({
      'config/_default/hugo.yaml': 'baseURL: https://split.example/\ntitle: Split\nTimeZone: Europe/Berlin\nlanguageCode: de_DE\n',
      'config/_default/permalinks.yaml': 'posts: /:year/:slug/\n',
      'content/posts/a.md': '---\ntitle: Erster Beitrag\ndate: 2026-01-05T10:00:00\n---\nHallo.\n',
    });
    expect(await cli(split, 'init')).toBe(EXIT.ok);
    const { resolved } = loadConfig({ cwd: split, env: {} });
    expect(resolved.config.site).toMatchObject({ url: 'https://split.example/', timezone: 'Europe/Berlin', language: 'de-DE', generator: 'hugo' });
    expect(resolved.config.hugo.permalinks).toEqual({ posts: '/:year/:slug/' });
    const { items } = await feedletterItems(split, new Date('2026-02-01T00:00:00Z'));
    expect(items.map((i) => i.url)).toEqual(['https://split.example/2026/erster-beitrag/']);
  });

  it('writes a config for a plain folder of posts, with a clear note', async () => {
    const dir = testdir({ 'content/_posts/2026-01-05-hello.md': '---\ntitle: Hello\n---\nHi.\n' });
    expect(await cli(dir, 'init')).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/no Jekyll or Hugo site/);
    const text = configOf(dir);
    expectEveryKeySourced(text);
    expect(parse(text)).toMatchObject({ site: { generator: 'plain' }, content: { dir: 'content' } });
    expect(await cli(dir, 'build')).toBe(EXIT.ok);
    expect(readFileSync(path.join(dir, 'public/feed.xml'), 'utf8')).toContain('2026/01/05/hello.html');
  });

  it('init DIR works from elsewhere; a broken site config is exit 65 naming the file; a missing folder is 64', async () => {
    const parent = testdir({ 'site/_config.yml': 'title: [unclosed\n' });
    expect(await cli(parent, 'init', 'site')).toBe(EXIT.input);
    expect(io.stderr.join('')).toContain('_config.yml: does not parse');
    expect(existsSync(path.join(parent, 'site/config/feedletter.yaml'))).toBe(false);
    writeFileSync(path.join(parent, 'site/_config.yml'), 'title: Fine\nurl: https://fine.example\ntimezone: Not/AZone\nlang: 日本語\n');
    expect(await cli(parent, 'init', 'site')).toBe(EXIT.ok);
    const { resolved } = loadConfig({ cwd: path.join(parent, 'site'), env: {} });
    // what cannot be used falls back to a default, said so in the file and on the screen
    expect(resolved.config.site).toMatchObject({ url: 'https://fine.example/', timezone: 'UTC', language: 'en' });
    expect(io.stdout.join('')).toContain('"Not/AZone" is not an IANA time zone');
    expect(configOf(path.join(parent, 'site'))).toMatch(/language: en\s+# default/);
    expect(await cli(parent, 'init', 'nowhere')).toBe(EXIT.usage);
    // a url that is not http(s), and values that would break the YAML they are written into
    const odd = testdir({ '_config.yml': 'title: "a\\nb: c # d"\nurl: "javascript:alert(1)"\ndescription: "x\\" #y"\n' });
    expect(await cli(odd, 'init')).toBe(EXIT.ok);
    const { resolved: oddConfig } = loadConfig({ cwd: odd, env: {} });
    expect(oddConfig.config.site).toMatchObject({ title: 'a b: c # d', description: 'x" #y', url: 'http://localhost:4000/' });
    expect(io.stdout.join('')).toContain('has no usable url');
  });
});
