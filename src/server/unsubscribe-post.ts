/**
 * What a `POST /unsubscribe` asks for, decided from its Content-Type, body and query alone
 * (pure: no I/O, no store, no clock), so that any HTTP layer can call it.
 *
 * Two requests unsubscribe, and nothing else does:
 * - RFC 8058 one-click (what mail providers send for the List-Unsubscribe-Post header): the body
 *   is exactly the one field `List-Unsubscribe=One-Click`, form-urlencoded or multipart/form-data
 *   (§3.1), and the token is in the query of the List-Unsubscribe URL;
 * - the confirmation page's own form: exactly `token=<token>&confirm=yes`, form-urlencoded;
 *   the form posts to the page's URL, so a token in the query must be the same one.
 * Anything else (an empty body, other fields, a one-click field spelled otherwise) is refused:
 * a stray POST from a crawler or a half-read link must not unsubscribe anyone.
 */

export type UnsubscribePost = { token: string; via: 'one-click' | 'form' } | { error: UnsubscribePostError };

export type UnsubscribePostError =
  /** Neither application/x-www-form-urlencoded nor multipart/form-data. */
  | 'content-type'
  /** A multipart body that does not parse, or carries a file. */
  | 'body'
  /** Neither exactly `List-Unsubscribe=One-Click` nor exactly the confirmation form's fields. */
  | 'fields'
  /** One-click without a token in the query, or a form with an empty token. */
  | 'no-token'
  /** The form's token and the query's token differ. */
  | 'token-mismatch';

export interface UnsubscribePostInput {
  /** The Content-Type header, parameters included (multipart needs its boundary). */
  contentType: string | undefined;
  body: Uint8Array;
  /** The `token` query parameter, if the URL has one. */
  queryToken: string | undefined;
}

/** The RFC 8058 §3.1 key and value, case as written there. */
export const ONE_CLICK_FIELD = 'List-Unsubscribe';
export const ONE_CLICK_VALUE = 'One-Click';
/** The confirmation page's fields. */
export const FORM_TOKEN_FIELD = 'token';
export const FORM_CONFIRM_FIELD = 'confirm';
export const FORM_CONFIRM_VALUE = 'yes';

export async function classifyUnsubscribePost(input: UnsubscribePostInput): Promise<UnsubscribePost> {
  const mediaType = (input.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  let fields: [string, string][];
  if (mediaType === 'application/x-www-form-urlencoded') {
    fields = [...new URLSearchParams(Buffer.from(input.body).toString('utf8'))];
  } else if (mediaType === 'multipart/form-data') {
    const parsed = await multipartFields(input.contentType ?? '', input.body);
    if (parsed === undefined) return { error: 'body' };
    fields = parsed;
  } else {
    return { error: 'content-type' };
  }

  const queryToken = input.queryToken === '' ? undefined : input.queryToken;
  const [first, second] = fields;
  if (fields.length === 1 && first?.[0] === ONE_CLICK_FIELD && first[1] === ONE_CLICK_VALUE) {
    return queryToken === undefined ? { error: 'no-token' } : { token: queryToken, via: 'one-click' };
  }
  if (mediaType === 'application/x-www-form-urlencoded' && fields.length === 2 && first && second) {
    const byName = new Map(fields);
    const token = byName.get(FORM_TOKEN_FIELD);
    if (byName.size === 2 && token !== undefined && byName.get(FORM_CONFIRM_FIELD) === FORM_CONFIRM_VALUE) {
      if (token === '') return { error: 'no-token' };
      if (queryToken !== undefined && queryToken !== token) return { error: 'token-mismatch' };
      return { token, via: 'form' };
    }
  }
  return { error: 'fields' };
}

/** The text fields of a multipart/form-data body (WHATWG parser of Node's fetch); undefined if it does not parse or has a file. */
async function multipartFields(contentType: string, body: Uint8Array): Promise<[string, string][] | undefined> {
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  } catch {
    return undefined;
  }
  const fields: [string, string][] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value !== 'string') return undefined;
    fields.push([name, value]);
  }
  return fields;
}
