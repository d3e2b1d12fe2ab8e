import { isUtf8 } from 'node:buffer';
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { PostHeader } from '../post.js';
import { buildHeader, type FileProblem, type HeaderCore, type Intern, type PublishWindow } from './header.js';
import { describeChar, FrontMatterError, parseFrontMatter, removeControlChars, splitFrontMatter } from './frontmatter.js';

/**
 * Reading one post file for its header: only its first chunk, more only when the front matter
 * or the first paragraph does not end inside it. Bodies are never kept.
 */

/**
 * First read: a front matter and a first paragraph of a typical post fit inside. Each 4 KB page
 * read costs, even from the page cache: 16 KB took 30% longer than 4 KB for 10,000 posts that
 * need only their first 600 bytes. A longer first paragraph costs a second read.
 */
export const FIRST_CHUNK = 4 * 1024;
/** First decode: enough for most front matters and a first paragraph. */
const FIRST_DECODE = 2 * 1024;

export interface FileEntry {
  sourcePath: string;
  size: number;
  mtimeMs: number;
  /** Undefined when the post was skipped (see problems). */
  header: PostHeader | undefined;
  draft: boolean;
  problems: FileProblem[];
  /** When the post is out besides its date (Hugo's publishDate and expiryDate). */
  window?: PublishWindow | undefined;
}

export class Utf8Error extends Error {
  readonly line: number;
  constructor(line: number) {
    super('not valid UTF-8');
    this.line = line;
  }
}

/**
 * Decodes UTF-8 strictly (never mojibake in a feed). `partial`: the bytes are only the start of
 * the file, so a character cut at the end is not an error. Removes a BOM; CRLF becomes LF.
 *
 * Same result as `new TextDecoder('utf-8', { fatal: true })`, but `isUtf8` + `toString` (both
 * SIMD in Node) cost a fifth of it, which counts over 100,000 files.
 */
export function decodeUtf8(bytes: Buffer, partial: boolean): string {
  const end = checkUtf8(bytes, bytes.length, partial);
  return decodeChecked(bytes, end);
}

/**
 * Throws Utf8Error unless `bytes[0, length)` is UTF-8 (with `partial`, a character cut at the end
 * is not an error). Returns where the whole characters end.
 */
function checkUtf8(bytes: Buffer, length: number, partial: boolean): number {
  const end = partial ? length - incompleteTail(bytes, length) : length;
  const whole = end === bytes.length ? bytes : bytes.subarray(0, end);
  if (!isUtf8(whole)) throw new Utf8Error(lineOfInvalidUtf8(whole));
  return end;
}

/** Decodes `bytes[0, end)`, known to be UTF-8: no BOM, `\n` line ends. */
function decodeChecked(bytes: Buffer, end: number): string {
  let text = bytes.toString('utf8', 0, end);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/** Bytes at the end of `bytes[0, length)` that start a character whose other bytes were not read. */
function incompleteTail(bytes: Uint8Array, length: number): number {
  for (let k = 1; k <= Math.min(3, length); k++) {
    const b = bytes[length - k] ?? 0;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > k ? k : 0;
  }
  return 0;
}

/** 1-based line of the first byte sequence that is not UTF-8 (only called on failure). */
export function lineOfInvalidUtf8(bytes: Uint8Array): number {
  let line = 1;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    let need = 0;
    if (b < 0x80) {
      if (b === 0x0a) line++;
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) need = 2;
    else if (b >= 0xf0 && b <= 0xf4) need = 3;
    else return line;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return line; // cut at the end: only an error when the file ends there
      if ((c & 0xc0) !== 0x80) return line;
    }
    i += need + 1;
  }
  return line;
}

/** Parses a header from text (all of the file, or its start when `complete` is false). */
export interface TextHeader {
  sourcePath: string;
  header: HeaderCore | undefined;
  draft: boolean;
  problems: FileProblem[];
  window?: PublishWindow | undefined;
}

/** What `headerFromText` may be given besides the text. */
export interface HeaderContext {
  intern?: Intern | undefined;
  /** Kept between the calls for one file (see MatterMemo). */
  memo?: MatterMemo | undefined;
  /** The file's size and mtime: the header is then a whole PostHeader. */
  stat?: { size: number; mtimeMs: number } | undefined;
  /** Hugo: the page's current section path (see HeaderInput). */
  sections?: string | undefined;
}

export function headerFromText(text: string, complete: boolean, sourcePath: string, config: Config, context: HeaderContext = {}): TextHeader | 'more' {
  const { intern, memo, stat, sections } = context;
  let split = splitFrontMatter(text, complete);
  let controls: FileProblem[] = [];
  if (split.kind === 'ok') {
    // The block starts on the line after the opening delimiter.
    const { text: matter, removed } = removeControlChars(split.matter, 2);
    if (removed.length > 0) {
      split = { ...split, matter };
      controls = removed.map(({ line, column, codePoint }) => ({ line, message: `front matter: removed the invisible control character ${describeChar(codePoint)} at line ${line}, column ${column}`, hint: 'YAML and TOML do not allow it; delete it from the file', severity: 'warning' as const }));
    }
  }
  if (split.kind === 'unclosed') {
    if (!complete) return 'more';
    return { sourcePath, header: undefined, draft: false, problems: [{ line: 1, message: 'the front matter has no closing "---" line', hint: 'end the front matter with a line of three dashes ("+++" for TOML)', severity: 'error' }] };
  }
  let data: Record<string, unknown> = {};
  let matter = '';
  if (split.kind === 'ok') {
    if (memo?.data !== undefined && memo.language === split.language && memo.matter === split.matter) {
      data = memo.data;
    } else {
      try {
        data = parseFrontMatter(split).data;
      } catch (error) {
        if (!(error instanceof FrontMatterError)) throw error;
        return { sourcePath, header: undefined, draft: false, problems: [...controls, { ...(error.line === undefined ? {} : { line: error.line }), message: error.message, hint: 'check the YAML (or TOML) between the delimiters: quoting, indentation, colons', severity: 'error' }] };
      }
      if (memo !== undefined) Object.assign(memo, { language: split.language, matter: split.matter, data });
    }
    matter = split.matter;
  }
  const result = buildHeader({ sourcePath, data, matter, split, complete, stat, sections }, config, intern);
  if (result.status === 'more') return 'more';
  return { sourcePath, header: result.header, draft: result.draft, problems: controls.length === 0 ? result.problems : [...controls, ...result.problems], ...(result.window === undefined ? {} : { window: result.window }) };
}

/**
 * The front matter parsed by the last call of `headerFromText` for one file: when it needs more
 * of the file, the next call finds the same block and parsing it again would give the same data
 * (buildHeader only reads it).
 */
export interface MatterMemo {
  language?: string;
  matter?: string;
  data?: Record<string, unknown>;
}

// Scratch buffers: reads are synchronous, so neither is ever shared by two files at once. The
// second one takes the first growth, for posts whose first paragraph runs past the first read.
let scratch: Buffer | undefined;
let grown: Buffer | undefined;
const GROWN_CHUNK = 4 * FIRST_CHUNK;

/**
 * Reads and parses one file's header from as little of it as it takes.
 *
 * Synchronous on purpose: for files in the page cache, open/fstat/read/close through libuv's thread
 * pool cost several times the system calls themselves (measured on 10,000 posts: about 0.6 s with
 * 32 FileHandles in flight against 0.18 s in sequence), and the caller yields between batches.
 */
/**
 * Hugo's current section of a page: the nearest folder above it with an `_index.md` (a branch
 * bundle), else its first folder. A leaf bundle's own folder (`posts/foo/` of
 * `posts/foo/index.md`) is the page, not a section.
 */
export function hugoSections(absolutePath: string, sourcePath: string): string {
  const parts = sourcePath.split('/');
  const leaf = /^index\.[^.]+$/.test(parts.at(-1) as string);
  const dirs = parts.slice(0, leaf ? -2 : -1);
  let folder = path.dirname(absolutePath);
  if (leaf) folder = path.dirname(folder);
  for (let n = dirs.length; n > 1; n--) {
    if (existsSync(path.join(folder, '_index.md'))) return dirs.slice(0, n).join('/');
    folder = path.dirname(folder);
  }
  return dirs[0] ?? '';
}

export function readHeader(absolutePath: string, sourcePath: string, config: Config, intern?: Intern): FileEntry {
  const fd = openSync(absolutePath, 'r');
  try {
    const stat = fstatSync(fd);
    const size = stat.size;
    const mtimeMs = stat.mtimeMs;
    scratch ??= Buffer.allocUnsafe(FIRST_CHUNK);
    let buffer = scratch;
    let length = Math.min(FIRST_CHUNK, size);
    let filled = 0;
    // Decoding is the costly part, not reading: decode a little first, more only when needed.
    let decodeUpTo = FIRST_DECODE;
    let first = true;
    const context: HeaderContext = { intern, memo: {}, stat: { size, mtimeMs }, ...(config.site.generator === 'hugo' ? { sections: hugoSections(absolutePath, sourcePath) } : {}) };
    for (;;) {
      while (filled < length) {
        const bytesRead = readSync(fd, buffer, filled, length - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      const fileComplete = filled >= size || filled < length;
      const upTo = Math.min(filled, decodeUpTo);
      const complete = fileComplete && upTo === filled;
      let text: string;
      try {
        const end = checkUtf8(buffer, upTo, !complete);
        // The first time, only the front matter is decoded when its end is found (all that a
        // post with a title and an excerpt needs), but as many bytes are checked as before.
        const matterEnd = first ? frontMatterEnd(buffer, end) : undefined;
        text = decodeChecked(buffer, matterEnd ?? end);
        const parsed = headerFromText(text, complete && matterEnd === undefined, sourcePath, config, context);
        if (parsed !== 'more') {
          // Given the stat, buildHeader made the header a whole PostHeader.
          return { sourcePath, size, mtimeMs, header: parsed.header as PostHeader | undefined, draft: parsed.draft, problems: parsed.problems, ...(parsed.window === undefined ? {} : { window: parsed.window }) };
        }
        if (matterEnd !== undefined) {
          first = false;
          continue; // the same bytes, this time decoded up to `upTo`
        }
      } catch (error) {
        if (!(error instanceof Utf8Error)) throw error;
        return { sourcePath, size, mtimeMs, header: undefined, draft: false, problems: [{ line: error.line, message: 'is not valid UTF-8', hint: 'save the file as UTF-8', severity: 'error' }] };
      }
      first = false;
      if (upTo < filled) {
        decodeUpTo = filled;
        continue;
      }
      // Rare: a long front matter or first paragraph. Grow fourfold, then to the whole file.
      length = length * 4 >= size / 2 ? size : length * 4;
      decodeUpTo = length;
      const next = length <= GROWN_CHUNK && buffer !== grown ? (grown ??= Buffer.allocUnsafe(GROWN_CHUNK)) : Buffer.allocUnsafe(length);
      buffer.copy(next, 0, 0, filled);
      buffer = next;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Where the line that closes a front matter ends in `bytes[0, end)`, if it is there and the text
 * goes on after it; undefined otherwise. Only a guess of how much to decode first: a wrong one
 * costs a second decode, never a wrong header (headerFromText judges the text it gets).
 */
function frontMatterEnd(bytes: Buffer, end: number): number | undefined {
  const start = bytes[0] === 0xef ? 3 : 0; // a BOM
  const opener = bytes[start];
  if ((opener !== 0x2d && opener !== 0x2b) || bytes[start + 1] !== opener || bytes[start + 2] !== opener) return undefined;
  const first = bytes.indexOf(0x0a, start);
  if (first === -1 || first >= end) return undefined;
  const close = bytes.indexOf(opener === 0x2d ? '\n---' : '\n+++', first);
  if (close === -1 || close >= end) return undefined;
  const lineEnd = bytes.indexOf(0x0a, close + 1);
  return lineEnd === -1 || lineEnd + 1 >= end ? undefined : lineEnd + 1;
}
