// Bench bundle: our interpreter plus hand-written Temporal workflows doing the same work
// (one activity per task, same activity, same options shape), for an apples-to-apples ratio.
import { proxyActivities } from '@temporalio/workflow';
import type { TaskAttemptInput, TaskAttemptRecord } from '../spec';
export { jobRun } from '../workflows';

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
