import { describe, expect, it } from 'vitest';
import { exportSubscribersCsv, importSubscribersCsv, normaliseEmail, type Subscriber } from '../../src/store/index.js';

describe('normaliseEmail', () => {
  it('accepts ordinary addresses and lower-cases only the domain', () => {
    expect(normaliseEmail('  John.Doe+news@Example.COM ')).toBe('John.Doe+news@example.com');
    expect(normaliseEmail('root@localhost')).toBe('root@localhost');
    expect(normaliseEmail('山田@例え.jp')).toBe('山田@例え.jp');
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
  it('reads a header, BOM, CRLF, quoted fields with commas, quotes and line breaks', () => {
    const text = '\uFEFFName,E-Mail,plan\r\n"Doe, John",john@example.org,free\r\n"Say ""hi""",hi@example.org,x\r\n"Two\r\nlines",two@example.org,y\r\n\r\n,bare@example.org,z';
    const { rows, problems } = importSubscribersCsv(text);
    expect(problems).toEqual([]);
    expect(rows).toEqual([
      { email: 'john@example.org', name: 'Doe, John' },
      { email: 'hi@example.org', name: 'Say "hi"' },
      { email: 'two@example.org', name: 'Two\r\nlines' },
      { email: 'bare@example.org', name: null },
    ]);
  });

  it('reports bad rows with their line and skips them, keeps the good ones', () => {
    const text = 'email,name\nok@example.org,Ok\nbroken,Bad\n,Empty\n"multi\nline@example.org",X\nOK@example.org,Dup\nlast@example.org,Last\n';
    const { rows, problems } = importSubscribersCsv(text, 'list.csv');
    expect(rows.map((r) => r.email)).toEqual(['ok@example.org', 'last@example.org']);
    expect(problems.map((p) => [p.file, p.line, p.severity])).toEqual([
      ['list.csv', 3, 'error'],
      ['list.csv', 4, 'error'],
      ['list.csv', 5, 'error'],
      ['list.csv', 7, 'warning'],
    ]);
    expect(problems[0]?.message).toContain('"broken"');
  });

  it('needs an email column', () => {
    expect(importSubscribersCsv('name,address\nA,a@example.org\n').problems).toMatchObject([{ line: 1, severity: 'error', message: expect.stringContaining('"email"') }]);
    expect(importSubscribersCsv('').problems).toMatchObject([{ severity: 'error' }]);
  });

  it('reports an unterminated quote', () => {
    const { rows, problems } = importSubscribersCsv('email\na@example.org\n"b@example.org\n');
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
  it('writes RFC 4180 CSV that imports back to the same addresses and names', () => {
    const subscribers: Subscriber[] = [
      subscriber({ id: 1, email: 'a@example.org', name: 'Doe, "J"', createdAt: new Date('2026-01-01T00:00:00Z') }),
      subscriber({ id: 2, email: 'b@example.org', status: 'unsubscribed', createdAt: new Date('2026-01-02T00:00:00Z'), unsubscribedAt: new Date('2026-02-01T00:00:00Z') }),
      subscriber({ id: 3, email: 'c@example.org', name: '山田 太郎', createdAt: new Date('2026-01-03T00:00:00Z') }),
    ];
    const csv = exportSubscribersCsv(subscribers);
    expect(csv.split('\r\n')[0]).toBe('email,name,status,created_at,unsubscribed_at,source,source_url,signup_ip,signup_user_agent,confirmed_at,confirm_ip,confirm_user_agent');
    expect(csv).toContain('a@example.org,"Doe, ""J""",active,2026-01-01T00:00:00.000Z,,,,,,,,\r\n');
    expect(csv).toContain('b@example.org,,unsubscribed,2026-01-02T00:00:00.000Z,2026-02-01T00:00:00.000Z,,,,,,,\r\n');
    const back = importSubscribersCsv(csv);
    expect(back.problems).toEqual([]);
    expect(back.rows).toEqual(subscribers.map((s) => ({ email: s.email, name: s.name })));
  });

  it('carries the consent record, and free text from the form cannot become a spreadsheet formula', () => {
    const csv = exportSubscribersCsv([
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
    ]);
    const row = csv.split('\r\n')[1];
    expect(row).toBe(
      `form@example.org,"'=HYPERLINK(""http://evil.example/"",""click"")",active,2026-01-01T00:00:00.000Z,,form,https://blog.example.com/about/,203.0.113.9,"'+Mozilla/5.0, ""quoted""",2026-01-01T01:00:00.000Z,2001:db8::1,'@agent`,
    );
  });
});
