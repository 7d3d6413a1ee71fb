import type { DurableJobsClient } from '../../client';
import type { Run } from '../../spec';
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
