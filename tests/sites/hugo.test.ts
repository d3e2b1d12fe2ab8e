import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { init } from '../../src/commands/init.js';
import { copySite, feedletterItems, generate, generatedPosts, pageOf, which } from './helpers.js';

/**
 * The real Hugo (Debian's `hugo`, 0.111) builds the fixture site, and feedletter, configured
 * for it by `feedletter init` (no edit), must link exactly the pages of its main sections that Hugo wrote, with the dates Hugo
 * gave them. Nothing here says what a URL should be: Hugo does. Only what Hugo 0.111 knows is
 * covered here (no :contentbasename, added in 0.144; no `:sections[...]` slices, which 0.111
 * computes differently from its later source and can crash on).
 */

const HUGO = which('hugo');
const SKIP = 'hugo is not on PATH (apt-get install hugo; CI installs it)';


async function compare(dir: string, now = new Date()): Promise<void> {
  init({ dir });
  const out = path.join(dir, 'public');
  await generate(HUGO as string, ['--quiet', '--source', dir, '--destination', out], dir);
  const pages = generatedPosts(out);
  expect(pages.length).toBeGreaterThan(5);
  const { items, problems, siteUrl } = await feedletterItems(dir, now);
  expect(problems.filter((p) => p.endsWith('[error]'))).toEqual([]);
  const linked = items.map((item) => {
    const file = pageOf(item.url, siteUrl, out);
    expect(file, `${item.url} is not a page hugo wrote (it wrote ${pages.map((p) => p.file).join(', ')})`).toBeDefined();
    const page = pages.find((p) => p.file === file);
    expect(page, `${item.url} is not a post`).toBeDefined();
    expect(item.date, item.url).toBe(page?.date);
    return file;
  });
  expect(linked.sort()).toEqual(pages.map((p) => p.file));
  // The bundle's relative image resolves to the image hugo copied beside the page.
  const bundle = items.find((i) => i.html.includes('figure.png'));
  const image = /src="([^"]+figure\.png)"/.exec(bundle?.html ?? '')?.[1];
  expect(image, 'the bundle post links its image').toBeDefined();
  expect(pageOf(image as string, siteUrl, out)).toMatch(/figure\.png$/);
}

const PATTERNS = [
  undefined,
  '/:year/:month/:day/:title/',
  '/:section/:filename/',
  '/:slugorfilename/',
  '/:monthname/:weekday/:weekdayname/:yearday/:slug',
  '/:sections/:year/:filename',
];

describe('hugo: feedletter links exactly the pages hugo publishes', () => {
  for (const pattern of PATTERNS) {
    it(`posts = ${pattern ?? '(no permalink: the default path)'}`, async (ctx) => {
      if (HUGO === undefined) return ctx.skip(SKIP);
      const dir = copySite('hugo');
      const file = path.join(dir, 'hugo.toml');
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, pattern === undefined ? text.replace(/^\s*posts = .*$/m, '') : text.replace(/^(\s*posts = ).*$/m, `$1${JSON.stringify(pattern)}`));
      await compare(dir);
    });
  }
});
