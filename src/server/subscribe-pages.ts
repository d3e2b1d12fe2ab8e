import { escapeHtml } from './pages.js';

/**
 * The pages of the public signup, in the site's language (Japanese for `ja`, English otherwise).
 * Pure: every value that reaches the HTML goes through `escapeHtml`. Relative URLs only, so the
 * pages work unchanged behind a reverse proxy serving them under a prefix such as /newsletter/.
 * The "check your inbox" page carries nothing that depends on the request (no nonce, no address):
 * its bytes are the same whatever state the address was in.
 */

export type SubscribePageKind =
  | 'form'
  | 'checkInbox'
  | 'confirm'
  | 'confirmed'
  | 'expired'
  | 'invalid'
  | 'resent'
  | 'resubscribed'
  | 'resubscribeInvalid'
  | 'badAddress'
  | 'tooFast'
  | 'staleForm'
  | 'proofFailed'
  | 'tooMany';

interface Texts {
  title: Record<SubscribePageKind, string>;
  body: Record<SubscribePageKind, string>;
  email: string;
  name: string;
  optional: string;
  honeypot: string;
  subscribe: string;
  confirm: string;
  resend: string;
  sends: string;
  privacy: string;
  feeds: string;
  back: string;
  again: string;
  noscript: string;
}

const en: Texts = {
  title: {
    form: 'Subscribe to {site}',
    checkInbox: 'Check your inbox',
    confirm: 'Confirm your subscription',
    confirmed: 'You are subscribed',
    expired: 'This link has expired',
    invalid: 'Invalid link',
    resent: 'Check your inbox',
    resubscribed: 'You are subscribed again',
    resubscribeInvalid: 'Invalid link',
    badAddress: 'Please check the address',
    tooFast: 'Please try again',
    staleForm: 'Please reload the form',
    proofFailed: 'Please try again',
    tooMany: 'Too many requests',
  },
  body: {
    form: 'Get new posts of {site} by email.',
    checkInbox: 'If the address can receive the newsletter, a confirmation email is on its way. Open the link in it to start your subscription. Nothing arrived? Check the spam folder, or ask again a little later.',
    confirm: 'Press the button to confirm your subscription to {site}.',
    confirmed: 'Thank you! New posts of {site} will come to your inbox. You can also follow the feeds:',
    expired: 'This confirmation link is too old. Ask for a new one:',
    invalid: 'This confirmation link is not valid (any more). Please sign up again on {site}.',
    resent: 'If the address still waits for confirmation, a new link is on its way.',
    resubscribed: 'Welcome back: you will receive the {site} newsletter again.',
    resubscribeInvalid: 'This link is not valid. Please use the link in the latest {site} newsletter, or sign up again.',
    badAddress: 'That does not look like an email address we can send to. Please go back and check it.',
    tooFast: 'The form was sent back very fast, as programs do. Please wait a few seconds and send it again.',
    staleForm: 'The form is too old. Please reload the page and send it again.',
    proofFailed: 'The automatic check against spam programs did not pass. Please reload the page and try again (it needs JavaScript).',
    tooMany: 'There were too many signups from your network. Please try again later.',
  },
  email: 'Email address',
  name: 'Name',
  optional: '(optional)',
  honeypot: 'Leave this field empty',
  subscribe: 'Subscribe',
  confirm: 'Confirm my subscription',
  resend: 'Send me a new link',
  sends: 'You will get one email with the new posts, {frequency}, and nothing else. Every email has a link to unsubscribe.',
  privacy: 'We keep your address, the name you give, and when and from where you signed up and confirmed, to show your consent. Unconfirmed addresses are deleted after a few days.',
  feeds: 'Feeds',
  back: 'Back to {site}',
  again: 'I clicked by mistake: subscribe me again',
  noscript: 'The check against spam programs needs JavaScript.',
};

const ja: Texts = {
  title: {
    form: '{site} を購読する',
    checkInbox: 'メールを確認してください',
    confirm: '購読の確認',
    confirmed: '購読が完了しました',
    expired: 'リンクの有効期限が切れています',
    invalid: '無効なリンクです',
    resent: 'メールを確認してください',
    resubscribed: '購読を再開しました',
    resubscribeInvalid: '無効なリンクです',
    badAddress: 'アドレスを確認してください',
    tooFast: 'もう一度お試しください',
    staleForm: 'フォームを再読み込みしてください',
    proofFailed: 'もう一度お試しください',
    tooMany: 'リクエストが多すぎます',
  },
  body: {
    form: '{site} の新しい記事をメールでお届けします。',
    checkInbox: 'このアドレスにお届けできる場合は、確認メールを送信しました。メール内のリンクを開くと購読が始まります。届かない場合は迷惑メールフォルダをご確認いただくか、しばらくしてからもう一度お申し込みください。',
    confirm: 'ボタンを押して {site} の購読を確定してください。',
    confirmed: 'ありがとうございます。{site} の新しい記事がメールで届きます。フィードでも購読できます:',
    expired: 'この確認リンクは有効期限が切れています。新しいリンクを送ります:',
    invalid: 'この確認リンクは無効です。{site} でもう一度お申し込みください。',
    resent: 'このアドレスがまだ確認待ちの場合は、新しいリンクを送信しました。',
    resubscribed: 'おかえりなさい。{site} のニュースレターが再び届きます。',
    resubscribeInvalid: 'このリンクは無効です。最新の {site} のニュースレターにあるリンクを使うか、もう一度お申し込みください。',
    badAddress: '送信できるメールアドレスではないようです。前のページに戻って確認してください。',
    tooFast: 'フォームの送信が速すぎました。数秒待ってからもう一度送信してください。',
    staleForm: 'フォームが古くなっています。ページを再読み込みしてもう一度送信してください。',
    proofFailed: 'スパム対策の自動チェックを通過できませんでした。ページを再読み込みしてもう一度お試しください（JavaScript が必要です）。',
    tooMany: 'お使いのネットワークからの申し込みが多すぎます。しばらくしてからお試しください。',
  },
  email: 'メールアドレス',
  name: 'お名前',
  optional: '（任意）',
  honeypot: 'この欄は空のままにしてください',
  subscribe: '購読する',
  confirm: '購読を確定する',
  resend: '新しいリンクを送る',
  sends: '新しい記事をまとめたメールが{frequency}。それ以外のメールは送りません。すべてのメールに配信停止のリンクがあります。',
  privacy: '同意の記録として、メールアドレス、入力されたお名前、申し込みと確認の日時と接続元を保存します。確認されなかったアドレスは数日後に削除します。',
  feeds: 'フィード',
  back: '{site} に戻る',
  again: '間違えて押しました: 購読を再開する',
  noscript: 'スパム対策のチェックには JavaScript が必要です。',
};

export function subscribeTexts(language: string): Texts {
  return /^ja\b/i.test(language) ? ja : en;
}

export interface SubscribePageInput {
  kind: SubscribePageKind;
  language: string;
  siteTitle: string;
  siteUrl: string;
  /** confirm / expired: the token the form posts back; resubscribe: the unsubscribe token. */
  token?: string;
  /** For scripts (CSP nonce); none on pages that must not vary. */
  nonce?: string;
  /** form: the signed render stamp. */
  stamp?: string;
  /** form: whether to show the ALTCHA widget, and the honeypot. */
  proofOfWork?: boolean;
  honeypot?: boolean;
  /** form: "daily at 08:00 (Asia/Tokyo)". */
  frequency?: string;
  /** confirmed: the feed links. */
  feeds?: { rss: string; atom: string; json: string };
}

const STYLE = `:root{color-scheme:light}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP",sans-serif;max-width:34rem;margin:0 auto;padding:2.5rem 1.25rem;line-height:1.7;color:#1f2328;background:#fff}
h1{font-size:1.6rem;line-height:1.3;margin:0 0 1rem}
p{margin:0 0 1rem}
a{color:#0b57d0}
form{margin:1.25rem 0}
label{display:block;font-weight:600;margin:0 0 .3rem}
.field{margin:0 0 1rem}
.hint{font-weight:400;color:#57606a}
input[type=email],input[type=text]{display:block;width:100%;font:inherit;padding:.6rem .7rem;border:1px solid #8c959f;border-radius:.4rem;background:#fff;color:inherit}
input:focus-visible,button:focus-visible,a:focus-visible{outline:3px solid #0b57d0;outline-offset:2px}
button{font:inherit;font-weight:600;padding:.65rem 1.4rem;border:0;border-radius:.4rem;background:#0b57d0;color:#fff;cursor:pointer;min-height:2.75rem}
button:hover{background:#0842a0}
.small{font-size:.9rem;color:#57606a}
.hp{position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden}
altcha-widget{display:block;margin:0 0 1rem;max-width:100%}
ul.feeds{padding-left:1.25rem}`;

export function renderSubscribePage(input: SubscribePageInput): string {
  const t = subscribeTexts(input.language);
  const site = escapeHtml(input.siteTitle);
  const fill = (template: string): string => escapeHtml(template).replaceAll('{site}', site).replaceAll('{frequency}', escapeHtml(input.frequency ?? ''));
  const title = fill(t.title[input.kind]);
  const nonceAttr = input.nonce === undefined ? '' : ` nonce="${escapeHtml(input.nonce)}"`;
  let main = `<p>${fill(t.body[input.kind])}</p>\n`;
  let head = '';
  switch (input.kind) {
    case 'form': {
      if (input.proofOfWork) head += `<script type="module" src="altcha.js"${nonceAttr}></script>\n`;
      main += `<form method="post" action="subscribe">
<div class="field"><label for="fl-email">${escapeHtml(t.email)}</label>
<input id="fl-email" type="email" name="email" required maxlength="254" autocomplete="email" inputmode="email" autocapitalize="off" spellcheck="false"></div>
<div class="field"><label for="fl-name">${escapeHtml(t.name)} <span class="hint">${escapeHtml(t.optional)}</span></label>
<input id="fl-name" type="text" name="name" maxlength="100" autocomplete="name"></div>
${input.honeypot ? `<div class="hp" aria-hidden="true"><label for="fl-website">${escapeHtml(t.honeypot)}</label><input id="fl-website" type="text" name="website" tabindex="-1" autocomplete="off"></div>\n` : ''}${input.stamp === undefined ? '' : `<input type="hidden" name="ts" value="${escapeHtml(input.stamp)}">\n`}${input.proofOfWork ? `<altcha-widget challenge="altcha/challenge" name="altcha" language="${/^ja\b/i.test(input.language) ? 'ja' : 'en'}" auto="onload"></altcha-widget>\n<noscript><p class="small">${escapeHtml(t.noscript)}</p></noscript>\n` : ''}<button type="submit">${escapeHtml(t.subscribe)}</button>
</form>
<p class="small">${fill(t.sends)}</p>
<p class="small">${escapeHtml(t.privacy)}</p>
`;
      break;
    }
    case 'confirm':
      // The page confirms itself: a mail scanner fetching the link runs no script (or, if it does,
      // a person would have confirmed with that one click anyway); without JavaScript the button does it.
      main += `<form method="post" id="confirm">
<input type="hidden" name="token" value="${escapeHtml(input.token ?? '')}">
<button type="submit">${escapeHtml(t.confirm)}</button>
</form>
<script${nonceAttr}>document.getElementById('confirm').submit();</script>
`;
      break;
    case 'expired':
      main += `<form method="post">
<input type="hidden" name="token" value="${escapeHtml(input.token ?? '')}">
<input type="hidden" name="action" value="resend">
<button type="submit">${escapeHtml(t.resend)}</button>
</form>
`;
      break;
    case 'confirmed':
      if (input.feeds) {
        main += `<ul class="feeds">
<li><a href="${escapeHtml(input.feeds.rss)}">RSS</a></li>
<li><a href="${escapeHtml(input.feeds.atom)}">Atom</a></li>
<li><a href="${escapeHtml(input.feeds.json)}">JSON Feed</a></li>
</ul>
`;
      }
      break;
    default:
      break;
  }
  const back = /^https?:\/\//i.test(input.siteUrl) ? `<p><a href="${escapeHtml(input.siteUrl)}">${fill(t.back)}</a></p>\n` : '';
  return `<!doctype html>
<html lang="${escapeHtml(input.language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} – ${site}</title>
<style>${STYLE}</style>
${head}</head>
<body>
<main>
<h1>${title}</h1>
${main}${back}</main>
</body>
</html>
`;
}

/** The "subscribe me again" form on the unsubscribe page: posts the same token to `resubscribe`. */
export function resubscribeForm(language: string, token: string): string {
  const t = subscribeTexts(language);
  return `<form method="post" action="resubscribe">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<button type="submit">${escapeHtml(t.again)}</button>
</form>
`;
}
