// `djobs jobs …`: the Databricks CLI's jobs group, same verbs and flags where they exist.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DjobsError, loadJobSpecFile, resolveJobSpec } from '../../client';
import { jobTriggerInWords, localTime, type JobSettings } from '../../core';
import { outputFormat, parseId, printJson, runCommand, withSession } from '../output';
import { formatDuration, readProblems, runHeadline, runTable, table, unreadableRun } from '../render';
import { followRun, printIdOrFollow } from './follow';
import { mlflowRunsSection } from '../mlflow-runs';

/** `--json @file.json` (paths resolve next to the file) or `--json '{...}'` (next to the cwd). */
async function readJsonArg(value: string): Promise<{ raw: unknown; file?: string }> {
  if (value.startsWith('@')) {
    const file = path.resolve(value.slice(1));
    if (!fs.existsSync(file)) throw new DjobsError('INVALID_PARAMETER_VALUE', `--json: no such file ${file}.`);
    return { raw: undefined, file };
  }
  try {
    return { raw: JSON.parse(value) as unknown };
  } catch (err) {
    throw new DjobsError('INVALID_PARAMETER_VALUE', `--json is not valid JSON: ${(err as Error).message}`);
  }
}

/** Job settings from `--json`; accepts a bare JobSettings or a `{ new_settings }` / `{ settings }` wrapper. */
async function settingsFromJsonArg(value: string): Promise<{ settings: JobSettings; jobId?: number }> {
  const { raw, file } = await readJsonArg(value);
  const unwrap = (obj: unknown): { body: unknown; jobId?: number } => {
    const o = obj as { job_id?: number; new_settings?: unknown; settings?: unknown };
    if (o && typeof o === 'object' && ('new_settings' in o || ('job_id' in o && 'settings' in o))) {
      return { body: o.new_settings ?? o.settings, ...(typeof o.job_id === 'number' ? { jobId: o.job_id } : {}) };
    }
    return { body: obj };
  };
  if (file) {
    const text = fs.readFileSync(file, 'utf8');
    const parsed: unknown = file.endsWith('.json') ? JSON.parse(text) : undefined;
    if (parsed !== undefined) {
      const { body, jobId } = unwrap(parsed);
      if (body !== parsed)
        return { settings: (await resolveJobSpec(body, path.dirname(file))).settings, ...(jobId ? { jobId } : {}) };
    }
    return { settings: (await loadJobSpecFile(file)).settings };
  }
  const { body, jobId } = unwrap(raw);
  return { settings: (await resolveJobSpec(body, process.cwd())).settings, ...(jobId ? { jobId } : {}) };
}

function parseJobParams(value: string | undefined): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new DjobsError('INVALID_PARAMETER_VALUE', `--job-params is not valid JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DjobsError('INVALID_PARAMETER_VALUE', '--job-params expects a JSON object of name → string value.');
  }
  return Object.fromEntries(Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/** A job's schedule or trigger in words, as the web UI's jobs page shows it. */
function triggerText(settings: JobSettings): string {
  const { words, paused } = jobTriggerInWords(settings);
  return paused ? `${words} (paused)` : words;
}

/** The next fire times in the schedule's own time zone, each with its UTC instant beside. */
function nextRunsText(next: Date[], timeZone: string): string {
  const lines = next.map((d) => `  ${localTime(d.getTime(), timeZone)}  (${d.toISOString()})`);
  return `next runs (${timeZone}, UTC beside):\n${lines.join('\n')}\n`;
}

export function configureJobsCommand(program: Command): void {
  const jobs = program.command('jobs').description('Jobs and runs (mirrors the Databricks CLI jobs group)');

  jobs
    .command('create')
    .description('Create a job from settings; prints its job_id')
    .requiredOption('--json <json|@file>', 'job settings as JSON, or @path to a JSON/YAML file')
    .action(async (opts: { json: string }, cmd: Command) =>
      runCommand(async () => {
        const { settings } = await settingsFromJsonArg(opts.json);
        return withSession(false, async ({ client }) => {
          const res = await client.createJob(settings);
          if (outputFormat(cmd) === 'json') printJson(res);
          else process.stdout.write(`${res.job_id}\n`);
        });
      })
    );

  jobs
    .command('list')
    .description('List jobs')
    .option('--name <name>', 'only jobs with exactly this name')
    .option('--expand-tasks', 'include each job’s full settings')
    .action(async (opts: { name?: string; expandTasks?: boolean }, cmd: Command) =>
      runCommand(() =>
        withSession(false, async ({ client }) => {
          const json = outputFormat(cmd) === 'json';
          // The text view shows each job's trigger, which only a job's full settings hold.
          const list = await client.listJobs({
            ...(opts.name ? { name: opts.name } : {}),
            expandTasks: !!opts.expandTasks || !json,
          });
          if (json) return printJson({ jobs: list });
          process.stdout.write(
            `${table(
              ['JOB_ID', 'NAME', 'TRIGGER', 'CREATED'],
              list.map((j) => [
                String(j.job_id),
                j.settings.name ?? 'Untitled',
                j.read_error ? '' : triggerText(j.settings),
                j.created_time ? new Date(j.created_time).toISOString() : '',
              ])
            )}\n${readProblems(list.map((j) => j.read_error))}`
          );
        })
      )
    );

  jobs
    .command('get')
    .description('Show a job and its next scheduled runs')
    .argument('<job_id>')
    .action(async (id: string, _o: unknown, cmd: Command) =>
      runCommand(() =>
        withSession(false, async ({ client }) => {
          const job = await client.getJob(parseId(id, 'JOB_ID'));
          if (outputFormat(cmd) === 'json') return printJson(job);
          const next = await client.nextScheduledRuns(job.job_id);
          process.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
          process.stdout.write(`trigger: ${triggerText(job.settings)}\n`);
          if (next.length > 0) process.stdout.write(nextRunsText(next, job.settings.schedule?.timezone_id ?? 'UTC'));
        })
      )
    );

  jobs
    .command('reset')
    .description('Replace all settings of a job (runs in flight keep theirs)')
    .argument('[job_id]')
    .requiredOption('--json <json|@file>', 'new settings, or {"job_id":…,"new_settings":{…}}')
    .action(async (id: string | undefined, opts: { json: string }) =>
      runCommand(async () => {
        const { settings, jobId } = await settingsFromJsonArg(opts.json);
        const target = id !== undefined ? parseId(id, 'JOB_ID') : jobId;
        if (target === undefined)
          throw new DjobsError('INVALID_PARAMETER_VALUE', 'jobs reset needs a JOB_ID argument or "job_id" in --json.');
        await withSession(false, ({ client }) => client.resetJob(target, settings));
      })
    );

  jobs
    .command('delete')
    .description('Delete a job (runs in flight finish)')
    .argument('<job_id>')
    .action(async (id: string) =>
      runCommand(() => withSession(false, ({ client }) => client.deleteJob(parseId(id, 'JOB_ID'))))
    );

  jobs
    .command('run-now')
    .description('Run a job now and wait for it (exit 0 only on SUCCESS)')
    .argument('<job_id>')
    .option('--job-params <json>', 'job parameter overrides as a JSON object')
    .option('--idempotency-token <token>', 'retried calls with the same token start one run')
    .option('--no-wait', 'print the run id and return at once')
    .action(async (id: string, opts: { jobParams?: string; idempotencyToken?: string; wait: boolean }, cmd: Command) =>
      runCommand(() =>
        withSession(opts.wait, async ({ client }) => {
          const params = parseJobParams(opts.jobParams);
          const { run_id } = await client.runNow(parseId(id, 'JOB_ID'), {
            ...(params ? { jobParameters: params } : {}),
            ...(opts.idempotencyToken ? { idempotencyToken: opts.idempotencyToken } : {}),
          });
          return printIdOrFollow(client, { key: 'run_id', id: run_id }, run_id, opts.wait, outputFormat(cmd));
        })
      )
    );

  jobs
    .command('backfill')
    .description(
      "Start one run per fire time of the job's cron schedule between two times (their nominal trigger times)"
    )
    .argument('<job_id>')
    .requiredOption('--from <time>', 'start of the range, inclusive (ISO 8601, e.g. 2026-11-01T00:00:00Z)')
    .requiredOption('--to <time>', 'end of the range, inclusive (ISO 8601)')
    .option('--job-params <json>', 'job parameter overrides for every run, as a JSON object')
    .action(async (id: string, opts: { from: string; to: string; jobParams?: string }, cmd: Command) =>
      runCommand(() =>
        withSession(false, async ({ client }) => {
          const when = (v: string, flag: string) => {
            const t = Date.parse(v);
            if (Number.isNaN(t))
              throw new DjobsError('INVALID_PARAMETER_VALUE', `${flag}: expected an ISO 8601 time, found "${v}".`);
            return new Date(t);
          };
          const params = parseJobParams(opts.jobParams);
          const runs = await client.backfillJob(parseId(id, 'JOB_ID'), {
            from: when(opts.from, '--from'),
            to: when(opts.to, '--to'),
            ...(params ? { jobParameters: params } : {}),
          });
          if (outputFormat(cmd) === 'json') printJson({ runs });
          else
            process.stdout.write(
              `${table(
                ['RUN_ID', 'TRIGGER_TIME'],
                runs.map((r) => [String(r.run_id), new Date(r.trigger_time).toISOString()])
              )}\n${runs.length} run${runs.length === 1 ? '' : 's'} started\n`
            );
        })
      )
    );

  jobs
    .command('submit')
    .description('Submit a one-time run of settings without creating a job; waits by default')
    .requiredOption('--json <json|@file>', 'run settings as JSON, or @path to a JSON/YAML file')
    .option('--no-wait', 'print the run id and return at once')
    .action(async (opts: { json: string; wait: boolean }, cmd: Command) =>
      runCommand(async () => {
        const { settings } = await settingsFromJsonArg(opts.json);
        return withSession(opts.wait, async ({ client }) => {
          const { run_id } = await client.submitRun(settings);
          return printIdOrFollow(client, { key: 'run_id', id: run_id }, run_id, opts.wait, outputFormat(cmd));
        });
      })
    );

  jobs
    .command('get-run')
    .description('Show a run (Databricks Run shape with -o json); --wait follows it to its end')
    .argument('<run_id>')
    .option('--wait', 'follow the run with its live task table until it ends; exit 1 unless it ends SUCCESS')
    .action(async (id: string, opts: { wait?: boolean }, cmd: Command) =>
      runCommand(() =>
        withSession(false, async ({ client, mlflowUrl }) => {
          const runId = parseId(id, 'RUN_ID');
          // A run started elsewhere (--no-wait, a schedule, the API) is followed as `run` follows its own.
          if (opts.wait) return followRun(client, runId, outputFormat(cmd));
          const run = await client.getRun(runId);
          if (outputFormat(cmd) === 'json') return printJson(run);
          process.stdout.write(`${runHeadline(run)}\n${runTable(run)}\n${run.run_page_url ?? ''}\n`);
          if (mlflowUrl) process.stdout.write(await mlflowRunsSection(mlflowUrl, run.run_id));
        })
      )
    );

  jobs
    .command('list-runs')
    .description('List runs, newest first')
    .option('--job-id <job_id>', 'only runs of this job')
    .option('--active-only', 'only runs still running')
    .option('--completed-only', 'only finished runs')
    .option('--limit <n>', 'at most this many runs', '25')
    .action(
      async (opts: { jobId?: string; activeOnly?: boolean; completedOnly?: boolean; limit: string }, cmd: Command) =>
        runCommand(() =>
          withSession(false, async ({ client }) => {
            const runs = await client.listRuns({
              ...(opts.jobId ? { jobId: parseId(opts.jobId, '--job-id') } : {}),
              activeOnly: !!opts.activeOnly,
              completedOnly: !!opts.completedOnly,
              limit: parseId(opts.limit, '--limit'),
            });
            if (outputFormat(cmd) === 'json') return printJson({ runs });
            process.stdout.write(
              `${table(
                ['RUN_ID', 'JOB_ID', 'NAME', 'STATE', 'STARTED', 'DURATION'],
                runs.map((r) => [
                  String(r.run_id),
                  r.job_id !== undefined ? String(r.job_id) : '',
                  r.run_name,
                  r.state.result_state ?? r.state.life_cycle_state,
                  new Date(r.start_time).toISOString(),
                  formatDuration(r.run_duration),
                ])
              )}\n${readProblems(runs.map(unreadableRun))}`
            );
          })
        )
    );

  for (const [verb, description, method] of [
    ['cancel-run', 'Cancel a run: task processes are killed, the run ends CANCELED', 'cancelRun'],
    ['pause-run', 'Pause a run: no new task starts, running tasks finish (extension)', 'pauseRun'],
    ['resume-run', 'Resume a paused run (extension)', 'resumeRun'],
  ] as const) {
    jobs
      .command(verb)
      .description(description)
      .argument('<run_id>')
      .action(async (id: string) =>
        runCommand(() => withSession(false, ({ client }) => client[method](parseId(id, 'RUN_ID'))))
      );
  }

  jobs
    .command('repair-run')
    .description('Run chosen tasks of a finished run again, in the same run; waits by default')
    .argument('<run_id>')
    .option('--rerun-tasks <keys>', 'comma-separated task keys to run again')
    .option('--rerun-all-failed-tasks', 'run again every task that did not succeed')
    .option('--rerun-dependent-tasks', 'also run again the tasks downstream of the chosen ones')
    .option('--job-params <json>', 'job parameter overrides as a JSON object')
    .option('--latest-repair-id <id>', 'accepted for Databricks compatibility; never required')
    .option('--no-wait', 'print the repair id and return at once')
    .action(
      async (
        id: string,
        opts: {
          rerunTasks?: string;
          rerunAllFailedTasks?: boolean;
          rerunDependentTasks?: boolean;
          jobParams?: string;
          wait: boolean;
        },
        cmd: Command
      ) =>
        runCommand(() =>
          withSession(opts.wait, async ({ client }) => {
            const runId = parseId(id, 'RUN_ID');
            const params = parseJobParams(opts.jobParams);
            const { repair_id } = await client.repairRun(runId, {
              ...(opts.rerunTasks
                ? {
                    rerunTasks: opts.rerunTasks
                      .split(',')
                      .map((k) => k.trim())
                      .filter(Boolean),
                  }
                : {}),
              rerunAllFailedTasks: !!opts.rerunAllFailedTasks,
              rerunDependentTasks: !!opts.rerunDependentTasks,
              ...(params ? { jobParameters: params } : {}),
            });
            return printIdOrFollow(client, { key: 'repair_id', id: repair_id }, runId, opts.wait, outputFormat(cmd));
          })
        )
    );

  jobs
    .command('get-run-output')
    .description('Show the output (logs, error, notebook result) of one task of a run')
    .argument('<run_id>', 'job run id, or a task run id')
    .option('--task <task_key>', 'the task (needed with a job run id of a multi-task run)')
    .action(async (id: string, opts: { task?: string }, cmd: Command) =>
      runCommand(() =>
        withSession(false, async ({ client }) => {
          const out = await client.getRunOutput(parseId(id, 'RUN_ID'), opts.task);
          if (outputFormat(cmd) === 'json') return printJson(out);
          const t = out.metadata;
          process.stdout.write(
            `${t.task_key} (run ${t.run_id}, attempt ${t.attempt_number}): ${t.state.result_state ?? t.state.life_cycle_state}\n`
          );
          if (out.log_path) process.stdout.write(`log: ${out.log_path}\n`);
          if (out.log_expired)
            process.stdout.write(
              `log: expired, deleted ${new Date(out.log_expired.expired_time).toISOString()} by the log retention (${out.log_expired.retention_days} days)${out.logs !== undefined ? '; the tail the run kept follows' : ''}\n`
            );
          if (out.error) process.stdout.write(`error: ${out.error}\n`);
          if (out.notebook_output?.result !== undefined)
            process.stdout.write(`notebook result: ${out.notebook_output.result}\n`);
          if (out.logs !== undefined) process.stdout.write(`${out.logs_truncated ? '…(truncated)\n' : ''}${out.logs}`);
        })
      )
    );
}
