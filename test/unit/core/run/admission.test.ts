import { describe, expect, it } from 'vitest';
import { MAX_QUEUED, emptyGate, gateIdle, releaseSlot, requestSlot, type GateState } from '../../../../core';

const req = (workflowId: string, limit: number, queue: boolean) => ({ workflowId, limit, queue });
const verdicts = (ds: { workflowId: string; verdict: string }[]) => ds.map((d) => `${d.workflowId}:${d.verdict}`);

describe('slot gate admission', () => {
  it('grants up to the limit, then skips without a queue', () => {
    const g = emptyGate();
    expect(verdicts(requestSlot(g, req('a', 2, false)))).toEqual(['a:GRANTED']);
    expect(verdicts(requestSlot(g, req('b', 2, false)))).toEqual(['b:GRANTED']);
    const skipped = requestSlot(g, req('c', 2, false));
    expect(skipped).toEqual([
      {
        workflowId: 'c',
        verdict: 'SKIPPED',
        code: 'MAX_CONCURRENT_RUNS_EXCEEDED',
        message: 'Skipping this run because the limit of 2 maximum concurrent runs has been reached.',
      },
    ]);
    expect(g.active).toEqual(['a', 'b']);
  });

  it('queues in arrival order and grants the next in line when a slot frees', () => {
    const g = emptyGate();
    requestSlot(g, req('a', 1, true));
    expect(requestSlot(g, req('b', 1, true))).toEqual([
      { workflowId: 'b', verdict: 'QUEUED', message: 'Queued due to reaching maximum concurrent runs of 1.' },
    ]);
    requestSlot(g, req('c', 1, true));
    expect(verdicts(releaseSlot(g, 'a'))).toEqual(['b:GRANTED']);
    expect(verdicts(releaseSlot(g, 'b'))).toEqual(['c:GRANTED']);
    expect(verdicts(releaseSlot(g, 'c'))).toEqual([]);
    expect(gateIdle(g)).toBe(true);
  });

  it('a newcomer never overtakes the queue, even with a slot free', () => {
    const g: GateState = { limit: 1, active: [], queued: ['q1'] };
    expect(verdicts(requestSlot(g, req('new', 1, true)))).toEqual(['q1:GRANTED', 'new:QUEUED']);
  });

  it('a withdrawn queued request leaves the queue; a repeated request is answered again, not doubled', () => {
    const g = emptyGate();
    requestSlot(g, req('a', 1, true));
    requestSlot(g, req('b', 1, true));
    expect(verdicts(requestSlot(g, req('a', 1, true)))).toEqual(['a:GRANTED']);
    expect(verdicts(requestSlot(g, req('b', 1, true)))).toEqual(['b:QUEUED']);
    expect(verdicts(releaseSlot(g, 'b'))).toEqual([]);
    expect(g).toEqual({ limit: 1, active: ['a'], queued: [] });
  });

  it('the latest limit wins: raising it admits those waiting, lowering it stops no one', () => {
    const g = emptyGate();
    requestSlot(g, req('a', 1, true));
    requestSlot(g, req('b', 1, true));
    expect(verdicts(requestSlot(g, req('c', 3, true)))).toEqual(['b:GRANTED', 'c:GRANTED']);
    expect(verdicts(requestSlot(g, req('d', 1, true)))).toEqual(['d:QUEUED']);
    expect(g.active).toEqual(['a', 'b', 'c']);
    expect(verdicts(releaseSlot(g, 'a'))).toEqual([]);
    expect(verdicts(releaseSlot(g, 'b'))).toEqual([]);
    expect(verdicts(releaseSlot(g, 'c'))).toEqual(['d:GRANTED']);
  });

  it('max_concurrent_runs 0 skips every run, queue or not', () => {
    const g = emptyGate();
    expect(verdicts(requestSlot(g, req('a', 0, true)))).toEqual(['a:SKIPPED']);
  });

  it(`a full queue (${MAX_QUEUED} runs) skips with MAX_JOB_QUEUE_SIZE_EXCEEDED`, () => {
    const g: GateState = { limit: 1, active: ['x'], queued: Array.from({ length: MAX_QUEUED }, (_, i) => `q${i}`) };
    expect(requestSlot(g, req('late', 1, true))).toEqual([
      {
        workflowId: 'late',
        verdict: 'SKIPPED',
        code: 'MAX_JOB_QUEUE_SIZE_EXCEEDED',
        message: `Skipping this run because the queue already holds ${MAX_QUEUED} runs.`,
      },
    ]);
  });

  it('never grants more than the limit over any interleaving of 50 requests and releases', () => {
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const g = emptyGate();
    const holders = new Set<string>();
    const pending = Array.from({ length: 50 }, (_, i) => `r${i}`);
    let granted = 0;
    const apply = (ds: { workflowId: string; verdict: string }[]) => {
      for (const d of ds)
        if (d.verdict === 'GRANTED' && !holders.has(d.workflowId)) {
          holders.add(d.workflowId);
          granted++;
        }
      expect(holders.size).toBeLessThanOrEqual(3);
    };
    while (pending.length > 0 || holders.size > 0) {
      if (pending.length > 0 && (holders.size === 0 || rand() < 0.6))
        apply(requestSlot(g, req(pending.shift()!, 3, true)));
      else {
        const id = [...holders][Math.floor(rand() * holders.size)]!;
        holders.delete(id);
        apply(releaseSlot(g, id));
      }
    }
    expect(granted).toBe(50);
    expect(gateIdle(g)).toBe(true);
  });
});
