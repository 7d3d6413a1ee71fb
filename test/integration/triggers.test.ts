// Jobs that start themselves: cron fire times across daylight saving (proved against Temporal's
// own scheduler), backfill, periodic triggers, continuous jobs with backoff, file arrival.
// Trigger periods are shortened through the client's `triggers` configuration, never by weakening
// what is asserted.
import fs from 'node:fs';
import path from 'node:path';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DurableJobsClient, type Run } from '../../client';
import { fireTimes, jobScheduleId, translateQuartzCron } from '../../core';
import { TemporalScheduledStartTime } from '../../workflows/search-attributes';
import { job, sh, useEngine, waitFor, watcherBaselined } from './harness';
import { temporalClientOf } from '../../client/jobs-client';

const iso = (ms: number) => new Date(ms).toISOString();

describe('triggers', () => {
  const engine = useEngine('triggers');
  let client: DurableJobsClient;
  beforeAll(async () => {
    client = await DurableJobsClient.connect({
      address: engine.address,
      dataConverter: engine.dataConverter,
      taskQueue: engine.taskQueue,
      runOptions: { heartbeatTimeoutSeconds: 5 },
      // One hour of a periodic trigger lasts one second here; files are looked for every 200 ms.
      triggers: {
        timeScale: 1 / 3600,
        fileArrivalPollSeconds: 0.2,
        continuousBackoffSeconds: 1,
        continuousBackoffMaxSeconds: 30,
      },
    });
  });
  afterAll(async () => {
    await client?.close();
  });

  const runsOf = async (jobId: number, n: number, what: string, timeoutMs = 60_000) =>
    waitFor(
      async () => {
        const runs = await client.listRuns({ jobId, limit: 100 });
        return runs.length >= n ? runs.sort((a, b) => a.start_time - b.start_time) : undefined;
      },
      what,
      timeoutMs
    );

  it('01:30 and 02:30 America/New_York across spring-forward and fall-back: Temporal fires where our backfill computes', async () => {
    const cron = '0 30 1,2 * * ?';
    const { job_id } = await client.createJob(
      job('dst', [sh('t', 'true')], {
        schedule: { quartz_cron_expression: cron, timezone_id: 'America/New_York', pause_status: 'PAUSED' },
        max_concurrent_runs: 10,
      })
    );
    const windows = [
      ['2026-03-07T00:00:00Z', '2026-03-10T00:00:00Z'],
      ['2026-10-31T00:00:00Z', '2026-11-03T00:00:00Z'],
    ] as const;
    const translated = translateQuartzCron(cron);
    if (!translated.ok) throw new Error(translated.errors.join('; '));
    const ours = windows.flatMap(([start, end]) =>
      fireTimes(translated.calendars, 'America/New_York', Date.parse(start), Date.parse(end))
    );
    // Temporal's own scheduler, backfilling the job's schedule over both DST weekends.
    const handle = temporalClientOf(client).schedule.getHandle(jobScheduleId(job_id));
    await handle.backfill(
      windows.map(([start, end]) => ({
        start: new Date(start),
        end: new Date(end),
        overlap: ScheduleOverlapPolicy.ALLOW_ALL,
      }))
    );
    const fired = await waitFor(async () => {
      const times: number[] = [];
      for await (const wf of temporalClientOf(client).workflow.list({ query: `DjobsJobId = ${job_id}` })) {
        const t = wf.typedSearchAttributes.get(TemporalScheduledStartTime);
        if (t) times.push(t.getTime());
      }
      return times.length >= ours.length ? times.sort((a, b) => a - b) : undefined;
    }, 'the backfilled scheduled runs');
    expect(fired.map(iso)).toEqual(ours.map(iso));
    // 01:30 and 02:30 local each day. Spring forward (Mar 8): 02:30 does not exist and does not
    // fire. Fall back (Nov 1): 01:30 happens twice (EDT, then EST) and fires twice.
    expect(ours.map(iso)).toEqual([
      '2026-03-07T06:30:00.000Z',
      '2026-03-07T07:30:00.000Z',
      '2026-03-08T06:30:00.000Z',
      '2026-03-09T05:30:00.000Z',
      '2026-03-09T06:30:00.000Z',
      '2026-10-31T05:30:00.000Z',
      '2026-10-31T06:30:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:30:00.000Z',
      '2026-11-01T07:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
      '2026-11-02T07:30:00.000Z',
    ]);
    await client.deleteJob(job_id);
  });

  it('backfill: one run per missed fire time with its nominal trigger time and the given parameters, once', async () => {
    const { job_id } = await client.createJob(
      job('backfilled', [sh('t', 'echo {{job.trigger.time.iso_datetime}} {{job.parameters.env}}')], {
        schedule: { quartz_cron_expression: '0 0 6 * * ?', timezone_id: 'UTC', pause_status: 'PAUSED' },
        parameters: [{ name: 'env', default: 'dev' }],
        queue: { enabled: true },
      })
    );
    const from = new Date('2026-11-01T00:00:00Z');
    const to = new Date('2026-11-03T06:00:00Z');
    const started = await client.backfillJob(job_id, { from, to, jobParameters: { env: 'prod' } });
    expect(started.map((s) => iso(s.trigger_time))).toEqual([
      '2026-11-01T06:00:00.000Z',
      '2026-11-02T06:00:00.000Z',
      '2026-11-03T06:00:00.000Z',
    ]);
    const outputs = await Promise.all(
      started.map(async (s) => {
        const run = await client.waitForRun(s.run_id, { timeoutMs: 60_000 });
        expect(run.state.result_state).toBe('SUCCESS');
        expect(run.trigger).toBe('PERIODIC');
        return (await client.getRunOutput(run.tasks[0]!.run_id)).logs;
      })
    );
    expect(outputs).toEqual([
      '2026-11-01T06:00:00+00:00 prod\n',
      '2026-11-02T06:00:00+00:00 prod\n',
      '2026-11-03T06:00:00+00:00 prod\n',
    ]);
    const again = await client.backfillJob(job_id, { from, to, jobParameters: { env: 'prod' } });
    expect(again.map((s) => s.run_id)).toEqual(started.map((s) => s.run_id));
    await expect(client.backfillJob(job_id, { from: to, to: from })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: 'The backfill range must have from ≤ to.',
    });
    await client.deleteJob(job_id);
  });

  it('periodic: a run every interval (PERIODIC), and pause_status PAUSED stops it', async () => {
    const settings = job('periodic', [sh('t', 'true')], {
      trigger: { periodic: { interval: 1, unit: 'HOURS' } },
      max_concurrent_runs: 5,
    });
    const { job_id } = await client.createJob(settings);
    const runs = await runsOf(job_id, 3, 'three periodic runs', 30_000);
    expect(runs.every((r) => r.trigger === 'PERIODIC')).toBe(true);
    await client.resetJob(job_id, { ...settings, trigger: { ...settings.trigger!, pause_status: 'PAUSED' } });
    expect(await client.nextScheduledRuns(job_id)).toEqual([]);
    expect((await temporalClientOf(client).schedule.getHandle(jobScheduleId(job_id)).describe()).state.paused).toBe(
      true
    );
    await client.deleteJob(job_id);
  });

  it('continuous: one run at a time, the next when the previous ends, exponential backoff after failures', async () => {
    const counter = path.join(engine.workDir, 'continuous-count');
    const settings = job(
      'continuous',
      // Fails three times, then succeeds (slowly, so that the restarts after success are visible).
      [
        sh(
          't',
          `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -ge 4 ] && sleep 0.5`
        ),
      ],
      { continuous: { pause_status: 'UNPAUSED' } }
    );
    const { job_id } = await client.createJob(settings);
    const runs = await runsOf(job_id, 6, 'six continuous runs', 60_000);
    await client.resetJob(job_id, { ...settings, continuous: { pause_status: 'PAUSED' } });
    const done: Run[] = await Promise.all(runs.map((r) => client.waitForRun(r.run_id, { timeoutMs: 30_000 })));
    expect(done.every((r) => r.trigger === 'CONTINUOUS')).toBe(true);
    expect(done.slice(0, 3).map((r) => r.state.result_state)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    expect(done.slice(3).every((r) => r.state.result_state === 'SUCCESS')).toBe(true);
    const gaps = done.slice(1).map((r, i) => r.start_time - done[i]!.end_time);
    // Never two at once.
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(0);
    // After the 1st, 2nd and 3rd consecutive failure: 1 s, 2 s, 4 s (Temporal timers have a
    // resolution of about a second, hence whole seconds); after a success, at once (well under
    // the 8 s a fourth failure would cost, whatever the machine's load).
    expect(gaps[0]).toBeGreaterThanOrEqual(1000);
    expect(gaps[1]).toBeGreaterThanOrEqual(2000);
    expect(gaps[2]).toBeGreaterThanOrEqual(4000);
    expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
    expect(gaps[2]!).toBeGreaterThan(gaps[1]!);
    expect(gaps[3]!).toBeLessThan(4000);
    // Paused: nothing new starts.
    const count = (await client.listRuns({ jobId: job_id, limit: 100 })).length;
    await waitFor(
      async () => (await client.listRuns({ jobId: job_id, activeOnly: true })).length === 0,
      'the last run to end'
    );
    const state = await temporalClientOf(client)
      .workflow.getHandle(`djobs-continuous-${job_id}`)
      .query<{ config: { paused: boolean } }>('getTriggerState');
    expect(state.config.paused).toBe(true);
    expect((await client.listRuns({ jobId: job_id, limit: 100 })).length).toBe(count);
    await client.deleteJob(job_id);
  });

  it('file arrival: existing files do not trigger; new files start one run that sees them; each file once', async () => {
    const dir = path.join(engine.workDir, 'landing');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'old.csv'), 'old');
    const out = path.join(engine.workDir, 'arrivals.txt');
    const { job_id } = await client.createJob(
      job(
        'on arrival',
        [sh('t', `echo '{{job.trigger.file_arrival.location}} {{job.trigger.file_arrival.files}}' >> ${out}`)],
        {
          trigger: { file_arrival: { url: `file://${dir}` } },
          queue: { enabled: true },
        }
      )
    );
    // The watcher has taken stock of what was there before files are added.
    await watcherBaselined(client, job_id);
    fs.mkdirSync(path.join(dir, 'day1'));
    fs.writeFileSync(path.join(dir, 'day1', 'a.csv'), 'a');
    fs.writeFileSync(path.join(dir, '.b.csv.tmp'), 'partial'); // in progress: ignored
    const [first] = await runsOf(job_id, 1, 'a file-arrival run');
    const run1 = await client.waitForRun(first!.run_id, { timeoutMs: 30_000 });
    expect(run1.trigger).toBe('FILE_ARRIVAL');
    expect(run1.trigger_info?.file_arrival?.files).toEqual([path.join(dir, 'day1', 'a.csv')]);
    fs.renameSync(path.join(dir, '.b.csv.tmp'), path.join(dir, 'b.csv'));
    const runs = await runsOf(job_id, 2, 'a second file-arrival run');
    await client.waitForRun(runs[1]!.run_id, { timeoutMs: 30_000 });
    expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toEqual([
      `file://${dir} ["${path.join(dir, 'day1', 'a.csv')}"]`,
      `file://${dir} ["${path.join(dir, 'b.csv')}"]`,
    ]);
    // Nothing new, nothing more: several more polls pass without a run.
    const polls = async () =>
      (await temporalClientOf(client).workflow.getHandle(`djobs-watch-${job_id}`).describe()).historyLength ?? 0;
    const before = await polls();
    await waitFor(async () => (await polls()) > before + 20, 'the watcher to poll a few more times');
    expect((await client.listRuns({ jobId: job_id, limit: 100 })).length).toBe(2);
    await client.deleteJob(job_id);
  });

  it('file arrival over a large location: history records its listing once, then only what changed', async () => {
    const dir = path.join(engine.workDir, 'big-landing');
    for (let d = 0; d < 20; d++) {
      fs.mkdirSync(path.join(dir, `day-${d}`), { recursive: true });
      for (let i = 0; i < 150; i++) fs.writeFileSync(path.join(dir, `day-${d}`, `part-${i}.parquet`), 'x');
    }
    const { job_id } = await client.createJob(
      job('big landing', [sh('t', 'true')], { trigger: { file_arrival: { url: dir } } })
    );
    const watcher = temporalClientOf(client).workflow.getHandle(`djobs-watch-${job_id}`);
    await watcherBaselined(client, job_id);
    const polls = async () => (await watcher.describe()).historyLength ?? 0;
    const before = await polls();
    await waitFor(async () => (await polls()) > before + 80, 'the watcher to poll several more times');
    const arrived = path.join(dir, 'day-20', 'new.parquet');
    fs.mkdirSync(path.dirname(arrived));
    fs.writeFileSync(arrived, 'new');
    const [run] = await runsOf(job_id, 1, 'a run for the one new file');
    expect((await client.waitForRun(run!.run_id, { timeoutMs: 30_000 })).trigger_info?.file_arrival?.files).toEqual([
      arrived,
    ]);
    await client.deleteJob(job_id);

    // Listing results in the watcher's history: the first holds 3,000 files, every later one a
    // digest and the changes (here at most the one new file).
    const sizes: number[] = [];
    for (const e of (await watcher.fetchHistory()).events ?? []) {
      const data = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
      if (data) sizes.push(data.length);
    }
    expect(sizes.length).toBeGreaterThan(6);
    expect(sizes[0]).toBeGreaterThan(3000 * 50);
    expect(Math.max(...sizes.slice(1))).toBeLessThan(400);
  });
});
