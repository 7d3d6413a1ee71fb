// Service code starting a Databricks-style job through the typed client.
//   TEMPORAL_ADDRESS=127.0.0.1:7233 npx tsx examples/client/run-job.ts   (with `djobs dev` or a worker running)
import path from 'node:path';
import { DurableJobsClient, loadJobSpecFile } from '../../client';

export async function runEtl(address: string, taskQueue = 'djobs'): Promise<string | undefined> {
  const client = await DurableJobsClient.connect({ address, taskQueue });
  try {
    const { settings } = await loadJobSpecFile(path.join(__dirname, '..', 'etl', 'job.json'));
    const { job_id } = await client.createJob(settings);
    const { run_id } = await client.runNow(job_id, {
      idempotencyToken: `etl-${new Date().toISOString().slice(0, 10)}`,
    });
    const run = await client.waitForRun(run_id, { timeoutMs: 10 * 60_000 });
    console.log(`run ${run_id}: ${run.state.result_state} — ${run.run_page_url}`);
    await client.deleteJob(job_id);
    return run.state.result_state;
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
