import { describe, expect, it } from 'vitest';
import { hashId, PermalinkOwners } from '../../src/content/owners.js';
import { collidingIds } from '../helpers/hash.js';


describe('PermalinkOwners', () => {
  it('hashes to small non-negative integers, the same for the same id', () => {
    const ids = ['', 'https://blog.example.com/a/', 'https://blog.example.com/%E6%8A%95%E8%B3%87/', '投資'];
    for (const id of ids) {
      const h = hashId(id);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 31).toBe(true);
      expect(hashId(`${id}`)).toBe(h);
    }
    expect(new Set(ids.map(hashId)).size).toBe(ids.length);
  });

  it('finds the holder of an id, and checks a hash met again against the real id', () => {
    const [a, b] = collidingIds();
    expect(a).not.toBe(b);
    expect(hashId(a)).toBe(hashId(b));
    const ids = [a, b, 'https://blog.example.com/c/'];
    const asked: number[] = [];
    const owners = new PermalinkOwners((at) => {
      asked.push(at);
      return ids[at];
    });
    expect(owners.holder(a)).toBeUndefined();
    owners.add(a, 0);
    // Same hash, another id: not a duplicate; the holder's id was read to tell.
    expect(owners.holder(b)).toBeUndefined();
    expect(asked).toEqual([0]);
    owners.add(b, 1);
    expect(owners.holder(a)).toBe(0);
    expect(owners.holder(b)).toBe(1);
    expect(owners.holder(ids[2]!)).toBeUndefined();
    owners.add(ids[2]!, 2);
    expect(owners.holder(ids[2]!)).toBe(2);
  });

  it('takes a holder whose id can no longer be told (its file changed) to hold the id', () => {
    const [a, b] = collidingIds();
    const owners = new PermalinkOwners(() => undefined);
    owners.add(a, 7);
    expect(owners.holder(b)).toBe(7);
  });
});
