/**
 * A reader signs up in a real browser: Debian's Chromium driven by playwright-core, against a
 * real `feedletter daemon` child process, a real SMTP server on loopback. The page is filled in,
 * the ALTCHA widget solves its proof of work, the confirmation email arrives and is parsed with
 * mailparser, the browser opens its link and sees the confirmed page, and the next digest reaches
 * that address. Screenshots of the three pages at 390 px and 1200 px go to
 * FEEDLETTER_SCREENSHOTS when set (to be looked at), else into the test's temp folder.
 *
 * Skipped, saying so, where /usr/bin/chromium is absent (.ci/run installs it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleParser } from 'mailparser';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { startSmtpServer } from '../helpers/smtp.js';
import { testdir } from '../helpers/tmp.js';
import { freePort, waitFor } from '../helpers/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'src/cli.ts');
const TSX = pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function startDaemon(dir: string, smtpUrl: string): { child: ChildProcess; exited: Promise<number | null>; output: string[] } {
  const child = spawn(process.execPath, ['--import', TSX, CLI, 'daemon'], {
    cwd: dir,
    env: { ...process.env, SMTP_URL: smtpUrl, FEEDLETTER_SECRET: 'browser-test-secret-0123456789abcdef', FEEDLETTER_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return { child, exited, output };
}

async function shoot(page: Page, dir: string, name: string): Promise<void> {
  for (const width of [390, 1200]) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
    await page.screenshot({ path: path.join(dir, `${name}-${width}.png`), fullPage: true });
  }
}

describe.skipIf(!HAVE_CHROMIUM)(`signup in a real browser${HAVE_CHROMIUM ? '' : ` (skipped: ${CHROMIUM} is absent; .ci/run installs Debian's chromium)`}`, () => {
  it('fill in, proof of work, confirmation email, one click, confirmed; the next digest arrives', async () => {
    const smtp = await startSmtpServer();
    cleanup.push(() => smtp.close());
    const dir = testdir({});
    mkdirSync(path.join(dir, 'content/_posts'), { recursive: true });
    cpSync(path.join(ROOT, 'email-templates'), path.join(dir, 'email-templates'), { recursive: true });
    const port = await freePort();
    mkdirSync(path.join(dir, 'config'), { recursive: true });
    writeFileSync(
      path.join(dir, 'config/feedletter.yaml'),
      [
        'site:',
        '  title: ブラウザのテスト',
        '  url: https://blog.example.com/',
        '  language: ja',
        '  timezone: Asia/Tokyo',
        'feeds:',
        '  schedule: "*/2 * * * * *"',
        '  watch: true',
        'digest:',
        '  schedule: "*/2 * * * * *"',
        'smtp:',
        '  rateLimit: 1000',
        'server:',
        `  port: ${port}`,
        `  publicUrl: http://127.0.0.1:${port}/`,
        'subscribe:',
        '  minSubmitSeconds: 2',
        '',
      ].join('\n'),
    );
    const shots = process.env.FEEDLETTER_SCREENSHOTS ?? path.join(dir, 'screenshots');
    mkdirSync(shots, { recursive: true });

    const daemon = startDaemon(dir, smtp.url);
    const base = `http://127.0.0.1:${port}/`;
    await waitFor('the daemon to answer', async () => (await fetch(`${base}healthz`).catch(() => undefined))?.ok === true);

    const profile = path.join(dir, 'chromium-profile');
    const context: BrowserContext = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 390, height: 844 },
    });
    cleanup.push(() => context.close());
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });

    // The signup page
    await page.goto(`${base}subscribe`);
    const rendered = Date.now();
    await page.getByLabel('メールアドレス').fill('reader@example.com');
    await page.getByLabel('お名前').fill('読者');
    // The widget solves its challenge on load and puts the payload into the form.
    await waitFor('the proof of work', async () => ((await page.locator('input[name="altcha"]').inputValue().catch(() => '')) || '').length > 20);
    await shoot(page, shots, 'signup');
    // A person takes a moment; the server refuses faster answers.
    await new Promise((r) => setTimeout(r, Math.max(0, 2_500 - (Date.now() - rendered))));
    await page.setViewportSize({ width: 390, height: 844 });
    await Promise.all([page.waitForURL(`${base}subscribe`), page.getByRole('button', { name: '購読する' }).click()]);
    expect(await page.locator('h1').textContent()).toBe('メールを確認してください');
    await shoot(page, shots, 'check-inbox');

    // The confirmation email
    const message = await waitFor('the confirmation email', () => smtp.copiesTo('reader@example.com')[0]);
    const mail = await simpleParser(message.raw);
    expect(mail.subject).toBe('ブラウザのテスト の購読確認');
    expect(mail.text).not.toContain('読者');
    const link = /http:\/\/127\.0\.0\.1:\d+\/confirm\?token=[A-Za-z0-9_.%-]+/.exec(mail.text ?? '')?.[0];
    expect(link).toBeTruthy();

    // One click: the page confirms itself
    await page.goto(link!);
    await page.waitForURL(/\/confirm\?token=/);
    await page.locator('h1', { hasText: '購読が完了しました' }).waitFor();
    expect(await page.getByRole('link', { name: 'JSON Feed' }).getAttribute('href')).toBe('https://blog.example.com/feed.json');
    await shoot(page, shots, 'confirmed');
    expect(errors).toEqual([]);

    const store = Store.open(path.join(dir, '.feedletter'));
    try {
      const subscriber = store.findSubscriber('reader@example.com');
      expect(subscriber?.status).toBe('active');
      expect(subscriber?.name).toBe('読者');
      expect(subscriber?.consent.source).toBe('form');
      expect(subscriber?.consent.signupUserAgent).toMatch(/Chrome/);
    } finally {
      store.close();
    }

    // The next digest reaches the new subscriber
    const date = new Date(Date.now() - 60_000);
    writeFileSync(path.join(dir, 'content/_posts', `${date.toISOString().slice(0, 10)}-hello.md`), `---\ntitle: "ようこそ記事"\ndate: ${date.toISOString()}\n---\n\n本文です。\n`);
    const digest = await waitFor('the digest', async () => {
      for (const m of smtp.copiesTo('reader@example.com')) {
        const parsed = await simpleParser(m.raw);
        if (parsed.text?.includes('ようこそ記事')) return parsed;
      }
      return undefined;
    }, 60_000);
    expect(digest.headerLines.find((h) => h.key === 'list-unsubscribe-post')?.line).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
  }, 120_000);
});

