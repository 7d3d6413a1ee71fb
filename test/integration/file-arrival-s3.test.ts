// File arrival on an S3-compatible object store: a real S3 server (moto, over HTTP) and the AWS
// SDK, the same watcher workflow as for directories. Prefixes, folder markers, in-progress names,
// listings longer than one page, each object once.
import fs from 'node:fs';
import path from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurableJobsClient, loadJobSpecFile } from '../../client';
import { startS3Server, type S3Server } from '../helpers/s3-server';
import { job, sh, useEngine, waitFor, watcherBaselined, firstRunFinished } from './harness';
import { temporalClientOf } from '../../client/jobs-client';

describe('file arrival on S3', () => {
  let s3: S3Server;
  const engine = useEngine('file arrival s3');
  let client: DurableJobsClient;
  let store: S3Client;
  beforeAll(async () => {
    s3 = await startS3Server();
    // What the worker's S3 client reads, as a user would set it for MinIO or any S3-compatible store.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
    });
    store = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });
    client = await DurableJobsClient.connect({
      address: engine.address,
      dataConverter: engine.dataConverter,
      taskQueue: engine.taskQueue,
      triggers: { fileArrivalPollSeconds: 0.2 },
    });
  }, 120_000);
  afterAll(async () => {
    await client?.close();
    store?.destroy();
    await s3?.stop();
  });

  const put = (key: string, body = 'x') =>
    store.send(new PutObjectCommand({ Bucket: 'landing', Key: key, Body: body }));

  it('new objects under the prefix start one run each time, which sees them; the rest never do', async () => {
    await store.send(new CreateBucketCommand({ Bucket: 'landing' }));
    // More than one page of ListObjectsV2 (1,000 keys) is already there: none of it is an arrival.
    const keys = Array.from({ length: 1050 }, (_, i) => `in/bulk/part-${String(i).padStart(4, '0')}.csv`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => put(k)));
    await put('elsewhere/old.csv');

    const out = path.join(engine.workDir, 'arrivals.txt');
    const { job_id } = await client.createJob(
      job(
        'on s3 arrival',
        [sh('t', `echo '{{job.trigger.file_arrival.location}} {{job.trigger.file_arrival.files}}' >> ${out}`)],
        { trigger: { file_arrival: { url: 's3://landing/in' } }, queue: { enabled: true } }
      )
    );
    const watcher = temporalClientOf(client).workflow.getHandle(`djobs-watch-${job_id}`);
    const stock = await watcherBaselined(client, job_id);
    expect(Object.keys(stock.seen)).toHaveLength(1050);

    await put('in/2026/11/24/a.csv', 'a');
    await put('in/.b.csv.tmp', 'partial'); // in progress: ignored
    await put('in/empty/', ''); // a folder marker, not a file
    await put('elsewhere/new.csv'); // outside the prefix
    const runsOf = (n: number) =>
      waitFor(async () => {
        const runs = await client.listRuns({ jobId: job_id, limit: 100 });
        return runs.length >= n ? runs.sort((a, b) => a.start_time - b.start_time) : undefined;
      }, `${n} file-arrival run(s)`);
    const [first] = await runsOf(1);
    const run1 = await client.waitForRun(first!.run_id, { timeoutMs: 30_000 });
    expect(run1.trigger).toBe('FILE_ARRIVAL');
    expect(run1.trigger_info?.file_arrival).toEqual({
      location: 's3://landing/in',
      files: ['s3://landing/in/2026/11/24/a.csv'],
    });

    await put('in/b.csv', 'partial, now complete'); // the upload finished under its real name
    const runs = await runsOf(2);
    await client.waitForRun(runs[1]!.run_id, { timeoutMs: 30_000 });
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toEqual([
      's3://landing/in ["s3://landing/in/2026/11/24/a.csv"]',
      's3://landing/in ["s3://landing/in/b.csv"]',
    ]);
    // Nothing new, nothing more: several more polls pass without a run.
    const polls = async () => (await watcher.describe()).historyLength ?? 0;
    const before = await polls();
    await waitFor(async () => (await polls()) > before + 20, 'the watcher to poll a few more times');
    expect(await client.listRuns({ jobId: job_id, limit: 100 })).toHaveLength(2);
    await client.deleteJob(job_id);
  });

  it('examples/file-arrival-s3: a batch of objects starts one run that reports them', async () => {
    const { settings } = await loadJobSpecFile(
      path.join(__dirname, '..', '..', 'examples', 'file-arrival-s3', 'job.yaml')
    );
    await put('incoming/before.json'); // there before the job: not an arrival
    // wait_after_last_change_seconds: 60 lasts 0.1 s here.
    const scaled = await DurableJobsClient.connect({
      address: engine.address,
      dataConverter: engine.dataConverter,
      taskQueue: engine.taskQueue,
      triggers: { timeScale: 1 / 600, fileArrivalPollSeconds: 0.2 },
    });
    const { job_id } = await scaled.createJob(settings);
    await scaled.close();
    await watcherBaselined(client, job_id);
    await Promise.all([put('incoming/orders.json'), put('incoming/customers.json')]);
    const done = await firstRunFinished(client, job_id, 'the file-arrival run');
    expect(done.state.result_state).toBe('SUCCESS');
    expect((await client.getRunOutput(done.run_id)).logs).toBe(
      '2 new object(s) in s3://landing/incoming/: customers.json orders.json\n'
    );
    await client.deleteJob(job_id);
  });
});
