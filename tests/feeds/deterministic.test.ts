import { afterEach, describe, expect, test, vi } from 'vitest';
import { renderAtom } from '../../src/feeds/atom.js';
import type { FeedDocument } from '../../src/feeds/document.js';
import { renderJsonFeed } from '../../src/feeds/json.js';
import { renderRss } from '../../src/feeds/rss.js';
import { makeConfig, makeDoc, siteSet, twoPosts } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe.each([
  ['RSS', renderRss],
  ['Atom', renderAtom],
  ['JSON Feed', renderJsonFeed],
] as const)('%s is deterministic', (_name, render: (doc: FeedDocument) => string) => {
  test('same input, same bytes, whatever the clock says; no build time anywhere', () => {
    const config = makeConfig();
    const full = (): string => {
      const posts = twoPosts();
      return render(makeDoc(config, siteSet(config, posts), posts));
    };
    const empty = (): string => render(makeDoc(config, siteSet(config, []), []));
    vi.useFakeTimers({ now: new Date('2030-05-05T05:05:05Z'), toFake: ['Date'] });
    const a = [full(), empty()];
    vi.setSystemTime(new Date('2001-01-01T00:00:00Z'));
    const b = [full(), empty()];
    expect(b).toEqual(a);
    expect(a.join('')).not.toMatch(/2030|2001/);
  });
});
