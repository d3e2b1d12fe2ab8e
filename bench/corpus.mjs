// Generates a blog shaped like the user's seed posts: Japanese markdown of 5–40 KB, YAML front
// matter with the seeds' quirks (string dates with offsets, markdown in titles/excerpts,
// `---END---` markers followed by repeated text), ~300 tags and a dozen categories.
// Deterministic (seeded PRNG): the same N always gives the same files.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');

function mulberry32(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seedParagraphs() {
  const dir = path.join(ROOT, 'content/_posts');
  const paragraphs = [];
  for (const file of readdirSync(dir)) {
    const text = readFileSync(path.join(dir, file), 'utf8');
    const body = text.replace(/^---[\s\S]*?\n---\n/, '');
    for (const p of body.split(/\n\s*\n/)) {
      const t = p.trim();
      if (t && t !== '---END---') paragraphs.push(t);
    }
  }
  return paragraphs;
}

const WORDS = ['AI', 'チップ', '投資', '半導体', 'クラウド', 'GPU', 'データセンター', 'NVIDIA', 'AMD', 'Intel', 'TSMC', '量子', 'ロボット', '電力', '規制', 'スタートアップ', 'LLM', '推論', '学習', 'エッジ', 'C++', 'Rust', 'タグ with space', 'a/b', 'EV', '電池', '宇宙', '通信', '5G', 'セキュリティ'];

export function tagPool(size = 300) {
  const rng = mulberry32(7);
  const tags = new Set(WORDS);
  while (tags.size < size) {
    const a = WORDS[Math.floor(rng() * WORDS.length)];
    const b = WORDS[Math.floor(rng() * WORDS.length)];
    tags.add(`${a}${rng() < 0.5 ? '' : ' '}${b}${Math.floor(rng() * 10)}`);
  }
  return [...tags];
}

const CATEGORIES = ['投資分析', '技術解説', '業界動向', 'インタビュー', 'レビュー', 'ニュース', '市場', '政策', '企業', '研究', 'イベント', 'コラム'];

/** Writes `count` posts into `<dir>/content/_posts` unless a complete corpus is already there. */
export function ensureCorpus(dir, count) {
  const postsDir = path.join(dir, 'content/_posts');
  const marker = path.join(dir, '.complete');
  if (existsSync(marker)) return postsDir;
  mkdirSync(postsDir, { recursive: true });
  const rng = mulberry32(count);
  const paragraphs = seedParagraphs();
  const tags = tagPool();
  const pick = (list) => list[Math.floor(rng() * list.length)];
  // Zipf-like tag popularity: a few tags on many posts, a long tail on few.
  const zipfTag = () => tags[Math.min(tags.length - 1, Math.floor(tags.length * rng() ** 2.5))];
  const start = Date.UTC(2026, 0, 15, 0, 0, 0);
  for (let i = 0; i < count; i++) {
    const date = new Date(start - i * 3_600_000 * 2.5 - Math.floor(rng() * 3_600_000));
    const iso = date.toISOString();
    const day = iso.slice(0, 10);
    const stamp = `${day} ${iso.slice(11, 19)} +0000`;
    const target = 5_000 + Math.floor(rng() * 35_000);
    const parts = [];
    let size = 0;
    while (size < target) {
      const p = pick(paragraphs);
      parts.push(p);
      size += Buffer.byteLength(p) + 2;
      // The seeds repeat themselves after an end marker; so does the corpus.
      if (rng() < 0.04) {
        parts.push('---END---');
        size += 11;
      }
    }
    const postTags = [...new Set(Array.from({ length: 3 + Math.floor(rng() * 4) }, zipfTag))];
    const title = pick(paragraphs).replace(/\s+/g, ' ').slice(0, 30).replace(/"/g, '');
    const front = [
      '---',
      'layout: post',
      `title: "**${title}**"`,
      `date: ${stamp}`,
      `categories: ["${pick(CATEGORIES)}"]`,
      `tags: [${postTags.map((t) => JSON.stringify(t)).join(', ')}]`,
      'author: "ALLFORCES編集部"',
      `excerpt: "**${title}**について詳細に分析します。"`,
      `reading_time: ${1 + Math.floor(size / 3000)}`,
      '---',
      '',
    ].join('\n');
    writeFileSync(path.join(postsDir, `${day}-post-${i}.md`), `${front}${parts.join('\n\n')}\n`);
  }
  writeFileSync(
    path.join(dir, 'feedletter.yaml'),
    [
      'site:',
      '  title: ALLFORCES bench',
      '  url: https://allforces.example.jp/',
      '  language: ja',
      '  timezone: Asia/Tokyo',
      '  author:',
      '    name: ALLFORCES編集部',
      'content:',
      '  dir: content',
      '  endMarker: "---END---"',
      'permalink: /:categories/:year/:month/:day/:title/',
      '',
    ].join('\n'),
  );
  writeFileSync(marker, String(count));
  return postsDir;
}
