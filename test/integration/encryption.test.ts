// Payload encryption on a real server: what a job and its run carry (spec, parameters, task values,
// notebook output, error messages) is ciphertext in Temporal, while the client, the CLI and the
// REST API, which hold the key ring, show it in the clear.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { encodeUnifiedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { encodeToPayloads } from '@temporalio/common/lib/internal-non-workflow';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { FastifyInstance } from 'fastify';
import type { DataConverter } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TokenMap, adminPrincipal } from '../../api/auth';
import { createApiServer } from '../../api/server';
import { DurableJobsClient } from '../../client';
import { djobsDataConverter } from '../../encryption/data-converter';
import { generateKeyLine, parseKeyRing } from '../../encryption/key-ring';
import { createDjobsWorker } from '../../worker';
import { findTemporalCli } from '../../servers/temporal-cli';
import { jobScheduleId, runIdFromString, runWorkflowId } from '../../core';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../encryption/aes-gcm-codec';
import { JOB_RUN_WORKFLOW_TYPE, type JobRunInput } from '../../workflows/definitions';
import { DjobsJobName, DjobsRunId } from '../../workflows/search-attributes';
import type { Job, Run } from '../../client';
import { temporalClientOf } from '../../client/jobs-client';
import {
  adminTokens,
  engineEnv,
  latestByKey,
  readableText,
  startEngine,
  testEncryptionKeys,
  waitFor,
  type Engine,
} from './harness';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');

const MARK = {
  spec: 'spec-marker-9d41c',
  param: 'param-marker-2be77',
  value: 'value-marker-5a0f3',
  output: 'notebook-output-marker-c81d2',
  error: 'error-marker-e6b90',
};

const utf8 = (v: string) => Buffer.from(v, 'utf8');
/**
 * Payloads as a broken or foreign writer would leave them (written by a raw Temporal client): bytes
 * that claim to be JSON and are not; bytes that claim to be encrypted with the ring's key and are
 * garbage. Each with what a reader is told about it.
 */
const CORRUPTIONS = {
  'not JSON': {
    payload: { metadata: { encoding: utf8('json/plain') }, data: utf8('{not json') },
    why: jsonParseFailure('{not json'),
  },
  'garbage ciphertext': {
    payload: {
      metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8('test-run') },
      data: Buffer.alloc(64, 7),
    },
    why: 'Cannot decrypt a payload with key "test-run": authentication failed (the ciphertext was altered or the key is not the one it was encrypted with).',
  },
};

/** What JSON.parse says of `text` (its wording is the runtime's). */
function jsonParseFailure(text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`${text} is JSON`);
}

describe('payload encryption', () => {
  let engine: Engine;
  let jobId: number;
  let runId: number;
  beforeAll(async () => {
    engine = await startEngine('payload encryption');
    fs.writeFileSync(
      path.join(engine.workDir, 'nb.py'),
      [
        '# Databricks notebook source',
        `dbutils.jobs.taskValues.set("v", "${MARK.value}")`,
        `dbutils.notebook.exit("${MARK.output}")`,
      ].join('\n')
    );
    ({ job_id: jobId } = await engine.client.createJob({
      name: 'encrypted job',
      parameters: [{ name: 'p', default: 'default' }],
      tasks: [
        { task_key: 'nb', notebook_task: { notebook_path: path.join(engine.workDir, 'nb.py') } },
        {
          task_key: 'fails',
          depends_on: [{ task_key: 'nb' }],
          shell_command_task: {
            command: `echo ${MARK.spec} {{job.parameters.p}} {{tasks.nb.values.v}}; python3 -c 'raise ValueError("${MARK.error}")'`,
          },
        },
      ],
    }));
    ({ run_id: runId } = await engine.client.runNow(jobId, { jobParameters: { p: MARK.param } }));
    await engine.client.waitForRun(runId, { timeoutMs: 90_000 });
  }, 120_000);
  afterAll(() => engine?.stop());

  it('the client decrypts: parameters, task values, notebook output and the error message', async () => {
    const r = await engine.client.getRun(runId);
    expect(r.state.result_state).toBe('FAILED');
    expect(r.job_parameters).toEqual([{ name: 'p', default: 'default', value: MARK.param }]);
    const t = latestByKey(r);
    expect([t.nb!.state.result_state, t.fails!.state.result_state]).toEqual(['SUCCESS', 'FAILED']);
    expect((await engine.client.getRunOutput(runId, 'fails')).error).toBe(`ValueError: ${MARK.error}`);
    expect((await engine.client.getRunOutput(runId, 'nb')).notebook_output).toEqual({
      result: MARK.output,
      truncated: false,
    });
    expect((await engine.client.getRunOutput(runId, 'fails')).logs).toContain(
      `${MARK.spec} ${MARK.param} ${MARK.value}`
    );
    expect((await engine.client.getJob(jobId)).settings.tasks[1]!.shell_command_task!.command).toContain(MARK.spec);
  });

  it('raw history (client without the key, and `temporal workflow show`) and the raw schedule hold none of the markers', async () => {
    const history = await engine.temporal.workflow.getHandle(runWorkflowId(runId)).fetchHistory();
    const raw = readableText(JSON.parse(historyToJSON(history)));
    // The check sees through base64: the plain search attribute of the job name is found.
    expect(raw).toContain('encrypted job');
    expect(raw).toContain('binary/encrypted');
    expect(raw).toContain('Encoded failure');
    for (const marker of Object.values(MARK)) expect(raw).not.toContain(marker);

    const cliPath = await findTemporalCli({});
    const shown = await run(cliPath!, [
      'workflow',
      'show',
      '--address',
      engine.address,
      '--workflow-id',
      runWorkflowId(runId),
      '-o',
      'json',
    ]);
    const cliText = readableText(JSON.parse(shown.stdout));
    expect(cliText).toContain('binary/encrypted');
    for (const marker of Object.values(MARK)) expect(cliText).not.toContain(marker);

    const schedule = await engine.temporal.connection.workflowService.describeSchedule({
      namespace: 'default',
      scheduleId: `djobs-job-${jobId}`,
    });
    const scheduleText = readableText(JSON.parse(JSON.stringify(schedule.toJSON())));
    expect(scheduleText).toContain('binary/encrypted');
    for (const marker of Object.values(MARK)) expect(scheduleText).not.toContain(marker);
  });

  it('a client without the key ring cannot read the run and says why', async () => {
    const stranger = await DurableJobsClient.connect({ address: engine.address, taskQueue: engine.taskQueue });
    try {
      const problem = await stranger.getRun(runId).then(
        () => 'read',
        (err: Error) => err.message
      );
      // Read like any record it cannot decode: which one, and why.
      expect(problem).toBe(`Run ${runId} cannot be read: Unknown encoding: binary/encrypted`);
    } finally {
      await stranger.close();
    }
  });

  /** The `djobs` CLI (from dist/) on the engine, with the test's key ring. */
  const djobs = (...args: string[]) =>
    run(process.execPath, [path.join(root, 'dist', 'cli', 'index.js'), ...args], {
      env: { ...engineEnv(engine), DJOBS_ENCRYPTION_KEYS: testEncryptionKeys() },
    });

  /** A worker and a client with their own data converter, on a queue of their own. */
  const engineWith = async (suffix: string, dataConverter: DataConverter) => {
    const taskQueue = `${engine.taskQueue}-${suffix}`;
    const connection = await NativeConnection.connect({ address: engine.address });
    const worker = await createDjobsWorker({
      connection,
      namespace: 'default',
      taskQueue,
      dataDir: engine.dataDir,
      dataConverter,
      workflowBundlePath: inject('workflowBundlePath'),
    });
    const running = worker.run();
    const client = await DurableJobsClient.connect({ address: engine.address, taskQueue, dataConverter });
    return {
      client,
      stop: async () => {
        worker.shutdown();
        await running;
        await connection.close();
        await client.close();
      },
    };
  };

  /** The REST API on the engine's client, for an admin with `token`; `api` GETs a jobs route. */
  const adminApi = async (token: string) => {
    const app = await createApiServer({
      client: engine.client,
      tokens: adminTokens(token),
      workspaceDir: engine.workDir,
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const api = async (route: string) => {
      const res = await fetch(`${base}/api/2.1/jobs/${route}`, { headers: { Authorization: `Bearer ${token}` } });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    return { app, api };
  };

  it('rotation: with a new key appended, old runs decode and new payloads use the new key', async () => {
    const rotatedKeys = `${testEncryptionKeys()},${generateKeyLine('rotated')}`;
    const rotated = djobsDataConverter(parseKeyRing(rotatedKeys, 'test'));
    // "Restart" every process with the new ring: a worker and a client on a queue of their own.
    const { client, stop } = await engineWith('rotated', rotated);
    const onlyNew = await DurableJobsClient.connect({
      address: engine.address,
      dataConverter: djobsDataConverter(parseKeyRing(rotatedKeys.split(',')[1]!, 'test')),
    });
    try {
      expect((await client.getRun(runId)).job_parameters[0]!.value).toBe(MARK.param);
      const { run_id } = await client.submitRun({
        name: 'after rotation',
        tasks: [{ task_key: 't', shell_command_task: { command: `echo ${MARK.spec}` } }],
      });
      expect((await client.waitForRun(run_id, { timeoutMs: 60_000 })).state.result_state).toBe('SUCCESS');
      const history = await temporalClientOf(client).workflow.getHandle(runWorkflowId(run_id)).fetchHistory();
      const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      expect(Buffer.from(input.metadata!['encryption-key-id']!).toString()).toBe('rotated');
      expect((await onlyNew.getRun(run_id)).state.result_state).toBe('SUCCESS');
      await expect(onlyNew.getRun(runId)).rejects.toThrow(
        'Cannot decrypt a payload encrypted with key "test-run": that key is not in the key ring (known: rotated).'
      );
      // Other files list runs of the shared namespace with the test ring, which lacks this key.
      await client.deleteRun(run_id);
    } finally {
      await stop();
      await onlyNew.close();
    }
  });

  it('a run and a job written with a key since removed from the ring are listed as unreadable beside the others (client, REST API, CLI)', async () => {
    // A client and a worker whose ring has one more key, "gone", which encrypts what they write;
    // the test's ring (engine.client, the API, the CLI) lacks it, as after "gone" was removed.
    const withGoneKey = djobsDataConverter(parseKeyRing(`${testEncryptionKeys()},${generateKeyLine('gone')}`, 'test'));
    const { client: gone, stop } = await engineWith('gone', withGoneKey);
    const why =
      'Cannot decrypt a payload encrypted with key "gone": that key is not in the key ring (known: test-run).';
    const since = Date.now();
    const name = `written under a removed key ${since}`;
    const oneTask = { name, tasks: [{ task_key: 't', shell_command_task: { command: 'true' } }] };
    // One-time runs: no job gate, which a worker of the other ring would share.
    const { run_id: unreadable } = await gone.submitRun(oneTask);
    const { run_id: readable } = await engine.client.submitRun(oneTask);
    const { job_id: unreadableJob } = await gone.createJob(oneTask);
    const { job_id: readableJob } = await engine.client.createJob(oneTask);
    const { app, api } = await adminApi('undecodable-test-admin-token');
    try {
      expect((await gone.waitForRun(unreadable, { timeoutMs: 60_000 })).state.result_state).toBe('SUCCESS');
      expect((await engine.client.waitForRun(readable, { timeoutMs: 60_000 })).state.result_state).toBe('SUCCESS');
      const unreadableShape = {
        run_id: unreadable,
        run_name: name,
        run_type: 'SUBMIT_RUN',
        state: {
          life_cycle_state: 'INTERNAL_ERROR',
          state_message: `This run cannot be read: ${why}`,
          user_cancelled_or_timedout: false,
        },
        status: {
          state: 'TERMINATED',
          termination_details: {
            code: 'INTERNAL_ERROR',
            type: 'INTERNAL_ERROR',
            message: `This run cannot be read: ${why}`,
          },
        },
      };

      // The client: both listed (the index lags the runs' ends: polled), each as what it is.
      const listed = await waitFor(async () => {
        const runs = await engine.client.listRuns({ runType: 'SUBMIT_RUN', startTimeFrom: since, limit: 1000 });
        const [u, r] = [unreadable, readable].map((id) => runs.find((x) => x.run_id === id));
        return u && r?.state.result_state === 'SUCCESS' && { u, r };
      }, 'both runs listed, the readable one finished');
      expect(listed.u).toMatchObject(unreadableShape);
      expect(listed.u.state.result_state).toBeUndefined();
      await expect(engine.client.getRun(unreadable)).rejects.toThrow(`Run ${unreadable} cannot be read: ${why}`);

      // The REST API: runs/list pages through both (expanded too); runs/get says why, not a bare 500.
      for (const expand of [false, true]) {
        const runs: Run[] = [];
        let token: string | undefined;
        do {
          const { status, body } = await api(
            `runs/list?run_type=SUBMIT_RUN&start_time_from=${since}&expand_tasks=${expand}${token ? `&page_token=${token}` : ''}`
          );
          expect(status).toBe(200);
          runs.push(...((body.runs as Run[] | undefined) ?? []));
          token = body.next_page_token as string | undefined;
        } while (token);
        expect(runs.find((r) => r.run_id === unreadable)).toMatchObject(unreadableShape);
        expect(runs.find((r) => r.run_id === readable)?.state.result_state).toBe('SUCCESS');
      }
      const got = await api(`runs/get?run_id=${unreadable}`);
      expect(got.status).toBe(500);
      expect(got.body).toMatchObject({
        error_code: 'INTERNAL_ERROR',
        message: `Run ${unreadable} cannot be read: ${why}`,
      });

      // jobs/list: the job under the removed key is listed by id and name, with why it cannot be read.
      const jobReadError = `Job ${unreadableJob} cannot be read: ${why}`;
      for (const expand of [false, true]) {
        const jobs = await waitFor(async () => {
          const { body } = await api(`list?name=${encodeURIComponent(name)}&expand_tasks=${expand}`);
          const list = (body.jobs as (Job & { read_error?: string })[] | undefined) ?? [];
          return list.length === 2 && list;
        }, 'both jobs listed');
        expect(jobs.find((j) => j.job_id === unreadableJob)).toMatchObject({
          job_id: unreadableJob,
          settings: { name },
          read_error: jobReadError,
        });
        const other = jobs.find((j) => j.job_id === readableJob)!;
        expect(other.read_error).toBeUndefined();
        expect(other.settings.name).toBe(name);
      }
      const job = await api(`get?job_id=${unreadableJob}`);
      expect(job.status).toBe(500);
      expect(job.body).toMatchObject({ error_code: 'INTERNAL_ERROR', message: jobReadError });

      // The CLI lists both runs and both jobs, and says which it cannot read and why.
      const runsOut = (await djobs('jobs', 'list-runs', '--limit', '1000')).stdout;
      expect(runsOut).toMatch(new RegExp(`^${unreadable}\\s.*INTERNAL_ERROR`, 'm'));
      expect(runsOut).toMatch(new RegExp(`^${readable}\\s.*SUCCESS`, 'm'));
      expect(runsOut).toContain(`Run ${unreadable}: This run cannot be read: ${why}`);
      const jobsOut = (await djobs('jobs', 'list', '--name', name)).stdout;
      expect(jobsOut).toMatch(new RegExp(`^${unreadableJob}\\s`, 'm'));
      expect(jobsOut).toMatch(new RegExp(`^${readableJob}\\s`, 'm'));
      expect(jobsOut).toContain(jobReadError);

      // Without the key, the run can still be deleted (a describe that leaves its memo encoded).
      await engine.client.deleteRun(unreadable);
      // Temporal deletes in the background: the run is gone a moment later.
      await waitFor(
        () =>
          engine.client.getRun(unreadable).then(
            () => false,
            (err: Error) => err.message === `Run ${unreadable} does not exist.`
          ),
        'the deleted run to be gone',
        60_000
      );
    } finally {
      await app.close();
      await engine.client.deleteRun(unreadable).catch(() => undefined);
      await gone.deleteJob(unreadableJob);
      await stop();
    }
  });

  /**
   * A one-task submit run started by a raw Temporal client (as a broken or foreign writer would)
   * on `taskQueue`, with `memo` as given; its workflow id.
   */
  const startRawRun = async (
    runId: number,
    runName: string,
    taskQueue: string,
    memo: Record<string, temporal.api.common.v1.IPayload> = {}
  ) => {
    const workflowId = runWorkflowId(runId);
    const input: JobRunInput = {
      runId,
      runName,
      settings: { name: runName, tasks: [{ task_key: 't', shell_command_task: { command: 'true' } }] },
      trigger: 'ONE_TIME',
      runType: 'SUBMIT_RUN',
    };
    await engine.temporal.workflowService.startWorkflowExecution({
      namespace: 'default',
      workflowId,
      workflowType: { name: JOB_RUN_WORKFLOW_TYPE },
      taskQueue: { name: taskQueue },
      input: { payloads: await encodeToPayloads(engine.temporal.options.loadedDataConverter, input) },
      memo: { fields: memo },
      searchAttributes: {
        indexedFields: encodeUnifiedSearchAttributes(undefined, [
          { key: DjobsRunId, value: runId },
          { key: DjobsJobName, value: runName },
        ]),
      },
      requestId: randomUUID(),
    });
    return workflowId;
  };

  /** Delete what `startRawRun` started (already gone is fine). */
  const deleteRawRuns = async (workflowIds: string[]) => {
    for (const workflowId of workflowIds)
      await engine.temporal.workflowService
        .deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId } })
        .catch(() => undefined);
  };

  it('a run whose memo bytes are not what their encoding says: runs/get answers INTERNAL_ERROR saying why, as runs/list does', async () => {
    const since = Date.now();
    const { app, api } = await adminApi('corrupted-test-admin-token');
    const started: string[] = [];
    try {
      for (const [what, { payload }] of Object.entries(CORRUPTIONS)) {
        const runId = runIdFromString(`corrupted memo ${what} ${since}`);
        // On a queue no worker polls (a worker could not decode the memo either), then ended.
        const workflowId = await startRawRun(runId, `corrupted: ${what}`, `${engine.taskQueue}-unpolled`, {
          djobs_access: payload,
        });
        started.push(workflowId);
        await engine.temporal.workflow.getHandle(workflowId).terminate('corrupted on purpose');

        // runs/list says why (the index lags: polled); runs/get answers the same reason as an error.
        const listed = await waitFor(async () => {
          const { body } = await api(`runs/list?run_type=SUBMIT_RUN&start_time_from=${since}&limit=25`);
          return ((body.runs as Run[] | undefined) ?? []).find((r) => r.run_id === runId);
        }, `the run with ${what} to be listed`);
        expect(listed.state.life_cycle_state).toBe('INTERNAL_ERROR');
        const why = listed.state.state_message.replace(/^This run cannot be read: /, '');
        expect(why).not.toBe(listed.state.state_message);
        if (what === 'garbage ciphertext') expect(why).toContain('authentication failed');
        const got = await api(`runs/get?run_id=${runId}`);
        expect(got).toMatchObject({
          status: 500,
          body: { error_code: 'INTERNAL_ERROR', message: `Run ${runId} cannot be read: ${why}` },
        });
        await expect(engine.client.getRun(runId)).rejects.toThrow(`Run ${runId} cannot be read: ${why}`);
      }
    } finally {
      await app.close();
      await deleteRawRuns(started);
    }
  });

  it('a run whose result bytes are not what their encoding says: runs/get and runs/get-output answer INTERNAL_ERROR naming the run and why', async () => {
    const since = Date.now();
    const { app, api } = await adminApi('corrupted-result-test-admin-token');
    const service = engine.temporal.workflowService;
    const started: string[] = [];
    try {
      for (const [what, { payload, why }] of Object.entries(CORRUPTIONS)) {
        const runId = runIdFromString(`corrupted result ${what} ${since}`);
        // The raw client is the run's only worker: it takes the first workflow task and completes
        // the run with the corrupted payload as its result.
        const taskQueue = `${engine.taskQueue}-raw-${runId}`;
        started.push(await startRawRun(runId, `corrupted result: ${what}`, taskQueue));
        const task = await engine.temporal.withDeadline(Date.now() + 60_000, () =>
          service.pollWorkflowTaskQueue({
            namespace: 'default',
            taskQueue: { name: taskQueue },
            identity: 'corrupting writer',
          })
        );
        expect(task.workflowExecution?.workflowId).toBe(runWorkflowId(runId));
        await service.respondWorkflowTaskCompleted({
          namespace: 'default',
          taskToken: task.taskToken,
          identity: 'corrupting writer',
          commands: [
            {
              commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
              completeWorkflowExecutionCommandAttributes: { result: { payloads: [payload] } },
            },
          ],
        });

        const unreadable = {
          status: 500,
          body: { error_code: 'INTERNAL_ERROR', message: `Run ${runId} cannot be read: ${why}` },
        };
        expect(await api(`runs/get?run_id=${runId}`)).toMatchObject(unreadable);
        expect(await api(`runs/get-output?run_id=${runId}`)).toMatchObject(unreadable);
        await expect(engine.client.getRun(runId)).rejects.toThrow(unreadable.body.message);
      }
    } finally {
      await app.close();
      await deleteRawRuns(started);
    }
  });

  it('a job whose memo bytes are not what their encoding says: jobs/get answers INTERNAL_ERROR naming the job and why', async () => {
    const since = Date.now();
    const { app, api } = await adminApi('corrupted-job-test-admin-token');
    const service = engine.temporal.workflowService;
    const created: string[] = [];
    try {
      for (const [what, { payload, why }] of Object.entries(CORRUPTIONS)) {
        const jobId = runIdFromString(`corrupted job memo ${what} ${since}`);
        const input: JobRunInput = {
          jobId,
          settings: {
            name: `corrupted job: ${what}`,
            tasks: [{ task_key: 't', shell_command_task: { command: 'true' } }],
          },
          trigger: 'PERIODIC',
          runType: 'JOB_RUN',
        };
        // A paused schedule as djobs stores a job, written by a raw client with a corrupted memo
        // (and no search attributes: other files' job listings never meet it).
        await service.createSchedule({
          namespace: 'default',
          scheduleId: jobScheduleId(jobId),
          schedule: {
            spec: {},
            action: {
              startWorkflow: {
                workflowId: `djobs-corrupted-job-${jobId}`,
                workflowType: { name: JOB_RUN_WORKFLOW_TYPE },
                taskQueue: { name: `${engine.taskQueue}-unpolled` },
                input: { payloads: await encodeToPayloads(engine.temporal.options.loadedDataConverter, input) },
              },
            },
            state: { paused: true },
          },
          memo: { fields: { created_time: payload } },
          requestId: randomUUID(),
        });
        created.push(jobScheduleId(jobId));

        const message = `Job ${jobId} cannot be read: ${why}`;
        expect(await api(`get?job_id=${jobId}`)).toMatchObject({
          status: 500,
          body: { error_code: 'INTERNAL_ERROR', message },
        });
        await expect(engine.client.getJob(jobId)).rejects.toThrow(message);
      }
    } finally {
      await app.close();
      for (const scheduleId of created)
        await service.deleteSchedule({ namespace: 'default', scheduleId }).catch(() => undefined);
    }
  });

  it('turning encryption on keeps runs written in the clear readable', async () => {
    const { client: before, stop } = await engineWith('plain', djobsDataConverter(undefined));
    try {
      const { run_id } = await before.submitRun({
        name: 'before encryption',
        tasks: [{ task_key: 't', shell_command_task: { command: `echo ${MARK.value}` } }],
      });
      expect((await before.waitForRun(run_id, { timeoutMs: 60_000 })).state.result_state).toBe('SUCCESS');
      const history = await temporalClientOf(before).workflow.getHandle(runWorkflowId(run_id)).fetchHistory();
      expect(readableText(JSON.parse(historyToJSON(history)))).toContain(`echo ${MARK.value}`);
      const after = await engine.client.getRun(run_id);
      expect(after.state.result_state).toBe('SUCCESS');
      expect(after.tasks[0]!.shell_command_task!.command).toBe(`echo ${MARK.value}`);
    } finally {
      await stop();
    }
  });

  it('the CLI and the REST API, with the key ring, show the markers', async () => {
    const got = await djobs('jobs', 'get-run', String(runId), '-o', 'json');
    expect(got.stdout).toContain(MARK.param);
    expect(got.stdout).toContain(MARK.error);

    const app: FastifyInstance = await createApiServer({
      client: engine.client,
      tokens: (() => {
        const t = new TokenMap();
        t.add({ plain: 'encryption-test-admin-token' }, adminPrincipal());
        return t;
      })(),
      workspaceDir: engine.workDir,
    });
    try {
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      const res = await fetch(`${base}/api/2.1/jobs/runs/get?run_id=${runId}`, {
        headers: { Authorization: 'Bearer encryption-test-admin-token' },
      });
      const body = await res.text();
      expect(body).toContain(MARK.param);
      expect(body).toContain(MARK.error);
    } finally {
      await app.close();
    }
  });
});
