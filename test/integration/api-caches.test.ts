// The API's caches stay exact (docs/api.md, "Performance"): a run's state is reused only while its
// workflow execution and history length are unchanged, access is judged on every request, run-now
// reuses a job only until it is changed through the API, and jobs/list pages through Temporal's own
// listing. Each test changes something and reads it back at once, with no waiting in between.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { TokenMap, adminPrincipal } from '../../api/auth';
import { createApiServer } from '../../api/server';
import { DurableJobsClient } from '../../client';
import { job, safeName, sh, useEngine, waitFor } from './harness';

type Body = Record<string, unknown>;
const ADMIN = 'caches-admin-token-0123456789';
const VIEWER = 'caches-viewer-token-0123456789';
const VIEWER_NAME = 'viewer@example.com';

describe('REST API caches', () => {
  const engine = useEngine('rest api caches');
  let app: FastifyInstance;
  let base: string;
  /** A client that reads every run afresh: the truth the cached API is compared with. */
  let uncached: DurableJobsClient;
  const as =
    (token: string) =>
    async (
      method: 'GET' | 'POST' | 'PUT' | 'PATCH',
      p: string,
      body?: unknown
    ): Promise<{ status: number; body: Body }> => {
      const res = await fetch(`${base}${p}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Body };
    };
  const admin = as(ADMIN);
  const viewer = as(VIEWER);
  const runGet = (call: ReturnType<typeof as>, runId: number, extra = '') =>
    call('GET', `/api/2.1/jobs/runs/get?run_id=${runId}${extra}`);
  const statusOf = (body: Body) => (body.status as { state?: string } | undefined)?.state;
  const lifeCycle = (body: Body) => (body.state as { life_cycle_state?: string } | undefined)?.life_cycle_state;

  const apiTokens = () => {
    const tokens = new TokenMap();
    tokens.add({ plain: ADMIN }, adminPrincipal());
    tokens.add({ plain: VIEWER }, { name: VIEWER_NAME, kind: 'user', groups: [], admin: false });
    return tokens;
  };

  beforeAll(async () => {
    app = await createApiServer({ client: engine.client, tokens: apiTokens(), workspaceDir: engine.workDir });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    uncached = DurableJobsClient.fromClient(engine.temporal, {
      taskQueue: engine.taskQueue,
      runCacheEntries: 0,
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('a repaired run is seen as repaired at once, though its finished state was cached', async () => {
    const marker = path.join(engine.workDir, 'repair-marker');
    const created = await admin('POST', '/api/2.1/jobs/create', job('cached repair', [sh('a', `test -f ${marker}`)]));
    const { run_id } = (await admin('POST', '/api/2.1/jobs/run-now', { job_id: created.body.job_id })).body as {
      run_id: number;
    };
    await waitFor(async () => statusOf((await runGet(admin, run_id)).body) === 'TERMINATED', 'the run to fail');
    for (let i = 0; i < 3; i++) {
      const failed = await runGet(admin, run_id, '&include_history=true');
      expect(failed.body).toMatchObject({ state: { result_state: 'FAILED' } });
      expect(failed.body.repair_history).toHaveLength(1);
    }
    fs.writeFileSync(marker, '');
    // Readers keep the run's describes in flight throughout: one sent before the repair must not
    // answer a read asked after it (readers of one run share only describes sent after they asked).
    // The repaired execution answers through a worker, which a loaded machine may keep from
    // answering in time (503 TEMPORARILY_UNAVAILABLE, asked again); every answer given to a read
    // sent after the repair was accepted shows the repair.
    let repairedAt = Infinity;
    let reading = true;
    const answers: { sentAt: number; status: number; body: Body }[] = [];
    const readers = Array.from({ length: 8 }, async () => {
      while (reading) {
        const sentAt = performance.now();
        answers.push({ sentAt, ...(await runGet(admin, run_id, '&include_history=true')) });
      }
    });
    const repair = await admin('POST', '/api/2.1/jobs/runs/repair', { run_id, rerun_all_failed_tasks: true });
    expect(repair.status).toBe(200);
    repairedAt = performance.now();
    await waitFor(
      () => answers.filter((a) => a.sentAt > repairedAt && a.status === 200).length >= 8,
      'eight reads sent after the repair to be answered'
    );
    reading = false;
    await Promise.all(readers);
    for (const a of answers) {
      if (a.status !== 200) expect(a.body.error_code).toBe('TEMPORARILY_UNAVAILABLE');
      else if (a.sentAt > repairedAt) {
        expect(a.body.repair_history).toHaveLength(2);
        // Running the repair, or already finished by it (its one task is quick): never the
        // cached FAILED of the execution before it.
        if (statusOf(a.body) === 'TERMINATED') expect(a.body).toMatchObject({ state: { result_state: 'SUCCESS' } });
      }
    }
    await waitFor(
      async () => ((await runGet(admin, run_id)).body.state as { result_state?: string }).result_state === 'SUCCESS',
      'the repair to succeed'
    );
  });

  it("a finished run's body, kept once serialised, is what a fresh read gives in every version and shape", async () => {
    const fresh = await createApiServer({ client: uncached, tokens: apiTokens(), workspaceDir: engine.workDir });
    const freshBase = await fresh.listen({ port: 0, host: '127.0.0.1' });
    try {
      const created = await admin(
        'POST',
        '/api/2.1/jobs/create',
        job('kept body', [sh('a', 'true'), sh('b', 'exit 3', { depends_on: [{ task_key: 'a' }] })])
      );
      const { run_id } = (await admin('POST', '/api/2.1/jobs/run-now', { job_id: created.body.job_id })).body as {
        run_id: number;
      };
      await waitFor(async () => statusOf((await runGet(admin, run_id)).body) === 'TERMINATED', 'the run to fail');
      for (const version of ['2.0', '2.1', '2.2'])
        for (const history of ['', '&include_history=true']) {
          const path = `/api/${version}/jobs/runs/get?run_id=${run_id}${history}`;
          const read = async (at: string) => {
            const res = await fetch(`${at}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });
            expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
            return res.text();
          };
          const first = await read(base);
          // Served again from the kept body: the same bytes, and the bytes of an uncached server.
          expect(await read(base)).toBe(first);
          expect(await read(freshBase)).toBe(first);
        }
    } finally {
      await fresh.close();
    }
  });

  it("a live run's body, built and serialised once per snapshot, is a fresh read's in every version and shape, durations at the instant read", async () => {
    const fresh = await createApiServer({ client: uncached, tokens: apiTokens(), workspaceDir: engine.workDir });
    const freshBase = await fresh.listen({ port: 0, host: '127.0.0.1' });
    const marker = path.join(engine.workDir, 'live-view-marker');
    try {
      const created = await admin(
        'POST',
        '/api/2.1/jobs/create',
        job('live view', [
          sh('a', 'true'),
          sh('b', `while [ ! -f ${marker} ]; do sleep 0.1; done`, { depends_on: [{ task_key: 'a' }] }),
        ])
      );
      const { run_id } = (await admin('POST', '/api/2.1/jobs/run-now', { job_id: created.body.job_id })).body as {
        run_id: number;
      };
      const taskLife = (body: Body, key: string) =>
        (body.tasks as { task_key: string; state: { life_cycle_state: string } }[] | undefined)?.find(
          (t) => t.task_key === key
        )?.state.life_cycle_state;
      await waitFor(async () => taskLife((await runGet(admin, run_id)).body, 'b') === 'RUNNING', 'task b to run');
      /** A body's text with the durations the clock drives (every `*_duration`) blanked out. */
      const clockless = (text: string) =>
        JSON.stringify(JSON.parse(text), (k, v: unknown) =>
          k.endsWith('_duration') && k !== 'queue_duration' ? '*' : v
        );
      for (const version of ['2.0', '2.1', '2.2'])
        for (const history of ['', '&include_history=true']) {
          const at = async (server: string) => {
            const before = Date.now();
            const res = await fetch(`${server}/api/${version}/jobs/runs/get?run_id=${run_id}${history}`, {
              headers: { authorization: `Bearer ${ADMIN}` },
            });
            return { text: await res.text(), before, after: Date.now() };
          };
          const cached = [await at(base), await at(base), await at(base)];
          const truth = await at(freshBase);
          for (const read of cached) {
            expect(clockless(read.text)).toBe(clockless(truth.text));
            // Its moving durations are those of the instant it was read.
            const run = JSON.parse(read.text) as {
              start_time: number;
              run_duration: number;
              tasks?: { task_key: string; start_time: number; end_time: number; run_duration: number }[];
            };
            expect(run.run_duration).toBeGreaterThanOrEqual(read.before - run.start_time);
            expect(run.run_duration).toBeLessThanOrEqual(read.after - run.start_time);
            for (const t of run.tasks ?? []) {
              if (t.end_time) expect(t.run_duration).toBe(t.end_time - t.start_time);
              else {
                expect(t.run_duration).toBeGreaterThanOrEqual(read.before - t.start_time);
                expect(t.run_duration).toBeLessThanOrEqual(read.after - t.start_time);
              }
            }
          }
        }
      // A cancel through another API server: once the run has ended, the very next read of this
      // one (whose view of the live snapshot is kept) sees it ended.
      const cancel = await fresh.inject({
        method: 'POST',
        url: '/api/2.1/jobs/runs/cancel',
        headers: { authorization: `Bearer ${ADMIN}` },
        payload: { run_id },
      });
      expect(cancel.statusCode).toBe(200);
      await waitFor(
        async () => (await uncached.getRun(run_id)).state.life_cycle_state === 'TERMINATED',
        'the run to end canceled'
      );
      expect((await runGet(admin, run_id)).body).toMatchObject({
        state: { life_cycle_state: 'TERMINATED', result_state: 'CANCELED' },
      });
    } finally {
      fs.writeFileSync(marker, '');
      await fresh.close();
    }
  });

  it('a live run read again and again is seen finished as soon as it finishes', async () => {
    const marker = path.join(engine.workDir, 'finish-marker');
    const created = await admin(
      'POST',
      '/api/2.1/jobs/create',
      job('cached live run', [sh('wait', `while [ ! -f ${marker} ]; do sleep 0.1; done`)])
    );
    const { run_id } = (await admin('POST', '/api/2.1/jobs/run-now', { job_id: created.body.job_id })).body as {
      run_id: number;
    };
    await waitFor(async () => lifeCycle((await runGet(admin, run_id)).body) === 'RUNNING', 'the run to start');
    for (let i = 0; i < 5; i++) expect(lifeCycle((await runGet(admin, run_id)).body)).toBe('RUNNING');
    fs.writeFileSync(marker, '');
    // The uncached truth first; the cached API must agree on the very next read.
    await waitFor(
      async () => (await uncached.getRun(run_id)).state.life_cycle_state === 'TERMINATED',
      'the run to finish'
    );
    const seen = await runGet(admin, run_id);
    expect(seen.body).toMatchObject({ state: { life_cycle_state: 'TERMINATED', result_state: 'SUCCESS' } });
  });

  it('a revoked grant applies at once to a run whose state is cached', async () => {
    const created = await admin('POST', '/api/2.1/jobs/create', {
      ...job('cached revocation', [sh('a', 'true')]),
      access_control_list: [{ user_name: VIEWER_NAME, permission_level: 'CAN_VIEW' }],
    });
    const id = created.body.job_id as number;
    const { run_id } = (await admin('POST', '/api/2.1/jobs/run-now', { job_id: id })).body as { run_id: number };
    await waitFor(async () => lifeCycle((await runGet(viewer, run_id)).body) === 'TERMINATED', 'the run to finish');
    expect((await runGet(viewer, run_id)).status).toBe(200);
    const revoked = await admin('PUT', `/api/2.0/permissions/jobs/${id}`, { access_control_list: [] });
    expect(revoked.status).toBe(200);
    expect(await runGet(viewer, run_id)).toMatchObject({ status: 403, body: { error_code: 'PERMISSION_DENIED' } });
    expect((await runGet(admin, run_id)).status).toBe(200);
  });

  it('run-now sees a reset job and a deleted job at once', async () => {
    const created = await admin('POST', '/api/2.1/jobs/create', job('cached run-now', [sh('first', 'true')]));
    const id = created.body.job_id as number;
    const keysOf = async (runId: number) => {
      const run = await waitFor(async () => {
        const r = (await runGet(admin, runId)).body;
        return lifeCycle(r) === 'TERMINATED' ? r : undefined;
      }, `run ${runId} to finish`);
      return (run.tasks as { task_key: string }[]).map((t) => t.task_key);
    };
    const first = (await admin('POST', '/api/2.1/jobs/run-now', { job_id: id })).body.run_id as number;
    expect(await keysOf(first)).toEqual(['first']);
    expect(
      (await admin('POST', '/api/2.1/jobs/reset', { job_id: id, new_settings: job('reset', [sh('second', 'true')]) }))
        .status
    ).toBe(200);
    const second = (await admin('POST', '/api/2.1/jobs/run-now', { job_id: id })).body.run_id as number;
    expect(await keysOf(second)).toEqual(['second']);
    expect(
      (
        await admin('POST', '/api/2.1/jobs/update', {
          job_id: id,
          new_settings: { tasks: [sh('third', 'true')] },
          fields_to_remove: ['tasks/second'],
        })
      ).status
    ).toBe(200);
    const third = (await admin('POST', '/api/2.1/jobs/run-now', { job_id: id })).body.run_id as number;
    expect(await keysOf(third)).toEqual(['third']);
    expect((await admin('POST', '/api/2.1/jobs/delete', { job_id: id })).status).toBe(200);
    expect(await admin('POST', '/api/2.1/jobs/run-now', { job_id: id })).toMatchObject({
      status: 404,
      body: { error_code: 'RESOURCE_DOES_NOT_EXIST' },
    });
  });

  it('jobs/list pages through many jobs exactly, for an admin and for a user who sees some', async () => {
    const name = safeName('paged');
    const ids: number[] = [];
    const visible = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const shared = i % 3 === 0;
      const created = await admin('POST', '/api/2.1/jobs/create', {
        ...job(name, [sh('a', 'true')]),
        ...(shared ? { access_control_list: [{ user_name: VIEWER_NAME, permission_level: 'CAN_VIEW' }] } : {}),
      });
      ids.push(created.body.job_id as number);
      if (shared) visible.add(created.body.job_id as number);
    }
    const pageAll = async (call: ReturnType<typeof as>, limit: number) => {
      const seen: number[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await call(
          'GET',
          `/api/2.1/jobs/list?name=${name}&limit=${limit}${token ? `&page_token=${token}` : ''}`
        );
        expect(page.status).toBe(200);
        seen.push(...((page.body.jobs as { job_id: number }[] | undefined) ?? []).map((j) => j.job_id));
        token = page.body.next_page_token as string | undefined;
        expect(page.body.has_more).toBe(token !== undefined);
        pages++;
      } while (token);
      return { seen, pages };
    };
    // Listing is eventually consistent: wait until every job is indexed, then page.
    await waitFor(async () => (await pageAll(admin, 100)).seen.length === ids.length, 'every job to be listed');
    const byAdmin = await pageAll(admin, 4);
    expect(byAdmin.pages).toBeGreaterThanOrEqual(8);
    expect(byAdmin.seen).toHaveLength(ids.length);
    expect(new Set(byAdmin.seen)).toEqual(new Set(ids));
    const byViewer = await pageAll(viewer, 3);
    expect(byViewer.seen).toHaveLength(visible.size);
    expect(new Set(byViewer.seen)).toEqual(visible);
    // A grant revoked is honoured at once, though the listing's index may not have caught up yet.
    const revokedId = [...visible][0]!;
    await admin('PUT', `/api/2.0/permissions/jobs/${revokedId}`, { access_control_list: [] });
    expect((await pageAll(viewer, 100)).seen).not.toContain(revokedId);
    // A grant given, and a job deleted, through this server are honoured at once too.
    const hiddenId = ids.find((i) => !visible.has(i))!;
    await admin('PATCH', `/api/2.0/permissions/jobs/${hiddenId}`, {
      access_control_list: [{ user_name: VIEWER_NAME, permission_level: 'CAN_VIEW' }],
    });
    const deletedId = [...visible][1]!;
    expect((await admin('POST', '/api/2.1/jobs/delete', { job_id: deletedId })).status).toBe(200);
    const afterChanges = (await pageAll(viewer, 100)).seen;
    expect(afterChanges).toContain(hiddenId);
    expect(afterChanges).not.toContain(deletedId);
    expect(new Set(afterChanges)).toEqual(
      new Set([...visible, hiddenId].filter((i) => i !== revokedId && i !== deletedId))
    );
    // The legacy offset still skips exactly (once the admin's listing, which is not judged, no
    // longer shows the deleted job).
    await waitFor(
      async () => !(await pageAll(admin, 100)).seen.includes(deletedId),
      'the deleted job to leave the listing'
    );
    const all = (await admin('GET', `/api/2.1/jobs/list?name=${name}&limit=100`)).body.jobs as { job_id: number }[];
    const skipped = (await admin('GET', `/api/2.1/jobs/list?name=${name}&limit=5&offset=10`)).body.jobs as {
      job_id: number;
    }[];
    expect(skipped.map((j) => j.job_id)).toEqual(all.slice(10, 15).map((j) => j.job_id));
    const forged = Buffer.from('listing:bm9wZQ').toString('base64url');
    expect(await admin('GET', `/api/2.1/jobs/list?page_token=${forged}`)).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid page_token.' },
    });
    // A real token, damaged: refused here (its checksum), not after the Temporal client's retries.
    const real = (await admin('GET', `/api/2.1/jobs/list?name=${name}&limit=1`)).body.next_page_token as string;
    const text = Buffer.from(real, 'base64url').toString();
    const damaged = Buffer.from(text.slice(0, -2) + (text.at(-2) === 'A' ? 'B' : 'A') + text.at(-1)).toString(
      'base64url'
    );
    expect(await admin('GET', `/api/2.1/jobs/list?name=${name}&limit=1&page_token=${damaged}`)).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid page_token.' },
    });
    expect(await admin('GET', '/api/2.1/jobs/list?page_token=bm9wZQ')).toMatchObject({
      status: 400,
      body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid page_token.' },
    });
  });
});
