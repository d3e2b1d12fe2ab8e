import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml, stringify } from 'yaml';
import { parseConfig } from '../config/load.js';
import { PERMALINK_STYLES } from '../config/schema.js';
import { BUILTIN_TEMPLATES_DIR } from '../digest/templates.js';
import { FeedletterError } from '../errors.js';

/**
 * `feedletter init [DIR]`: recognise the Jekyll or Hugo site in DIR, read what its config says,
 * and write `config/feedletter.yaml` whose every key says where its value came from, so that
 * `feedletter build` links exactly the pages the generator publishes without a manual edit.
 * Copies the email templates when the site has none. Never overwrites without `force`.
 */

export type SiteKind = 'jekyll' | 'hugo' | 'plain';

export interface InitOptions {
  /** The site's folder (absolute). */
  dir: string;
  /** Overwrite an existing config/feedletter.yaml. */
  force?: boolean;
}

export interface InitResult {
  kind: SiteKind;
  /** The generator's config file(s) read, relative to `dir`. */
  sources: string[];
  /** Files and folders written, relative to `dir`. */
  written: string[];
  /** Things to check or do by hand. */
  notes: string[];
  /** The config as written (YAML). */
  config: string;
  /** Where the feeds will be written, relative to `dir`. */
  outputDir: string;
  /** The URL of the RSS feed once the site is deployed. */
  feedUrl: string;
}

/** A value and where it came from: a generator key (`from _config.yml: url + baseurl`) or a default to check. */
interface Sourced {
  value: unknown;
  from: string;
}

type Tree = { [key: string]: Sourced | Tree };

const isSourced = (v: Sourced | Tree): v is Sourced => typeof (v as Sourced).from === 'string' && 'value' in v;

const JEKYLL_CONFIGS = ['_config.yml', '_config.yaml'];
const HUGO_NAMES = ['hugo', 'config'];
const HUGO_EXTENSIONS = ['toml', 'yaml', 'yml', 'json'];

export const CONFIG_FILE = 'config/feedletter.yaml';

export function init(options: InitOptions): InitResult {
  const { dir } = options;
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new FeedletterError('USAGE', `${dir}: no such folder`, { hint: 'run `feedletter init` in your site, or give its folder: `feedletter init path/to/site`' });
  }
  const target = path.join(dir, CONFIG_FILE);
  if (existsSync(target) && options.force !== true) {
    throw new FeedletterError('USAGE', `${CONFIG_FILE} exists already; nothing was written`, { hint: 'compare it with `feedletter init --force` in a copy, or pass --force to replace it' });
  }

  const detected = detect(dir);
  const notes = [...detected.notes];
  const text = render(detected);
  // The config written must load as it is: check it before writing it.
  const loaded = parseConfig(text, CONFIG_FILE);
  if (loaded.config === undefined) {
    throw new Error(`feedletter init wrote a config that does not load (a feedletter bug): ${loaded.errors.map((e) => `${e.field ?? ''} ${e.message}`).join('; ')}`);
  }

  const written: string[] = [];
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, target);
    written.push(CONFIG_FILE);
    const templates = path.join(dir, 'email-templates');
    if (!existsSync(templates)) {
      cpSync(BUILTIN_TEMPLATES_DIR, templates, { recursive: true });
      written.push('email-templates/');
    } else {
      notes.push('email-templates/ exists already: kept as it is (feedletter falls back to its own templates for any file missing there)');
    }
  } catch (cause) {
    throw new FeedletterError('STATE_INVALID', `cannot write into ${dir}: ${(cause as Error).message}`, { cause, hint: 'check the folder is writable' });
  }

  const site = loaded.config.site;
  return {
    kind: detected.kind,
    sources: detected.sources,
    written,
    notes,
    config: text,
    outputDir: loaded.config.output.dir,
    feedUrl: new URL(loaded.config.feeds.rss, site.url).href,
  };
}

interface Detected {
  kind: SiteKind;
  sources: string[];
  tree: Tree;
  notes: string[];
}

/** What kind of site `dir` holds, and the config feedletter needs for it. */
export function detect(dir: string): Detected {
  const jekyll = JEKYLL_CONFIGS.find((name) => existsSync(path.join(dir, name)));
  if (jekyll !== undefined) return detectJekyll(dir, jekyll);
  const hugo = hugoConfigFiles(dir);
  if (hugo.length > 0) return detectHugo(dir, hugo);
  return detectPlain(dir);
}

function readStructured(dir: string, file: string): Record<string, unknown> {
  const text = readFileSync(path.join(dir, file), 'utf8');
  let data: unknown;
  try {
    if (file.endsWith('.toml')) data = parseToml(text);
    else if (file.endsWith('.json')) data = JSON.parse(text);
    else data = parseYaml(text);
  } catch (cause) {
    throw new FeedletterError('INPUT_INVALID', `${file}: does not parse: ${(cause as Error).message.split('\n')[0]}`, { cause, hint: `fix ${file} (does your generator build the site?)` });
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new FeedletterError('INPUT_INVALID', `${file}: is not a map of settings`, { hint: `fix ${file}` });
  return data as Record<string, unknown>;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim().replace(/\s+/g, ' ') : typeof v === 'number' ? String(v) : undefined);

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/** A BCP 47 tag from `ja_JP`, `en-us`, ...; undefined when it is none. */
function languageTag(v: unknown): string | undefined {
  const t = text(v)?.replace(/_/g, '-');
  return t !== undefined && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(t) ? t : undefined;
}

function absoluteHttpUrl(v: string): string | undefined {
  try {
    const url = new URL(v);
    return /^https?:$/.test(url.protocol) ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Site title, description, language, author, time zone: the keys both generators share, each with its source. */
function siteKeys(file: string, values: { title?: [string, unknown]; description?: [string, unknown]; language?: [string, unknown]; authorName?: [string, unknown]; authorEmail?: [string, unknown]; timezone?: [string, unknown] }, notes: string[], timezoneDefault: string): Tree {
  const from = (key: string): string => `from ${file}: ${key}`;
  const site: Tree = {};
  const title = values.title && text(values.title[1]);
  site.title = title !== undefined ? { value: title, from: from(values.title![0]) } : { value: 'My blog', from: `default (no title in ${file}): check it` };
  const description = values.description && text(values.description[1]);
  if (description !== undefined) site.description = { value: description, from: from(values.description![0]) };
  const language = values.language && languageTag(values.language[1]);
  site.language = language !== undefined ? { value: language, from: from(values.language![0]) } : { value: 'en', from: `default (no language in ${file}): check it` };
  const author: Tree = {};
  const name = values.authorName && text(values.authorName[1]);
  author.name = name !== undefined ? { value: name, from: from(values.authorName![0]) } : { value: 'Anonymous', from: 'default: the author of posts that name none; check it' };
  const email = values.authorEmail && text(values.authorEmail[1]);
  if (email !== undefined && /^[^\s@]+@[^\s@]+$/.test(email)) author.email = { value: email, from: from(values.authorEmail![0]) };
  site.author = author;
  const zone = values.timezone && text(values.timezone[1]);
  if (zone !== undefined && isTimeZone(zone)) site.timezone = { value: zone, from: from(values.timezone![0]) };
  else {
    if (zone !== undefined) notes.push(`${file}: ${values.timezone![0]} "${zone}" is not an IANA time zone; feedletter uses ${timezoneDefault}`);
    site.timezone = { value: timezoneDefault, from: `default (no time zone in ${file}): ${timezoneDefault === 'UTC' ? 'check it' : 'check it'}` };
  }
  return site;
}

function detectJekyll(dir: string, file: string): Detected {
  const c = readStructured(dir, file);
  const notes: string[] = [];
  const author = c.author;
  const authorObject = typeof author === 'object' && author !== null ? (author as Record<string, unknown>) : undefined;
  const site = siteKeys(
    file,
    {
      title: ['title', c.title],
      description: ['description', c.description],
      language: ['lang', c.lang],
      authorName: authorObject !== undefined ? ['author.name', authorObject.name] : ['author', author],
      authorEmail: ['author.email', authorObject?.email],
      timezone: ['timezone', c.timezone],
    },
    notes,
    'UTC',
  );
  if (text(c.timezone) === undefined) notes.push(`${file} has no timezone: Jekyll then uses the zone of the machine that builds the site; feedletter uses site.timezone (UTC). Set the same in both.`);
  // url + baseurl: the absolute URL of the site's root.
  const url = text(c.url);
  const baseurl = (text(c.baseurl) ?? '').replace(/^\/*/, '/').replace(/\/*$/, '/');
  const absolute = url === undefined ? undefined : absoluteHttpUrl(`${url.replace(/\/+$/, '')}${baseurl}`);
  site.url =
    absolute !== undefined
      ? { value: absolute, from: `from ${file}: url + baseurl` }
      : { value: `http://localhost:4000${baseurl}`, from: `default (${url === undefined ? `no url in ${file}` : `url "${url}" is not an absolute http(s) URL`}): set the URL your site is served at` };
  if (absolute === undefined) notes.push(`${file} has no usable url: feed links would point at localhost. Set url in ${file} (and baseurl), then run init again, or edit site.url.`);
  site.generator = { value: 'jekyll', from: `a Jekyll site (${file}): URLs, dates and drafts as Jekyll computes them` };

  const tree: Tree = { site };
  const source = text(c.source);
  if (source !== undefined && source !== '.' && source !== './') notes.push(`${file} sets source: ${source}; feedletter reads posts from content.dir, set to it`);
  const exclude = ['_site/**', 'node_modules/**', 'vendor/**', '.*/**'];
  for (const item of Array.isArray(c.exclude) ? c.exclude : []) {
    const t = text(item);
    if (t !== undefined && !t.includes('*')) exclude.push(`${t.replace(/^\/+|\/+$/g, '')}/**`);
  }
  const extensions = (text(c.markdown_ext) ?? 'markdown,mkdown,mkdn,mkd,md').split(',').map((e) => e.trim()).filter((e) => /^[A-Za-z0-9]+$/.test(e));
  tree.content = {
    dir: { value: source ?? '.', from: `the site's folder (${file}: source)` },
    include: { value: [`**/_posts/**/*.{${extensions.join(',')}}`], from: `posts: _posts/ and category folders' _posts/ (${file}: markdown_ext); never _drafts/` },
    exclude: { value: [...new Set(exclude)], from: `the generated site, dependencies, and ${file}: exclude` },
  };
  const permalink = text(c.permalink);
  if (permalink === undefined) tree.permalink = { value: 'date', from: `Jekyll's default style (no permalink in ${file})` };
  else if (Object.hasOwn(PERMALINK_STYLES, permalink) || permalink.startsWith('/')) tree.permalink = { value: permalink, from: `from ${file}: permalink` };
  else {
    tree.permalink = { value: `/${permalink}`, from: `from ${file}: permalink (with the leading "/" Jekyll adds)` };
  }
  const defaults = Array.isArray(c.defaults)
    ? c.defaults
        .filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null && typeof (d as Record<string, unknown>).values === 'object' && (d as Record<string, unknown>).values !== null)
        .map((d) => {
          const scope = typeof d.scope === 'object' && d.scope !== null ? (d.scope as Record<string, unknown>) : undefined;
          const kept: Record<string, unknown> = {};
          if (typeof scope?.path === 'string') kept.path = scope.path;
          if (typeof scope?.type === 'string') kept.type = scope.type;
          return scope === undefined ? { values: d.values } : { scope: kept, values: d.values };
        })
        .filter((d) => d.scope?.type === undefined || d.scope.type === 'posts')
    : [];
  tree.jekyll = {
    future: { value: c.future === true, from: c.future === undefined ? "Jekyll's default (no future in _config.yml)" : `from ${file}: future` },
    defaults: { value: toPlain(defaults), from: defaults.length > 0 ? `from ${file}: defaults (those for posts)` : `none in ${file}` },
  };
  const destination = text(c.destination) ?? '_site';
  tree.output = { dir: { value: destination, from: `Jekyll's output folder (${file}: destination): run feedletter build after jekyll build` } };
  const plugins = [...(Array.isArray(c.plugins) ? c.plugins : []), ...(Array.isArray(c.gems) ? c.gems : [])].map(String);
  if (plugins.includes('jekyll-feed')) {
    tree.feeds = { rss: { value: 'feedletter.xml', from: 'not feed.xml: the jekyll-feed plugin writes that one (its Atom feed)' } };
    notes.push('jekyll-feed is enabled: feedletter writes its RSS feed as feedletter.xml so that neither overwrites the other');
  }
  tree.digest = { templates: { value: 'email-templates', from: 'copied from feedletter when absent; edit them to match your site' } };
  const excluded = new Set((Array.isArray(c.exclude) ? c.exclude : []).map((e) => String(e).replace(/^\/+|\/+$/g, '')));
  const missing = ['config', 'email-templates', 'outbox'].filter((f) => !excluded.has(f));
  if (missing.length > 0) notes.push(`Jekyll copies every file it does not know into ${destination}/: add ${missing.map((f) => `${f}/`).join(', ')} to exclude: in ${file} (feedletter's state is in .feedletter/, which Jekyll leaves out)`);
  return { kind: 'jekyll', sources: [file], tree, notes };
}

/** Hugo's config files: hugo|config.{toml,yaml,yml,json} at the root, else in config/_default/ (with permalinks.* and params.* beside it). */
function hugoConfigFiles(dir: string): string[] {
  for (const name of HUGO_NAMES) {
    for (const ext of HUGO_EXTENSIONS) {
      if (existsSync(path.join(dir, `${name}.${ext}`))) return [`${name}.${ext}`];
    }
  }
  const folder = path.join(dir, 'config', '_default');
  if (!existsSync(folder)) return [];
  const files = readdirSync(folder).filter((f) => HUGO_EXTENSIONS.some((ext) => f.endsWith(`.${ext}`)));
  return files.map((f) => `config/_default/${f}`);
}

/** Hugo's keys are case-insensitive: the value of the first key equal to `name` whatever its case. */
function key(map: unknown, name: string): unknown {
  if (typeof map !== 'object' || map === null) return undefined;
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(map as Record<string, unknown>)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function detectHugo(dir: string, files: string[]): Detected {
  const notes: string[] = [];
  // config/_default/: the root file, then every other file is the section named like it.
  let c: Record<string, unknown> = {};
  for (const file of files) {
    const data = readStructured(dir, file);
    const base = path.posix.basename(file).replace(/\.[^.]+$/, '');
    if (HUGO_NAMES.includes(base)) c = { ...data, ...c };
    else c[base] = data;
  }
  const file = files.length === 1 ? (files[0] as string) : 'config/_default/';
  const params = key(c, 'params');
  const author = key(c, 'author') ?? key(params, 'author');
  const authorName = typeof author === 'object' && author !== null ? key(author, 'name') : author;
  const site = siteKeys(
    file,
    {
      title: ['title', key(c, 'title')],
      description: ['params.description', key(params, 'description')],
      language: key(c, 'languageCode') !== undefined ? ['languageCode', key(c, 'languageCode')] : ['defaultContentLanguage', key(c, 'defaultContentLanguage')],
      authorName: ['author.name', authorName],
      authorEmail: ['author.email', typeof author === 'object' && author !== null ? key(author, 'email') : undefined],
      timezone: ['timeZone', key(c, 'timeZone')],
    },
    notes,
    'UTC',
  );
  const baseURL = text(key(c, 'baseURL'));
  const absolute = baseURL === undefined ? undefined : absoluteHttpUrl(baseURL);
  site.url =
    absolute !== undefined
      ? { value: absolute, from: `from ${file}: baseURL` }
      : { value: 'http://localhost:1313/', from: `default (${baseURL === undefined ? `no baseURL in ${file}` : `baseURL "${baseURL}" is not an absolute http(s) URL`}): set the URL your site is served at` };
  if (absolute === undefined) notes.push(`${file} has no usable baseURL: feed links would point at localhost. Set baseURL, then run init again, or edit site.url.`);
  site.generator = { value: 'hugo', from: `a Hugo site (${file}): URLs, dates and drafts as Hugo computes them` };

  const contentDir = text(key(c, 'contentDir')) ?? 'content';
  const mainSections = key(params, 'mainSections');
  let sections = Array.isArray(mainSections) ? mainSections.map(String).filter((s) => s !== '') : [];
  let sectionsFrom = `from ${file}: params.mainSections`;
  if (sections.length === 0) {
    const posts = ['posts', 'post', 'blog'].find((s) => existsSync(path.join(dir, contentDir, s)));
    sections = posts === undefined ? [] : [posts];
    sectionsFrom = posts === undefined ? 'every page of the site (no params.mainSections, no posts/ folder): narrow it to your posts' : `the ${posts}/ section (no params.mainSections in ${file})`;
  }
  const include = sections.length === 0 ? ['**/*.md', '**/*.markdown'] : sections.flatMap((s) => [`${s}/**/*.md`, `${s}/**/*.markdown`]);
  const site2: Tree = { site };
  site2.content = {
    dir: { value: contentDir, from: `Hugo's content folder (${file}: contentDir)` },
    include: { value: include, from: sectionsFrom },
  };
  // [permalinks]: section → pattern (newer Hugo also allows [permalinks.page]).
  const permalinks: Record<string, string> = {};
  const raw = key(c, 'permalinks');
  const page = key(raw, 'page');
  for (const [section, pattern] of Object.entries(typeof page === 'object' && page !== null ? (page as Record<string, unknown>) : typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {})) {
    if (typeof pattern === 'string' && pattern !== '') permalinks[section] = pattern;
  }
  const flag = (name: string): Sourced => ({ value: key(c, name) === true, from: key(c, name) === undefined ? `Hugo's default (no ${name} in ${file})` : `from ${file}: ${name}` });
  site2.hugo = {
    permalinks: { value: permalinks, from: Object.keys(permalinks).length > 0 ? `from ${file}: [permalinks]` : `none in ${file}: Hugo's default paths` },
    buildFuture: flag('buildFuture'),
    buildExpired: flag('buildExpired'),
    disablePathToLower: flag('disablePathToLower'),
    removePathAccents: flag('removePathAccents'),
  };
  site2.output = { dir: { value: text(key(c, 'publishDir')) ?? 'public', from: `Hugo's output folder (${file}: publishDir): run feedletter build after hugo` } };
  site2.digest = { templates: { value: 'email-templates', from: 'copied from feedletter when absent; edit them to match your site' } };
  if (key(c, 'uglyURLs') === true) notes.push(`${file} sets uglyURLs: feedletter links pages as folders (/post/), not /post.html; check the links`);
  if (key(c, 'languages') !== undefined) notes.push(`${file} defines languages: feedletter reads one language's content (content.dir); check the links of the others`);
  const feedName = 'index.xml';
  notes.push(`Hugo writes its own RSS as ${feedName}; feedletter's feeds are feed.xml, atom.xml and feed.json beside it`);
  return { kind: 'hugo', sources: files, tree: site2, notes };
}

function detectPlain(dir: string): Detected {
  const notes = ['No Jekyll (_config.yml) or Hugo (hugo.toml, config.toml, config/_default/) site here: this config is for a folder of markdown posts, content/_posts/YYYY-MM-DD-slug.md. Check every value marked "default".'];
  const content = existsSync(path.join(dir, 'content', '_posts')) ? 'content' : existsSync(path.join(dir, '_posts')) ? '.' : 'content';
  const tree: Tree = {
    site: {
      title: { value: 'My blog', from: 'default: the name of your blog' },
      url: { value: 'http://localhost:8080/', from: 'default: set the URL your site is served at' },
      language: { value: 'en', from: 'default: the language of your posts' },
      author: { name: { value: 'Anonymous', from: 'default: the author of posts that name none' } },
      timezone: { value: 'UTC', from: 'default: the zone of dates written without an offset' },
      generator: { value: 'plain', from: 'no known generator here: posts named YYYY-MM-DD-slug.md, Jekyll-style' },
    },
    content: { dir: { value: content, from: `the folder holding _posts/ (${content === 'content' && !existsSync(path.join(dir, 'content')) ? 'create it' : 'found'})` } },
    permalink: { value: '/:categories/:year/:month/:day/:title.html', from: 'default: match the URLs your site serves' },
    output: { dir: { value: 'public', from: 'default: the folder your web server serves' } },
    digest: { templates: { value: 'email-templates', from: 'copied from feedletter when absent' } },
  };
  return { kind: 'plain', sources: [], tree, notes };
}

function toPlain(v: unknown): unknown {
  // TOML dates and other class instances become plain JSON values before YAML sees them.
  return JSON.parse(JSON.stringify(v, (_key, value: unknown) => (value instanceof Date ? value.toISOString() : value)));
}

/** The config file: a header, then every key with its value and where it came from. */
function render(detected: Detected): string {
  const what = detected.kind === 'jekyll' ? 'the Jekyll site' : detected.kind === 'hugo' ? 'the Hugo site' : 'a folder of markdown posts';
  const lines = [
    `# feedletter config for ${what} in this folder, written by \`feedletter init\`${detected.sources.length > 0 ? ` from ${detected.sources.join(', ')}` : ''}.`,
    '# Each key says where its value came from; check those marked "default". Every other key',
    '# keeps its default: config/feedletter.example.yaml in the feedletter package lists them all.',
    '# Secrets (SMTP_URL, FEEDLETTER_SECRET) come from the environment, never from this file.',
    '',
  ];
  const emit = (tree: Tree, indent: string): void => {
    for (const [name, node] of Object.entries(tree)) {
      if (!isSourced(node)) {
        lines.push(`${indent}${name}:`);
        emit(node, `${indent}  `);
        continue;
      }
      const comment = `# ${node.from.replace(/\s+/g, ' ')}`;
      const value = node.value;
      const empty = (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0);
      if (typeof value !== 'object' || value === null || empty) {
        const scalar = stringify(value, { lineWidth: 0 }).trimEnd();
        lines.push(`${indent}${name}: ${scalar}  ${comment}`);
      } else {
        lines.push(`${indent}${name}:  ${comment}`);
        const block = stringify(value, { lineWidth: 0 }).trimEnd();
        for (const line of block.split('\n')) lines.push(`${indent}  ${line}`);
      }
    }
  };
  emit(detected.tree, '');
  return `${lines.join('\n')}\n`;
}
