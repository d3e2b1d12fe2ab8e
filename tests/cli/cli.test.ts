import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { EXIT, main } from '../../src/cli.js';
import { Store } from '../../src/store/index.js';
import { startSmtpServer } from '../helpers/smtp.js';
import { testdir } from '../helpers/tmp.js';
import { captureOutput } from '../helpers/output.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** A temp copy of the sample blog: content, config, templates. */
function sampleBlog(extra: Record<string, string> = {}): string {
  const dir = testdir(extra);
  for (const folder of ['content', 'config', 'email-templates']) cpSync(path.join(ROOT, folder), path.join(dir, folder), { recursive: true });
  return dir;
}

/** `digest.transport: outbox` in the sample config: the outbox as the real transport. */
function outboxTransport(dir: string): void {
  const file = path.join(dir, 'config/feedletter.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace(/^digest:\n/m, 'digest:\n  transport: outbox\n'));
}

const io = captureOutput();

async function cli(dir: string, ...args: string[]): Promise<number> {
  return main(args, { cwd: dir, env: { FEEDLETTER_SECRET: 'a-cli-test-secret-of-32-bytes-or-more' } });
}

describe('feedletter CLI on the sample blog', () => {
  it('--help lists every exit code the CLI can return', async () => {
    expect(await main(['--help'], { cwd: testdir(), env: {} })).toBe(EXIT.ok);
    const help = io.stdout.join('');
    for (const code of [...Object.values(EXIT), 70]) expect(help, String(code)).toMatch(new RegExp(`(?:Exit codes: |; |\\n)${code} `));
  });

  it('build writes the three site feeds and per-tag/category feeds; a second build rewrites nothing', async () => {
    const dir = sampleBlog();
    expect(await cli(dir, 'build')).toBe(EXIT.ok);
    for (const file of ['feed.xml', 'atom.xml', 'feed.json']) expect(existsSync(path.join(dir, 'public', file)), file).toBe(true);
    const json = JSON.parse(readFileSync(path.join(dir, 'public/feed.json'), 'utf8')) as { items: { title: string; url: string; content_html: string }[] };
    expect(json.items.map((i) => i.title)).toEqual(['AWSのInferentia3の可能性とは？', 'Inflection AIとAMDの提タッグの']);
    expect(json.items[0]?.url).toMatch(/^https:\/\/allforces\.example\.jp\//);
    // cut at ---END---: the repeated closing text is not in the feed twice
    const body = json.items[1]?.content_html ?? '';
    expect(body.split('退屈な時代は終わった').length - 1).toBe(1);
    expect(readdirSync(path.join(dir, 'public/tags')).length).toBeGreaterThanOrEqual(6);
    expect(readdirSync(path.join(dir, 'public/categories')).length).toBe(1);
    // the U+FFFD warning is printed, naming the file and field
    expect(io.stderr.join('')).toMatch(/2026-01-11-inflection-ai-amd\.md.*title/);

    io.stdout.length = 0;
    io.stderr.length = 0;
    expect(await cli(dir, 'build')).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/ 0 files written/);
    // nothing changed, nothing was read: the warning is printed all the same
    expect(io.stderr.join('')).toMatch(/2026-01-11-inflection-ai-amd\.md.*title/);
  });

  it('one bad post: build writes the good ones, names the file and field, exits 1; check writes nothing', async () => {
    const dir = sampleBlog({ 'content/_posts/2026-01-12-bad.md': '---\ntitle: Bad\ndate: 2026-02-30\n---\nbody\n' });
    expect(await cli(dir, 'check')).toBe(EXIT.partial);
    expect(existsSync(path.join(dir, 'public'))).toBe(false);
    expect(existsSync(path.join(dir, '.feedletter'))).toBe(false);
    expect(io.stderr.join('')).toMatch(/content\/_posts\/2026-01-12-bad\.md(:\d+)?: .*date/);

    io.stderr.length = 0;
    expect(await cli(dir, 'build')).toBe(EXIT.partial);
    expect(io.stderr.join('')).toMatch(/2026-01-12-bad\.md.*date/);
    const json = JSON.parse(readFileSync(path.join(dir, 'public/feed.json'), 'utf8')) as { items: unknown[] };
    expect(json.items).toHaveLength(2);
    // and again on an unchanged blog
    io.stderr.length = 0;
    expect(await cli(dir, 'build')).toBe(EXIT.partial);
    expect(io.stderr.join('')).toMatch(/2026-01-12-bad\.md.*date/);
  });

  it('a config mistake exits 78 and prints every problem with its line', async () => {
    const dir = sampleBlog();
    writeFileSync(path.join(dir, 'config/feedletter.yaml'), 'site:\n  url: not a url\nfeeds:\n  limt: 3\n');
    expect(await cli(dir, 'build')).toBe(EXIT.config);
    const text = io.stderr.join('');
    expect(text).toMatch(/config\/feedletter\.yaml:2: site\.url: /);
    expect(text).toMatch(/config\/feedletter\.yaml:4: feeds\.limt: unknown key/);
  });

  it('a FEEDLETTER_SECRET under 32 bytes exits 78 naming the variable, before anything is written; the value is never printed', async () => {
    const dir = sampleBlog();
    for (const command of [['build'], ['digest'], ['daemon']]) {
      io.stdout.length = 0;
      io.stderr.length = 0;
      expect(await main(command, { cwd: dir, env: { FEEDLETTER_SECRET: 'short-secret-42' } }), command[0]).toBe(EXIT.config);
      const text = io.stdout.join('') + io.stderr.join('');
      expect(text).toMatch(/FEEDLETTER_SECRET is shorter than 32 bytes/);
      expect(text).not.toContain('short-secret-42');
    }
    expect(existsSync(path.join(dir, 'public'))).toBe(false);
    expect(existsSync(path.join(dir, '.feedletter'))).toBe(false);
  });

  it('without SMTP_URL a real run is a preview: every message rendered into the outbox, nothing recorded, said so', async () => {
    const dir = sampleBlog();
    expect(await cli(dir, 'subscribers', 'add', 'reader@example.com', '--name', '読者')).toBe(EXIT.ok);
    expect(await cli(dir, 'subscribers', 'add', 'reader@example.com')).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/already a subscriber/);
    for (let run = 1; run <= 2; run++) {
      io.stdout.length = 0;
      io.stderr.length = 0;
      expect(await cli(dir, 'run')).toBe(EXIT.ok);
      expect(io.stdout.join('')).toMatch(/digest \(preview\): 2 posts, 1 message written to outbox\/ .*nothing sent, state unchanged/);
      expect(io.stderr.join('')).toMatch(/SMTP_URL is not set, so this was only a preview/);
    }
    // Blank (a cron line or env file that lost it) is the same as unset.
    io.stdout.length = 0;
    expect(await main(['digest'], { cwd: dir, env: { FEEDLETTER_SECRET: 'a-cli-test-secret-of-32-bytes-or-more', SMTP_URL: '  ' } })).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/digest \(preview\)/);
    const outbox = path.join(dir, 'outbox');
    expect(statSync(outbox).mode & 0o777).toBe(0o700);
    for (const file of readdirSync(outbox)) expect(statSync(path.join(outbox, file)).mode & 0o777, file).toBe(0o600);
    // One message per preview (their Message-IDs differ: each preview is a digest of its own moment).
    const emls = readdirSync(outbox).filter((f) => f.endsWith('.eml'));
    expect(emls.length).toBeGreaterThanOrEqual(1);
    expect(emls.every((f) => f.startsWith('reader@example.com--'))).toBe(true);
    const mail = await simpleParser(readFileSync(path.join(outbox, emls[0]!)));
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toMatch(/reader@example\.com/);
    expect(mail.subject).toMatch(/ALLFORCES/);
    expect(mail.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    // No digest was recorded: the posts are still to send.
    const store = Store.open(path.join(dir, '.feedletter'));
    try {
      expect(store.latestDigest()).toBeUndefined();
      expect(store.getWatermark()).toBeUndefined();
    } finally {
      store.close();
    }
  });

  it('digest.transport: outbox makes the outbox the real transport: recorded as sent, a second run finds nothing new', async () => {
    const dir = sampleBlog();
    outboxTransport(dir);
    expect(await cli(dir, 'subscribers', 'add', 'reader@example.com')).toBe(EXIT.ok);
    expect(await cli(dir, 'run')).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/digest #1: 2 posts, 1 sent, 0 failed \(into outbox\/, the transport chosen by digest.transport: outbox\)/);
    const outbox = path.join(dir, 'outbox');
    expect(readdirSync(outbox).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
    expect(statSync(outbox).mode & 0o777).toBe(0o700);
    io.stdout.length = 0;
    expect(await cli(dir, 'run')).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/no new posts/);
    expect(readdirSync(outbox).filter((f) => f.endsWith('.eml'))).toHaveLength(1);
  });

  it('--dry-run and --to change no state', async () => {
    const dir = sampleBlog();
    outboxTransport(dir);
    await cli(dir, 'subscribers', 'add', 'a@example.com');
    expect(await cli(dir, 'digest', '--dry-run')).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/dry-run\): 2 posts, 1 message/);
    io.stdout.length = 0;
    expect(await cli(dir, 'digest', '--to', 'me@example.com')).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/test\): 2 posts, 1 message/);
    const test = readdirSync(path.join(dir, 'outbox'), { recursive: true }).map(String).filter((f) => f.endsWith('.eml'));
    const subjects = await Promise.all(test.map(async (f) => (await simpleParser(readFileSync(path.join(dir, 'outbox', f)))).subject ?? ''));
    expect(subjects.some((s) => s.startsWith('[TEST] '))).toBe(true);
    // the real digest still has both posts to send
    io.stdout.length = 0;
    expect(await cli(dir, 'digest')).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/digest #1: 2 posts, 1 sent/);
    // afterwards a preview needs --since, and then shows the posts already sent; a real send does not repeat them
    io.stdout.length = 0;
    expect(await cli(dir, 'digest', '--dry-run')).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/no new posts/);
    io.stdout.length = 0;
    expect(await cli(dir, 'digest', '--dry-run', '--since', '2026-01-01')).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/dry-run\): 2 posts, 1 message/);
    io.stdout.length = 0;
    expect(await cli(dir, 'digest', '--since', '2026-01-01')).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/no new posts/);
  });

  it('subscribers: remove, list, import with a bad row, export', async () => {
    const dir = sampleBlog({ 'list.csv': 'email,name\nx@example.com,X\nnot-an-address,Y\n"q@example.com","Q, Jr."\n' });
    expect(await cli(dir, 'subscribers', 'import', 'list.csv')).toBe(EXIT.partial);
    expect(io.stdout.join('')).toMatch(/2 added, 0 already there, 1 rows with errors/);
    expect(io.stderr.join('')).toMatch(/list\.csv:3: /);
    expect(await cli(dir, 'subscribers', 'remove', 'x@example.com')).toBe(EXIT.ok);
    io.stdout.length = 0;
    expect(await cli(dir, 'subscribers', 'list', '--status', 'active')).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/q@example\.com\tQ, Jr\.\tactive/);
    expect(io.stdout.join('')).not.toMatch(/x@example\.com/);
    io.stdout.length = 0;
    expect(await cli(dir, 'subscribers', 'export')).toBe(EXIT.ok);
    expect(io.stdout.join('')).toMatch(/^email,name/);
    expect(io.stdout.join('')).toMatch(/"Q, Jr\."/);
    expect(await cli(dir, 'subscribers', 'add', 'nope')).toBe(EXIT.input);
  });

  it('subscribers add --confirm mails a confirmation (no name echoed), lists pending, prune forgets it; export carries consent', async () => {
    const smtp = await startSmtpServer();
    try {
      const dir = sampleBlog();
      const run = (...args: string[]): Promise<number> => main(args, { cwd: dir, env: { FEEDLETTER_SECRET: 'a-cli-test-secret-of-32-bytes-or-more', SMTP_URL: smtp.url } });
      expect(await run('subscribers', 'add', 'new@example.com', '--confirm', '--name', 'Cheap pills at spam.example')).toBe(EXIT.ok);
      expect(io.stdout.join('')).toMatch(/confirmation sent to new@example\.com/);
      const [mail] = await smtp.parsed();
      expect(mail?.to).toMatchObject({ value: [{ address: 'new@example.com' }] });
      expect(mail?.text).toMatch(/\/newsletter\/confirm\?token=[A-Za-z0-9_.-]+/);
      expect(`${mail?.subject} ${mail?.text} ${String(mail?.html)}`).not.toMatch(/pills|spam\.example/);
      // within resendAfter: nothing more is sent
      io.stdout.length = 0;
      expect(await run('subscribers', 'add', 'new@example.com', '--confirm')).toBe(EXIT.ok);
      expect(io.stdout.join('')).toMatch(/nothing sent/);
      expect(smtp.messages).toHaveLength(1);
      io.stdout.length = 0;
      expect(await run('subscribers', 'list', '--status', 'pending')).toBe(EXIT.ok);
      expect(io.stdout.join('')).toMatch(/^new@example\.com\t/m);
      io.stdout.length = 0;
      expect(await run('subscribers', 'export')).toBe(EXIT.ok);
      expect(io.stdout.join('')).toMatch(/^email,name,status,created_at,unsubscribed_at,source,source_url,signup_ip,signup_user_agent,confirmed_at,confirm_ip,confirm_user_agent\r$/m);
      expect(io.stdout.join('')).toMatch(/^new@example\.com,Cheap pills at spam\.example,pending,[^,]+,,cli,/m);
      // prune: nothing is older than pendingTtl yet
      io.stdout.length = 0;
      expect(await run('subscribers', 'prune')).toBe(EXIT.ok);
      expect(io.stdout.join('')).toMatch(/0 unconfirmed addresses deleted/);
      writeFileSync(path.join(dir, 'config/feedletter.yaml'), `${readFileSync(path.join(dir, 'config/feedletter.yaml'), 'utf8')}\nsubscribe:\n  pendingTtl: 0s\n`);
      io.stdout.length = 0;
      expect(await run('subscribers', 'prune')).toBe(EXIT.ok);
      expect(io.stdout.join('')).toMatch(/1 unconfirmed addresses deleted/);
      io.stdout.length = 0;
      await run('subscribers', 'list', '--status', 'pending');
      expect(io.stdout.join('')).toBe('');
      // a plain add of an address is active at once, marked as added by the owner
      expect(await run('subscribers', 'add', 'owner-added@example.com')).toBe(EXIT.ok);
      io.stdout.length = 0;
      await run('subscribers', 'export');
      expect(io.stdout.join('')).toMatch(/^owner-added@example\.com,,active,[^,]+,,cli,/m);
    } finally {
      await smtp.close();
    }
  });

  it('subscribers add --confirm with the SMTP server down exits 69 and can be run again at once', async () => {
    const dir = sampleBlog();
    const smtp = await startSmtpServer();
    const port = smtp.port;
    await smtp.close();
    const run = (url: string, ...args: string[]): Promise<number> => main(args, { cwd: dir, env: { FEEDLETTER_SECRET: 'a-cli-test-secret-of-32-bytes-or-more', SMTP_URL: url } });
    expect(await run(`smtp://127.0.0.1:${port}`, 'subscribers', 'add', 'later@example.com', '--confirm')).toBe(EXIT.unavailable);
    expect(io.stderr.join('')).toMatch(/confirmation email to later@example\.com was not sent/);
    const again = await startSmtpServer();
    try {
      io.stdout.length = 0;
      expect(await run(again.url, 'subscribers', 'add', 'later@example.com', '--confirm')).toBe(EXIT.ok);
      expect(io.stdout.join('')).toMatch(/confirmation sent to later@example\.com/);
      expect(again.messages).toHaveLength(1);
    } finally {
      await again.close();
    }
  });

  it('unsubscribe TOKEN honours a token from a digest link and refuses a forged one', async () => {
    const dir = sampleBlog();
    await cli(dir, 'subscribers', 'add', 'u@example.com');
    await cli(dir, 'digest');
    const eml = readdirSync(path.join(dir, 'outbox'), { recursive: true }).map(String).find((f) => f.endsWith('.eml'))!;
    const mail = await simpleParser(readFileSync(path.join(dir, 'outbox', eml)));
    const header = mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '';
    const token = /token=([^>&\s]+)/.exec(header)?.[1];
    expect(token).toBeTruthy();
    expect(await cli(dir, 'unsubscribe', decodeURIComponent(token!) + 'x')).toBe(EXIT.input);
    expect(await cli(dir, 'unsubscribe', decodeURIComponent(token!))).toBe(EXIT.ok);
    io.stdout.length = 0;
    await cli(dir, 'subscribers', 'list', '--status', 'unsubscribed');
    expect(io.stdout.join('')).toMatch(/u@example\.com/);
  });

  it('daemon --print-schedule lists the next runs in the schedule time zone; a bad schedule is refused', async () => {
    const dir = sampleBlog();
    expect(await cli(dir, 'daemon', '--print-schedule')).toBe(EXIT.ok);
    const text = io.stdout.join('');
    expect(text).toMatch(/^feeds: "\*\/15 \* \* \* \*" \(Asia\/Tokyo\)$/m);
    expect(text).toMatch(/^digest: "0 8 \* \* \*" \(Asia\/Tokyo\)$/m);
    // 08:00 in Tokyo is 23:00 UTC the day before
    const digestRuns = text.split('digest:')[1]!.match(/\d{4}-\d{2}-\d{2} 08:00:00 {2}\(\d{4}-\d{2}-\d{2}T23:00:00\.000Z\)/g);
    expect(digestRuns).toHaveLength(5);

    writeFileSync(path.join(dir, 'config/feedletter.yaml'), readFileSync(path.join(dir, 'config/feedletter.yaml'), 'utf8').replace('schedule: "0 8 * * *"', 'schedule: "0 25 * * *"'));
    expect(await cli(dir, 'daemon', '--print-schedule')).toBe(EXIT.config);
    expect(io.stderr.join('')).toMatch(/digest\.schedule: "0 25 \* \* \*" is not a valid cron expression/);
  });

  it('--help on every command; an unknown command is a usage error', async () => {
    const dir = sampleBlog();
    for (const command of [[], ['build'], ['check'], ['digest'], ['run'], ['daemon'], ['subscribers'], ['subscribers', 'add'], ['unsubscribe']]) {
      io.stdout.length = 0;
      expect(await cli(dir, ...command, '--help'), command.join(' ')).toBe(EXIT.ok);
      expect(io.stdout.join(''), command.join(' ')).toMatch(/Usage: feedletter/);
    }
    expect(await cli(dir, 'frobnicate')).toBe(EXIT.usage);
  });
});
