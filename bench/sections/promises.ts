// Promises created by workflow code per task, ours and hand-written: a figure the machine's load
// does not move. The SDK captures a stack trace (mapped through the bundle's source map) for every
// promise a workflow creates, so this count is most of a workflow's own CPU per task
// (docs/performance.md). Counted with a promise hook in a worker of its own in debug mode, whose
// workflows run in this thread; a promise of a workflow's context has that context's Promise.
import { promiseHooks } from 'node:v8';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import type { TaskAttemptInput, TaskAttemptRecord } from '../../core';
import type { JobRunInput } from '../../workflows/definitions';
import { createPlanningActivities } from '../../activities/planning';
import { djobsDataConverter } from '../../encryption/data-converter';
import { workflowActivationTimeout } from '../../worker';
import { benchWorkflowId, median, round } from '../env';
import type { Section } from '../section';
import { chainSpec, fanSpec } from '../specs';

const REPEATS = 3;

async function runTaskAttempt(_input: TaskAttemptInput): Promise<TaskAttemptRecord> {
  const now = Date.now();
  return { startTime: now, endTime: now, logPath: '', logTail: '', logTruncated: false, taskValues: {}, exitCode: 0 };
}

export const promises: Section = {
  name: 'promises',
  summary:
    'promises created by workflow code per task, ours vs hand-written (chain 100, fan-out 200): load-independent',
  quick: true,
  async run(env) {
    const dataConverter = djobsDataConverter(undefined);
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../workflows'),
      failureConverterPath: dataConverter.failureConverterPath,
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error },
    });
    const connection = await NativeConnection.connect({ address: env.address });
    const taskQueue = benchWorkflowId('promises');
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: { code },
      dataConverter,
      activities: { ...createPlanningActivities('default'), runTaskAttempt },
      debugMode: true,
      ...workflowActivationTimeout,
    });
    let inWorkflows = 0;
    // Node types the returned stop function as `Function`.
    const stopHook = promiseHooks.onInit((p: Promise<unknown>) => {
      if (p.constructor !== Promise) inWorkflows++;
    }) as () => void;
    const count = async (type: string, args: unknown[]): Promise<number> => {
      const before = inWorkflows;
      await env.client.workflow.execute(type, { taskQueue, workflowId: benchWorkflowId('promises'), args });
      return inWorkflows - before;
    };
    const running = worker.run();
    const rows = [];
    try {
      const ours = (settings: JobRunInput['settings']): unknown[] => [
        { runId: 43, settings, options: { maxParallelTasks: 1000 } } satisfies JobRunInput,
      ];
      const scenarios = [
        { name: 'chain of 100', tasks: 100, ours: ours(chainSpec(100)), hand: ['handChain', [100]] as const },
        {
          name: 'fan-out/fan-in 200 wide',
          tasks: 202,
          ours: ours(fanSpec(200)),
          hand: ['handFanOutFanIn', [200]] as const,
        },
      ];
      await count('jobRun', ours(chainSpec(3)));
      for (const s of scenarios) {
        const o: number[] = [];
        const h: number[] = [];
        for (let i = 0; i < REPEATS; i++) {
          o.push(await count('jobRun', s.ours));
          h.push(await count(s.hand[0], [...s.hand[1]]));
        }
        rows.push({
          scenario: s.name,
          ours_per_task: round(median(o) / s.tasks, 1),
          hand_per_task: round(median(h) / s.tasks, 1),
          ratio: round(median(o) / median(h), 2),
        });
      }
    } finally {
      stopHook();
      worker.shutdown();
      await running;
      await connection.close();
    }
    return [
      {
        title: `Promises created by workflow code per task (median of ${REPEATS}; baseline: hand-written workflow, same worker)`,
        rows,
        notes: [
          'Each costs a stack trace in the SDK’s promise hook: the part of a workflow’s CPU per task that is its own.',
          'No target: a rise here is a regression in the interpreter’s cost per task, whatever the load.',
        ],
      },
    ];
  },
};
