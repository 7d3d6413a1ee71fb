// The run's state machine without a server: every run_if × attempt outcome × interruption, and
// the events around them (retries, pause, cancel, timeout, drain and continue-as-new, repair).
import { describe, expect, it } from 'vitest';
import {
  ActiveRun,
  attemptTaskValues,
  RunIf,
  taskRunId,
  type AttemptEnd,
  type AttemptOutcome,
  type RunInterruption,
  type RunState,
  type Task,
} from '../../../../core';

const RUN_ID = 42;
const task = (task_key: string, deps: string[] = [], extra: Partial<Task> = {}): Task => ({
  task_key,
  ...(deps.length ? { depends_on: deps.map((k) => ({ task_key: k })) } : {}),
  notebook_task: { notebook_path: `./${task_key}` },
  ...extra,
});

const seed = (tasks: Task[]): RunState => ({
  run_id: RUN_ID,
  run_name: 'test',
  run_type: 'JOB_RUN',
  trigger: 'ONE_TIME',
  settings: { name: 'test', tasks },
  job_parameters: {},
  start_time: 1000,
  end_time: 0,
  paused: false,
  state_message: '',
  userCanceledOrTimedOut: false,
  tasks: {},
});

const outcome = (end: AttemptEnd): AttemptOutcome => ({ end, message: end === 'SUCCESS' ? '' : `it ended ${end}` });

/**
 * Drive a run the way workflows/task-runs.ts does, one attempt at a time: `endOf` says how each
 * attempt ends; `interrupt` (if given) arrives as the attempt it names ends (in the same workflow
 * activation, so the attempt's own outcome is recorded but no retry follows).
 */
function drive(
  run: ActiveRun,
  endOf: (key: string, attemptNumber: number) => AttemptEnd,
  interrupt?: { after: string; kind: Exclude<RunInterruption, undefined> },
  launched: string[] = [],
  now = 2000
): void {
  const running = [...launched];
  for (;;) {
    running.push(...run.advance(100).map((t) => t.task_key));
    if (run.settled) return;
    const key = running.shift();
    if (key === undefined) throw new Error('nothing running and the run is not settled');
    for (;;) {
      if (run.interruption) {
        run.attemptInterrupted(key, (now += 10));
        break;
      }
      now += run.retryDelay(key, now, () => true);
      const attempt = run.attemptStarted(key, (now += 10));
      const end = endOf(key, attempt.attempt_number);
      if (interrupt?.after === key) {
        if (interrupt.kind === 'CANCELED') run.canceled();
        else run.timedOut();
      }
      const again = run.attemptEnded(key, outcome(end), (now += 10));
      if (!again) break;
    }
    run.taskStopped(key, false);
  }
}

const resultOf = (run: ActiveRun, key: string) => run.attempt(key).result;
const TASK_RESULT: Record<AttemptEnd, string> = {
  SUCCESS: 'SUCCESS',
  FAILED: 'FAILED',
  TIMEDOUT: 'TIMEDOUT',
  CANCELED: 'CANCELED',
  INVALID: 'FAILED',
  INTERNAL_ERROR: 'FAILED',
};
/** How `b` (run_if, one upstream `a`) ends when `a` ended as given: 'run' means it ran. */
const DOWNSTREAM: Record<RunIf, Record<'S' | 'F' | 'C', string>> = {
  ALL_SUCCESS: { S: 'run', F: 'UPSTREAM_FAILED', C: 'UPSTREAM_CANCELED' },
  AT_LEAST_ONE_SUCCESS: { S: 'run', F: 'UPSTREAM_FAILED', C: 'UPSTREAM_CANCELED' },
  NONE_FAILED: { S: 'run', F: 'UPSTREAM_FAILED', C: 'UPSTREAM_CANCELED' },
  ALL_DONE: { S: 'run', F: 'run', C: 'run' },
  AT_LEAST_ONE_FAILED: { S: 'EXCLUDED', F: 'run', C: 'EXCLUDED' },
  ALL_FAILED: { S: 'EXCLUDED', F: 'run', C: 'EXCLUDED' },
};
const dependencyOf = (r: string): 'S' | 'F' | 'C' => (r === 'SUCCESS' ? 'S' : r === 'CANCELED' ? 'C' : 'F');

describe('ActiveRun: run_if × attempt outcome × interruption', () => {
  const ends: AttemptEnd[] = ['SUCCESS', 'FAILED', 'TIMEDOUT', 'CANCELED', 'INVALID', 'INTERNAL_ERROR'];
  const interruptions: RunInterruption[] = [undefined, 'CANCELED', 'TIMEDOUT'];
  for (const runIf of Object.values(RunIf))
    for (const end of ends)
      for (const interruption of interruptions) {
        it(`b run_if ${runIf}, a ends ${end}, interruption ${interruption ?? 'none'}`, () => {
          // `a` may retry once: only FAILED/INTERNAL_ERROR (and TIMEDOUT with retry_on_timeout) retry,
          // and an interruption stops retries.
          const run = ActiveRun.start(seed([task('a', [], { max_retries: 1 }), task('b', ['a'], { run_if: runIf })]));
          drive(run, (key) => (key === 'a' ? end : 'SUCCESS'), interruption && { after: 'a', kind: interruption });
          const outcomeOfRun = run.finish(9000);

          const retried = !interruption && (end === 'FAILED' || end === 'INTERNAL_ERROR');
          expect(run.state.tasks.a!.attempts.map((a) => a.attempt_number)).toEqual(retried ? [0, 1] : [0]);
          const a = TASK_RESULT[end];
          expect(resultOf(run, 'a')).toBe(a);
          const decision = DOWNSTREAM[runIf][dependencyOf(a)];
          const b = decision === 'run' ? (interruption ?? 'SUCCESS') : decision;
          expect(resultOf(run, 'b')).toBe(b);
          if (decision === 'run' && interruption) expect(run.attempt('b').phase).toBe('SKIPPED');

          if (interruption) {
            expect(outcomeOfRun.result).toBe(interruption);
            expect(run.state.userCanceledOrTimedOut).toBe(true);
          } else if (b === 'UPSTREAM_FAILED') expect(outcomeOfRun.result).toBe('FAILED');
          else if (b === 'UPSTREAM_CANCELED') expect(outcomeOfRun.result).toBe('CANCELED');
          else expect(outcomeOfRun.result).toBe(a === 'SUCCESS' ? 'SUCCESS' : 'SUCCESS_WITH_FAILURES');
          expect(run.state.result).toBe(outcomeOfRun.result);
          expect(run.state.end_time).toBe(9000);
        });
      }
});

describe('ActiveRun events', () => {
  it('numbers attempts in spec order, then retries after the last', () => {
    const run = ActiveRun.start(seed([task('a', [], { max_retries: 2 }), task('b')]));
    drive(run, (key, n) => (key === 'a' && n < 2 ? 'FAILED' : 'SUCCESS'));
    expect(run.state.tasks.a!.attempts.map((a) => a.run_id)).toEqual([
      taskRunId(RUN_ID, 1),
      taskRunId(RUN_ID, 3),
      taskRunId(RUN_ID, 4),
    ]);
    expect(run.state.tasks.b!.attempts.map((a) => a.run_id)).toEqual([taskRunId(RUN_ID, 2)]);
    expect(run.finish(9000).result).toBe('SUCCESS');
  });

  it('gives a task that cannot run as configured INVALID_RUN_CONFIGURATION, unless its worker said more precisely why', () => {
    const record = { startTime: 1000, endTime: 1100, logPath: '/l', logTail: '', logTruncated: false, taskValues: {} };
    const codes = [undefined, 'RESOURCE_NOT_FOUND'].map((terminationCode) => {
      const run = ActiveRun.start(seed([task('a')]));
      run.advance(10);
      run.attemptStarted('a', 1000);
      run.attemptEnded(
        'a',
        { ...outcome('INVALID'), record: { ...record, ...(terminationCode ? { terminationCode } : {}) } },
        1200
      );
      return [run.attempt('a').result, run.attempt('a').terminationCode];
    });
    expect(codes).toEqual([
      ['FAILED', 'INVALID_RUN_CONFIGURATION'],
      ['FAILED', 'RESOURCE_NOT_FOUND'],
    ]);
  });

  it('retries after min_retry_interval_millis counted from the start of the failed attempt', () => {
    const run = ActiveRun.start(seed([task('a', [], { max_retries: 1, min_retry_interval_millis: 5000 })]));
    run.advance(10);
    run.attemptStarted('a', 1000);
    expect(run.attemptEnded('a', outcome('FAILED'), 1200)).toBe(true);
    expect(run.attempt('a')).toMatchObject({
      phase: 'WAITING_FOR_RETRY',
      attempt_number: 1,
      state_message: 'Waiting to retry after: it ended FAILED',
    });
    expect(run.retryDelay('a', 1500, () => true)).toBe(4500);
    expect(run.retryDelay('a', 7000, () => true)).toBe(0);
  });

  it('lets the retry interval pass on the workflow clock and on the worker-reported one (only the latter before the patch)', () => {
    const run = ActiveRun.start(seed([task('a', [], { max_retries: 1, min_retry_interval_millis: 900_000 })]));
    run.advance(10);
    run.attemptStarted('a', 1_000_000);
    // The worker's clock is 10 minutes behind the workflow's (skew; a time-skipping server).
    const record = {
      startTime: 400_000,
      endTime: 401_000,
      logPath: '/l',
      logTail: '',
      logTruncated: false,
      taskValues: {},
    };
    expect(run.attemptEnded('a', { ...outcome('FAILED'), record }, 1_002_000)).toBe(true);
    expect(run.state.tasks.a!.attempts[0]!.start_time).toBe(400_000);
    let asked = 0;
    const workflowClock = () => (asked++, true);
    expect(run.retryDelay('a', 1_002_000, workflowClock)).toBe(898_000);
    expect(run.retryDelay('a', 1_002_000, () => false)).toBe(298_000);
    expect(asked).toBe(1);
    // A worker clock ahead of the workflow's: the interval passes on it too.
    const ahead = ActiveRun.start(seed([task('a', [], { max_retries: 1, min_retry_interval_millis: 900_000 })]));
    ahead.advance(10);
    ahead.attemptStarted('a', 1_000_000);
    expect(
      ahead.attemptEnded('a', { ...outcome('FAILED'), record: { ...record, startTime: 1_001_500 } }, 1_002_000)
    ).toBe(true);
    expect(ahead.retryDelay('a', 1_002_000, () => true)).toBe(899_500);
    // Nothing waits to retry: the patch is not asked about.
    const other = ActiveRun.start(seed([task('b', [])]));
    other.advance(10);
    expect(other.retryDelay('b', 0, workflowClock)).toBe(0);
    expect(asked).toBe(1);
  });

  it('retries a timeout only with retry_on_timeout', () => {
    for (const retry_on_timeout of [false, true]) {
      const run = ActiveRun.start(seed([task('a', [], { max_retries: 1, retry_on_timeout })]));
      run.advance(10);
      run.attemptStarted('a', 1000);
      expect(run.attemptEnded('a', outcome('TIMEDOUT'), 1200)).toBe(retry_on_timeout);
    }
  });

  it('launches at most maxParallel tasks, and none while paused', () => {
    const run = ActiveRun.start(seed([task('a'), task('b'), task('c')]));
    run.setPaused(true);
    expect(run.advance(2)).toEqual([]);
    expect(run.state.state_message).toBe('Paused: no new task starts until the run is resumed.');
    expect(run.attempt('a').state_message).toBe('Waiting for a free slot.');
    run.setPaused(false);
    expect(run.advance(2).map((t) => t.task_key)).toEqual(['a', 'b']);
    expect(run.state.state_message).toBe('');
    expect(run.running).toBe(2);
    run.attemptStarted('a', 1000);
    run.attemptEnded('a', outcome('SUCCESS'), 1100);
    run.taskStopped('a', false);
    expect(run.advance(2).map((t) => t.task_key)).toEqual(['c']);
  });

  it('wakes the interpreter on every event it waits for', () => {
    const run = ActiveRun.start(seed([task('a')]));
    const seen = run.version;
    run.setPaused(true);
    expect(run.version).toBeGreaterThan(seen);
    const before = run.version;
    run.advance(1);
    expect(run.version).toBe(before); // applying the DAG's own steps needs no wake-up
  });

  it('keeps the first interruption when the timeout comes after a cancel, but a cancel overrides a timeout', () => {
    const run = ActiveRun.start(seed([task('a')]));
    run.timedOut();
    run.canceled();
    expect(run.interruption).toBe('CANCELED');
    const other = ActiveRun.start(seed([task('a')]));
    other.canceled();
    other.timedOut();
    expect(other.interruption).toBe('CANCELED');
  });

  it('drains for continue-as-new and resumes the deferred task in the next execution', () => {
    const run = ActiveRun.start(seed([task('a', [], { max_retries: 1 }), task('b', ['a'])]));
    run.advance(10);
    run.attemptStarted('a', 1000);
    run.attemptEnded('a', outcome('FAILED'), 1100);
    run.drain();
    run.taskStopped('a', true); // its retry starts in the next execution
    expect(run.settled).toBe(true);
    expect(run.complete).toBe(false);
    const carried = JSON.parse(JSON.stringify(run.continuation())) as ReturnType<ActiveRun['continuation']>;
    const next = ActiveRun.resume(carried);
    const relaunched = next.advance(10).map((t) => t.task_key);
    expect(relaunched).toEqual(['a']);
    drive(next, () => 'SUCCESS', undefined, relaunched);
    expect(next.state.tasks.a!.attempts.map((a) => [a.attempt_number, a.result])).toEqual([
      [0, 'FAILED'],
      [1, 'SUCCESS'],
    ]);
    expect(next.finish(9000).result).toBe('SUCCESS');
  });

  it('carries only the attempts into the next execution; the scheduler view is derived from them', () => {
    const run = ActiveRun.start(seed([task('a', [], { max_retries: 1 }), task('b'), task('c', ['a', 'b'])]));
    expect(run.advance(1).map((t) => t.task_key)).toEqual(['a']); // b waits for a free slot
    run.attemptStarted('a', 1000);
    run.attemptEnded('a', outcome('FAILED'), 1100);
    run.drain();
    run.taskStopped('a', true);
    const carried = run.continuation();
    expect(Object.keys(carried).sort()).toEqual(['sequence', 'state']);
    // Older executions carried the scheduler's view too: it is ignored, the attempts decide.
    const next = ActiveRun.resume({
      ...(JSON.parse(JSON.stringify(carried)) as typeof carried),
      progress: { a: { phase: 'PENDING' }, b: { phase: 'PENDING' }, c: { phase: 'PENDING' } },
    });
    expect(next.advance(1).map((t) => t.task_key)).toEqual(['a']);
    expect(next.attempt('a').state_message).toBe('Waiting to retry after: it ended FAILED');
    expect(next.attempt('b').state_message).toBe('Waiting for a free slot.');
    // Started tasks are not started twice while they wait for a slot.
    expect(next.advance(1)).toEqual([]);
    drive(next, () => 'SUCCESS', undefined, ['a']);
    expect(next.finish(9000).result).toBe('SUCCESS');
    expect(['a', 'b', 'c'].map((k) => resultOf(next, k))).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS']);
  });

  it('repairs a run that ended without finishing a task (a terminated workflow): the kept task is canceled, not started', () => {
    const first = ActiveRun.start(seed([task('a'), task('b')]));
    first.advance(10);
    first.attemptStarted('a', 1500);
    first.attemptStarted('b', 1500);
    first.attemptEnded('b', outcome('FAILED'), 1600);
    first.taskStopped('b', false);
    const previous = JSON.parse(JSON.stringify(first.state)) as RunState;
    const repaired = ActiveRun.repair(seed([task('a'), task('b')]), { repairId: 8, previous, rerunTasks: ['b'] }, 6000);
    expect(repaired.advance(10).map((t) => t.task_key)).toEqual(['b']);
    expect(repaired.attempt('a')).toMatchObject({ phase: 'TERMINATED', result: 'CANCELED' });
  });

  it('repairs: kept tasks keep their attempts, chosen tasks get a new one, repair_history records both', () => {
    const first = ActiveRun.start(seed([task('a'), task('b', ['a'])]));
    drive(first, (key) => (key === 'b' ? 'FAILED' : 'SUCCESS'));
    first.finish(5000);
    const previous = JSON.parse(JSON.stringify(first.state)) as RunState;
    const repaired = ActiveRun.repair(
      seed([task('a'), task('b', ['a'])]),
      { repairId: 7, previous, rerunTasks: ['b'] },
      6000
    );
    const launched = repaired.advance(10).map((t) => t.task_key);
    expect(launched).toEqual(['b']);
    drive(repaired, () => 'SUCCESS', undefined, launched, 7000);
    const outcomeOfRepair = repaired.finish(8000);
    expect(outcomeOfRepair.result).toBe('SUCCESS');
    expect(repaired.state.tasks.a!.attempts).toHaveLength(1);
    expect(repaired.state.tasks.b!.attempts.map((a) => [a.run_id, a.result])).toEqual([
      [taskRunId(RUN_ID, 2), 'FAILED'],
      [taskRunId(RUN_ID, 3), 'SUCCESS'],
    ]);
    expect(repaired.state.start_time).toBe(previous.start_time);
    expect(previous.state_message).not.toBe('');
    expect(repaired.state.repair_history).toEqual([
      {
        type: 'ORIGINAL',
        start_time: 1000,
        end_time: 5000,
        result: 'FAILED',
        state_message: previous.state_message,
        task_run_ids: [taskRunId(RUN_ID, 1), taskRunId(RUN_ID, 2)],
      },
      {
        type: 'REPAIR',
        id: 7,
        start_time: 6000,
        end_time: 8000,
        result: 'SUCCESS',
        state_message: '',
        task_run_ids: [taskRunId(RUN_ID, 3)],
      },
    ]);
  });

  it('repairs: the attempt a repair supersedes keeps the task values it set, the new one sets its own', () => {
    const values = (n: number): AttemptOutcome => ({
      ...outcome('SUCCESS'),
      record: { startTime: 0, endTime: 0, logPath: `${n}.log`, logTail: '', logTruncated: false, taskValues: { n } },
    });
    const first = ActiveRun.start(seed([task('a')]));
    first.advance(10);
    first.attemptStarted('a', 1100);
    first.attemptEnded('a', values(1), 1200);
    first.taskStopped('a', false);
    first.finish(1300);
    const previous = JSON.parse(JSON.stringify(first.state)) as RunState;
    const repaired = ActiveRun.repair(seed([task('a')]), { repairId: 9, previous, rerunTasks: ['a'] }, 2000);
    repaired.advance(10);
    const tr = () => repaired.state.tasks.a!;
    // While the repair's attempt runs, the first keeps its values; the task has none yet.
    expect(tr().attempts.map((a) => attemptTaskValues(tr(), a))).toEqual([{ n: 1 }, undefined]);
    repaired.attemptStarted('a', 2100);
    repaired.attemptEnded('a', values(2), 2200);
    expect(tr().attempts.map((a) => attemptTaskValues(tr(), a))).toEqual([{ n: 1 }, { n: 2 }]);
    expect(tr().taskValues).toEqual({ n: 2 });
  });

  it('records a run refused by admission as skipped, never run', () => {
    const run = ActiveRun.start(seed([task('a')]));
    run.skippedByAdmission({ code: 'QUEUE_FULL', message: 'The queue is full.' }, 3000);
    expect(run.state).toMatchObject({
      result: 'MAXIMUM_CONCURRENT_RUNS_REACHED',
      termination_code: 'QUEUE_FULL',
      state_message: 'The queue is full.',
      end_time: 3000,
    });
    expect(run.attempt('a')).toMatchObject({ phase: 'SKIPPED', state_message: 'The queue is full.' });
  });

  it('measures the time spent queued from the start of the run, and clears the admission mark', () => {
    const run = ActiveRun.start({ ...seed([task('a')]), awaiting_admission: true });
    expect(run.dequeued(100)).toBe(false);
    expect(run.state.awaiting_admission).toBeUndefined();
    run.enqueued('Queued: 1 run of this job is active.');
    expect(run.state.queued).toEqual({ since: 1000, reason: 'Queued: 1 run of this job is active.' });
    expect(run.dequeued(4000)).toBe(true);
    expect(run.state.queue_duration).toBe(3000);
    expect(run.state.queued).toBeUndefined();
  });

  it('passes task values of upstream tasks (transitively) only', () => {
    const run = ActiveRun.start(seed([task('a'), task('b', ['a']), task('c'), task('d', ['b'])]));
    run.advance(10);
    run.attemptStarted('a', 1000);
    const record = { startTime: 1000, endTime: 1100, logPath: 'a.log', logTail: 'ok', logTruncated: false };
    run.attemptEnded('a', { end: 'SUCCESS', message: '', record: { ...record, taskValues: { n: 1 } } }, 1100);
    run.attemptStarted('c', 1000);
    run.attemptEnded('c', { end: 'SUCCESS', message: '', record: { ...record, taskValues: { m: 2 } } }, 1100);
    expect(run.upstreamValues(run.task('d'))).toEqual({ a: { n: 1 } });
    expect(run.attempt('a')).toMatchObject({ logPath: 'a.log', logTail: 'ok', start_time: 1000, end_time: 1100 });
  });

  it('keeps the branch of a condition task for its dependents', () => {
    const run = ActiveRun.start(
      seed([
        task('cond'),
        task('yes', [], { depends_on: [{ task_key: 'cond', outcome: 'true' }] }),
        task('no', [], { depends_on: [{ task_key: 'cond', outcome: 'false' }] }),
      ])
    );
    drive(run, () => 'SUCCESS');
    expect(run.attempt('cond').conditionOutcome).toBeUndefined();
    const other = ActiveRun.start(
      seed([
        task('cond'),
        task('yes', [], { depends_on: [{ task_key: 'cond', outcome: 'true' }] }),
        task('no', [], { depends_on: [{ task_key: 'cond', outcome: 'false' }] }),
      ])
    );
    other.advance(10);
    other.attemptStarted('cond', 1000);
    other.attemptEnded('cond', { end: 'SUCCESS', message: '', conditionOutcome: 'false' }, 1100);
    other.taskStopped('cond', false);
    expect(other.advance(10).map((t) => t.task_key)).toEqual(['no']);
    expect(other.attempt('yes').result).toBe('EXCLUDED');
  });
});
