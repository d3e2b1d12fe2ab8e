import { simpleParser, type ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import type { OutgoingMessage, Transport } from '../../src/delivery/index.js';

/**
 * What every Transport must do, run against each implementation (unstorage-style driver
 * contract). `setup` returns the transport and a way to read back what it delivered as raw
 * RFC 5322 messages; `teardown` is called after each test.
 */
export interface ContractHarness {
  transport: Transport;
  delivered(): Promise<Buffer[]>;
  teardown(): Promise<void>;
}

/** The unfolded value of a header as written, mailparser's structured view aside. */
function headerLine(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((h) => h.key === name)?.line;
  return line?.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
}

const SUBJECT = '週刊ダイジェスト：新しい記事 3 件 — 「東京の秋」ほか';

function message(n: number): OutgoingMessage {
  return {
    to: { name: `読者 ${n}`, address: `reader${n}@example.org` },
    messageId: `<digest-7.sub-${n}@blog.example.com>`,
    options: {
      from: { name: 'テストブログ', address: 'newsletter@blog.example.com' },
      replyTo: 'editor@blog.example.com',
      subject: SUBJECT,
      text: `こんにちは、読者 ${n} さん。\n新しい記事: https://blog.example.com/2026/11/autumn.html`,
      html: `<p>こんにちは、読者 ${n} さん。</p><p><a href="https://blog.example.com/2026/11/autumn.html">東京の秋</a></p>`,
      date: new Date('2026-11-20T08:00:00Z'),
      list: {
        id: { url: 'blog.example.com', comment: 'テストブログ' },
        unsubscribe: { url: `https://blog.example.com/newsletter/unsubscribe?t=tok${n}`, comment: 'Unsubscribe' },
      },
      headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', 'Auto-Submitted': 'auto-generated' },
    },
  };
}

export function transportContract(name: string, setup: () => Promise<ContractHarness>): void {
  describe(`Transport contract: ${name}`, () => {
    it('verifies, then delivers one complete message per send, parsed back intact', async () => {
      const h = await setup();
      try {
        await h.transport.verify();
        const result = await h.transport.send(message(1));
        expect(result.messageId).toBe('<digest-7.sub-1@blog.example.com>');
        expect(result.response).not.toBe('');
        const raw = await h.delivered();
        expect(raw).toHaveLength(1);
        const mail: ParsedMail = await simpleParser(raw[0] ?? Buffer.alloc(0));
        expect(mail.messageId).toBe('<digest-7.sub-1@blog.example.com>');
        expect(mail.subject).toBe(SUBJECT);
        expect(mail.from?.value).toEqual([{ name: 'テストブログ', address: 'newsletter@blog.example.com' }]);
        const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
        expect(to?.value).toEqual([{ name: '読者 1', address: 'reader1@example.org' }]);
        expect(mail.date?.toISOString()).toBe('2026-11-20T08:00:00.000Z');
        // mailparser folds List-* into one structured `list` header; the raw lines are what a client reads.
        expect(headerLine(mail, 'list-unsubscribe-post')).toBe('List-Unsubscribe=One-Click');
        expect(headerLine(mail, 'list-unsubscribe')).toContain('<https://blog.example.com/newsletter/unsubscribe?t=tok1>');
        expect(headerLine(mail, 'list-id')).toContain('<blog.example.com>');
        expect(headerLine(mail, 'reply-to')).toBe('editor@blog.example.com');
        expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
        expect(mail.text).toContain('こんにちは、読者 1 さん。');
        expect(mail.html).toContain('<a href="https://blog.example.com/2026/11/autumn.html">東京の秋</a>');
        // multipart/alternative, both parts declared UTF-8, and the subject header is MIME-encoded ASCII.
        const text = (raw[0] ?? Buffer.alloc(0)).toString('latin1');
        expect(text).toMatch(/Content-Type: multipart\/alternative/i);
        expect(text.match(/Content-Type: text\/(plain|html); charset=utf-8/gi)).toHaveLength(2);
        expect(text).toMatch(/^Subject: =\?UTF-8\?/m);
      } finally {
        await h.teardown();
      }
    });

    it('keeps messages apart: several sends, one message each, to its own recipient', async () => {
      const h = await setup();
      try {
        await h.transport.verify();
        await Promise.all([1, 2, 3].map((n) => h.transport.send(message(n))));
        const parsed = await Promise.all((await h.delivered()).map((raw) => simpleParser(raw)));
        expect(parsed.map((m) => m.messageId).sort()).toEqual([1, 2, 3].map((n) => `<digest-7.sub-${n}@blog.example.com>`));
        for (const m of parsed) {
          const n = /sub-(\d)/.exec(m.messageId ?? '')?.[1];
          const to = Array.isArray(m.to) ? m.to[0] : m.to;
          expect(to?.value[0]?.address).toBe(`reader${n}@example.org`);
          expect(m.text).toContain(`読者 ${n} さん`);
        }
      } finally {
        await h.teardown();
      }
    });
  });
}
