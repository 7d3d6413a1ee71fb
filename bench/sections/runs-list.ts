// runs/list for a non-admin among many runs: RUNS runs of a job the principal may not see and a
// few of one it owns, all started on a task queue no worker polls (so they stay RUNNING and cost
// nothing but their visibility records), beside FOREIGN `jobRun` executions started straight on
// Temporal without run or job ids (as the other sections' runs are, in an `--all` run): the records
// a listing must not read one page after another. The first page is read over REST as that principal, and
// through the client beside the baseline of the same run: the listing before runs carried their
// viewers, every run read and judged (`where` alone), against the listing narrowed by the index.
import { allows, effectiveLevel, type Principal } from '../../core';
import { TokenMap } from '../../api/auth';
import { createApiServer } from '../../api/server';
import { DurableJobsClient } from '../../client';
import { median, percentile, round } from '../env';
import { mapPool } from '../pool';
import type { Section } from '../section';

const RUNS = Number(process.env.BENCH_RUNS_LIST_RUNS ?? 10000);
const FOREIGN = Number(process.env.BENCH_RUNS_LIST_FOREIGN ?? 2000);
const OWN_RUNS = 5;
const SAMPLES = 20;
const TOKEN = 'bench-runs-list-token-0123456789ab';
const VIEWER: Principal = { name: 'viewer@example.com', kind: 'user', groups: [], admin: false };

async function timed(n: number, fn: () => Promise<number>): Promise<{ times: number[]; seen: number }> {
  const times: number[] = [];
  let seen = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    seen = await fn();
    times.push(performance.now() - t0);
  }
  return { times, seen };
}

export const runsList: Section = {
  name: 'runs-list',
  summary: `runs/list first page for a non-admin who sees ${OWN_RUNS} of ${RUNS + OWN_RUNS} runs beside ${FOREIGN} raw jobRun executions, narrowed by the index vs every run read and judged`,
  quick: false,
  async run(env) {
    const idleQueue = `bench-idle-${Date.now()}`;
    const client = DurableJobsClient.fromClient(env.client, { taskQueue: idleQueue, user: 'bench' });
    const job = { name: 'runs-list', tasks: [{ task_key: 'noop', shell_command_task: { command: 'true' } }] };
    const others = (await client.createJob(job)).job_id;
    const own = (
      await client.createJob({ ...job, name: 'runs-list-own' }, { creator: { name: VIEWER.name, kind: 'user' } })
    ).job_id;
    const started = [
      ...(await mapPool(Array.from({ length: RUNS }), 32, () => client.runNow(others))),
      ...(await mapPool(Array.from({ length: OWN_RUNS }), 4, () => client.runNow(own))),
    ];
    const foreign = await mapPool(Array.from({ length: FOREIGN }), 32, (_, i) =>
      env.client.workflow.start('jobRun', { taskQueue: idleQueue, workflowId: `bench-runs-list-raw-${i}`, args: [] })
    );
    const query = `TaskQueue = '${idleQueue}'`;
    while ((await env.client.workflow.count(query)).count < started.length + FOREIGN)
      await new Promise((r) => setTimeout(r, 500));

    const tokens = new TokenMap();
    tokens.add({ plain: TOKEN }, VIEWER);
    const app = await createApiServer({ client, tokens, workspaceDir: process.cwd() });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    let rest: Awaited<ReturnType<typeof timed>>;
    try {
      rest = await timed(SAMPLES, async () => {
        const res = await fetch(`${base}/api/2.1/jobs/runs/list?limit=25`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        const body = (await res.json()) as { runs?: unknown[] };
        if (res.status !== 200) throw new Error(`runs/list answered ${res.status}: ${JSON.stringify(body)}`);
        return body.runs?.length ?? 0;
      });
    } finally {
      await app.close();
    }
    // The same judgement either way (the access each run started with); only the listing differs.
    const where = (_: unknown, recorded: Parameters<typeof effectiveLevel>[1]) =>
      allows(effectiveLevel(VIEWER, recorded), 'CAN_VIEW');
    const list = (narrowed: boolean) => async () =>
      (
        await client.listRuns({
          limit: 26,
          where,
          ...(narrowed ? { visibleTo: [`user:${VIEWER.name}`, 'group:users'] } : {}),
        })
      ).length;
    const indexed = await timed(SAMPLES, list(true));
    const scanned = await timed(Math.max(3, SAMPLES / 4), list(false));

    await mapPool([...started.map((r) => `djobs-run-${r.run_id}`), ...foreign.map((h) => h.workflowId)], 32, (id) =>
      env.client.workflow
        .getHandle(id)
        .terminate('bench done')
        .catch(() => undefined)
    );
    await client.deleteJob(others);
    await client.deleteJob(own);

    const figure = (t: { times: number[]; seen: number }) =>
      `p50 ${round(median(t.times))} ms, p99 ${round(percentile(t.times, 0.99))} ms, first ${round(t.times[0] ?? 0)} ms (${t.seen} runs listed)`;
    return [
      {
        title: `runs/list first page for a non-admin who may see ${OWN_RUNS} of ${RUNS + OWN_RUNS} runs, beside ${FOREIGN} raw jobRun executions (${SAMPLES} requests one after another)`,
        rows: [
          { figure: 'REST runs/list, narrowed by the index', value: figure(rest), baseline: '', ratio: '' },
          {
            figure: 'client listing, narrowed by the index',
            value: figure(indexed),
            baseline: `every run read and judged: ${figure(scanned)}`,
            ratio: `${round(median(scanned.times) / median(indexed.times), 1)}× faster`,
          },
        ],
        notes: [
          'The runs never start (no worker polls their queue): only their visibility records count.',
          `The ${FOREIGN} raw executions (no run or job id, no viewers) are not the product's runs: listed to admins only.`,
          'Narrowed: one listing of the jobs the principal may see, then runs naming it or those jobs.',
        ],
      },
    ];
  },
};
