import type { DurableJobsClient } from '../../client';
import type { Run } from '../../core';
import { ExitCode } from '../exit-codes';
import { printJson, type OutputFormat } from '../output';
import { RunFollower, runHeadline, runTable } from '../render';

/** Wait for a run while showing its task table; exit 0 only when it ended SUCCESS. */
export async function followRun(client: DurableJobsClient, runId: number, format: OutputFormat): Promise<number> {
  const follower = new RunFollower(process.stderr);
  if (format === 'text') process.stderr.write(`Run ${runId}: ${client.runPageUrl(runId)}\n`);
  const run: Run = await client.waitForRun(runId, {
    pollIntervalMs: 300,
    onUpdate: (r) => format === 'text' && follower.update(r),
  });
  if (format === 'json') printJson(run);
  else process.stdout.write(`${runHeadline(run)}\n${runTable(run)}\n`);
  return run.state.result_state === 'SUCCESS' ? ExitCode.SUCCESS : ExitCode.RUN_FAILED;
}

/**
 * What every run-starting command does last: with --no-wait print the id (`{ key: id }` as JSON
 * with -o json) and succeed; otherwise follow the run to its end.
 */
export async function printIdOrFollow(
  client: DurableJobsClient,
  started: { key: 'run_id' | 'repair_id'; id: number },
  runId: number,
  wait: boolean,
  format: OutputFormat
): Promise<number> {
  if (!wait) {
    if (format === 'json') printJson({ [started.key]: started.id });
    else process.stdout.write(`${started.id}\n`);
    return ExitCode.SUCCESS;
  }
  return followRun(client, runId, format);
}
