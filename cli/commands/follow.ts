import type { DurableJobsClient } from '../../client';
import type { Run } from '../../core';
import { ExitCode } from '../exit-codes';
import { printJson, type OutputFormat } from '../output';
import { RunFollower, runHeadline, runTable } from '../render';

/** How long `djobs run` waits for a finished run's notification deliveries. */
const NOTIFICATION_WAIT_MS = 30_000;

/** Wait for a run while showing its task table; exit 0 only when it ended SUCCESS. */
export async function followRun(client: DurableJobsClient, runId: number, format: OutputFormat): Promise<number> {
  const follower = new RunFollower(process.stderr);
  if (format === 'text') process.stderr.write(`Run ${runId}: ${client.runPageUrl(runId)}\n`);
  let run: Run = await client.waitForRun(runId, {
    pollIntervalMs: 300,
    onUpdate: (r) => format === 'text' && follower.update(r),
  });
  // Notifications go out once the result is known: give them a moment, so a `djobs run` with its
  // own worker delivers them (and shows outbox lines) before it stops.
  if (await client.waitForNotifications(runId, { timeoutMs: NOTIFICATION_WAIT_MS })) run = await client.getRun(runId);
  else if (format === 'text') process.stderr.write('Notifications of this run are still being delivered.\n');
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
