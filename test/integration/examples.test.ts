// Every example under examples/ runs here (the ETL example has its own file, etl.test.ts).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { DurableJobsClient, loadJobSpecFile, type Run } from '../../client';
import type { NotificationDelivery } from '../../core';
import { runEtl } from '../../examples/client/run-job';
import {
  attemptsOf,
  latestByKey,
  resultsByKey,
  useEngine,
  waitFor,
  watcherBaselined,
  firstRunFinished,
  engineEnv,
} from './harness';

const examples = path.resolve(__dirname, '..', '..', 'examples');

describe('examples', () => {
  const engine = useEngine('examples');

  it('run-if: failure handler and cleanup run, the run ends SUCCESS_WITH_FAILURES', async () => {
    const { settings } = await loadJobSpecFile(path.join(examples, 'run-if', 'job.yaml'));
    const run = await engine.client.waitForRun((await engine.client.submitRun(settings)).run_id, { timeoutMs: 60_000 });
    expect(resultsByKey(run)).toEqual({
      extract: 'FAILED',
      transform: 'UPSTREAM_FAILED',
      alert_on_failure: 'SUCCESS',
      cleanup: 'SUCCESS',
    });
    expect(run.state.result_state).toBe('SUCCESS_WITH_FAILURES');
  });

  it('notebooks: %run, %sql and _sqldf, dbutils.fs, dbutils.notebook.run, and a SQL notebook with a Python cell', async () => {
    const { settings } = await loadJobSpecFile(path.join(examples, 'notebooks', 'job.yaml'));
    const run = await engine.client.waitForRun((await engine.client.submitRun(settings)).run_id, {
      timeoutMs: 120_000,
    });
    expect(resultsByKey(run)).toEqual({ report: 'SUCCESS', summary: 'SUCCESS' });
    const report = await engine.client.getRunOutput(run.run_id, 'report');
    for (const line of ['north: 50 (83.3%)', 'south: 10 (16.7%)', "['latest.txt']", 'label: big'])
      expect(report.logs).toContain(line);
    expect((await engine.client.getRunOutput(run.run_id, 'summary')).logs).toContain(
      '3 orders, 60 in total, labelled big'
    );
    expect(
      fs.readFileSync(path.join(engine.dataDir, 'workspace', 'dbfs', 'reports', 'orders', 'latest.txt'), 'utf8')
    ).toBe('60');
  });

  it('retries: the flaky task succeeds on attempt 2, the slow one times out twice', async () => {
    const { settings } = await loadJobSpecFile(path.join(examples, 'retries', 'job.yaml'));
    const { run_id } = await engine.client.submitRun(settings, {
      jobParameters: { state_dir: path.join(engine.workDir, 'retries') },
    });
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(attemptsOf(run, 'flaky').map((a) => a.state.result_state)).toEqual(['FAILED', 'FAILED', 'SUCCESS']);
    expect(attemptsOf(run, 'slow').map((a) => a.state.result_state)).toEqual(['TIMEDOUT', 'TIMEDOUT']);
    expect(run.state.result_state).toBe('FAILED');
  });

  it('scheduled: fires at 02:30 New York time on weekdays, and runs on demand', async () => {
    const { settings } = await loadJobSpecFile(path.join(examples, 'scheduled', 'job.json'));
    const { job_id } = await engine.client.createJob(settings);
    const next = await engine.client.nextScheduledRuns(job_id);
    expect(next.length).toBeGreaterThan(0);
    const fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    });
    for (const d of next) expect(fmt.format(d)).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 02:30$/);
    const run = await engine.client.waitForRun(
      (await engine.client.runNow(job_id, { jobParameters: { report_date: '2026-11-24' } })).run_id,
      { timeoutMs: 60_000 }
    );
    expect(run.state.result_state).toBe('SUCCESS');
    expect((await engine.client.getRunOutput(run.run_id, 'report')).logs).toMatch(/2026-11-24\s*\|\s*42/);
    await engine.client.deleteJob(job_id);
  });

  it('if-else: the condition on a task value picks one branch; the other is excluded', async () => {
    const { settings } = await loadJobSpecFile(path.join(examples, 'if-else', 'job.yaml'));
    const run = await engine.client.waitForRun((await engine.client.submitRun(settings)).run_id, { timeoutMs: 60_000 });
    const t = latestByKey(run);
    expect(resultsByKey(run)).toEqual({
      count: 'SUCCESS',
      enough_rows: 'SUCCESS',
      publish: 'SUCCESS',
      alert_too_few: 'EXCLUDED',
      after_alert: 'EXCLUDED',
    });
    expect(t.enough_rows!.condition_task).toEqual({
      op: 'GREATER_THAN',
      left: '{{tasks.count.values.rows}}',
      right: '{{job.parameters.threshold}}',
      outcome: 'true',
    });
    expect(run.state.result_state).toBe('SUCCESS');
    const today = new Date(run.start_time).toISOString().slice(0, 10);
    expect(run.job_parameters).toEqual([
      { name: 'threshold', default: '5', value: '5' },
      { name: 'day', default: '{{job.start_time.iso_date}}', value: today },
    ]);
    expect((await engine.client.getRunOutput(run.run_id, 'publish')).logs).toBe(
      `publishing 12 rows for ${today} (run ${run.run_id}, task run ${t.publish!.run_id})\n`
    );
    // The other branch, with a higher threshold.
    const high = await engine.client.waitForRun(
      (await engine.client.submitRun(settings, { jobParameters: { threshold: '100' } })).run_id,
      { timeoutMs: 60_000 }
    );
    const h = latestByKey(high);
    expect([
      h.publish!.state.result_state,
      h.alert_too_few!.state.result_state,
      h.after_alert!.state.result_state,
    ]).toEqual(['EXCLUDED', 'SUCCESS', 'SUCCESS']);
    expect(h.enough_rows!.condition_task!.outcome).toBe('false');
  });

  it("client: service code creates the ETL job, runs it and waits, then reads each task run's own view", async () => {
    const etl = await runEtl(engine.address, engine.taskQueue);
    expect(etl.result).toBe('SUCCESS');
    expect(etl.tasks.map((line) => line.replace(/\d+/g, 'N'))).toEqual(
      ['ingest_bronze', 'transform_silver', 'aggregate_gold'].map(
        (key) => `${key} (run N of N): SUCCESS on cluster default`
      )
    );
  });

  it('file-arrival: a batch landing in ./landing starts one run that reports its files', async () => {
    // A copy of the example, so that its landing directory is the test's own.
    const dir = path.join(engine.workDir, 'file-arrival');
    fs.mkdirSync(path.join(dir, 'landing'), { recursive: true });
    fs.copyFileSync(path.join(examples, 'file-arrival', 'job.yaml'), path.join(dir, 'job.yaml'));
    const { settings } = await loadJobSpecFile(path.join(dir, 'job.yaml'));
    expect(settings.trigger?.file_arrival?.url).toBe(path.join(dir, 'landing'));
    // wait_after_last_change_seconds: 60 lasts 0.1 s here.
    const client = await DurableJobsClient.connect({
      address: engine.address,
      dataConverter: engine.dataConverter,
      taskQueue: engine.taskQueue,
      triggers: { timeScale: 1 / 600, fileArrivalPollSeconds: 0.2 },
    });
    try {
      const { job_id } = await client.createJob(settings);
      await watcherBaselined(client, job_id);
      fs.writeFileSync(path.join(dir, 'landing', 'orders.csv'), 'id\n1\n2\n');
      fs.writeFileSync(path.join(dir, 'landing', 'customers.csv'), 'id\n1\n');
      const done = await firstRunFinished(client, job_id, 'the file-arrival run');
      expect(done.state.result_state).toBe('SUCCESS');
      expect((await client.getRunOutput(done.run_id)).logs).toBe('customers.csv: 2 lines\norders.csv: 3 lines\n');
      await client.deleteJob(job_id);
    } finally {
      await client.close();
    }
  });

  it('periodic and continuous: runs start on their own, each says what started it, and pausing stops them', async () => {
    // Four hours last 0.4 s here; a continuous job restarts at once after a success.
    const client = await DurableJobsClient.connect({
      address: engine.address,
      dataConverter: engine.dataConverter,
      taskQueue: engine.taskQueue,
      triggers: { timeScale: 1 / 36_000 },
    });
    try {
      for (const [name, trigger] of [
        ['periodic', 'PERIODIC'],
        ['continuous', 'CONTINUOUS'],
      ] as const) {
        const { settings } = await loadJobSpecFile(path.join(examples, name, 'job.yaml'));
        const { job_id } = await client.createJob(settings);
        const runs = await waitFor(async () => {
          const listed = await client.listRuns({ jobId: job_id, completedOnly: true });
          return listed.length >= 2 ? listed : undefined;
        }, `two ${name} runs`);
        for (const r of runs.slice(0, 2)) {
          const run = await client.waitForRun(r.run_id, { timeoutMs: 30_000 });
          expect(run.state.result_state).toBe('SUCCESS');
          expect(run.trigger).toBe(trigger);
          expect((await client.getRunOutput(run.run_id)).logs).toContain(`(${trigger.toLowerCase()})`);
        }
        await client.resetJob(
          job_id,
          name === 'periodic'
            ? { ...settings, trigger: { ...settings.trigger!, pause_status: 'PAUSED' } }
            : { ...settings, continuous: { pause_status: 'PAUSED' } }
        );
        await client.deleteJob(job_id);
      }
    } finally {
      await client.close();
    }
  });
  it("secrets: the README's commands make the scope; both tasks use the token and every log shows [REDACTED]", async () => {
    const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli', 'index.js');
    const env = engineEnv(engine);
    const djobs = (args: string[], stdin?: string) =>
      new Promise<string>((resolve, reject) => {
        const child = execFile(process.execPath, [cli, 'secrets', ...args], { env, timeout: 60_000 }, (err, out) => {
          if (err) reject(new Error(`djobs secrets ${args[0]}: ${err.message}`));
          else resolve(String(out));
        });
        child.stdin!.end(stdin ?? '');
      });
    // A scope left by an interrupted earlier run of this test is removed first.
    await promisify(execFile)(process.execPath, [cli, 'secrets', 'delete-scope', 'demo'], { env }).catch(() => {});
    await djobs(['create-scope', 'demo']);
    await djobs(['put-secret', 'demo', 'api-token'], 'tok-example-123');
    try {
      const { settings } = await loadJobSpecFile(path.join(examples, 'secrets', 'job.yaml'));
      const run = await engine.client.waitForRun((await engine.client.submitRun(settings)).run_id, {
        timeoutMs: 60_000,
      });
      expect(run.state.result_state).toBe('SUCCESS');
      const byReference = await engine.client.getRunOutput(run.run_id, 'by_reference');
      expect(byReference.logs).toBe('token has 15 characters, value [REDACTED]\n');
      const withDbutils = await engine.client.getRunOutput(run.run_id, 'with_dbutils');
      expect(withDbutils.logs).toContain('calling with [REDACTED]');
      expect(withDbutils.notebook_output).toEqual({ result: 'called with [REDACTED]', truncated: false });
      expect(JSON.stringify([byReference, withDbutils])).not.toContain('tok-example-123');
    } finally {
      await djobs(['delete-scope', 'demo']);
    }
  });

  it('notifications: a slow, failing run writes its duration warnings and its failure email to the outbox', async () => {
    const { settings } = await loadJobSpecFile(path.join(examples, 'notifications', 'job.yaml'));
    const { run_id } = await engine.client.submitRun(settings, { jobParameters: { fail: 'true' } });
    const run = await engine.client.waitForRun(run_id, { timeoutMs: 60_000 });
    expect(run.state.result_state).toBe('FAILED');
    expect(await engine.client.waitForNotifications(run_id, { timeoutMs: 60_000 })).toBe(true);
    const outbox = path.join(engine.dataDir, 'outbox');
    const mails = await Promise.all(
      fs
        .readdirSync(outbox)
        .filter((f) => f.startsWith(`djobs-run-${run_id}-`))
        .map(async (f) => simpleParser(fs.readFileSync(path.join(outbox, f))))
    );
    const summary = mails
      .map(
        (m) =>
          `${[m.to]
            .flat()
            .flatMap((a) => a?.value.map((v) => v.address) ?? [])
            .join(',')} ${m.subject ?? ''}`
      )
      .sort();
    expect(summary).toEqual(
      [
        `loader-owner@example.com [durable-jobs] Task load of notifications example is running longer than expected (over 1 s): run ${run_id}`,
        `oncall@example.com,team@example.com [durable-jobs] Run of notifications example failed: run ${run_id}, FAILED`,
        `team@example.com [durable-jobs] Run of notifications example is running longer than expected (over 2 s): run ${run_id}`,
      ].sort()
    );
    const failure = mails.find((m) => m.subject?.includes('failed'))!;
    expect(failure.text).toContain('- check: ');

    // docs/notifications.md shows this run's outbox lines: the files it names are the ones written.
    const doc = fs.readFileSync(path.join(examples, '..', 'docs', 'notifications.md'), 'utf8');
    const docRunId = /run (\d+) \(…\/outbox\//.exec(doc)![1]!;
    const documented = [...doc.matchAll(/\(…\/outbox\/([^)]+\.eml)\)/g)].map((m) =>
      m[1]!.replaceAll(docRunId, String(run_id))
    );
    const written = fs.readdirSync(outbox).filter((f) => f.startsWith(`djobs-run-${run_id}-`));
    expect(documented.sort()).toEqual(written.sort());
    // Each email is recorded as written to the outbox, naming its file: nobody received it.
    const recorded = ((await engine.client.getRun(run_id)) as Run & { notification_deliveries: NotificationDelivery[] })
      .notification_deliveries;
    expect(recorded.map((d) => [d.status, d.outbox_file && path.basename(d.outbox_file)]).sort()).toEqual(
      written.map((f) => ['WRITTEN_TO_OUTBOX', f]).sort()
    );
  });
});
