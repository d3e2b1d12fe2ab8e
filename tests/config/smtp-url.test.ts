import { describe, expect, it } from 'vitest';
import { parseSmtpUrl } from '../../src/config/smtp-url.js';
import { FeedletterError } from '../../src/errors.js';
import { seededRandom } from '../helpers/random.js';

describe('parseSmtpUrl', () => {
  it('takes a URL apart into what nodemailer needs, decoding the credentials', () => {
    expect(parseSmtpUrl('smtps://news%40example.com:pa%23ss%2Fw%3Ard@mail.example.com:465')).toEqual({
      host: 'mail.example.com',
      port: 465,
      secure: true,
      auth: { user: 'news@example.com', pass: 'pa#ss/w:rd' },
      extra: {},
    });
    expect(parseSmtpUrl('smtp://127.0.0.1')).toEqual({ host: '127.0.0.1', port: undefined, secure: false, auth: undefined, extra: {} });
    expect(parseSmtpUrl('smtp://u:p@[::1]:2525/')).toMatchObject({ host: '::1', port: 2525 });
    expect(parseSmtpUrl('smtp://u:p@mail.example.com:587?tls.rejectUnauthorized=false&name=blog.example.com').extra).toEqual({
      tls: { rejectUnauthorized: false },
      name: 'blog.example.com',
    });
    // An unencoded "@" in the password: the host is what follows the last one.
    expect(parseSmtpUrl('smtp://u:p@ss@mail.example.com:25')).toMatchObject({ host: 'mail.example.com', auth: { user: 'u', pass: 'p@ss' } });
  });

  it.each([
    ['smtp://u:S3cretPw@mail.example.com:0', /port 0, out of range/],
    ['smtp://u:S3cretPw@mail.example.com:65536', /port 65536, out of range/],
    ['smtp://u:S3cret%zzPw@mail.example.com:25', /malformed %-escape/],
    ['smtp://u:S3cretPw@:25', /./],
    ['mail.example.com:25', /must start with smtp:\/\//],
    ['ftp://u:S3cretPw@mail.example.com', /not ftp:\/\//],
    ['smtp://u:1234?S3cretPw@mail.example.com:587', /a "\?", "\/" or "#" in the password must be percent-encoded/],
    ['smtp://u:1234/S3cretPw@mail.example.com:587', /a "\?", "\/" or "#" in the password must be percent-encoded/],
  ])('%s is CONFIG_INVALID naming SMTP_URL and what is wrong, never the password', (url, why) => {
    let error: unknown;
    try {
      parseSmtpUrl(url);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FeedletterError);
    const { code, message, hint } = error as FeedletterError;
    expect(code).toBe('CONFIG_INVALID');
    expect(message).toMatch(/^SMTP_URL /);
    expect(message).toMatch(why);
    expect(`${message} ${hint ?? ''}`).not.toMatch(/S3cret|Pw@/);
  });

  it('whatever an unencoded password holds, an error never quotes any of it (2,000 generated passwords)', () => {
    const random = seededRandom(20261201);
    const alphabet = 'abcXYZ0123456789#/?@:%[]&=+ ';
    for (let i = 0; i < 2_000; i++) {
      const length = 6 + Math.floor(random() * 14);
      let password = 'Q';
      for (let c = 1; c < length; c++) password += alphabet[Math.floor(random() * alphabet.length)];
      try {
        parseSmtpUrl(`smtp://sender:${password}@mail.example.com:587`);
      } catch (error) {
        const { message, hint } = error as FeedletterError;
        const text = `${message} ${hint ?? ''}`;
        // No run of 4 characters of the password (from its distinctive start) appears.
        for (let at = 0; at + 4 <= password.length; at++) {
          const piece = password.slice(at, at + 4);
          if (/[a-zA-Z0-9]{2}/.test(piece) && !/^\d+$/.test(piece)) expect(text, `password ${JSON.stringify(password)}`).not.toContain(piece);
        }
      }
    }
  });
});
