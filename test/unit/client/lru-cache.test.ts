import { describe, expect, it } from 'vitest';
import { LruCache } from '../../../client/lru-cache';

describe('LruCache', () => {
  it('forgets the least recently used entry first, a read counting as a use', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // b is now the least recently used
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
    expect(cache.size).toBe(2);
  });

  it('replaces an entry in place, deletes, and keeps nothing with capacity 0', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('a', 2);
    expect(cache.size).toBe(1);
    expect(cache.get('a')).toBe(2);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    const none = new LruCache<string, number>(0);
    none.set('a', 1);
    expect(none.get('a')).toBeUndefined();
    expect(none.size).toBe(0);
  });

  it('iterates its entries least recently used first, without counting that as a use', () => {
    const cache = new LruCache<string, number>(3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.get('a');
    expect([...cache]).toEqual([
      ['b', 2],
      ['a', 1],
    ]);
    cache.set('c', 3);
    cache.set('d', 4); // b, still the least recently used, goes
    expect([...cache].map(([k]) => k)).toEqual(['a', 'c', 'd']);
  });
});
