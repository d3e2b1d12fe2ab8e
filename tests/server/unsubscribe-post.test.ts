import { describe, expect, it } from 'vitest';
import { classifyUnsubscribePost } from '../../src/server/unsubscribe-post.js';

const URLENCODED = 'application/x-www-form-urlencoded';
const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/** A multipart body as a mail provider's client builds it (WHATWG FormData, serialised by Node's fetch). */
async function multipart(entries: [string, string][]): Promise<{ contentType: string; body: Uint8Array }> {
  const form = new FormData();
  for (const [name, value] of entries) form.append(name, value);
  const request = new Request('http://x.invalid/', { method: 'POST', body: form });
  return { contentType: request.headers.get('content-type') ?? '', body: new Uint8Array(await request.arrayBuffer()) };
}

describe('classifyUnsubscribePost', () => {
  it('RFC 8058 one-click: exactly List-Unsubscribe=One-Click, token from the URL', async () => {
    expect(await classifyUnsubscribePost({ contentType: URLENCODED, body: text('List-Unsubscribe=One-Click'), queryToken: 'T' })).toEqual({ token: 'T', via: 'one-click' });
    expect(await classifyUnsubscribePost({ contentType: 'Application/X-WWW-Form-Urlencoded; charset=UTF-8', body: text('List-Unsubscribe=One-Click'), queryToken: 'T' })).toEqual({ token: 'T', via: 'one-click' });
    expect(await classifyUnsubscribePost({ ...(await multipart([['List-Unsubscribe', 'One-Click']])), queryToken: 'T' })).toEqual({ token: 'T', via: 'one-click' });
    expect(await classifyUnsubscribePost({ contentType: URLENCODED, body: text('List-Unsubscribe=One-Click'), queryToken: undefined })).toEqual({ error: 'no-token' });
    expect(await classifyUnsubscribePost({ contentType: URLENCODED, body: text('List-Unsubscribe=One-Click'), queryToken: '' })).toEqual({ error: 'no-token' });
  });

  it("the confirmation page's form: exactly token and confirm=yes, urlencoded, agreeing with the URL's token", async () => {
    expect(await classifyUnsubscribePost({ contentType: URLENCODED, body: text('token=T&confirm=yes'), queryToken: 'T' })).toEqual({ token: 'T', via: 'form' });
    expect(await classifyUnsubscribePost({ contentType: URLENCODED, body: text('confirm=yes&token=T'), queryToken: undefined })).toEqual({ token: 'T', via: 'form' });
    expect(await classifyUnsubscribePost({ contentType: URLENCODED, body: text('token=T&confirm=yes'), queryToken: 'U' })).toEqual({ error: 'token-mismatch' });
    expect(await classifyUnsubscribePost({ contentType: URLENCODED, body: text('token=&confirm=yes'), queryToken: undefined })).toEqual({ error: 'no-token' });
    expect(await classifyUnsubscribePost({ ...(await multipart([['token', 'T'], ['confirm', 'yes']])), queryToken: 'T' })).toEqual({ error: 'fields' });
  });

  it.each([
    ['', URLENCODED],
    ['', undefined],
    ['token=T&token=T', URLENCODED],
    ['confirm=yes&confirm=yes', URLENCODED],
    ['token=T&confirm=yes&x=1', URLENCODED],
    ['List-Unsubscribe=One-Click&token=T', URLENCODED],
    ['List-Unsubscribe=One-Click%0A', URLENCODED],
    ['List-Unsubscribe=One-Click', 'text/plain'],
  ])('refuses %j as %s', async (body, contentType) => {
    const result = await classifyUnsubscribePost({ contentType, body: text(body), queryToken: 'T' });
    expect(result).toEqual({ error: contentType === URLENCODED ? 'fields' : 'content-type' });
  });

  it('refuses a multipart body that does not parse', async () => {
    expect(await classifyUnsubscribePost({ contentType: 'multipart/form-data; boundary=b', body: text('garbage'), queryToken: 'T' })).toEqual({ error: 'body' });
    expect(await classifyUnsubscribePost({ contentType: 'multipart/form-data', body: text('List-Unsubscribe=One-Click'), queryToken: 'T' })).toEqual({ error: 'body' });
  });
});
