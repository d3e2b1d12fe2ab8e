import { FORM_CONFIRM_FIELD, FORM_CONFIRM_VALUE, FORM_TOKEN_FIELD } from './unsubscribe-post.js';

/**
 * The few HTML pages of the unsubscribe endpoint, in the site's language (Japanese for `ja`,
 * English otherwise). Pure: every value that reaches the HTML goes through `escapeHtml`.
 */

export type PageKind = 'confirm' | 'done' | 'unknown' | 'invalid' | 'expired' | 'badRequest' | 'notFound' | 'methodNotAllowed' | 'tooLarge' | 'error';

export interface Texts {
  title: Record<PageKind, string>;
  body: Record<PageKind, string>;
  button: string;
  back: string;
}

const en: Texts = {
  title: {
    confirm: 'Unsubscribe',
    done: 'You are unsubscribed',
    unknown: 'Not on the list',
    invalid: 'Invalid link',
    expired: 'Expired link',
    badRequest: 'Not an unsubscribe request',
    notFound: 'Not found',
    methodNotAllowed: 'Method not allowed',
    tooLarge: 'Request too large',
    error: 'Something went wrong',
  },
  body: {
    confirm: 'Stop receiving the {site} newsletter? Press the button to unsubscribe.',
    done: 'You will receive no more {site} newsletters.',
    unknown: 'This address is not on the {site} list (any more). You will receive no newsletter.',
    invalid: 'This unsubscribe link is not valid. Please use the link in the latest {site} newsletter.',
    expired: 'This unsubscribe link has expired. Please use the link in the latest {site} newsletter.',
    badRequest: 'Nothing was changed: this request is not an unsubscribe request. Please open the link in the latest {site} newsletter and press the button.',
    notFound: 'There is no page at this address.',
    methodNotAllowed: 'This page does not accept this kind of request.',
    tooLarge: 'The request was too large.',
    error: 'The request could not be handled. Please try again later.',
  },
  button: 'Unsubscribe',
  back: 'Back to {site}',
};

const ja: Texts = {
  title: {
    confirm: '配信停止',
    done: '配信を停止しました',
    unknown: '登録がありません',
    invalid: '無効なリンクです',
    expired: 'リンクの有効期限が切れています',
    badRequest: '配信停止のリクエストではありません',
    notFound: 'ページが見つかりません',
    methodNotAllowed: '許可されていないメソッドです',
    tooLarge: 'リクエストが大きすぎます',
    error: 'エラーが発生しました',
  },
  body: {
    confirm: '{site} のニュースレターの配信を停止しますか？ 下のボタンを押すと配信を停止します。',
    done: '{site} のニュースレターは今後届きません。',
    unknown: 'このアドレスは {site} の配信リストに登録されていません。ニュースレターは届きません。',
    invalid: 'この配信停止リンクは無効です。最新の {site} のニュースレターにあるリンクをお使いください。',
    expired: 'この配信停止リンクは有効期限が切れています。最新の {site} のニュースレターにあるリンクをお使いください。',
    badRequest: '何も変更していません。このリクエストは配信停止のリクエストではありません。最新の {site} のニュースレターにあるリンクを開き、ボタンを押してください。',
    notFound: 'このアドレスにページはありません。',
    methodNotAllowed: 'このページはこの種類のリクエストを受け付けません。',
    tooLarge: 'リクエストが大きすぎます。',
    error: 'リクエストを処理できませんでした。しばらくしてからもう一度お試しください。',
  },
  button: '配信を停止する',
  back: '{site} に戻る',
};

export function textsFor(language: string): Texts {
  return /^ja\b/i.test(language) ? ja : en;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export interface PageInput {
  kind: PageKind;
  language: string;
  siteTitle: string;
  siteUrl: string;
  /** For `confirm`: the token the form posts back. */
  token?: string;
  /** Trusted HTML (built by us, already escaped) put after the text: e.g. the "subscribe me again" form. */
  after?: string;
}

export function renderPage(input: PageInput): string {
  const texts = textsFor(input.language);
  const site = escapeHtml(input.siteTitle);
  const fill = (template: string): string => escapeHtml(template).replaceAll('{site}', site);
  const title = escapeHtml(texts.title[input.kind]);
  // No action attribute: the form posts to the page's own URL, query included, so it works
  // unchanged behind a reverse proxy serving this endpoint under a prefix such as /newsletter/
  // (an empty action="" does the same but is not valid HTML; "unsubscribe" breaks on a trailing slash).
  const form =
    input.kind === 'confirm' && input.token !== undefined
      ? `<form method="post">
<input type="hidden" name="${FORM_TOKEN_FIELD}" value="${escapeHtml(input.token)}">
<input type="hidden" name="${FORM_CONFIRM_FIELD}" value="${FORM_CONFIRM_VALUE}">
<button type="submit">${escapeHtml(texts.button)}</button>
</form>
`
      : '';
  const back = /^https?:\/\//i.test(input.siteUrl) ? `<p><a href="${escapeHtml(input.siteUrl)}">${fill(texts.back)}</a></p>\n` : '';
  return `<!doctype html>
<html lang="${escapeHtml(input.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} – ${site}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.6;color:#222}button{font:inherit;padding:.5rem 1.25rem;border:0;border-radius:.25rem;background:#1a5fb4;color:#fff;cursor:pointer}a{color:#1a5fb4}</style>
</head>
<body>
<h1>${title}</h1>
<p>${fill(texts.body[input.kind])}</p>
${form}${input.after ?? ''}${back}</body>
</html>
`;
}
