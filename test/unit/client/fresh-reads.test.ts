import { describe, expect, it } from 'vitest';
import { FreshReads } from '../../../client/fresh-reads';

/** A store whose reads answer only when told to, each with the value the store held when it was sent. */
function slowStore() {
  let value = 0;
  const pending: (() => void)[] = [];
  let sent = 0;
  return {
    set: (v: number) => {
      value = v;
    },
    read: () => {
      sent++;
      const seen = value;
      return new Promise<number>((resolve) => pending.push(() => resolve(seen)));
    },
    /** Answer the oldest read in flight, then let the callers' continuations run. */
    answer: async () => {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    },
    get sent() {
      return sent;
    },
  };
}

describe('FreshReads', () => {
  it('never answers a caller with a read sent before it asked, and shares the next read among late callers', async () => {
    const store = slowStore();
    const reads = new FreshReads<string, number>();
    const first = reads.get('run', store.read);
    store.set(1); // a change made after the first read was sent, e.g. a repair
    const late = [reads.get('run', store.read), reads.get('run', store.read), reads.get('run', store.read)];
    expect(store.sent).toBe(1); // the late callers wait for the next read
    await store.answer();
    expect(await first).toBe(0);
    expect(store.sent).toBe(2); // sent once the first answered, for all three
    await store.answer();
    expect(await Promise.all(late)).toEqual([1, 1, 1]);
    expect(reads.size).toBe(0);
  });

  it('keeps keys apart, and a failed read fails only its own callers', async () => {
    const reads = new FreshReads<string, number>();
    let fail = true;
    const read = async (key: string) => {
      if (key === 'a' && fail) throw new Error('not found');
      return key.length;
    };
    const a = reads.get('a', read);
    const b = reads.get('bb', read);
    fail = false;
    const aAgain = reads.get('a', read); // asked while the failing read was in flight: gets a read of its own
    await expect(a).rejects.toThrow('not found');
    expect(await b).toBe(2);
    expect(await aAgain).toBe(1);
    expect(reads.size).toBe(0);
  });
});
