import { mkdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { postStamps, scanPosts } from '../../src/content/index.js';
import { listPostFilesStamped, reuseListing, type ListingStamp } from '../../src/content/listing.js';
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

describe('stamped listing', () => {
  const config = makeConfig();
  /** No racy window: a test's folders are all younger than any real one. */
  const NO_SLACK = Number.NEGATIVE_INFINITY;

  async function stamped(root: string): Promise<ListingStamp> {
    const { files, stamp } = await listPostFilesStamped(config, path.join(root, 'content'), NO_SLACK);
    if (typeof stamp === 'string') throw new Error(`no stamp: ${stamp}`);
    expect(reuseListing(path.join(root, 'content'), stamp)).toEqual(files);
    return stamp;
  }

  function blog() {
    return testdir({ [`${P}/2026-01-01-a.md`]: post('title: A'), [`${P}/2026/2026-01-02-b.md`]: post('title: B'), 'content/notes/x.md': 'not a post' });
  }

  it('is reused while no folder changed, and not once an entry is added, removed or renamed', async () => {
    const root = blog();
    const contentDir = path.join(root, 'content');
    const stamp = await stamped(root);
    expect(stamp.dirs.map((d) => d[0]).sort()).toEqual(['_posts', '_posts/2026']);
    expect(reuseListing(contentDir, stamp)).toEqual(['_posts/2026-01-01-a.md', '_posts/2026/2026-01-02-b.md']);
    // a change outside the patterns' folders changes nothing
    writeFileSync(path.join(contentDir, 'notes/y.md'), 'still not a post');
    expect(reuseListing(contentDir, stamp)).toBeDefined();

    const changes: Array<(dir: string) => void> = [
      (dir) => writeFileSync(path.join(dir, P, '2026/2026-01-03-c.md'), post('title: C')),
      (dir) => rmSync(path.join(dir, P, '2026-01-01-a.md')),
      (dir) => renameSync(path.join(dir, P, '2026/2026-01-02-b.md'), path.join(dir, P, '2026/2026-01-02-bee.md')),
      (dir) => mkdirSync(path.join(dir, P, '2027')),
      (dir) => rmSync(path.join(dir, P, '2026'), { recursive: true }),
      // a folder replaced by another with the same stamps as far as utimes can make them
      (dir) => {
        const folder = path.join(dir, P, '2026');
        const { atime, mtime } = statSync(folder);
        renameSync(folder, path.join(dir, 'content/old'));
        mkdirSync(folder);
        writeFileSync(path.join(folder, '2026-01-02-b.md'), post('title: B'));
        utimesSync(folder, atime, mtime);
        utimesSync(path.join(dir, P), atime, statSync(path.join(dir, 'content/old')).mtime);
      },
    ];
    for (const change of changes) {
      const dir = blog();
      const before = await stamped(dir);
      change(dir);
      expect(reuseListing(path.join(dir, 'content'), before), change.toString()).toBeUndefined();
    }
  });

  it('is not stamped when a folder changed just now, has a link, or a pattern leaves the content folder', async () => {
    const root = blog();
    const contentDir = path.join(root, 'content');
    // just made: a later listing may be stamped
    expect((await listPostFilesStamped(config, contentDir)).stamp).toBe('later');
    expect((await listPostFilesStamped(makeConfig({ content: { include: ['../elsewhere/*.md'] } }), contentDir, NO_SLACK)).stamp).toBe('never');
    expect((await listPostFilesStamped(makeConfig({ content: { include: ['!_posts/*.md', '*.md'] } }), contentDir, NO_SLACK)).stamp).toBe('never');
    expect((await listPostFilesStamped(makeConfig({ content: { include: ['_drafts/*.md'] } }), contentDir, NO_SLACK)).stamp).toBe('never');
    symlinkSync(path.join(contentDir, 'notes'), path.join(contentDir, '_posts/linked'));
    const linked = await listPostFilesStamped(config, contentDir, NO_SLACK);
    expect(linked.files).toContain('_posts/linked/x.md');
    expect(linked.stamp).toBe('never');
  });

  it('is what postStamps lists when its folders did not change', async () => {
    const root = blog();
    const contentDir = path.join(root, 'content');
    const stamp = await stamped(root);
    const digest = await postStamps(config, contentDir);
    expect(await postStamps(config, contentDir, stamp)).toBe(digest);
    // a stale stamp is not used: the listing is read again
    writeFileSync(path.join(root, P, '2026-01-09-new.md'), post('title: New'));
    expect(await postStamps(config, contentDir, stamp)).toBe(await postStamps(config, contentDir));
    expect(await postStamps(config, contentDir, stamp)).not.toBe(digest);
  });
});
