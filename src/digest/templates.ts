import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Liquid, type Template } from 'liquidjs';
import { FeedletterError } from '../errors.js';

/**
 * The three email templates: all from the blog's template folder, or, where the blog has no such
 * folder, all from the templates shipped with feedletter (see `chooseTemplates`). A file missing
 * from the blog's folder is an error naming it, never a silent switch to the built-in one: the
 * owner who deleted or misnamed digest.mjml must hear of it before thousands of inboxes do.
 * Liquid is strict: an unknown filter or variable is an error naming the file and line, never
 * silently empty text in thousands of inboxes.
 */

export const TEMPLATE_FILES = { html: 'digest.mjml', text: 'digest.txt', subject: 'subject.liquid' } as const;
export type TemplateName = keyof typeof TEMPLATE_FILES;

/** Pseudo file name of the subject template given in the config (`digest.subject`). */
const SUBJECT_FROM_CONFIG = '(config) digest.subject';

/**
 * `email-templates/` of the feedletter package: the nearest one above this module, which is
 * `src/digest/` in development and a bundle chunk somewhere under `dist/` when built.
 */
export const BUILTIN_TEMPLATES_DIR = findBuiltinTemplates(fileURLToPath(new URL('.', import.meta.url)));

function findBuiltinTemplates(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'email-templates');
    if (existsSync(path.join(candidate, TEMPLATE_FILES.html))) return candidate + path.sep;
    if (path.dirname(dir) === dir) return path.join(from, '..', '..', 'email-templates') + path.sep;
  }
}

export interface LoadedTemplate {
  /** Absolute path of the file read (or a pseudo path for the subject from the config). */
  file: string;
  /** Name to show the user: `email-templates/digest.mjml`, `digest.subject (config)`. */
  display: string;
  source: string;
  template: Template[];
}

export interface TemplateSet {
  html: LoadedTemplate;
  text: LoadedTemplate;
  subject: LoadedTemplate;
  /** Escapes every `{{ output }}` for HTML (use `| raw` to opt out): the MJML template's engine. */
  htmlEngine: Liquid;
  /** No escaping: the text part and the subject. */
  textEngine: Liquid;
  display: (file: string | undefined) => string;
}

/**
 * Which folder the digest's templates come from. The blog's folder when it exists; the built-in
 * templates when it does not and the config does not name it (a blog that never customised
 * them); an error when the config names a folder that is not there.
 */
export function chooseTemplates(options: { templatesDir: string; configured: string; defaultDir: string }): { dir: string; builtin: boolean } {
  if (existsSync(options.templatesDir)) return { dir: options.templatesDir, builtin: false };
  if (options.configured.replace(/\/+$/, '') !== options.defaultDir) {
    throw new FeedletterError('TEMPLATE_INVALID', `digest.templates: the folder ${options.configured} does not exist`, {
      hint: `create it with digest.mjml, digest.txt and subject.liquid (copy them from ${BUILTIN_TEMPLATES_DIR}), or remove digest.templates to use the built-in templates`,
    });
  }
  return { dir: BUILTIN_TEMPLATES_DIR, builtin: true };
}

export function loadTemplates(options: { templatesDir: string; displayDir: string; subjectOverride?: string | undefined }): TemplateSet {
  const templatesDir = path.resolve(options.templatesDir);
  const roots = [templatesDir, BUILTIN_TEMPLATES_DIR];
  const display = (file: string | undefined): string => {
    if (file === undefined) return `${options.displayDir}/${TEMPLATE_FILES.html}`;
    if (file === SUBJECT_FROM_CONFIG) return 'digest.subject (config)';
    for (const [root, shown] of [
      [templatesDir, options.displayDir],
      [BUILTIN_TEMPLATES_DIR, 'email-templates (built-in)'],
    ] as const) {
      const relative = path.relative(root, file);
      if (!relative.startsWith('..') && !path.isAbsolute(relative)) return `${shown}/${relative.split(path.sep).join('/')}`;
    }
    return path.basename(file);
  };
  const common = { root: roots, partials: roots, layouts: roots, extname: '', strictFilters: true, strictVariables: true, ownPropertyOnly: true, cache: false } as const;
  const htmlEngine = new Liquid({ ...common, outputEscape: 'escape' });
  const textEngine = new Liquid({ ...common });

  const load = (name: TemplateName, engine: Liquid): LoadedTemplate => {
    const file = path.join(templatesDir, TEMPLATE_FILES[name]);
    if (!existsSync(file)) {
      throw new FeedletterError('TEMPLATE_INVALID', `${display(file)}: template not found`, {
        hint: `copy ${TEMPLATE_FILES[name]} from feedletter's built-in templates (${BUILTIN_TEMPLATES_DIR}), or remove the whole ${options.displayDir}/ folder to use every built-in template`,
      });
    }
    const source = readFileSync(file, 'utf8');
    return { file, display: display(file), source, template: parseLiquid(engine, source, file, display) };
  };

  const subject =
    options.subjectOverride === undefined
      ? load('subject', textEngine)
      : { file: SUBJECT_FROM_CONFIG, display: display(SUBJECT_FROM_CONFIG), source: options.subjectOverride, template: parseLiquid(textEngine, options.subjectOverride, SUBJECT_FROM_CONFIG, display) };
  return { html: load('html', htmlEngine), text: load('text', textEngine), subject, htmlEngine, textEngine, display };
}

function parseLiquid(engine: Liquid, source: string, file: string, display: (file: string | undefined) => string): Template[] {
  try {
    return engine.parse(source, file);
  } catch (error) {
    throw liquidError(error, display(file), display);
  }
}

export async function renderLiquid(engine: Liquid, loaded: LoadedTemplate, context: object, display: (file: string | undefined) => string): Promise<string> {
  try {
    return (await engine.render(loaded.template, context)) as string;
  } catch (error) {
    throw liquidError(error, loaded.display, display);
  }
}

/** A Liquid error as TEMPLATE_INVALID: `file:line:col: message`, without this machine's paths. */
function liquidError(error: unknown, fallbackDisplay: string, display: (file: string | undefined) => string): FeedletterError {
  const liquid = error as { token?: { file?: string; getPosition?: () => number[] }; message?: unknown; originalError?: unknown };
  const position = typeof liquid.token?.getPosition === 'function' ? liquid.token.getPosition() : [];
  const [line, col] = position;
  const file = liquid.token?.file ? display(liquid.token.file) : fallbackDisplay;
  const message = String(liquid.message ?? error)
    .replace(/, file:.*?(?=, line:\d+, col:\d+$)/, '')
    .replace(/, line:\d+, col:\d+$/, '');
  const where = line === undefined ? file : `${file}:${line}${col === undefined ? '' : `:${col}`}`;
  return new FeedletterError('TEMPLATE_INVALID', `${where}: ${message}`, {
    cause: error,
    hint: /undefined variable/.test(message) ? 'the variables a digest template can use are listed in email-templates/README.md' : 'fix the Liquid syntax at that line',
  });
}
