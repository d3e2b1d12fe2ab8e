import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { init } from '../../src/commands/init.js';
import { copySite, feedletterItems, generate, generatedPosts, pageOf, which } from './helpers.js';

/**
 * The real Jekyll (Debian's `jekyll`, 4.3) builds the fixture site under every permalink style,
 * and feedletter, configured for it by `feedletter init` (no edit), must link exactly the post pages Jekyll wrote, with the
 * dates Jekyll gave them. Nothing here says what a URL should be: Jekyll does.
 */

const JEKYLL = which('jekyll');
const SKIP = 'jekyll is not on PATH (apt-get install jekyll; CI installs it)';


const STYLES = [
  'pretty',
  'date',
  'ordinal',
  'weekdate',
  'none',
  '/:categories/:slugified_categories/:w_year/:week/:w_day/:short_day/:long_day/:short_month/:long_month/:i_month/:i_day/:short_year/:y_day/:hour/:minute/:second/:slug/:name/:title:output_ext',
  '/:collection/:path/',
  '/:year/:title',
];

async function compare(dir: string, now = new Date()): Promise<void> {
  init({ dir });
  await generate(JEKYLL as string, ['build', '--quiet', '--source', dir, '--destination', path.join(dir, '_site')], dir);
  const pages = generatedPosts(path.join(dir, '_site'));
  expect(pages.length).toBeGreaterThan(5);
  const { items, problems, siteUrl } = await feedletterItems(dir, now);
  expect(problems.filter((p) => p.endsWith('[error]'))).toEqual([]);
  // Every item is a page Jekyll wrote, with the date Jekyll gave it...
  const linked = items.map((item) => {
    const file = pageOf(item.url, siteUrl, path.join(dir, '_site'));
    expect(file, `${item.url} is not a page jekyll wrote (it wrote ${pages.map((p) => p.file).join(', ')})`).toBeDefined();
    const page = pages.find((p) => p.file === file);
    expect(page, `${item.url} is not a post`).toBeDefined();
    expect(item.date, item.url).toBe(page?.date);
    return file;
  });
  // ...and every post Jekyll published is an item, once.
  expect(linked.sort()).toEqual(pages.map((p) => p.file));
}

describe('jekyll: feedletter links exactly the posts jekyll publishes', () => {
  for (const style of STYLES) {
    it(`permalink: ${style}`, async (ctx) => {
      if (JEKYLL === undefined) return ctx.skip(SKIP);
      const dir = copySite('jekyll');
      const file = path.join(dir, '_config.yml');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/^permalink: .*$/m, `permalink: ${JSON.stringify(style)}`));
      await compare(dir);
    });
  }

  it('future: true publishes the post dated in 2099, and baseurl empty', async (ctx) => {
    if (JEKYLL === undefined) return ctx.skip(SKIP);
    const dir = copySite('jekyll');
    const file = path.join(dir, '_config.yml');
    writeFileSync(file, `${readFileSync(file, 'utf8').replace(/^baseurl: .*$/m, 'baseurl: ""')}\nfuture: true\n`);
    await compare(dir);
    expect(generatedPosts(path.join(dir, '_site')).some((p) => p.file.includes('2099'))).toBe(true);
  });
});
