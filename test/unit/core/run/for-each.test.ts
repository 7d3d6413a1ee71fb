// The for_each child's bookkeeping without a server: concurrency, counts, kept failures, the
// drain for continue-as-new and the next execution that carries the progress on.
import { describe, expect, it } from 'vitest';
import {
  ForEachIterations,
  MAX_FOR_EACH_FAILURES_KEPT,
  forEachDetails,
  forEachInputsLimitProblem,
  forEachIterationTasks,
  parseForEachInputs,
  utf8Length,
} from '../../../../core';

describe('ForEachIterations', () => {
  it('starts at most `concurrency` iterations, in index order, and the next as each ends', () => {
    const it3 = new ForEachIterations(5, 2);
    expect(it3.launch()).toEqual([0, 1]);
    expect(it3.launch()).toEqual([]);
    expect(it3.stats()).toEqual({
      total_iterations: 5,
      scheduled_iterations: 3,
      active_iterations: 2,
      completed_iterations: 0,
      succeeded_iterations: 0,
      failed_iterations: 0,
    });
    it3.ended(1, { ok: true });
    expect(it3.completed).toBe(1);
    expect(it3.launch()).toEqual([2]);
    it3.ended(0, { ok: false, error: 'boom' });
    it3.ended(2, { ok: true });
    expect(it3.launch()).toEqual([3, 4]);
    it3.ended(3, { ok: true });
    expect(it3.done).toBe(false);
    it3.ended(4, { ok: false, error: 'bang' });
    expect(it3.done).toBe(true);
    expect(it3.stats()).toMatchObject({ completed_iterations: 5, succeeded_iterations: 3, failed_iterations: 2 });
    expect(it3.failures()).toEqual([
      { index: 0, error: 'boom' },
      { index: 4, error: 'bang' },
    ]);
  });

  it('clamps concurrency to 1..100 (Databricks caps it at 100)', () => {
    expect(new ForEachIterations(300, 0).launch()).toHaveLength(1);
    expect(new ForEachIterations(300, 1000).launch()).toHaveLength(100);
  });

  it('keeps only the first failures, counting every one', () => {
    const run = new ForEachIterations(50, 50);
    for (const i of run.launch()) run.ended(i, { ok: false, error: `e${i}` });
    expect(run.stats().failed_iterations).toBe(50);
    expect(run.failures()).toHaveLength(MAX_FOR_EACH_FAILURES_KEPT);
    expect(run.failures()[0]).toEqual({ index: 0, error: 'e0' });
  });

  it('an iteration stopped without a result (canceled) frees its place but counts nothing', () => {
    const run = new ForEachIterations(2, 1);
    expect(run.launch()).toEqual([0]);
    run.stopped();
    expect(run.completed).toBe(0);
    expect(run.launch()).toEqual([1]);
  });

  it('drains for continue-as-new: starts nothing more, continues once running iterations ended, and the next execution carries on', () => {
    const run = new ForEachIterations(4, 2);
    expect(run.launch()).toEqual([0, 1]);
    run.drain();
    expect(run.launch()).toEqual([]);
    run.ended(0, { ok: true });
    expect(run.mustContinue).toBe(false);
    run.ended(1, { ok: false, error: 'x' });
    expect(run.drained).toBe(true);
    expect(run.mustContinue).toBe(true);
    const carried = JSON.parse(JSON.stringify(run.progress())) as ReturnType<ForEachIterations['progress']>;
    const next = new ForEachIterations(4, 2, carried);
    expect(next.launch()).toEqual([2, 3]);
    next.ended(2, { ok: true });
    next.ended(3, { ok: true });
    expect(next.done).toBe(true);
    expect(next.stats()).toMatchObject({ succeeded_iterations: 3, failed_iterations: 1, scheduled_iterations: 0 });
    expect(next.failures()).toEqual([{ index: 1, error: 'x' }]);
  });

  it("keeps each iteration's outcome and last attempt across continue-as-new, and shows the running ones (runs/get's iterations)", () => {
    const run = new ForEachIterations(4, 2);
    expect(run.launch()).toEqual([0, 1]);
    run.attemptStarted(0, 0, 100);
    run.attemptStarted(1, 0, 100);
    run.attemptStarted(1, 1, 150);
    run.ended(0, { ok: true, attempt: 0 });
    run.drain();
    expect(run.view()).toEqual({
      total: 4,
      outcomes: 'S...',
      retried: {},
      active: [{ index: 1, attempt: 1, start_time: 150 }],
    });
    run.ended(1, { ok: false, error: 'x', attempt: 1 });
    const carried = JSON.parse(JSON.stringify(run.progress())) as ReturnType<ForEachIterations['progress']>;
    const next = new ForEachIterations(4, 2, carried);
    next.launch();
    next.attemptStarted(2, 0, 200);
    next.ended(3, { ok: true, attempt: 0 });
    expect(next.view()).toEqual({
      total: 4,
      outcomes: 'SF.S',
      retried: { 1: 1 },
      active: [{ index: 2, attempt: 0, start_time: 200 }],
    });
    const tasks = forEachIterationTasks(
      { task_key: 'one', shell_command_task: { command: 'true' } },
      next.view(),
      (index, attempt) => index * 10 + attempt,
      250
    );
    expect(
      tasks.map((t) => [t.task_key, t.run_id, t.attempt_number, t.state.life_cycle_state, t.state.result_state])
    ).toEqual([
      ['one', 0, 0, 'TERMINATED', 'SUCCESS'],
      ['one', 11, 1, 'TERMINATED', 'FAILED'],
      ['one', 20, 0, 'RUNNING', undefined],
      ['one', 30, 0, 'TERMINATED', 'SUCCESS'],
    ]);
    expect(tasks[2]).toMatchObject({ start_time: 200, run_duration: 50 });
  });

  it('a failure without a message is recorded as "failed"; no input at all is done at once', () => {
    const run = new ForEachIterations(1, 1);
    run.launch();
    run.ended(0, { ok: false });
    expect(run.failures()).toEqual([{ index: 0, error: 'failed' }]);
    expect(new ForEachIterations(0, 3).done).toBe(true);
  });

  it('details: the counts as a table for the Temporal UI', () => {
    const run = new ForEachIterations(3, 2);
    run.launch();
    run.ended(0, { ok: true });
    expect(forEachDetails('loop', 9, run.stats())).toBe(
      '**for_each loop** of run 9\n\n| total | active | succeeded | failed | waiting |\n|---|---|---|---|---|\n| 3 | 1 | 1 | 0 | 1 |'
    );
  });
});

describe('parseForEachInputs', () => {
  it('gives the iterations of a JSON array and nothing for any other text', () => {
    expect(parseForEachInputs('[1, "a", {"b": 2}]')).toEqual([1, 'a', { b: 2 }]);
    expect(parseForEachInputs('[]')).toEqual([]);
    expect(parseForEachInputs('{"a": 1}')).toBeUndefined();
    expect(parseForEachInputs('"[1]"')).toBeUndefined();
    expect(parseForEachInputs('[1, 2')).toBeUndefined();
    expect(parseForEachInputs('{{tasks.a.values.list}}')).toBeUndefined();
  });
});

describe("Databricks' limits on for_each inputs", () => {
  it('a literal array: at most 10,000 characters', () => {
    const at = `[${'1,'.repeat(4998)}11]`;
    expect(at.length).toBe(10_000);
    expect(forEachInputsLimitProblem(at, 'literal')).toBeUndefined();
    expect(forEachInputsLimitProblem(`${at} `, 'literal')).toBe(
      "expected at most 10,000 characters (Databricks' limit on a for_each task's inputs array; pass lookup keys and read the details from a file), found 10,001"
    );
  });

  it('inputs a reference filled: at most 48 KiB of UTF-8', () => {
    const ascii = 'x'.repeat(48 * 1024);
    expect(forEachInputsLimitProblem(ascii, 'resolved')).toBeUndefined();
    expect(forEachInputsLimitProblem(`${ascii}é`, 'resolved')).toBe(
      "the inputs resolved to 49,154 bytes; Databricks' limit on a for_each task's inputs passed through a reference is 48 KiB (49,152 bytes)"
    );
  });

  it('counts UTF-8 bytes as Buffer does', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a😀é€z'.repeat(7)]) expect(utf8Length(s)).toBe(Buffer.byteLength(s));
  });
});
