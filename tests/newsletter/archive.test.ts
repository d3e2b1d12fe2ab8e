import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAtomFeed } from 'feedsmith';
import { simpleParser } from 'mailparser';
import { describe, expect, test } from 'vitest';
import { digest } from '../../src/commands/digest.js';
import { loadConfig } from '../../src/config/load.js';
import { digestPage } from '../../src/newsletter/page.js';
import { Store } from '../../src/store/index.js';
import { atomSchemaErrors } from '../feeds/helpers.js';
import { testdir } from '../helpers/tmp.js';

const SITE = 'https://blog.example.com/';

function blog(extra = ''): string {
  return testdir({
    // The outbox as the real transport: every message written there is recorded as sent.
    'config/feedletter.yaml': `site:\n  title: Archive test\n  url: ${SITE}\n  language: en\ndigest:\n  firstRunLookback: all\n  transport: outbox\n${extra}`,
    'content/_posts/2026-01-01-first.md': '---\ntitle: First <b>post</b>\n---\n\nFirst body.\n',
  });
}

async function send(dir: string, now: string) {
  const { resolved } = loadConfig({ cwd: dir, env: {} });
  return { resolved, outcome: await digest({ resolved, now: new Date(now) }) };
}

function subscribe(dir: string, ...emails: string[]): void {
  const store = Store.open(path.join(dir, '.feedletter'));
  try {
    for (const email of emails) store.addSubscriber(email, email.startsWith('taro') ? 'Taro Secret' : null, new Date('2026-01-01T00:00:00Z'));
  } finally {
    store.close();
  }
}

/** The outbox's messages, parsed. */
async function messages(dir: string) {
  const outbox = path.join(dir, 'outbox');
  const files = readdirSync(outbox).filter((f) => f.endsWith('.eml')).sort();
  return Promise.all(files.map(async (f) => simpleParser(readFileSync(path.join(outbox, f)))));
}

describe('the newsletter archive on the site', () => {
  test('each sent digest gets a page without personal parts; the email links to it; index and feed list every digest', async () => {
    const dir = blog();
    subscribe(dir, 'taro@example.com', 'hanako@example.com');
    const first = await send(dir, '2026-01-02T00:00:00Z');
    expect(first.outcome.kind).toBe('sent');
    expect(first.outcome.problems).toEqual([]);

    const page = readFileSync(path.join(dir, 'public/newsletter/1/index.html'), 'utf8');
    expect(page.startsWith('<!doctype html>\n')).toBe(true);
    expect(page).toContain('First post');
    expect(page).toContain(`${SITE}2026/01/01/first.html`);
    // Nothing personal, nothing about unsubscribing, no link to itself.
    for (const personal of ['taro@example.com', 'hanako@example.com', 'Taro Secret', 'unsubscribe', 'Unsubscribe', '%%feedletter', 'View this email in your browser', 'fl-email-only']) expect(page).not.toContain(personal);

    // Each email carries the link to that page, in HTML and in text.
    const mails = await messages(dir);
    expect(mails).toHaveLength(2);
    for (const mail of mails) {
      expect(mail.html).toContain(`href="${SITE}newsletter/1/"`);
      expect(mail.html).toContain('View this email in your browser');
      expect(mail.text).toContain(`View this email in your browser: ${SITE}newsletter/1/`);
    }

    // A second digest: its own page, both in the index and the feed, page 1 untouched.
    const before = statSync(path.join(dir, 'public/newsletter/1/index.html')).mtimeMs;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(dir, 'content/_posts/2026-01-05-second.md'), '---\ntitle: Second\n---\n\nSecond body.\n');
    const second = await send(dir, '2026-01-06T00:00:00Z');
    expect(second.outcome.kind).toBe('sent');
    expect(readFileSync(path.join(dir, 'public/newsletter/2/index.html'), 'utf8')).toContain('Second');
    expect(statSync(path.join(dir, 'public/newsletter/1/index.html')).mtimeMs).toBe(before);

    const index = readFileSync(path.join(dir, 'public/newsletter/index.html'), 'utf8');
    expect(index.indexOf(`${SITE}newsletter/2/`)).toBeGreaterThan(-1);
    expect(index.indexOf(`${SITE}newsletter/2/`)).toBeLessThan(index.indexOf(`${SITE}newsletter/1/`));
    const atomXml = readFileSync(path.join(dir, 'public/newsletter/atom.xml'), 'utf8');
    expect(await atomSchemaErrors(atomXml)).toEqual([]);
    const feed = parseAtomFeed(atomXml);
    expect(feed.entries?.map((e) => e.links?.[0]?.href)).toEqual([`${SITE}newsletter/2/`, `${SITE}newsletter/1/`]);
    expect(feed.entries?.[1]?.title?.value).toMatch(/First post/);
    expect(feed.updated).toBe('2026-01-06T00:00:00Z');

    // A page lost from the output folder comes back with the next digest.
    const { rmSync } = await import('node:fs');
    rmSync(path.join(dir, 'public/newsletter/1'), { recursive: true });
    writeFileSync(path.join(dir, 'content/_posts/2026-01-07-third.md'), '---\ntitle: Third\n---\n\nThird body.\n');
    await send(dir, '2026-01-08T00:00:00Z');
    expect(readFileSync(path.join(dir, 'public/newsletter/1/index.html'), 'utf8')).toBe(page);
    expect(readFileSync(path.join(dir, 'public/newsletter/3/index.html'), 'utf8')).toContain('Third');
  });

  test('a dry run publishes nothing and links nowhere; archive: false turns it all off', async () => {
    const dir = blog();
    subscribe(dir, 'a@example.com');
    const { resolved } = loadConfig({ cwd: dir, env: {} });
    await digest({ resolved, now: new Date('2026-01-02T00:00:00Z'), dryRun: true });
    const { existsSync } = await import('node:fs');
    expect(existsSync(path.join(dir, 'public/newsletter'))).toBe(false);
    expect((await messages(dir))[0]?.html).not.toContain('View this email in your browser');

    const off = blog('  archive: false\n');
    subscribe(off, 'a@example.com');
    await send(off, '2026-01-02T00:00:00Z');
    expect(existsSync(path.join(off, 'public/newsletter'))).toBe(false);
    expect((await messages(off))[0]?.html).not.toContain('View this email in your browser');
  });

  test('digestPage leaves out every fl-email-only element, nested content included, and fills markers for nobody', () => {
    const { config } = loadConfig({ cwd: blog(), env: {} }).resolved;
    const html = '<!doctype html><html><head><title>t</title><style>a{}</style></head><body><!--[if mso]><p>mso</p><![endif]--><div class="x fl-email-only"><p>Sent to %%feedletter:email%% <a href="%%feedletter:unsubscribe_url%%">u</a></p></div><p>%%feedletter:greeting:en%%</p><p>Body</p></body></html>';
    const page = digestPage(config, html);
    expect(page).toBe('<!doctype html>\n<html><head><title>t</title><style>a{}</style></head><body><p>Hi,</p><p>Body</p></body></html>');
  });
});
