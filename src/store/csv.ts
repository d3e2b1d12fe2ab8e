import { isFeedletterError, type Problem } from '../errors.js';
import { normaliseEmail } from './email.js';
import type { Subscriber } from './store.js';

export interface CsvSubscriberRow {
  email: string;
  name: string | null;
}

interface CsvRecord {
  /** 1-based line where the record starts (a quoted field may span lines). */
  line: number;
  fields: string[];
}

/** RFC 4180 records: quoted fields with `""` escapes and line breaks, CRLF or LF, a leading BOM. */
function parseRecords(text: string): { records: CsvRecord[]; unterminatedAt: number | undefined } {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let inQuotes = false;
  let quoteLine = 0;
  let i = 0;
  const endRecord = (): void => {
    fields.push(field);
    records.push({ line: recordLine, fields });
    fields = [];
    field = '';
  };
  while (i < source.length) {
    const ch = source[i];
    if (inQuotes) {
      if (ch === '"') {
        if (source[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        i++;
        continue;
      }
      if (ch === '\n') line++;
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field.trim() === '') {
      inQuotes = true;
      quoteLine = line;
      field = '';
      i++;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      i++;
    } else if (ch === '\r' || ch === '\n') {
      endRecord();
      i += ch === '\r' && source[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
    } else {
      field += ch;
      i++;
    }
  }
  if (inQuotes) return { records, unterminatedAt: quoteLine };
  if (field !== '' || fields.length > 0) endRecord();
  return { records, unterminatedAt: undefined };
}

/**
 * Reads a subscriber list: a header row naming an `email` column and optionally a `name` column
 * (any order, any case, other columns ignored, so an export of ours or of another service
 * imports as is). Each bad row is reported with its line and skipped; the good ones are returned
 * with their addresses normalised. A repeated address is kept once, with a warning.
 */
export function importSubscribersCsv(text: string, file = 'subscribers.csv'): { rows: CsvSubscriberRow[]; problems: Problem[] } {
  const problems: Problem[] = [];
  const rows: CsvSubscriberRow[] = [];
  const { records, unterminatedAt } = parseRecords(text);
  const nonEmpty = records.filter((r) => r.fields.some((f) => f.trim() !== ''));
  const header = nonEmpty[0];
  if (header === undefined) {
    problems.push({ file, message: 'the file has no header row', hint: 'start with a line "email,name"', severity: 'error' });
    return { rows, problems };
  }
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  const emailAt = columns.findIndex((c) => c === 'email' || c === 'e-mail' || c === 'email address');
  const nameAt = columns.indexOf('name');
  if (emailAt === -1) {
    problems.push({ file, line: header.line, message: 'no "email" column in the header row', hint: 'start with a line "email,name"', severity: 'error' });
    return { rows, problems };
  }
  const seen = new Set<string>();
  for (const record of nonEmpty.slice(1)) {
    const raw = record.fields[emailAt];
    if (raw === undefined || raw.trim() === '') {
      problems.push({ file, line: record.line, field: 'email', message: 'no address in this row', severity: 'error' });
      continue;
    }
    let email: string;
    try {
      email = normaliseEmail(raw);
    } catch (error) {
      if (!isFeedletterError(error)) throw error;
      problems.push({ file, line: record.line, field: 'email', message: error.message, ...(error.hint === undefined ? {} : { hint: error.hint }), severity: 'error' });
      continue;
    }
    const key = email.toLowerCase();
    if (seen.has(key)) {
      problems.push({ file, line: record.line, field: 'email', message: `"${email}" appears more than once; kept the first`, severity: 'warning' });
      continue;
    }
    seen.add(key);
    const name = nameAt === -1 ? '' : (record.fields[nameAt] ?? '').trim();
    rows.push({ email, name: name === '' ? null : name });
  }
  if (unterminatedAt !== undefined) {
    problems.push({ file, line: unterminatedAt, message: 'a quoted field is never closed; the rest of the file was skipped', hint: 'close the quote with "', severity: 'error' });
  }
  return { rows, problems };
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value !== value.trim() ? `"${value.replaceAll('"', '""')}"` : value;
}

/**
 * Free text someone else typed (a name from the public form, a user agent, a page URL) opened in a
 * spreadsheet must not run as a formula (OWASP "CSV injection"): a leading = + - @ tab or CR gets
 * a "'" in front. Addresses are left as they are so that an export imports back unchanged.
 */
function inert(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

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

/**
 * One row per subscriber given, with its consent record (how and when the address came in and was
 * confirmed), CRLF line ends (RFC 4180). `importSubscribersCsv` reads it back (it ignores the
 * extra columns).
 */
export function exportSubscribersCsv(subscribers: Iterable<Subscriber>): string {
  const lines: string[] = [EXPORT_COLUMNS.join(',')];
  for (const s of subscribers) {
    const c = s.consent;
    lines.push(
      [
        s.email,
        inert(s.name ?? ''),
        s.status,
        s.createdAt.toISOString(),
        s.unsubscribedAt?.toISOString() ?? '',
        c.source ?? '',
        inert(c.sourceUrl ?? ''),
        c.signupIp ?? '',
        inert(c.signupUserAgent ?? ''),
        c.confirmedAt?.toISOString() ?? '',
        c.confirmIp ?? '',
        inert(c.confirmUserAgent ?? ''),
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
