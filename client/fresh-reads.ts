// Sharing reads among callers without serving any of them an answer older than their question.
// A read already in flight when a caller asks may predate a change that caller has just made
// (a repair it started, a grant it revoked), so a caller never joins it: it waits for the next
// read, which every caller arriving meanwhile shares. Each answer comes from a read sent after its
// caller asked, as fresh as a read of its own, and N callers of one key cost at most two reads per
// round trip instead of N.

export class FreshReads<K, V> {
  /** By key: the read in flight, and the one its late callers wait for. */
  private readonly inFlight = new Map<K, { current: Promise<V>; next?: Promise<V> }>();

  /** `read(key)` sent after this call, shared with every caller of `key` asking before it is sent. */
  get(key: K, read: (key: K) => Promise<V>): Promise<V> {
    const entry = this.inFlight.get(key);
    if (!entry) return this.send(key, read);
    const again = () => this.send(key, read);
    return (entry.next ??= entry.current.then(again, again));
  }

  /** Reads of keys in flight now (bounded by the callers waiting, not by the keys ever read). */
  get size(): number {
    return this.inFlight.size;
  }

  private send(key: K, read: (key: K) => Promise<V>): Promise<V> {
    const current = read(key);
    const entry: { current: Promise<V>; next?: Promise<V> } = { current };
    this.inFlight.set(key, entry);
    const settled = () => {
      if (this.inFlight.get(key) === entry) this.inFlight.delete(key);
    };
    current.then(settled, settled);
    return current;
  }
}
