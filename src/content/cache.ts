import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { FileProblem, Intern } from './header.js';
import type { FileEntry } from './read.js';

/**
 * The header cache: one JSON line per post file, keyed by path + size + mtime, behind a first line
 * naming the format version and a fingerprint of the config the headers were built with. Lines
 * are read and written a piece at a time so that 100,000 posts never sit in memory as one string.
 * Anything unexpected (old version, other config, a torn or edited file) means: no cache.
 */

export const CACHE_VERSION = 1;
const MAGIC = 'feedletter-content-cache';

interface Line {
  p: string;
  s: number;
  m: number;
  d?: 1;
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
  };
  pr?: FileProblem[];
}

function toLine(e: FileEntry): Line {
  const line: Line = { p: e.sourcePath, s: e.size, m: e.mtimeMs };
  if (e.draft) line.d = 1;
  if (e.problems.length > 0) line.pr = e.problems;
  const h = e.header;
  if (h !== undefined) {
    line.h = { u: h.url, t: h.title, dt: h.date.getTime(), up: h.updated.getTime(), a: h.authors, c: h.categories, g: h.tags, su: h.summary, sl: h.slug };
    if (h.readingTime !== undefined) line.h.r = h.readingTime;
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
  const h = l.h;
  if (h !== undefined) {
    if (typeof h !== 'object' || h === null) return undefined;
    if (typeof h.u !== 'string' || typeof h.t !== 'string' || typeof h.su !== 'string' || typeof h.sl !== 'string') return undefined;
    if (!Number.isFinite(h.dt) || !Number.isFinite(h.up) || !isStrings(h.a) || !isStrings(h.c) || !isStrings(h.g)) return undefined;
    if (h.r !== undefined && !Number.isFinite(h.r)) return undefined;
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
  }
  return entry;
}

/** Entries of a valid cache built with `fingerprint`; an empty map for anything else. Never throws. */
export async function loadCache(file: string, fingerprint: string, intern: Intern): Promise<Map<string, FileEntry>> {
  const entries = new Map<string, FileEntry>();
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return entries;
  }
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    let carry: Buffer = Buffer.alloc(0);
    let first = true;
    let position = 0;
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, position);
      position += bytesRead;
      const data = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      // Decode all complete lines of the chunk at once: one toString per megabyte instead of
      // one per line (the per-call cost dominated a warm build of 10,000 posts).
      const lastNewline = data.lastIndexOf(10);
      if (lastNewline !== -1) {
        const lines = data.toString('utf8', 0, lastNewline).split('\n');
        for (const text of lines) {
          const value: unknown = JSON.parse(text);
          if (first) {
            const head = value as { format?: unknown; v?: unknown; fp?: unknown };
            if (head.format !== MAGIC || head.v !== CACHE_VERSION || head.fp !== fingerprint) return new Map();
            first = false;
            continue;
          }
          const entry = fromLine(value, intern);
          if (entry === undefined) return new Map();
          entries.set(entry.sourcePath, entry);
        }
      }
      carry = Buffer.from(data.subarray(lastNewline + 1));
      if (bytesRead === 0) break;
    }
    // A last line without its newline: the file was cut short.
    if (carry.length > 0 || first) return new Map();
    return entries;
  } catch {
    return new Map();
  } finally {
    await fh.close();
  }
}

/** Writes the cache atomically: a temp file beside it, then rename (readers see old or new, never half). */
export async function saveCache(file: string, fingerprint: string, entries: Iterable<FileEntry>): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await open(temp, 'w');
  try {
    let batch = `${JSON.stringify({ format: MAGIC, v: CACHE_VERSION, fp: fingerprint })}\n`;
    for (const entry of entries) {
      batch += `${JSON.stringify(toLine(entry))}\n`;
      if (batch.length > 1 << 18) {
        await fh.writeFile(batch);
        batch = '';
      }
    }
    await fh.writeFile(batch);
    await fh.close();
    await rename(temp, file);
  } catch (error) {
    await fh.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}
