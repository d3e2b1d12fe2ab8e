import { describe, expect, it } from 'vitest';
import { wallClock } from '../../src/content/dates.js';
import { categorySegment, encodePathByCharacter, encodePathOnce, expandPermalink, permalinkUrl, slugifyDefault, slugifyPretty, type PermalinkFacts } from '../../src/content/permalink.js';
import { seededRandom } from '../helpers/random.js';

const facts = (over: Partial<Parameters<typeof expandPermalink>[1]> = {}): Parameters<typeof expandPermalink>[1] => ({
  date: new Date('2026-01-14T16:51:02Z'),
  timeZone: 'Asia/Tokyo',
  slug: 'aws-inferentia3',
  categories: ['投資分析'],
  ...over,
});

describe('expandPermalink', () => {
  it("fills Jekyll's placeholders, date parts in the site time zone", () => {
    expect(expandPermalink('/:categories/:year/:month/:day/:title.html', facts())).toBe('/投資分析/2026/01/15/aws-inferentia3.html');
    expect(expandPermalink('/:year/:month/:day/:title/', facts({ timeZone: 'UTC' }))).toBe('/2026/01/14/aws-inferentia3/');
    expect(expandPermalink('/:short_year/:i_month/:i_day/:slug', facts({ date: new Date('2026-03-05T00:00:00Z'), timeZone: 'UTC', slug: 'Hello-World' }))).toBe('/26/3/5/hello-world');
  });

  it('joins categories with / (lowercased) and collapses an empty segment', () => {
    expect(expandPermalink('/:categories/:title/', facts({ categories: ['Tech', 'Web Dev'] }))).toBe('/tech/web-dev/aws-inferentia3/');
    expect(expandPermalink('/:categories/:year/:title.html', facts({ categories: [] }))).toBe('/2026/aws-inferentia3.html');
  });

  it('leaves unknown placeholders as written', () => {
    expect(expandPermalink('/:nope/:title', facts())).toBe('/:nope/aws-inferentia3');
  });
});

/** expandPermalink as first written (a table of closures per call): the reference for the switch. */
function expandPermalinkReference(pattern: string, facts: PermalinkFacts): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  const w = wallClock(facts.date.getTime(), facts.timeZone);
  const values: Record<string, () => string> = {
    year: () => String(w.year),
    month: () => pad(w.month),
    day: () => pad(w.day),
    i_month: () => String(w.month),
    i_day: () => String(w.day),
    short_year: () => pad(w.year % 100),
    hour: () => pad(w.hour),
    minute: () => pad(w.minute),
    second: () => pad(w.second),
    y_day: () => pad(Math.round((Date.UTC(w.year, w.month - 1, w.day) - Date.UTC(w.year, 0, 1)) / 86_400_000) + 1, 3),
    title: () => facts.slug,
    slug: () => slugifyDefault(facts.slug),
    categories: () => [...new Set(facts.categories.map(categorySegment).filter((c) => c !== ''))].join('/'),
    output_ext: () => '.html',
  };
  const expanded = pattern.replace(/:([a-z_]+)/g, (match, name: string) => (Object.hasOwn(values, name) ? (values[name]?.() ?? match) : match));
  return expanded.replace(/\/{2,}/g, '/');
}

describe('expandPermalink against its first version', () => {
  it('expands generated patterns the same way', () => {
    const next = seededRandom(11);
    const pick = <T,>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
    const PARTS = ['/', '//', ':year', ':month', ':day', ':i_month', ':i_day', ':short_year', ':hour', ':minute', ':second', ':y_day', ':title', ':slug', ':categories', ':output_ext', ':nope', ':title_x', ':constructor', ':toString', ':hasOwnProperty', ':__proto__', ':Year', 'x', '-', '.html', ':'];
    const CATEGORIES = [[], ['政策'], ['Web Dev'], [' / '], ['Tech', 'Web Dev'], ['a', 'A', 'a'], ['', ' / '], ['投資 分析', '政策', '投資 分析']];
    const ZONES = ['Asia/Tokyo', 'UTC', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe'];
    for (let n = 0; n < 2000; n++) {
      let pattern = '';
      const length = 1 + Math.floor(next() * 8);
      for (let k = 0; k < length; k++) pattern += pick(PARTS);
      const facts: PermalinkFacts = {
        date: new Date(Date.UTC(2000, 0, 1) + Math.floor(next() * 40 * 365 * 86_400) * 1000),
        timeZone: pick(ZONES),
        slug: pick(['post-1', 'Hello-World', '日本語の記事', 'a.b']),
        categories: pick(CATEGORIES),
      };
      expect(expandPermalink(pattern, facts), pattern).toBe(expandPermalinkReference(pattern, facts));
    }
  });
});

describe('encodePathOnce', () => {
  it('gives what encoding one character at a time gives, on generated paths', () => {
    const next = seededRandom(5);
    const pieces = ['/', 'a', 'Z', '9', '-', '.', '_', '~', '!', '$', '&', "'", '(', ')', '*', '+', ',', ';', '=', ':', '@', ' ', '"', '<', '>', '[', ']', '{', '}', '|', '\\', '^', '`', '#', '?', '%', '%41', '%e6', '%zz', '日', 'ü', '😀', '\uD800', '\uDC00', '\u0000', '\u007f', '\u00a0', '\uFFFD'];
    for (let n = 0; n < 5000; n++) {
      let path = '';
      const length = Math.floor(next() * 10);
      for (let k = 0; k < length; k++) path += pieces[Math.floor(next() * pieces.length)] as string;
      expect(encodePathOnce(path), JSON.stringify(path)).toBe(encodePathByCharacter(path));
    }
  });

  it('encodes non-ASCII once and never twice', () => {
    const once = encodePathOnce('/投資分析/a b/100%/x');
    expect(once).toBe('/%E6%8A%95%E8%B3%87%E5%88%86%E6%9E%90/a%20b/100%25/x');
    expect(encodePathOnce(once)).toBe(once);
    expect(encodePathOnce('/%e6%8a%95')).toBe('/%E6%8A%95');
  });
});

describe('permalinkUrl', () => {
  it('joins to the site URL, keeping its sub-path', () => {
    expect(permalinkUrl('/2026/x.html', 'https://example.com/blog/')).toBe('https://example.com/blog/2026/x.html');
    expect(permalinkUrl('/日本/', 'https://example.com/')).toBe('https://example.com/%E6%97%A5%E6%9C%AC/');
    expect(permalinkUrl('/a:b/c', 'https://example.com/')).toBe('https://example.com/a:b/c');
  });
});

describe('slugify', () => {
  it('follows Jekyll pretty (cased) and default modes', () => {
    expect(slugifyPretty('Hello World: ünï/日本')).toBe('Hello-World-ünï-日本');
    expect(slugifyDefault('Hello World: ünï')).toBe('hello-world-ünï');
  });
});

describe('permalinkUrl canonical form', () => {
  it('writes the site URL as the URL parser does', () => {
    expect(permalinkUrl('/x/', 'HTTPS://Blog.Example.COM/日記/')).toBe('https://blog.example.com/%E6%97%A5%E8%A8%98/x/');
    expect(permalinkUrl('/a/../b/', 'https://example.com/')).toBe('https://example.com/b/');
  });
});
