// Bench bundle: our interpreter plus hand-written Temporal workflows doing the same work
// (one activity per task, same activity, same options shape), for an apples-to-apples ratio.
import { proxyActivities } from '@temporalio/workflow';
import type { TaskAttemptInput, TaskAttemptRecord } from '../core/model';
import type * as Ours from '../workflows';

/**
 * Our interpreter's modules, loaded by the workflows that run it only. The SDK loads a bundle's
 * workflow module afresh for every workflow execution (module state is per workflow), so a static
 * re-export would make every hand-written run build our interpreter's modules too: a baseline
 * that pays our costs, as a hand-written application with a bundle of its own would not.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ours = () => require('../workflows') as typeof Ours;
export const jobRun: typeof Ours.jobRun = (input) => ours().jobRun(input);
export const forEachRun: typeof Ours.forEachRun = (input) => ours().forEachRun(input);
export const slotGate: typeof Ours.slotGate = (input) => ours().slotGate(input);

interface Acts {
  runTaskAttempt(input: TaskAttemptInput): Promise<TaskAttemptRecord>;
}
const { runTaskAttempt } = proxyActivities<Acts>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30s',
  retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['TaskFailed'] },
});

function input(runId: number, i: number): TaskAttemptInput {
  return {
    runId,
    jobName: 'hand-written',
    taskRunId: runId * 2 ** 17 + i + 1,
    attemptNumber: 0,
    task: { task_key: `t${i}`, shell_command_task: { command: 'true' } },
    jobParameters: {},
    upstreamTaskValues: {},
  };
}

export async function handChain(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await runTaskAttempt(input(1, i));
}

export async function handFanOutFanIn(width: number): Promise<void> {
  await runTaskAttempt(input(1, 0));
  await Promise.all(Array.from({ length: width }, (_, i) => runTaskAttempt(input(1, i + 1))));
  await runTaskAttempt(input(1, width + 1));
}

/** A sliding window of `concurrency` activities over n inputs. */
export async function handForEach(n: number, concurrency: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) await runTaskAttempt(input(1, next++));
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

/** Each task starts when the tasks it depends on are done: the natural hand-written DAG. */
export async function handDag(deps: number[][]): Promise<void> {
  const done: Promise<void>[] = [];
  deps.forEach((ds, i) => {
    done[i] = Promise.all(ds.map((d) => done[d]!)).then(async () => {
      await runTaskAttempt(input(1, i));
    });
  });
  await Promise.all(done);
}
