import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { ensureDirSync } from '../fs.js';
import type { FileProblem, Intern } from './header.js';
import type { FileEntry } from './read.js';

/**
 * The header cache: one JSON line per post file, keyed by path + size + mtime, in scan order
 * (descending sourcePath, see `scanOrder`), between a first line naming the format version and
 * a fingerprint of the config the headers were built with, and a last line counting the
 * entries. It is read and written a piece at a time, merge-joined with the file listing in scan
 * order, so that a warm run of 100,000 posts never holds every entry (nor the file as one
 * string) in memory.
 * Anything unexpected (old version, other config, a torn or edited file) means: no cache from
 * that line on.
 */

/**
 * 3: entries in descending sourcePath order (2: ascending), with a trailer line `{"end":count}`
 * (version 1 had neither). 4: titles without HTML tags, front matter without control characters.
 */
export const CACHE_VERSION = 4;
const MAGIC = 'feedletter-content-cache';
/**
 * Read in pieces of this many bytes, write in pieces of this many characters: large enough that
 * per-call costs vanish, small enough that the decoded strings stay below V8's large-object size
 * (128 KB). Larger strings are allocated in old space and live until a full GC: a megabyte per
 * piece of a 55 MB cache made the heap grow by as much before it was collected.
 */
const CHUNK = 1 << 15;
const FLUSH = 1 << 14;

interface Line {
  p: string;
  s: number;
  m: number;
  d?: 1;
  /** Hugo's publishDate and expiryDate (ms), when the post has them. */
  w?: { f?: number; u?: number };
  h?: {
    u: string;
    t: string;
    dt: number;
    up: number;
    a: string[];
    c: string[];
    g: string[];
    su: string;
    r?: number;
    sl: string;
    lg?: string;
  };
  pr?: FileProblem[];
}

/** An entry's line in the cache (without its newline). */
export function cacheLine(entry: FileEntry): string {
  return JSON.stringify(toLine(entry));
}

function toLine(e: FileEntry): Line {
  const line: Line = { p: e.sourcePath, s: e.size, m: e.mtimeMs };
  if (e.draft) line.d = 1;
  if (e.window !== undefined) line.w = { ...(e.window.from === undefined ? {} : { f: e.window.from }), ...(e.window.until === undefined ? {} : { u: e.window.until }) };
  if (e.problems.length > 0) line.pr = e.problems;
  const h = e.header;
  if (h !== undefined) {
    line.h = { u: h.url, t: h.title, dt: h.date.getTime(), up: h.updated.getTime(), a: h.authors, c: h.categories, g: h.tags, su: h.summary, sl: h.slug };
    if (h.readingTime !== undefined) line.h.r = h.readingTime;
    if (h.language !== undefined) line.h.lg = h.language;
  }
  return line;
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function fromLine(raw: unknown, intern: Intern): FileEntry | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const l = raw as Partial<Line>;
  if (typeof l.p !== 'string' || typeof l.s !== 'number' || typeof l.m !== 'number') return undefined;
  const problems = l.pr ?? [];
  if (!Array.isArray(problems) || !problems.every((p) => typeof p === 'object' && p !== null && typeof p.message === 'string')) return undefined;
  const entry: FileEntry = { sourcePath: l.p, size: l.s, mtimeMs: l.m, draft: l.d === 1, problems, header: undefined };
  if (l.w !== undefined) {
    if (typeof l.w !== 'object' || l.w === null || (l.w.f !== undefined && !Number.isFinite(l.w.f)) || (l.w.u !== undefined && !Number.isFinite(l.w.u))) return undefined;
    entry.window = { ...(l.w.f === undefined ? {} : { from: l.w.f }), ...(l.w.u === undefined ? {} : { until: l.w.u }) };
  }
  const h = l.h;
  if (h !== undefined) {
    if (typeof h !== 'object' || h === null) return undefined;
    if (typeof h.u !== 'string' || typeof h.t !== 'string' || typeof h.su !== 'string' || typeof h.sl !== 'string') return undefined;
    if (!Number.isFinite(h.dt) || !Number.isFinite(h.up) || !isStrings(h.a) || !isStrings(h.c) || !isStrings(h.g)) return undefined;
    if (h.r !== undefined && !Number.isFinite(h.r)) return undefined;
    if (h.lg !== undefined && typeof h.lg !== 'string') return undefined;
    entry.header = {
      id: h.u,
      url: h.u,
      title: h.t,
      date: new Date(h.dt),
      updated: new Date(h.up),
      authors: h.a.map(intern),
      categories: h.c.map(intern),
      tags: h.g.map(intern),
      summary: h.su,
      readingTime: h.r,
      sourcePath: l.p,
      slug: h.sl,
      size: l.s,
      mtimeMs: l.m,
    };
    if (h.lg !== undefined) entry.header.language = h.lg;
  }
  return entry;
}

const headerLine = (fingerprint: string): string => `${JSON.stringify({ format: MAGIC, v: CACHE_VERSION, fp: fingerprint })}\n`;

/**
 * Reads a cache one entry at a time, for a caller that asks for paths in descending order (the
 * order the cache is written in). Synchronous, like the reads of the post files it stands in
 * for; the caller yields to the event loop between batches.
 */
export class CacheReader {
  private fd: number | undefined;
  private readonly intern: Intern;
  /** Bytes read and not yet decoded are buffer[start, end); one buffer, reused (no garbage per piece). */
  private buffer = Buffer.allocUnsafe(CHUNK);
  private start = 0;
  private end = 0;
  private position = 0;
  private lines: string[] = [];
  private next = 0;
  private eof = false;
  /** The entry at the read position, parsed; undefined at the end or after a bad line. */
  private current: FileEntry | undefined;
  private readonly expected: number;
  /** Entry lines passed so far (returned or skipped). */
  consumed = 0;
  /** A line that is not a valid entry was met: the rest of the cache is not used. */
  broken = false;

  private constructor(fd: number, intern: Intern, expected: number) {
    this.fd = fd;
    this.intern = intern;
    this.expected = expected;
  }

  /** A reader over a valid cache built with `fingerprint`; undefined for anything else. Never throws. */
  static open(file: string, fingerprint: string, intern: Intern): CacheReader | undefined {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return undefined;
    }
    try {
      // The trailer first: a cache cut short (a crash while renaming is impossible, but an edit
      // or a full disk is not) is refused before a single entry is trusted.
      const size = fstatSync(fd).size;
      const tail = Buffer.alloc(Math.min(size, 64));
      readSync(fd, tail, 0, tail.length, size - tail.length);
      if (tail.length === 0 || tail[tail.length - 1] !== 10) throw new Error('torn');
      const lastStart = tail.lastIndexOf(10, tail.length - 2) + 1;
      if (lastStart === 0 && tail.length < size) throw new Error('no trailer');
      const trailer = JSON.parse(tail.toString('utf8', lastStart, tail.length - 1)) as { end?: unknown };
      if (typeof trailer.end !== 'number' || !Number.isInteger(trailer.end)) throw new Error('no trailer');
      const reader = new CacheReader(fd, intern, trailer.end);
      const head = reader.line() ?? '';
      const value = JSON.parse(head) as { format?: unknown; v?: unknown; fp?: unknown };
      if (value.format !== MAGIC || value.v !== CACHE_VERSION || value.fp !== fingerprint) throw new Error('other cache');
      reader.advance();
      return reader;
    } catch {
      closeSync(fd);
      return undefined;
    }
  }

  /** The next line of text, without its newline; undefined at the end of the file. */
  private line(): string | undefined {
    while (this.next >= this.lines.length) {
      if (this.eof || this.fd === undefined) return undefined;
      // Keep the unfinished last line at the front; grow only for a line longer than the buffer.
      const left = this.end - this.start;
      if (left === this.buffer.length) {
        const bigger = Buffer.allocUnsafe(this.buffer.length * 2);
        this.buffer.copy(bigger, 0, this.start, this.end);
        this.buffer = bigger;
      } else if (this.start > 0) {
        this.buffer.copyWithin(0, this.start, this.end);
      }
      this.start = 0;
      this.end = left;
      const bytesRead = readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, this.position);
      this.position += bytesRead;
      this.end += bytesRead;
      if (bytesRead === 0) this.eof = true;
      // Decode all complete lines of a piece at once: one toString per piece instead of one per
      // line (the per-call cost dominated a warm build of 10,000 posts).
      const lastNewline = this.end === 0 ? -1 : this.buffer.lastIndexOf(10, this.end - 1);
      this.next = 0;
      if (lastNewline < 0) {
        this.lines = [];
      } else {
        this.lines = this.buffer.toString('utf8', 0, lastNewline).split('\n');
        this.start = lastNewline + 1;
      }
    }
    return this.lines[this.next++];
  }

  /** Parses the next entry into `current`; the trailer (checked against the count) ends it. */
  private advance(): void {
    this.current = undefined;
    const text = this.line();
    if (text === undefined) return void (this.broken = true);
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value === 'object' && value !== null && 'end' in value) {
        if (value.end !== this.consumed || this.line() !== undefined) this.broken = true;
        return;
      }
      const entry = fromLine(value, this.intern);
      if (entry === undefined) this.broken = true;
      this.current = entry;
    } catch {
      this.broken = true;
    }
  }

  /**
   * The entry for `sourcePath`, if the cache has one. Entries of greater paths (files that are
   * gone) are passed over: `skipped` says whether any were.
   */
  find(sourcePath: string): { entry: FileEntry | undefined; skipped: boolean } {
    let skipped = false;
    while (this.current !== undefined && this.current.sourcePath > sourcePath) {
      skipped = true;
      this.consumed++;
      this.advance();
    }
    const entry = this.current;
    if (entry === undefined || entry.sourcePath !== sourcePath) return { entry: undefined, skipped };
    this.consumed++;
    this.advance();
    return { entry, skipped };
  }

  /** Path of the next entry; undefined at the end (or from a bad line on). */
  peek(): string | undefined {
    return this.current?.sourcePath;
  }

  /**
   * Hands the first `lines` lines of the file to `write`, from the file this reader opened (not
   * whatever the path names now: another process may have renamed a new cache over it).
   */
  copyLines(lines: number, write: (bytes: Buffer, length: number) => void): void {
    if (this.fd === undefined) throw new Error('the cache reader is closed');
    const chunk = Buffer.allocUnsafe(CHUNK);
    let left = lines;
    let position = 0;
    while (left > 0) {
      const bytesRead = readSync(this.fd, chunk, 0, CHUNK, position);
      if (bytesRead === 0) throw new Error('the old cache is shorter than it was');
      let end = 0;
      while (left > 0) {
        const newline = chunk.indexOf(10, end);
        if (newline === -1 || newline >= bytesRead) break;
        end = newline + 1;
        left--;
      }
      const upTo = left > 0 ? bytesRead : end;
      write(chunk, upTo);
      position += upTo;
    }
  }

  /** True when every entry was consumed and the trailer matched. */
  get complete(): boolean {
    return this.current === undefined && !this.broken && this.consumed === this.expected;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.lines = [];
  }
}

/**
 * Writes a new cache atomically: a temp file beside it, renamed over it at `commit` (readers see
 * the old cache or the new one, never half). Entries must be added in scan order.
 */
export class CacheWriter {
  private readonly file: string;
  private readonly temp: string;
  private fd: number | undefined;
  private batch = '';
  private count = 0;

  private constructor(file: string, temp: string, fd: number) {
    this.file = file;
    this.temp = temp;
    this.fd = fd;
  }

  /**
   * A writer whose file starts with the header and, from `prefixOf`, the first `entries` entry
   * lines of an existing cache: a warm run that meets its first change copies the unchanged
   * lines byte for byte instead of serialising them again.
   */
  static create(file: string, fingerprint: string, prefixOf?: { reader: CacheReader; entries: number }): CacheWriter {
    // 0700: the state folder also holds the signing secret and the database.
    ensureDirSync(path.dirname(file), 0o700);
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const fd = openSync(temp, 'w');
    const writer = new CacheWriter(file, temp, fd);
    try {
      if (prefixOf !== undefined && prefixOf.entries > 0) prefixOf.reader.copyLines(prefixOf.entries + 1, (bytes, length) => writeSync(fd, bytes, 0, length));
      else writer.batch = headerLine(fingerprint);
      writer.count = prefixOf?.entries ?? 0;
    } catch (error) {
      writer.abort();
      throw error;
    }
    return writer;
  }

  /** Adds `entry`; `line` is its `cacheLine` when a header worker already made it. */
  add(entry: FileEntry, line = cacheLine(entry)): void {
    this.batch += `${line}\n`;
    this.count++;
    if (this.batch.length > FLUSH) this.flush();
  }

  private flush(): void {
    if (this.batch.length > 0) writeSync(this.fd!, this.batch);
    this.batch = '';
  }

  /** Finishes the file and puts it in place. */
  commit(): void {
    try {
      this.batch += `${JSON.stringify({ end: this.count })}\n`;
      this.flush();
      closeSync(this.fd!);
      this.fd = undefined;
      renameSync(this.temp, this.file);
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  /** Leaves the old cache as it was. Never throws. */
  abort(): void {
    try {
      if (this.fd !== undefined) closeSync(this.fd);
    } catch {
      // closing a file we are throwing away: nothing to do
    }
    this.fd = undefined;
    rmSync(this.temp, { force: true });
  }
}

/** Every entry of a valid cache built with `fingerprint`, in file order; none for anything else. For tests and tools. */
export function* cacheEntries(file: string, fingerprint: string, intern: Intern): Generator<FileEntry> {
  const reader = CacheReader.open(file, fingerprint, intern);
  if (reader === undefined) return;
  try {
    for (;;) {
      const peek = reader.peek();
      if (peek === undefined) return;
      yield reader.find(peek).entry!;
    }
  } finally {
    reader.close();
  }
}
