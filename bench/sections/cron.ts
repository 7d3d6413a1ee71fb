// JOBS jobs with cron schedules: how long creating them takes, how long jobs/list takes to page
// through them over REST, and the schedule fire lag: FIRING of them fire every 15 seconds, and
// once each has fired (the server's scheduler has worked through the new schedules), over one
// minute of fires each run's workflow start is compared with its scheduled fire time
// (TemporalScheduledStartTime). The other jobs fire once a day, at times spread over the day;
// they are created and listed first, the firing ones after, so that the listing is measured
// without runs competing for the machine.
import { TokenMap, adminPrincipal } from '../../api/auth';
import { createApiServer } from '../../api/server';
import { DurableJobsClient } from '../../client';
import type { JobSettings } from '../../core';
import { DjobsJobId, TemporalScheduledStartTime } from '../../workflows/search-attributes';
import { median, percentile, round } from '../env';
import { mapPool } from '../pool';
import type { Section } from '../section';

const JOBS = Number(process.env.BENCH_CRON_JOBS ?? 10_000);
const FIRING = Number(process.env.BENCH_CRON_FIRING ?? 100);
const CREATE_CONCURRENCY = 16;
const PAGE = 100;
/** Paging stops after this many seconds (the pages read so far are reported). */
const PAGE_BUDGET_S = Number(process.env.BENCH_CRON_PAGE_BUDGET_S ?? 120);
/** How long the firing jobs may take to fire once each before the lag is measured anyway. */
const READY_BUDGET_S = Number(process.env.BENCH_CRON_READY_BUDGET_S ?? 900);
const TOKEN = 'bench-cron-token-0123456789abcdef';
const FIRST_PAGE_TARGET_MS = 100;
const FIRST_PAGE_READS = 20;
const FIRE_LAG_TARGET_MS = 1000;

function jobSettings(i: number): JobSettings {
  // The firing jobs fire every 15 s, spread over its seconds (a steady rate, not one burst).
  const cron = i < FIRING ? `${i % 15}/15 * * * * ?` : `0 ${i % 60} ${Math.floor(i / 60) % 24} * * ?`;
  return {
    name: `cron-${i}`,
    tasks: [{ task_key: 'noop', shell_command_task: { command: 'true' } }],
    schedule: { quartz_cron_expression: cron, timezone_id: 'UTC', pause_status: 'UNPAUSED' },
  };
}

export const cron: Section = {
  name: 'cron',
  summary: `${JOBS} jobs with cron schedules: create time, jobs/list paging, fire lag of ${FIRING} jobs firing every 15 s (spread over it) over a minute`,
  quick: false,
  async run(env) {
    const client = DurableJobsClient.fromClient(env.client, { taskQueue: env.noopQueue, user: 'bench' });
    const create = (indexes: number[]) =>
      mapPool(indexes, CREATE_CONCURRENCY, async (i) => (await client.createJob(jobSettings(i))).job_id);
    // The daily jobs first, listed while nothing fires; the firing ones last, just before their minute.
    const t0 = performance.now();
    const daily = await create(Array.from({ length: JOBS - FIRING }, (_, i) => FIRING + i));
    let createMs = performance.now() - t0;

    const tokens = new TokenMap();
    tokens.add({ plain: TOKEN }, adminPrincipal());
    const app = await createApiServer({ client, tokens, workspaceDir: process.cwd() });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const pageTimes: number[] = [];
    const firstPages: number[] = [];
    let listed = 0;
    try {
      // The first page as a client asks for it (Databricks' default limit, 20): after two warm-up
      // reads (the server's first route call compiles it), FIRST_PAGE_READS one after another,
      // measured the way the api section measures it over fewer jobs.
      const readFirstPage = async () => {
        const p0 = performance.now();
        const res = await fetch(`${base}/api/2.1/jobs/list?limit=20`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`jobs/list answered ${res.status}`);
        return performance.now() - p0;
      };
      for (let i = 0; i < 2; i++) await readFirstPage();
      for (let i = 0; i < FIRST_PAGE_READS; i++) firstPages.push(await readFirstPage());
      let token: string | undefined;
      const deadline = performance.now() + PAGE_BUDGET_S * 1000;
      do {
        const p0 = performance.now();
        const res = await fetch(
          `${base}/api/2.1/jobs/list?limit=${PAGE}${token ? `&page_token=${encodeURIComponent(token)}` : ''}`,
          { headers: { authorization: `Bearer ${TOKEN}` } }
        );
        const body = (await res.json()) as { jobs?: unknown[]; next_page_token?: string };
        if (res.status !== 200) throw new Error(`jobs/list answered ${res.status}: ${JSON.stringify(body)}`);
        pageTimes.push(performance.now() - p0);
        listed += body.jobs?.length ?? 0;
        token = body.next_page_token;
      } while (token && performance.now() < deadline);
    } finally {
      await app.close();
    }

    const t1 = performance.now();
    const createdAt = new Date();
    const firing = await create(Array.from({ length: FIRING }, (_, i) => i));
    createMs += performance.now() - t1;
    // Right after thousands of schedules are created the server's scheduler is still working
    // through their first workflow tasks, in order: the firing jobs, created last, fire only once
    // that backlog is done. Its time is a figure of its own; the lag is measured after it.
    const firstFires = new Set<number>();
    const readyDeadline = Date.now() + READY_BUDGET_S * 1000;
    while (firstFires.size < FIRING && Date.now() < readyDeadline) {
      const query = `TaskQueue = "${env.noopQueue}" AND TemporalScheduledStartTime >= "${createdAt.toISOString()}"`;
      for await (const w of env.client.workflow.list({ query })) {
        const jobId = w.typedSearchAttributes.get(DjobsJobId);
        if (jobId !== undefined && firing.includes(jobId)) firstFires.add(jobId);
      }
      if (firstFires.size < FIRING) await new Promise((r) => setTimeout(r, 2_000));
    }
    const readyMs = Date.now() - createdAt.getTime();
    const fireFrom = new Date();
    // One minute of fires, counted from the first fire time after every firing job has fired once.
    const windowStart = new Date(Math.ceil(fireFrom.getTime() / 15_000) * 15_000);
    const windowEnd = new Date(windowStart.getTime() + 60_000);
    const lags: number[] = [];
    const deadline = Date.now() + 120_000 + Math.max(0, windowEnd.getTime() - Date.now());
    const expected = FIRING * 4;
    for (;;) {
      lags.length = 0;
      const query = `TaskQueue = "${env.noopQueue}" AND TemporalScheduledStartTime >= "${windowStart.toISOString()}" AND TemporalScheduledStartTime < "${windowEnd.toISOString()}"`;
      for await (const w of env.client.workflow.list({ query })) {
        const scheduled = w.typedSearchAttributes.get(TemporalScheduledStartTime);
        if (scheduled) lags.push(w.startTime.getTime() - scheduled.getTime());
      }
      if ((lags.length >= expected && Date.now() > windowEnd.getTime() + 5_000) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 2_000));
    }
    // The firing jobs stop; the rest stay unless the server is not the bench's own.
    const doomed = process.env.TEMPORAL_ADDRESS ? [...firing, ...daily] : firing;
    await mapPool(doomed, CREATE_CONCURRENCY, (id) => client.deleteJob(id));

    const firstPage = median(firstPages);
    const lagP50 = median(lags);
    const lagP99 = percentile(lags, 0.99);
    return [
      {
        title: `${JOBS} jobs with cron schedules (${FIRING} of them firing every 15 s, spread over its seconds)`,
        rows: [
          {
            figure: 'create',
            value: `${round(createMs / 1000, 1)} s (${round(createMs / JOBS, 1)} ms per job, ${CREATE_CONCURRENCY} at once)`,
            target: '',
            met: '',
          },
          {
            figure: `jobs/list first page (limit 20, p50 of ${FIRST_PAGE_READS})`,
            value: `${round(firstPage)} ms (p99 ${round(percentile(firstPages, 0.99))} ms)`,
            target: `≤ ${FIRST_PAGE_TARGET_MS} ms`,
            met: firstPage <= FIRST_PAGE_TARGET_MS ? 'yes' : 'NO',
          },
          {
            figure: `jobs/list paging (${PAGE} a page)`,
            value: `${pageTimes.length} pages, ${listed} jobs in ${round(pageTimes.reduce((a, b) => a + b, 0) / 1000, 1)} s; median page ${round(median(pageTimes))} ms`,
            target: '',
            met: listed >= JOBS - FIRING ? '' : `stopped after ${PAGE_BUDGET_S} s`,
          },
          {
            figure: 'every firing job fired once (from its creation)',
            value:
              firstFires.size >= FIRING
                ? `${round(readyMs / 1000, 1)} s`
                : `${firstFires.size} of ${FIRING} after ${READY_BUDGET_S} s`,
            target: '',
            met: '',
          },
          {
            figure: 'fire lag (scheduled time → run start)',
            value: `${lags.length} fires of ${expected} expected: p50 ${round(lagP50)} ms, p99 ${round(lagP99)} ms, max ${round(Math.max(...lags))} ms`,
            target: `p99 ≤ ${FIRE_LAG_TARGET_MS} ms`,
            met: lagP99 <= FIRE_LAG_TARGET_MS && lags.length >= expected ? 'yes' : 'NO',
          },
        ],
        notes: [
          'No baseline: a hand-written Temporal Schedule is what a job is; the lag is Temporal’s scheduler plus our run start.',
        ],
      },
    ];
  },
};
