import { createRequire } from 'node:module';
import type grayMatter from 'gray-matter';
import { parse as parseToml, TomlDate } from 'smol-toml';

const require = createRequire(import.meta.url);
let matter: typeof grayMatter | undefined;

/**
 * Front matter: where it starts and ends (our job, so that a first chunk of a file can be judged
 * complete or not), and what it says (gray-matter's: js-yaml for `---`, smol-toml for `+++`).
 */

export type Split =
  /** No front matter: the whole text is body. */
  | { kind: 'none'; body: string; bodyLine: number }
  /** An opening delimiter and no closing one (yet, if the text is only the start of the file). */
  | { kind: 'unclosed' }
  | { kind: 'ok'; language: string; matter: string; delimiter: '---' | '+++'; body: string; bodyLine: number };

const OPEN_DASHES = /^---[ \t]*([A-Za-z]*)[ \t]*\n/;
const OPEN_PLUSES = /^\+\+\+[ \t]*\n/;

/**
 * Splits `text` (BOM removed, `\n` line ends) into front matter and body. The closing line is
 * Jekyll's: `---` or `...` alone on its line (`+++` for TOML). When `complete` is false the text is
 * only the start of the file, and a delimiter at its very end is not trusted (it could go on).
 */
export function splitFrontMatter(text: string, complete: boolean): Split {
  const dashes = OPEN_DASHES.exec(text);
  const pluses = dashes === null ? OPEN_PLUSES.exec(text) : null;
  const open = dashes ?? pluses;
  if (open === null) {
    // "---" then more on the line, or a file cut inside its first line: judge again with more text.
    if (!complete && !text.includes('\n') && (text.startsWith('---') || text.startsWith('+++'))) return { kind: 'unclosed' };
    return { kind: 'none', body: text, bodyLine: 1 };
  }
  const delimiter = dashes === null ? '+++' : '---';
  const closeRe = delimiter === '---' ? /\n(?:---|\.\.\.)[ \t]*(\n|$)/g : /\n\+\+\+[ \t]*(\n|$)/g;
  closeRe.lastIndex = open[0].length - 1;
  const close = closeRe.exec(text);
  if (close === null || (close[1] === '' && !complete)) return { kind: 'unclosed' };
  const matterText = text.slice(open[0].length, close.index + 1);
  const body = text.slice(close.index + close[0].length);
  const bodyLine = countLines(text, close.index + close[0].length) + 1;
  return { kind: 'ok', language: dashes?.[1]?.toLowerCase() || (delimiter === '+++' ? 'toml' : 'yaml'), matter: matterText, delimiter, body, bodyLine };
}

export function countLines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

function refuse(language: string): () => never {
  return () => {
    throw new Error(`front matter in "${language}" is not accepted (only YAML and TOML)`);
  };
}

// gray-matter evaluates `---js` front matter with eval(); a post file must never run code.
const engines = {
  toml: (s: string): object => parseToml(s),
  javascript: refuse('javascript'),
  js: refuse('js'),
  coffee: refuse('coffee'),
  cson: refuse('cson'),
};

export interface ParsedMatter {
  data: Record<string, unknown>;
}

export class FrontMatterError extends Error {
  /** 1-based line in the file, when the parser knows it. */
  readonly line: number | undefined;
  constructor(message: string, line: number | undefined) {
    super(message);
    this.line = line;
  }
}

/** Parses the front-matter block of a split. Throws FrontMatterError with a file line. */
export function parseFrontMatter(split: Extract<Split, { kind: 'ok' }>): ParsedMatter {
  const { language, matter: block, delimiter } = split;
  if (!['yaml', 'yml', 'toml', 'json'].includes(language)) {
    throw new FrontMatterError(`front matter in "${language}" is not accepted (only YAML and TOML)`, 1);
  }
  let data: unknown;
  try {
    data = delimiter === '---' && language === 'yaml' ? yamlData(block) : grayMatterData(split);
  } catch (error) {
    throw new FrontMatterError(describeParseError(error), parseErrorLine(error));
  }
  if (data === null || data === undefined) return { data: {} };
  if (typeof data !== 'object' || Array.isArray(data) || data instanceof Date) {
    throw new FrontMatterError('front matter must be a mapping of keys to values', 2);
  }
  return { data: data as Record<string, unknown> };
}

/** Loaded on first use (about 50 ms): a warm build takes every header from the cache. */
function loadGrayMatter(): typeof grayMatter {
  matter ??= require('gray-matter') as typeof grayMatter;
  return matter;
}

/**
 * What `gray-matter` makes of a block: the whole call, as for any front matter. gray-matter gets
 * exactly the block we found, so its own (looser) search for the closing delimiter cannot go past
 * ours.
 */
export function grayMatterData(split: Extract<Split, { kind: 'ok' }>): unknown {
  const { language, matter: block, delimiter } = split;
  const source = `${delimiter}${delimiter === '---' && language !== 'yaml' ? language : ''}\n${block}${delimiter}\n`;
  return loadGrayMatter()(source, delimiter === '+++' ? { delimiters: '+++', language: 'toml', engines } : { engines }).data;
}

/**
 * `grayMatterData` of a `---` YAML block, by the steps gray-matter 4 takes for it, without the
 * rest of its work per call (a Buffer copy of the source, option objects merged four times,
 * properties defined on the file object), which cost about as much as js-yaml itself.
 *
 * For `---\n${block}---\n` gray-matter strips the opening `---`; the language after it is the
 * text before the first line end, which is the `\n` right there: none. It cuts the rest at the
 * first `\n---` (the one we added, unless the block has a line starting with `---` of its own),
 * treats a block of nothing but blank lines and `#` comments as `{}`, and otherwise parses it
 * with its `yaml` engine (js-yaml's `safeLoad`; the options gray-matter passes along have no
 * key js-yaml reads). A null result becomes `{}` (its `excerpt` step).
 */
export function yamlData(block: string): unknown {
  return parseYaml(yamlText(block));
}

/**
 * The text gray-matter hands js-yaml for `block` (see yamlData), as js-yaml then reads it: js-yaml
 * first adds a `\n` to a text that ends neither in `\n` nor `\r`. Adding it here, where the
 * block usually has it already, saves a copy of the block.
 */
function yamlText(block: string): string {
  // The usual block (splitFrontMatter's) ends with the `\n` before the closing line.
  if (block.endsWith('\n') && !block.startsWith('---')) {
    const inner = block.indexOf('\n---');
    const cut = inner === -1 ? block.length - 1 : inner; // the `\n` gray-matter cuts before
    const last = block.charCodeAt(cut - 1);
    if (cut > 0 && last !== 0x0a && last !== 0x0d) return `\n${block.slice(0, cut + 1)}`;
  }
  const rest = `\n${block}---\n`;
  const close = rest.indexOf('\n---');
  const text = rest.slice(0, close === -1 ? rest.length : close);
  const end = text.charCodeAt(text.length - 1);
  return text === '' || end === 0x0a || end === 0x0d ? text : `${text}\n`;
}

function parseYaml(text: string): unknown {
  // Blank lines and comments only: gray-matter's `{}` (a `\n` more or less changes nothing here).
  if (text.replace(/^\s*#[^\n]+/gm, '').trim() === '') return {};
  // `matter.engines` is public (README, "engines") but missing from gray-matter's types.
  const { engines: own } = loadGrayMatter() as unknown as { engines: { yaml: { parse: (text: string) => unknown } } };
  const data = own.yaml.parse(text);
  return data ?? {};
}

function describeParseError(error: unknown): string {
  if (error instanceof Error) {
    const reason = (error as { reason?: unknown }).reason;
    const text = typeof reason === 'string' && reason !== '' ? reason : error.message.replace(/^Invalid TOML document: /, '');
    return `front matter does not parse: ${text.split('\n')[0] ?? text}`;
  }
  return `front matter does not parse: ${String(error)}`;
}

function parseErrorLine(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  // js-yaml: mark.line is 0-based within the block; smol-toml: line is 1-based. +1 for the opening delimiter.
  const mark = (error as { mark?: { line?: unknown } }).mark;
  if (typeof mark?.line === 'number') return mark.line + 2;
  const line = (error as { line?: unknown }).line;
  if (typeof line === 'number') return line + 1;
  return undefined;
}

// The patterns of the few keys asked about (date, updated, ...), compiled once. Not global nor
// sticky: exec does not depend on lastIndex, so sharing one is safe.
const keyPatterns = new Map<string, RegExp>();

function keyPattern(key: string, kind: 'line' | 'value', make: () => RegExp): RegExp {
  const id = `${kind}:${key}`;
  let re = keyPatterns.get(id);
  if (re === undefined) {
    re = make();
    if (keyPatterns.size >= 1000) keyPatterns.clear();
    keyPatterns.set(id, re);
  }
  return re;
}

/** 1-based file line of a top-level key in the block, if written on a line of its own. */
export function keyLine(block: string, key: string): number | undefined {
  const re = keyPattern(key, 'line', () => new RegExp(`^["']?${key}["']?[ \\t]*[:=]`, 'm'));
  const m = re.exec(block);
  return m === null ? undefined : countLines(block, m.index) + 2;
}

/**
 * The value of a top-level key exactly as written. js-yaml turns `2026-01-11T04:57:32` (no
 * offset) into UTC and `2026-02-30` into March 2nd; Jekyll means the site's time zone and an
 * error. So dates are re-read from their text.
 */
export function rawScalar(block: string, key: string): string | undefined {
  const re = keyPattern(key, 'value', () => new RegExp(`^["']?${key}["']?[ \\t]*[:=][ \\t]*(.*)$`, 'm'));
  const m = re.exec(block);
  if (m === null) return undefined;
  let value = (m[1] ?? '').replace(/[ \t]+#.*$/, '').trim();
  if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
  return value === '' ? undefined : value;
}

/** The text of a date value, whichever parser produced it; undefined when it is no date at all. */
export function dateText(value: unknown, block: string, key: string): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof TomlDate) return value.toISOString();
  if (value instanceof Date) return rawScalar(block, key) ?? (Number.isNaN(value.getTime()) ? undefined : value.toISOString());
  return undefined;
}

/** A character `removeControlChars` took out: 1-based file line and column (in code points). */
export interface RemovedChar {
  line: number;
  column: number;
  codePoint: number;
}

// What YAML (c-printable) and TOML forbid and an author cannot see: C0 controls but tab, LF and
// CR; DEL; C1 controls but NEL (a YAML line break); U+FFFE and U+FFFF.
// eslint-disable-next-line no-control-regex -- exactly these characters
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F\uFFFE\uFFFF]/;
// eslint-disable-next-line no-control-regex -- exactly these characters
const INVISIBLE_ALL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u0084\u0086-\u009F\uFFFE\uFFFF]/g;

const C0_NAMES = 'NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US'.split(' ');

/** `U+0008 (BS)`: how a warning names a removed character. */
export function describeChar(codePoint: number): string {
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = codePoint < 0x20 ? C0_NAMES[codePoint] : codePoint === 0x7f ? 'DEL' : codePoint >= 0x80 && codePoint <= 0x9f ? 'C1 control' : 'noncharacter';
  return `${hex} (${name})`;
}

/**
 * The front-matter block without the control characters YAML and TOML forbid (issue 14): a
 * U+0008 pasted into a title made js-yaml refuse the whole post ("expected valid JSON
 * character"). `firstLine` is the file line the block starts on. Returns the block itself when
 * it has none (the usual case: one regex test).
 */
export function removeControlChars(block: string, firstLine: number): { text: string; removed: RemovedChar[] } {
  if (!INVISIBLE.test(block)) return { text: block, removed: [] };
  const removed: RemovedChar[] = [];
  let line = firstLine;
  let lineStart = 0;
  for (const match of block.matchAll(INVISIBLE_ALL)) {
    const index = match.index;
    for (let nl = block.indexOf('\n', lineStart); nl !== -1 && nl < index; nl = block.indexOf('\n', lineStart)) {
      line++;
      lineStart = nl + 1;
    }
    removed.push({ line, column: [...block.slice(lineStart, index)].length + 1, codePoint: match[0].charCodeAt(0) });
  }
  return { text: block.replace(INVISIBLE_ALL, ''), removed };
}
