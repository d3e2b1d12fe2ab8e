import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse, type Options as ParseOptions } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { isFeedletterError, type Problem } from '../errors.js';
import { normaliseEmail, normaliseName } from './email.js';
import type { Subscriber } from './store.js';

export interface CsvSubscriberRow {
  email: string;
  name: string | null;
  /**
   * The row's `status` column says this person left or must not be mailed (unsubscribed,
   * bounced, complained): added, if new, as unsubscribed, so that re-importing an export never
   * mails someone who asked to leave.
   */
  optedOut?: true;
}

/** `status` values of our export (and common ones of other services) that must never become active. */
const OPTED_OUT = new Set(['unsubscribed', 'bounced', 'complained', 'cleaned', 'blocklisted', 'blacklisted']);
/** `status` values that mean a confirmed, mailable subscriber. */
const ACTIVE = new Set(['active', 'subscribed', 'enabled', 'confirmed', '']);

/**
 * First characters that make a spreadsheet (Excel, LibreOffice, Google Sheets, Numbers) read a
 * cell as a formula: `=`, `+`, `-`, `@`, tab, CR (OWASP, "CSV Injection"), and the full-width
 * `＝＋－＠` that Numbers folds into them. The same set as csv-stringify's `escape_formulas`.
 */
const FORMULA_START = '=+\\-@\\t\\r\\uFF1D\\uFF0B\\uFF0D\\uFF20';
/** A value that would need a `'` on export: a formula start, after any number of `'`. */
const NEEDS_QUOTE_MARK = new RegExp(`^'*[${FORMULA_START}]`, 'u');
/** A value as exported with a `'` in front of it: one `'` or more, then a formula start. */
const HAS_QUOTE_MARK = new RegExp(`^'+[${FORMULA_START}]`, 'u');

/**
 * The cell as written: a value that starts with a formula character gets a `'` in front
 * (`=HYPERLINK(…)` → `'=HYPERLINK(…)`), so a spreadsheet shows it as text instead of running it.
 * A value that already starts with `'` before such a character gets one more, so that
 * `fromCell` (which removes exactly one) gives back every value exactly: `'=x` → `''=x` → `'=x`.
 */
export function toCell(value: string): string {
  return NEEDS_QUOTE_MARK.test(value) ? `'${value}` : value;
}

/** The inverse of `toCell`: one leading `'` before a formula character is removed. */
export function fromCell(value: string): string {
  return HAS_QUOTE_MARK.test(value) ? value.slice(1) : value;
}

/** Longest record accepted (64 KiB): a quote never closed stops here instead of filling memory. */
const MAX_RECORD_BYTES = 64 * 1024;

/** Line breaks inside a record's fields (a quoted field may span lines); CRLF is one. */
function lineBreaks(fields: readonly string[]): number {
  let count = 0;
  for (const field of fields) count += field.match(/\r\n|\r|\n/g)?.length ?? 0;
  return count;
}

/** Something `readSubscribersCsv` can read: a file stream, any byte or text stream, or a string. */
export type CsvInput = Readable | AsyncIterable<string | Buffer> | Iterable<string | Buffer> | string;

/**
 * Reads a subscriber list as a stream (csv-parse, RFC 4180: quoted fields with `""` and line
 * breaks, CRLF or LF or CR, a leading BOM), calling `onRow` for each good row, in order, with
 * the line where the row starts. The list has a header row naming an `email` column and
 * optionally a `name` column (any order, any case, other columns ignored, so an export of ours
 * or of another service imports as is). Each bad row is reported with its line and skipped;
 * addresses are normalised (`normaliseEmail`), names checked (`normaliseName`, which the store
 * applies) and trimmed, and a value exported
 * with a `'` against formula injection (`toCell`) has it removed. A repeated address is kept
 * once, with a warning. A quote never closed ends the reading there, reported. Returns the
 * problems, in line order. Anything `onRow` throws, and a read error of the input, are thrown.
 *
 * Memory: one record at a time, plus the lower-cased addresses seen (for the repeats).
 */
export async function readSubscribersCsv(input: CsvInput, file: string, onRow: (row: CsvSubscriberRow, line: number) => void): Promise<Problem[]> {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  /** Line where the next record starts. Counted here: csv-parse's `info.lines` counts a CRLF inside quotes twice. */
  let line = 1;
  let columns: { emailAt: number; nameAt: number; statusAt: number } | undefined;
  let headerSeen = false;

  const take = (fields: string[], at: number): void => {
    if (fields.every((f) => f.trim() === '')) return;
    if (!headerSeen) {
      headerSeen = true;
      const names = fields.map((f) => f.trim().toLowerCase());
      const emailAt = names.findIndex((c) => c === 'email' || c === 'e-mail' || c === 'email address');
      if (emailAt === -1) {
        problems.push({ file, line: at, message: 'no "email" column in the header row', hint: 'start with a line "email,name"', severity: 'error' });
        return;
      }
      columns = { emailAt, nameAt: names.indexOf('name'), statusAt: names.indexOf('status') };
      return;
    }
    if (columns === undefined) return;
    const raw = fromCell((fields[columns.emailAt] ?? '').trim());
    if (raw === '') {
      problems.push({ file, line: at, field: 'email', message: 'no address in this row', severity: 'error' });
      return;
    }
    let email: string;
    let name: string | null;
    let field = 'email';
    try {
      email = normaliseEmail(raw);
      field = 'name';
      name = columns.nameAt === -1 ? null : fromCell((fields[columns.nameAt] ?? '').trim()) || null;
      // Checked here to report it with its line; the store cleans it (`Store.addSubscriber`).
      normaliseName(name);
    } catch (error) {
      if (!isFeedletterError(error)) throw error;
      problems.push({ file, line: at, field, message: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }), severity: 'error' });
      return;
    }
    // Consent travels with the address: a list exported with its statuses is imported with them.
    const status = columns.statusAt === -1 ? '' : (fields[columns.statusAt] ?? '').trim().toLowerCase();
    if (status === 'pending' || status === 'unconfirmed') {
      problems.push({ file, line: at, field: 'status', message: `"${email}" never confirmed the subscription; not imported`, hint: 'send them a confirmation with "feedletter subscribers add EMAIL --confirm"', severity: 'warning' });
      return;
    }
    if (!OPTED_OUT.has(status) && !ACTIVE.has(status)) {
      problems.push({ file, line: at, field: 'status', message: `unknown status "${status}"`, hint: 'use active or unsubscribed (or leave the column out: every row is then active)', severity: 'error' });
      return;
    }
    const key = email.toLowerCase();
    if (seen.has(key)) {
      problems.push({ file, line: at, field: 'email', message: `"${email}" appears more than once; kept the first`, severity: 'warning' });
      return;
    }
    seen.add(key);
    onRow(OPTED_OUT.has(status) ? { email, name, optedOut: true } : { email, name }, at);
  };

  const options: ParseOptions = {
    bom: true,
    // A row may have fewer or more fields than the header; a missing name is no name.
    relax_column_count: true,
    // A quote inside an unquoted field (`Dwayne "The Rock" J`) is a character, as most writers mean it.
    relax_quotes: true,
    // Spaces before an opening quote (`a@example.org, "Doe, J"`).
    ltrim: true,
    // Explicit, not detected from the first line: a file may mix them (rows appended by another tool).
    record_delimiter: ['\r\n', '\n', '\r'],
    max_record_size: MAX_RECORD_BYTES,
    // Each record is handled here, synchronously and in order, and nothing is queued: a parse
    // error then cannot drop rows read before it (a destroyed stream discards its buffer).
    on_record: (record: string[]) => {
      const at = line;
      line += 1 + lineBreaks(record);
      take(record, at);
      return null;
    },
  };
  const source = typeof input === 'string' ? Readable.from([input]) : input instanceof Readable ? input : Readable.from(input);
  const sink = new Writable({ objectMode: true, write: (_chunk: unknown, _encoding, done) => done() });
  try {
    await pipeline(source, parse(options), sink);
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    if (error.code === 'CSV_QUOTE_NOT_CLOSED') {
      problems.push({ file, line, message: 'a quoted field is never closed; the rest of the file was skipped', hint: 'close the quote with "', severity: 'error' });
    } else if (error.code === 'CSV_MAX_RECORD_SIZE') {
      problems.push({
        file,
        line,
        message: `the row starting here is longer than ${MAX_RECORD_BYTES / 1024} KiB (a quote never closed?); the rest of the file was skipped`,
        hint: 'close the quote with ", or split the row',
        severity: 'error',
      });
    } else {
      problems.push({ file, line, message: `${error.message}; the rest of the file was skipped`, severity: 'error' });
    }
  }
  if (!headerSeen) problems.push({ file, message: 'the file has no header row', hint: 'start with a line "email,name"', severity: 'error' });
  return problems;
}

/**
 * `readSubscribersCsv` collecting the rows: for a list that fits in memory (tests, small files).
 */
export async function importSubscribersCsv(input: CsvInput, file = 'subscribers.csv'): Promise<{ rows: CsvSubscriberRow[]; problems: Problem[] }> {
  const rows: CsvSubscriberRow[] = [];
  const problems = await readSubscribersCsv(input, file, (row) => rows.push(row));
  return { rows, problems };
}

/** The columns of an export, in order. */
/** The subscriber and its consent record: how and when the address came in, and was confirmed. */
export const EXPORT_COLUMNS = [
  'email',
  'name',
  'status',
  'created_at',
  'unsubscribed_at',
  'source',
  'source_url',
  'signup_ip',
  'signup_user_agent',
  'confirmed_at',
  'confirm_ip',
  'confirm_user_agent',
] as const;

function* exportRecords(subscribers: Iterable<Subscriber>): Generator<string[]> {
  for (const s of subscribers) {
    const c = s.consent;
    yield [
      toCell(s.email),
      toCell(s.name ?? ''),
      s.status,
      s.createdAt.toISOString(),
      s.unsubscribedAt?.toISOString() ?? '',
      c.source ?? '',
      // Free text others typed or sent (a page URL, a user agent): never a formula either.
      toCell(c.sourceUrl ?? ''),
      c.signupIp ?? '',
      toCell(c.signupUserAgent ?? ''),
      c.confirmedAt?.toISOString() ?? '',
      c.confirmIp ?? '',
      toCell(c.confirmUserAgent ?? ''),
    ];
  }
}

/**
 * `EXPORT_COLUMNS` with CRLF line ends (RFC 4180, csv-stringify), one row per subscriber, as a stream that reads `subscribers` as it is read (so an iterator
 * over the store never holds the whole list). A cell that a spreadsheet would run as a formula
 * gets a `'` in front (`toCell`); `readSubscribersCsv` removes it, so an export imports back to
 * the same addresses and names (it ignores the extra columns).
 */
export function exportSubscribersCsv(subscribers: Iterable<Subscriber>): Readable {
  const stringifier = stringify({ header: true, columns: [...EXPORT_COLUMNS], record_delimiter: 'windows' });
  // An error of either side destroys the other; a failed read reaches the reader of `stringifier`
  // as its error, so the rejection here has nothing to add.
  pipeline(Readable.from(exportRecords(subscribers)), stringifier).catch(() => undefined);
  return stringifier;
}
