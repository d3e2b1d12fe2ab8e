import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { simpleParser, type AddressObject } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { digest } from '../../src/commands/digest.js';
import { loadConfig } from '../../src/config/load.js';
import { DB_FILE, Store } from '../../src/store/index.js';
import { testdir } from '../helpers/tmp.js';

const NOW = new Date('2026-03-01T00:00:00Z');

describe('digest: names stored before they were cleaned', () => {
  it('a CR/LF name or a 200 KB one never reaches a header: cleaned, or left out', async () => {
    const dir = testdir({
      'config/feedletter.yaml': 'site:\n  title: Names\n  url: https://blog.example.com/\ndigest:\n  transport: outbox\n',
      'content/_posts/2026-02-27-one.md': '---\ntitle: One\n---\n\nbody\n',
    });
    const { resolved } = loadConfig({ cwd: dir, env: { FEEDLETTER_SECRET: 'a-test-secret-of-thirty-two-bytes-or-more' } });
    Store.open(resolved.paths.state).close();
    // Written as an earlier feedletter let them in.
    const raw = new Database(path.join(resolved.paths.state, DB_FILE));
    const insert = raw.prepare("INSERT INTO subscribers (email, name, status, created_at) VALUES (?, ?, 'active', ?)");
    insert.run('eve@example.org', 'Eve\r\nBcc: all@example.org', NOW.toISOString());
    insert.run('big@example.org', 'B'.repeat(200_000), NOW.toISOString());
    raw.close();

    const outcome = await digest({ resolved, now: NOW });
    expect(outcome).toMatchObject({ kind: 'sent', report: { sent: 2, complete: true } });
    const files = readdirSync(resolved.paths.outbox).filter((f) => f.endsWith('.eml'));
    const byAddress = new Map<string, { name: string; raw: string }>();
    for (const file of files) {
      const text = readFileSync(path.join(resolved.paths.outbox, file), 'latin1');
      const parsed = await simpleParser(text);
      const to = (parsed.to as AddressObject).value[0]!;
      byAddress.set(to.address ?? '', { name: to.name, raw: text });
      expect(text.split('\r\n').every((line) => line.length <= 998)).toBe(true);
      expect(parsed.bcc).toBeUndefined();
    }
    expect(byAddress.get('eve@example.org')?.name).toBe('Eve Bcc: all@example.org');
    expect(byAddress.get('big@example.org')?.name).toBe('');
    expect(byAddress.get('big@example.org')?.raw.length).toBeLessThan(100_000);
  });
});
