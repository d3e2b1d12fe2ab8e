import { execFile } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { build } from '../../src/commands/build.js';
import { loadConfig } from '../../src/config/load.js';
import { testdir } from '../helpers/tmp.js';

const run = promisify(execFile);

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/sites');

/** The absolute path of `program` on PATH, or undefined. */
export function which(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A fresh copy of the fixture site `name` in a temp folder (removed after the test). */
export function copySite(name: string): string {
  const dir = testdir();
  cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

/** Runs a generator; its output is kept for the failure message. */
export async function generate(program: string, args: string[], cwd: string): Promise<void> {
  try {
    await run(program, args, { cwd, env: { ...process.env, JEKYLL_ENV: 'production', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' }, maxBuffer: 16 << 20 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${program} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

function* htmlFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* htmlFiles(full);
    else if (entry.name.endsWith('.html')) yield full;
  }
}

export interface GeneratedPost {
  /** The page file, relative to the output folder, forward slashes. */
  file: string;
  /** What the generator's layout wrote into data-feedletter-post (the source path). */
  source: string;
  /** The date the generator gave the post (data-date), as an instant. */
  date: number;
}

/**
 * Every post page the generator wrote: the fixtures' post layouts mark the article with
 * `data-feedletter-post` and `data-date`, so the generator itself says what it published.
 */
export function generatedPosts(outputDir: string): GeneratedPost[] {
  const posts: GeneratedPost[] = [];
  for (const file of htmlFiles(outputDir)) {
    const html = readFileSync(file, 'utf8');
    const m = /data-feedletter-post="([^"]*)"\s+data-date="([^"]*)"/.exec(html);
    if (m === null) continue;
    posts.push({ file: path.relative(outputDir, file).split(path.sep).join('/'), source: m[1] as string, date: Date.parse((m[2] as string).replace(/&#43;/g, '+')) });
  }
  return posts.sort((a, b) => (a.file < b.file ? -1 : 1));
}

/**
 * The page file a URL is served from, relative to the output folder: a URL under `base` with
 * its path decoded; `/x/` is `/x/index.html`, and `/x` is `x` or `x.html` (the file a static
 * server answers for it). Undefined when no such file was written.
 */
export function pageOf(url: string, base: string, outputDir: string): string | undefined {
  if (!url.startsWith(base)) return undefined;
  const rest = decodeURIComponent(new URL(url).pathname).slice(decodeURIComponent(new URL(base).pathname).length);
  const candidates = rest === '' || rest.endsWith('/') ? [`${rest}index.html`] : [rest, `${rest}.html`, `${rest}/index.html`];
  for (const candidate of candidates) {
    const full = path.join(outputDir, ...candidate.split('/'));
    if (existsSync(full) && statSync(full).isFile()) return candidate;
  }
  return undefined;
}

export interface FeedItem {
  url: string;
  date: number;
  html: string;
}

/** Runs feedletter's build in `dir` (its config/feedletter.yaml) and reads the items of its JSON feed. */
export async function feedletterItems(dir: string, now = new Date()): Promise<{ items: FeedItem[]; problems: string[]; siteUrl: string; outputDir: string }> {
  const { resolved } = loadConfig({ cwd: dir, env: {} });
  const result = await build({ resolved, now });
  const feed = JSON.parse(readFileSync(path.join(resolved.paths.output, resolved.config.feeds.json), 'utf8')) as { items: Array<{ url: string; date_published: string; content_html?: string }> };
  return {
    items: feed.items.map((i) => ({ url: i.url, date: Date.parse(i.date_published), html: i.content_html ?? '' })),
    problems: result.problems.map((p) => `${p.file}:${p.line ?? ''}: ${p.field ?? ''}: ${p.message} [${p.severity}]`),
    siteUrl: resolved.config.site.url,
    outputDir: resolved.paths.output,
  };
}
