// A map bounded to `capacity` entries that forgets the least recently used one first: what every
// cache of a long-lived client (an API server over many jobs and runs) is kept in, so memory stays
// bounded however many ids it is asked about.

export class LruCache<K, V> {
  /** Map iteration order is insertion order: re-inserting on use keeps the oldest entry first. */
  private readonly entries = new Map<K, V>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    if (this.capacity <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  /** Every entry, least recently used first, without touching their order. */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries.entries();
  }
}
