import { describe, expect, it } from 'vitest';
import { grayMatterData, parseFrontMatter, splitFrontMatter, yamlData } from '../../src/content/frontmatter.js';
import { seededRandom } from '../helpers/random.js';

// Lines of front matter: the usual ones, and every shape that takes gray-matter or js-yaml down
// another path (comments, lines starting with ---, scalars, nulls, errors, several documents).
const LINES = [
  'layout: post',
  'title: "**しかし、だからこそ、この提携は興味深いのだ。AIの進化は止ま**"',
  'date: 2023-03-10 22:41:44 +0000',
  'date: 2026-01-11',
  'categories: ["政策"]',
  'tags: ["GPU", "チップ", "量子 投資4"]',
  'tags: a b c',
  'author: "ALLFORCES編集部"',
  'excerpt: "**x**について詳細に分析します。"',
  'reading_time: 3',
  'excerpt_separator: <!--more-->',
  '# a comment',
  '  # an indented comment',
  '#',
  '',
  '   ',
  '\t',
  '---',
  '----',
  '---x: 1',
  '--- # after',
  '...',
  'key: value # trailing comment',
  'list:',
  '  - a',
  '  - b',
  '- item',
  'plain scalar',
  '"quoted scalar"',
  '~',
  'null',
  '42',
  'a: b: c',
  'a: [',
  '\tkey: tab',
  'x: &anchor 1',
  'y: *anchor',
  'z: *missing',
  'fn: !!js/function "function () {}"',
  'bad: !!binary "@@@"',
  '%YAML 1.2',
  'dup: 1',
  'dup: 2',
  '"quoted key": 1',
  '? complex',
  ': value',
];

function outcome(run: () => unknown): { data: unknown } | { error: string; line: unknown } {
  try {
    return { data: run() };
  } catch (error) {
    return { error: String((error as { message?: unknown }).message), line: (error as { mark?: { line?: unknown } }).mark?.line };
  }
}

const split = (matter: string) => ({ kind: 'ok' as const, language: 'yaml', delimiter: '---' as const, matter, body: '', bodyLine: 1 });

describe('yamlData: gray-matter without its per-call overhead', () => {
  it('gives what gray-matter gives for a typical block, and for blocks it treats specially', () => {
    const blocks = [
      '',
      '\n',
      '# only a comment\n',
      '# one\n  # two\n\n',
      'title: x\n# comment\n',
      'title: x\n---x: 1\n',
      '---\n',
      'a: 1\n---\nb: 2\n',
      '~\n',
      'null\n',
      'just text\n',
      '- a\n- b\n',
      'a: [\n',
      'date: 2023-03-10 22:41:44 +0000\ntitle: "**t**"\n',
      // Blocks splitFrontMatter never makes, for the general path: no final line end, CR, blank end.
      'a: 1',
      'a: [',
      'a: 1\r\n',
      'a: [\r\n',
      'a: 1\r\n---x\r\n',
      'a: 1\n\n',
      'a: [\n\n---x\n',
      '\n\n',
      '# c',
    ];
    for (const block of blocks) expect(outcome(() => yamlData(block)), JSON.stringify(block)).toEqual(outcome(() => grayMatterData(split(block))));
  });

  it('agrees with gray-matter on many generated blocks, errors included', () => {
    const next = seededRandom(7);
    let errors = 0;
    for (let n = 0; n < 3000; n++) {
      const count = Math.floor(next() * 8);
      let block = '';
      for (let k = 0; k < count; k++) block += `${LINES[Math.floor(next() * LINES.length)]}\n`;
      const fast = outcome(() => yamlData(block));
      expect(fast, JSON.stringify(block)).toEqual(outcome(() => grayMatterData(split(block))));
      if ('error' in fast) errors++;
    }
    // Both kinds of answer were compared, not only one.
    expect(errors).toBeGreaterThan(100);
    expect(errors).toBeLessThan(2900);
  });

  it('is what parseFrontMatter uses, with file lines in its errors', () => {
    const ok = splitFrontMatter('---\ntitle: x\ntags: [a]\n---\nbody\n', true);
    if (ok.kind !== 'ok') throw new Error('no front matter');
    expect(parseFrontMatter(ok).data).toEqual({ title: 'x', tags: ['a'] });
    const bad = splitFrontMatter('---\ntitle: x\ntags: [a\n---\nbody\n', true);
    if (bad.kind !== 'ok') throw new Error('no front matter');
    expect(() => parseFrontMatter(bad)).toThrow(/front matter does not parse/);
  });
});
