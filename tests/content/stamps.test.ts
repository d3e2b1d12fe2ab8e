import path from 'node:path';
import { utimesSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { postStamps, scanPosts } from '../../src/content/index.js';
import { testdir } from '../helpers/tmp.js';
import { makeConfig, NOW, post } from './helpers.js';

const P = 'content/_posts';

async function scan(root: string, now = NOW) {
  return scanPosts({ config: makeConfig(), contentDir: path.join(root, 'content'), now, stamp: true }, () => undefined);
}

describe('scan inputs', () => {
  it('digest the files as postStamps does, and bound the published set in time', async () => {
    const root = testdir({
      [`${P}/2026-01-01-a.md`]: post('title: A'),
      [`${P}/2026-05-02-b.md`]: post('title: B'),
      [`${P}/2026-07-01-later.md`]: post('title: Later'),
      [`${P}/2026-08-01-latest.md`]: post('title: Latest'),
      [`${P}/2026-09-01-draft.md`]: post('title: Draft\npublished: false'),
    });
    const contentDir = path.join(root, 'content');
    const result = await scan(root);
    expect(result.stats).toMatchObject({ files: 5, published: 2, future: 2, drafts: 1 });
    expect(result.inputs?.posts).toBe(await postStamps(makeConfig(), contentDir));
    // dates without a time are midnight in the site's zone (Asia/Tokyo)
    expect(result.inputs?.validFrom).toBe(Date.parse('2026-05-01T15:00:00Z'));
    expect(result.inputs?.validUntil).toBe(Date.parse('2026-06-30T15:00:00Z'));

    utimesSync(path.join(root, P, '2026-01-01-a.md'), NOW, NOW);
    expect(await postStamps(makeConfig(), contentDir)).not.toBe(result.inputs?.posts);
    expect((await scan(root)).inputs?.posts).toBe(await postStamps(makeConfig(), contentDir));
  });

  it('are only given when asked for, and not without a content folder', async () => {
    const root = testdir({ [`${P}/2026-01-01-a.md`]: post('title: A') });
    const plain = await scanPosts({ config: makeConfig(), contentDir: path.join(root, 'content'), now: NOW }, () => undefined);
    expect(plain.inputs).toBeUndefined();
    expect((await scan(testdir())).inputs).toBeUndefined();
    expect(await postStamps(makeConfig(), path.join(testdir(), 'content'))).toBeUndefined();
    const empty = await scan(root, new Date('2025-01-01T00:00:00Z'));
    expect(empty.inputs).toMatchObject({ validFrom: null, validUntil: Date.parse('2025-12-31T15:00:00Z') });
  });
});
