// Service code starting a Databricks-style job through the typed client, then reading each task
// run's own view as runs/get gives it for a task run id (its job run, cluster and termination code).
//   TEMPORAL_ADDRESS=127.0.0.1:7233 npx tsx examples/client/run-job.ts   (with `djobs dev` or a worker running)
// Payloads are encrypted with the key ring every djobs process shares (DJOBS_ENCRYPTION_KEYS, or
// the key file of DJOBS_HOME that `djobs dev` created): service code uses the same one.
import path from 'node:path';
import { DurableJobsClient, loadJobSpecFile } from '../../client';
import { loadConfig } from '../../config';
import { dataConverterFor } from '../../encryption/key-file';

export async function runEtl(
  address: string,
  taskQueue = 'djobs'
): Promise<{ result: string | undefined; tasks: string[] }> {
  const dataConverter = dataConverterFor(loadConfig(), { createIfMissing: false });
  const client = await DurableJobsClient.connect({ address, taskQueue, dataConverter });
  try {
    const { settings } = await loadJobSpecFile(path.join(__dirname, '..', 'etl', 'job.json'));
    const { job_id } = await client.createJob(settings);
    const { run_id } = await client.runNow(job_id, {
      idempotencyToken: `etl-${new Date().toISOString().slice(0, 10)}`,
    });
    const run = await client.waitForRun(run_id, { timeoutMs: 10 * 60_000 });
    console.log(`run ${run_id}: ${run.state.result_state} — ${run.run_page_url}`);
    const tasks: string[] = [];
    for (const task of run.tasks) {
      const own = await client.getRun(task.run_id);
      const ended = own.status.termination_details;
      const line = `${task.task_key} (run ${own.run_id} of ${own.job_run_id}): ${ended?.code} on cluster ${task.cluster_instance?.cluster_id}`;
      console.log(line);
      tasks.push(line);
    }
    await client.deleteJob(job_id);
    return { result: run.state.result_state, tasks };
  } finally {
    await client.close();
  }
}

if (require.main === module) {
  runEtl(process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233').catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
