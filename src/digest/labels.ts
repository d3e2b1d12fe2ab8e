/**
 * The few words the digest says on its own, per language. Templates get them as `labels.*` (with
 * counts already filled in), so one template serves every language; a blog in another language
 * overrides the words in its own copy of the templates. Unknown languages fall back to English.
 */
export interface Labels {
  /** Heading above the list of posts. */
  heading: string;
  /** One line under the heading; `{site}` is the site title. */
  intro: string;
  /** `{n}`: minutes. */
  readingTime: string;
  /** Text of the button under each post. */
  readMore: string;
  /** The "and N more" line below the posts; `{n}`: posts left out. */
  more: string;
  /** Appended to the default subject when the digest has more than one post; `{n}`: the others. */
  subjectMore: string;
  categories: string;
  tags: string;
  /** Text of the unsubscribe link. */
  unsubscribe: string;
  /** Why the reader gets this email; `{site}` is the site title. */
  why: string;
  /** Which address it went to; `{email}` is the subscriber's address. */
  sentTo: string;
  /** Link to the site in the footer. */
  visitSite: string;
  viewInBrowser: string;
  archiveTitle: string;
  /** Greeting with a name (`{name}`) and without. */
  greetingNamed: string;
  greetingAnonymous: string;
  /** Separator between titles in the preheader. */
  listSeparator: string;
}

const LABELS: Record<string, Labels> = {
  en: {
    heading: 'New posts',
    intro: 'What is new on {site}:',
    readingTime: '{n} min read',
    readMore: 'Read the post',
    more: 'and {n} more on the site',
    subjectMore: 'and {n} more',
    categories: 'Categories',
    tags: 'Tags',
    unsubscribe: 'Unsubscribe',
    why: 'You receive this email because you subscribed to new posts from {site}.',
    sentTo: 'Sent to {email}.',
    visitSite: 'Visit the site',
    viewInBrowser: 'View this email in your browser',
    archiveTitle: 'Newsletter archive',
    greetingNamed: 'Hi {name},',
    greetingAnonymous: 'Hi,',
    listSeparator: ' · ',
  },
  ja: {
    heading: '新着記事',
    intro: '{site}の新着記事をお届けします。',
    readingTime: '{n}分で読めます',
    readMore: '記事を読む',
    more: 'ほか{n}件の記事はサイトでご覧いただけます',
    subjectMore: 'ほか{n}件',
    categories: 'カテゴリー',
    tags: 'タグ',
    unsubscribe: '配信を停止する',
    why: '{site}の新着記事のお知らせを購読されているため、このメールをお送りしています。',
    sentTo: 'このメールは {email} 宛にお送りしました。',
    visitSite: 'サイトを見る',
    viewInBrowser: 'ブラウザで見る',
    archiveTitle: 'ニュースレターのバックナンバー',
    greetingNamed: '{name}さん、こんにちは。',
    greetingAnonymous: 'こんにちは。',
    listSeparator: '／',
  },
};

/** The labels of a BCP 47 tag: exact match, then the primary subtag ("en-GB" → "en"), then English. */
export function labelsFor(language: string): Labels {
  const lower = language.toLowerCase();
  const primary = lower.split('-')[0] ?? lower;
  return LABELS[lower] ?? LABELS[primary] ?? (LABELS.en as Labels);
}

/** The key of the label table `labelsFor` would use: what the greeting placeholder records. */
export function labelLanguage(language: string): string {
  const lower = language.toLowerCase();
  const primary = lower.split('-')[0] ?? lower;
  return lower in LABELS ? lower : primary in LABELS ? primary : 'en';
}

/** Fill `{key}` slots; unknown slots stay as they are. */
export function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (slot, key: string) => (key in values ? String(values[key]) : slot));
}
