import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** One message read from a file, an mbox or a Maildir: where it came from, and its bytes. */
export interface SourceMessage {
  /** `file.eml`, `box.mbox#3` (third message), `Maildir/cur/<name>`. */
  origin: string;
  bytes: Buffer;
}

/** A message too large to be a bounce of ours: reported by its origin, its bytes not read. */
export interface SkippedMessage {
  origin: string;
  skipped: string;
}

/**
 * Reads the messages at each path:
 * - a folder with `cur/` or `new/` inside: a Maildir (both read; `tmp/` is still being written);
 * - a file starting with a `From ` line: an mbox (mboxrd/mboxo: split on `From ` lines, `>From`
 *   unquoted);
 * - any other file: one message (an `.eml`).
 * Files larger than `maxBytes` are not read into memory (an mbox is read whole up to `maxMboxBytes`).
 */
export async function* readMessages(paths: readonly string[], options: { maxBytes: number; maxMboxBytes?: number }): AsyncGenerator<SourceMessage | SkippedMessage> {
  for (const given of paths) {
    const info = await stat(given);
    if (info.isDirectory()) {
      const parts = (await Promise.all(['new', 'cur'].map(async (sub) => ((await isDir(path.join(given, sub))) ? sub : undefined)))).filter((s): s is string => s !== undefined);
      if (parts.length === 0) throw Object.assign(new Error(`${given} is a folder but not a Maildir (no cur/ or new/ inside)`), { code: 'NOT_MAILDIR' });
      for (const sub of parts) {
        const names = (await readdir(path.join(given, sub))).filter((n) => !n.startsWith('.')).sort();
        for (const name of names) yield* readOne(path.join(given, sub, name), options.maxBytes);
      }
      continue;
    }
    if (await startsWithFrom(given)) {
      const max = options.maxMboxBytes ?? 512 * 1024 * 1024;
      if (info.size > max) {
        yield { origin: given, skipped: `an mbox of ${info.size} bytes, over the ${max} read at once: split it (formail, mutt) and import the parts` };
        continue;
      }
      let n = 0;
      for (const bytes of splitMbox(await readFile(given))) {
        n++;
        const origin = `${given}#${n}`;
        yield bytes.length > options.maxBytes ? { origin, skipped: `too large to be a bounce (${bytes.length} bytes)` } : { origin, bytes };
      }
      continue;
    }
    yield* readOne(given, options.maxBytes);
  }
}

async function* readOne(file: string, maxBytes: number): AsyncGenerator<SourceMessage | SkippedMessage> {
  const info = await stat(file);
  if (!info.isFile()) return;
  if (info.size > maxBytes) {
    yield { origin: file, skipped: `too large to be a bounce (${info.size} bytes)` };
    return;
  }
  yield { origin: file, bytes: await readFile(file) };
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function startsWithFrom(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(5);
    const { bytesRead } = await handle.read(head, 0, 5, 0);
    return bytesRead === 5 && head.toString('latin1') === 'From ';
  } finally {
    await handle.close();
  }
}

/** The messages of an mbox: each starts after a `From ` separator line; `>From ` (mboxrd) loses one `>`. */
export function splitMbox(bytes: Buffer): Buffer[] {
  const text = bytes.toString('latin1');
  const messages: Buffer[] = [];
  const starts: number[] = [];
  const separator = /^From .*$/gm;
  for (let m = separator.exec(text); m !== null; m = separator.exec(text)) {
    // A separator is a `From ` line at the start or after a blank line (mboxo writers do not quote every `From `).
    if (m.index === 0 || /\n\r?\n$/.test(text.slice(Math.max(0, m.index - 3), m.index))) starts.push(m.index);
  }
  for (let i = 0; i < starts.length; i++) {
    const from = starts[i] ?? 0;
    const bodyStart = text.indexOf('\n', from) + 1;
    const end = starts[i + 1] ?? text.length;
    if (bodyStart <= 0 || bodyStart > end) continue;
    const message = text.slice(bodyStart, end).replace(/^>(>*From )/gm, '$1');
    messages.push(Buffer.from(message, 'latin1'));
  }
  return messages;
}
