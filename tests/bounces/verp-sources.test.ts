import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readMessages, splitMbox } from '../../src/bounces/sources.js';
import { signVerpToken, verifyVerpToken, verpAddress, verpLocalPart } from '../../src/bounces/verp.js';
import { digest } from '../../src/commands/digest.js';
import { loadConfig } from '../../src/config/load.js';
import { Store } from '../../src/store/index.js';
import { runCli } from '../helpers/cli.js';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp.js';
import { testdir } from '../helpers/tmp.js';

const SECRET = 'a-test-secret-of-thirty-two-bytes-or-more';

describe('VERP tokens', () => {
  it('round-trip, fit in a local part, survive lower-casing', () => {
    const token = signVerpToken(SECRET, 123_456, 9_876_543);
    expect(verifyVerpToken(SECRET, token)).toEqual({ digestId: 123_456, subscriberId: 9_876_543 });
    expect(verifyVerpToken(SECRET, token.toUpperCase())).toEqual({ digestId: 123_456, subscriberId: 9_876_543 });
    expect(`bounces+${token}`.length).toBeLessThanOrEqual(64);
    expect(verpAddress('bounces@example.com', token)).toBe(`bounces+${token}@example.com`);
    expect(verpLocalPart('bounces@example.com')).toBe('bounces');
  });

  it('refuses another secret, a changed id, a changed MAC, leading zeros and junk', () => {
    const token = signVerpToken(SECRET, 5, 7);
    const [d, s, mac] = token.split('.') as [string, string, string];
    expect(verifyVerpToken('another-secret-of-thirty-two-bytes-xx', token)).toBeUndefined();
    expect(verifyVerpToken(SECRET, `${d}.8.${mac}`)).toBeUndefined();
    expect(verifyVerpToken(SECRET, `${d}.${s}.${mac.replace(/.$/, (c) => (c === '0' ? '1' : '0'))}`)).toBeUndefined();
    expect(verifyVerpToken(SECRET, `0${d}.${s}.${mac}`)).toBeUndefined();
    for (const junk of ['', '...', 'x.y.z', `${token}.extra`, 'a'.repeat(300)]) expect(verifyVerpToken(SECRET, junk)).toBeUndefined();
  });
});

describe('reading mbox files and Maildir folders', () => {
  it('splits an mbox on From lines and unquotes >From (mboxrd)', () => {
    const box = 'From a@x Mon Mar  2 08:00:00 2026\nSubject: one\n\n>From the start\n\nFrom b@x Mon Mar  2 08:01:00 2026\nSubject: two\n\nbody\n';
    const messages = splitMbox(Buffer.from(box)).map((b) => b.toString());
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain('Subject: one\n\nFrom the start');
    expect(messages[1]).toContain('Subject: two');
  });

  it('refuses a folder that is not a Maildir, and reports a file over the size limit without reading it', async () => {
    const dir = testdir({ 'plain/a.eml': 'Subject: x\n\ny\n', 'big.eml': 'x'.repeat(5000) });
    await expect(async () => {
      for await (const _ of readMessages([path.join(dir, 'plain')], { maxBytes: 1000 })) void _;
    }).rejects.toThrow(/not a Maildir/);
    const got = [];
    for await (const m of readMessages([path.join(dir, 'big.eml')], { maxBytes: 1000 })) got.push(m);
    expect(got).toEqual([{ origin: path.join(dir, 'big.eml'), skipped: expect.stringMatching(/too large/) }]);
  });
});

let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

describe('the envelope without bounces.address', () => {
  it('stays the From address: nothing changes unless VERP is configured', async () => {
    smtp = await startSmtpServer();
    const dir = testdir({
      'config/feedletter.yaml': 'site:\n  title: Blog\n  url: https://blog.example.com/\n',
      'content/_posts/2026-02-27-one.md': '---\ntitle: One\n---\n\nbody\n',
    });
    const { resolved } = loadConfig({ cwd: dir, env: { FEEDLETTER_SECRET: SECRET, SMTP_URL: smtp.url } });
    const store = Store.open(resolved.paths.state);
    store.addSubscriber('reader@example.org', null, new Date('2026-03-01T00:00:00Z'));
    store.close();
    await digest({ resolved, now: new Date('2026-03-01T08:00:00Z') });
    expect(smtp.messages.map((m) => m.envelope)).toEqual([expect.objectContaining({ from: 'newsletter@blog.example.com', to: ['reader@example.org'] })]);
  });
});

describe('CLI: bounces import, bounces list, subscribers reactivate', () => {
  it('imports a report, lists it, and reactivates only what bounced; bad paths and dates are errors with their exit codes', async () => {
    const dir = testdir({ 'config/feedletter.yaml': 'site:\n  title: Blog\n  url: https://blog.example.com/\n', 'content/_posts/.keep': '' });
    const env = { FEEDLETTER_SECRET: SECRET };
    const fixture = path.resolve(import.meta.dirname, 'fixtures/postfix-user-unknown.eml');
    const imported = await runCli(dir, ['bounces', 'import', fixture], { env });
    expect(imported.code).toBe(0);
    expect(imported.stdout).toMatch(/1 messages: 1 hard, .* 1 unmatched/);
    const listed = await runCli(dir, ['bounces', 'list', '--since', '7d'], { env });
    expect(listed.stdout).toMatch(/\thard\t5\.1\.1\tgone@example\.org \(unmatched\)\tnone\tfile\t550 5\.1\.1/);
    expect((await runCli(dir, ['bounces', 'list', '--since', 'soon'], { env })).code).toBe(64);
    expect((await runCli(dir, ['bounces', 'import', path.join(dir, 'missing.eml')], { env })).code).not.toBe(0);
    writeFileSync(path.join(dir, 'config', 'x.eml'), 'Subject: x\n\ny\n');
    const notMaildir = await runCli(dir, ['bounces', 'import', path.join(dir, 'config')], { env });
    expect(notMaildir).toMatchObject({ code: 65, stderr: expect.stringMatching(/not a Maildir/) });
    expect((await runCli(dir, ['subscribers', 'reactivate', 'nobody@example.org'], { env })).code).toBe(65);
    await runCli(dir, ['subscribers', 'add', 'a@example.org'], { env });
    const notBounced = await runCli(dir, ['subscribers', 'reactivate', 'a@example.org'], { env });
    expect(notBounced).toMatchObject({ code: 0, stdout: expect.stringMatching(/is active; only bounced or complained/) });
    const help = await runCli(dir, ['bounces', 'import', '--help'], { env });
    expect(help.stdout).toMatch(/mbox files and Maildir folders/);
  }, 120_000);
});
