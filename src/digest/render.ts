import mjml2html from 'mjml';
import type { Config } from '../config/schema.js';
import { FeedletterError } from '../errors.js';
import type { Post } from '../post.js';
import { digestContext, truncate } from './context.js';
import { loadTemplates, renderLiquid, type LoadedTemplate, type TemplateSet } from './templates.js';

export { personalise, preparePersonaliser, type Personal, type Personalised } from './personalise.js';

/**
 * One compiled digest: Liquid and MJML have run, per-subscriber values are still markers
 * (`%%feedletter:…%%`), filled in by `personalise` / `preparePersonaliser`.
 */
export interface CompiledDigest {
  subject: string;
  preheader: string;
  html: string;
  text: string;
}

/** What `compileDigest` needs of MJML: `mjml2html`'s shape. Injectable so tests can count calls. */
export type MjmlRender = (mjml: string, options: { validationLevel: 'strict'; fonts: Record<string, string>; keepComments: boolean }) => Promise<{ html: string }>;

export interface CompileInput {
  config: Config;
  /** Absolute folder of digest.mjml, digest.txt and subject.liquid (see `chooseTemplates`); each must be there. */
  templatesDir: string;
  /** Every post due, newest first; more than fit are linked as "and N more". */
  posts: readonly Post[];
  now: Date;
  /** Where "and N more" points (default: the site's home page). */
  archiveUrl?: string | undefined;
  /** This digest's page on the site, for the "view in browser" link (default: none). */
  webUrl?: string | undefined;
  /** @default mjml2html from the `mjml` package */
  mjml?: MjmlRender;
}

/**
 * Gmail clips an HTML part at about 102 KB and hides the rest, the unsubscribe link included.
 * The compiled HTML plus room for every personal value must stay under this many bytes.
 */
export const HTML_SIZE_LIMIT = 100_000;
/** Room kept per marker for its value: an unsubscribe URL (~130 bytes) or an escaped name of ~100 characters. */
const BYTES_PER_PERSONAL_VALUE = 300;
/** Summary lengths tried in turn before posts are dropped. */
const SUMMARY_LIMITS = [300, 120, 0] as const;

/**
 * Liquid → MJML (strict) → HTML, plus the text part and the subject: once per digest. When the
 * HTML would be clipped, summaries are shortened, then posts left out (linked as "and N more"),
 * each step one more MJML run; the usual digest needs exactly one.
 */
export async function compileDigest(input: CompileInput): Promise<CompiledDigest> {
  const { config } = input;
  // Newest first whatever the caller passed: the first post names the subject, the last ones are left out.
  const posts = [...input.posts].sort((a, b) => b.date.getTime() - a.date.getTime());
  if (posts.length === 0) throw new RangeError('compileDigest needs at least one post');
  const mjml = input.mjml ?? (mjml2html as unknown as MjmlRender);
  const templates = loadTemplates({ templatesDir: input.templatesDir, displayDir: config.digest.templates.replace(/\/+$/, ''), subjectOverride: config.digest.subject });
  const moreUrl = input.archiveUrl ?? config.site.url;

  let count = Math.min(posts.length, config.digest.maxPosts);
  let level = 0;
  for (;;) {
    const context = digestContext({ config, posts: posts.slice(0, count), totalCount: posts.length, summaryLimit: SUMMARY_LIMITS[level] ?? 0, now: input.now, moreUrl, webUrl: input.webUrl });
    const source = await renderLiquid(templates.htmlEngine, templates.html, context, templates.display);
    const html = tidy(await runMjml(mjml, source, templates.html, templates));
    const size = Buffer.byteLength(html, 'utf8') + markerCount(html) * BYTES_PER_PERSONAL_VALUE;
    if (size <= HTML_SIZE_LIMIT) {
      const text = await renderLiquid(templates.textEngine, templates.text, context, templates.display);
      const subject = oneLine(await renderLiquid(templates.textEngine, templates.subject, context, templates.display));
      if (subject === '') throw new FeedletterError('TEMPLATE_INVALID', `${templates.subject.display}: the subject is empty`, { hint: 'the subject template must produce some text' });
      return { subject, preheader: context.preheader, html, text: text.trim() + '\n' };
    }
    // Too big. Summaries first: the shortest level that would fit by estimate (every level still
    // gets checked by a real run); when none would, posts go too, by a proportional estimate.
    const last = SUMMARY_LIMITS.length - 1;
    const fixed = size - summaryBytes(posts, count, SUMMARY_LIMITS[level] ?? 0);
    const next = SUMMARY_LIMITS.findIndex((limit, i) => i > level && fixed + summaryBytes(posts, count, limit) <= HTML_SIZE_LIMIT);
    if (next !== -1) {
      level = next;
    } else if (count > 1) {
      level = last;
      count = Math.max(1, Math.min(count - 1, Math.floor((count * HTML_SIZE_LIMIT * 0.95) / fixed)));
    } else if (level < last) {
      level = last;
    } else {
      throw new FeedletterError('TEMPLATE_INVALID', `${templates.html.display}: the HTML of a digest with a single post is ${Math.ceil(size / 1000)} KB; it must stay under ${HTML_SIZE_LIMIT / 1000} KB or Gmail clips it`, {
        hint: 'make the template smaller',
      });
    }
  }
}

function summaryBytes(posts: readonly Post[], count: number, limit: number): number {
  let bytes = 0;
  for (let i = 0; i < count; i++) bytes += Buffer.byteLength(truncate(posts[i]?.summary ?? '', limit), 'utf8');
  return bytes;
}

function markerCount(html: string): number {
  return html.match(/%%feedletter:/g)?.length ?? 0;
}

/**
 * Drops MJML's indentation: a third of the bytes, and bytes count against the clipping limit.
 * Only whitespace at line starts goes, which HTML collapses anyway (the templates use no <pre>).
 */
function tidy(html: string): string {
  return html.replace(/^[ \t]+/gm, '').replace(/\n{2,}/g, '\n');
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const MJML_OPTIONS = { validationLevel: 'strict', fonts: {}, keepComments: false } as const;

interface MjmlIssue {
  line: number;
  message: string;
  tagName: string;
}

function validationIssues(error: unknown): MjmlIssue[] | undefined {
  const errors = (error as { errors?: unknown }).errors;
  return Array.isArray(errors) ? (errors as MjmlIssue[]) : undefined;
}

/**
 * MJML validates what Liquid produced, so its line numbers are lines of the output. To name the
 * template's own lines, the template is validated once more with its Liquid tags blanked out
 * (newlines kept); only when that finds nothing are the output lines reported.
 */
async function runMjml(mjml: MjmlRender, source: string, template: LoadedTemplate, templates: TemplateSet): Promise<string> {
  try {
    return (await mjml(source, { ...MJML_OPTIONS, fonts: {} })).html;
  } catch (error) {
    const issues = validationIssues(error);
    if (issues === undefined) {
      throw new FeedletterError('TEMPLATE_INVALID', `${template.display}: MJML failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    let own: MjmlIssue[] | undefined;
    try {
      await mjml(blankLiquid(template.source), { ...MJML_OPTIONS, fonts: {} });
    } catch (again) {
      own = validationIssues(again);
    }
    const display = templates.display(template.file);
    const lines =
      own && own.length > 0
        ? own.map((issue) => `Line ${issue.line} of ${display} (${issue.tagName}) — ${issue.message}`)
        : issues.map((issue) => `Line ${issue.line} of the MJML that ${display} produced (${issue.tagName}) — ${issue.message}`);
    const first = own?.[0]?.line;
    throw new FeedletterError('TEMPLATE_INVALID', `${display}${first === undefined ? '' : `:${first}`}: MJML validation failed:\n${lines.join('\n')}`, {
      cause: error,
      hint: 'see the MJML documentation of the named tag (mjml.io/documentation)',
    });
  }
}

/** Liquid tags and outputs removed, their newlines kept: the template's MJML skeleton, line for line. */
function blankLiquid(source: string): string {
  return source.replace(/\{%[\s\S]*?%\}|\{\{[\s\S]*?\}\}/g, (tag) => tag.replace(/[^\n]/g, ''));
}
