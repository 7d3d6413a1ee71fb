// Jobs live in Temporal as Schedules: create, get, list, reset, delete, cron fire times, run-now
// with parameters and idempotency tokens.
import { describe, expect, it } from 'vitest';
import { jobScheduleId } from '../../core';
import { job, sh, useEngine, waitFor } from './harness';

describe('jobs and schedules', () => {
  const engine = useEngine('jobs');

  it('the seed cron 0 0 */6 * * ? in UTC fires at 00:00, 06:00, 12:00 and 18:00 UTC', async () => {
    const { job_id } = await engine.client.createJob(
      job('every six hours', [sh('t', 'true')], {
        schedule: { quartz_cron_expression: '0 0 */6 * * ?', timezone_id: 'UTC' },
      })
    );
    const next = await engine.client.nextScheduledRuns(job_id);
    expect(next.length).toBeGreaterThanOrEqual(4);
    for (const d of next) {
      expect([0, 6, 12, 18]).toContain(d.getUTCHours());
      expect([d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()]).toEqual([0, 0, 0]);
    }
    for (let i = 1; i < next.length; i++) expect(next[i]!.getTime() - next[i - 1]!.getTime()).toBe(6 * 3600_000);
    await engine.client.deleteJob(job_id);
  });

  it('fires in the schedule’s time zone', async () => {
    const { job_id } = await engine.client.createJob(
      job('new york', [sh('t', 'true')], {
        schedule: { quartz_cron_expression: '0 30 2 ? * MON-FRI', timezone_id: 'America/New_York' },
      })
    );
    const next = await engine.client.nextScheduledRuns(job_id);
    expect(next.length).toBeGreaterThan(0);
    for (const d of next) {
      const local = new Intl.DateTimeFormat('en-US', {
        timeZone: 'America/New_York',
        hour: '2-digit',
        minute: '2-digit',
        weekday: 'short',
        hour12: false,
      }).format(d);
      expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 02:30$/);
    }
    await engine.client.deleteJob(job_id);
  });

  it('create, get, list, reset (pause), delete', async () => {
    const settings = job('crud job', [sh('t', 'true')], {
      schedule: { quartz_cron_expression: '0 15 10 * * ?', timezone_id: 'Europe/Paris' },
      parameters: [{ name: 'env', default: 'dev' }],
    });
    const { job_id } = await engine.client.createJob(settings);
    const got = await engine.client.getJob(job_id);
    expect(got.job_id).toBe(job_id);
    expect(got.settings).toEqual(settings);
    expect(got.created_time).toBeGreaterThan(Date.now() - 60_000);
    await waitFor(
      async () => (await engine.client.listJobs()).some((j) => j.job_id === job_id && j.settings.name === 'crud job'),
      'the job to be listed'
    );

    await engine.client.resetJob(job_id, {
      ...settings,
      name: 'crud job v2',
      schedule: { ...settings.schedule!, pause_status: 'PAUSED' },
    });
    expect((await engine.client.getJob(job_id)).settings.name).toBe('crud job v2');
    expect(await engine.client.nextScheduledRuns(job_id)).toEqual([]);

    await engine.client.deleteJob(job_id);
    await expect(engine.client.getJob(job_id)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('a job without a schedule is kept as a paused schedule, so Temporal never deletes it', async () => {
    const { job_id } = await engine.client.createJob(job('no schedule', [sh('t', 'true')]));
    const d = await engine.temporal.schedule.getHandle(jobScheduleId(job_id)).describe();
    expect(d.state.paused).toBe(true);
    await engine.client.deleteJob(job_id);
  });

  it('run-now with parameter overrides and an idempotency token', async () => {
    const { job_id } = await engine.client.createJob(
      job('params', [sh('echo', 'test "$(printf %s "$DJOBS_PARAMS")" != ""')], {
        parameters: [{ name: 'env', default: 'dev' }],
      })
    );
    const first = await engine.client.runNow(job_id, { jobParameters: { env: 'prod' }, idempotencyToken: 'tok-1' });
    const again = await engine.client.runNow(job_id, { jobParameters: { env: 'prod' }, idempotencyToken: 'tok-1' });
    expect(again.run_id).toBe(first.run_id);
    const run = await engine.client.waitForRun(first.run_id, { timeoutMs: 60_000 });
    expect(run.job_id).toBe(job_id);
    expect(run.trigger).toBe('ONE_TIME');
    expect(run.run_type).toBe('JOB_RUN');
    expect(run.job_parameters).toEqual([{ name: 'env', default: 'dev', value: 'prod' }]);
    expect(run.state.result_state).toBe('SUCCESS');
    await expect(engine.client.runNow(job_id, { jobParameters: { nope: '1' } })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER_VALUE',
      message: 'Job parameter "nope" is not defined in the job (defined: env).',
    });
    await waitFor(
      async () =>
        (await engine.client.listRuns({ jobId: job_id })).some(
          (r) => r.run_id === first.run_id && r.state.result_state === 'SUCCESS'
        ),
      'the run to be listed'
    );
    await engine.client.deleteJob(job_id);
  });

  it('an unknown job or run is RESOURCE_DOES_NOT_EXIST', async () => {
    await expect(engine.client.runNow(987654321)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(engine.client.getRun(987654321)).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });
});
