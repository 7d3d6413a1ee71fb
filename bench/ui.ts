// The web UI on large runs, in headless Chromium: for runs of 100 and 1000 tasks, the time from
// navigation to the first paint and to the full DAG (every task node drawn, laid out on the
// worker) plus the timeline, on the run page. Medians of a few cold page loads.
import type { Client } from '@temporalio/client';
import { TokenMap, adminPrincipal } from '../api/auth';
import { createApiServer } from '../api/server';
import { DurableJobsClient } from '../client';
import type { JobSettings } from '../core';
import { launchChromium } from '../scripts/chromium';

const TOKEN = 'bench-ui-token-0123456789abcdef';
const LOADS = Number(process.env.BENCH_UI_LOADS ?? 3);

export interface UiResult {
  run: string;
  tasks: number;
  first_paint_ms: number;
  full_dag_ms: number;
  timeline_rows: number;
}

/** The browser globals used in page functions (this project is typed for Node, not the DOM). */
interface PageGlobals {
  sessionStorage: { setItem(key: string, value: string): void };
  document: { querySelectorAll(selector: string): { length: number } };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function uiBench(temporal: Client, taskQueue: string, runs: JobSettings[]): Promise<UiResult[]> {
  const client = DurableJobsClient.fromClient(temporal, { taskQueue, user: 'bench' });
  const tokens = new TokenMap();
  tokens.add({ plain: TOKEN }, adminPrincipal());
  const app = await createApiServer({ client, tokens, workspaceDir: process.cwd() });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchChromium();
  try {
    const results: UiResult[] = [];
    for (const settings of runs) {
      const { run_id } = await client.submitRun(settings);
      await client.waitForRun(run_id, { pollIntervalMs: 200, timeoutMs: 300_000 });
      const n = settings.tasks.length;
      const paint: number[] = [];
      const dag: number[] = [];
      let rows = 0;
      for (let i = 0; i < LOADS; i++) {
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        await context.addInitScript(
          (t) => (globalThis as unknown as PageGlobals).sessionStorage.setItem('djobs.token', t),
          TOKEN
        );
        const page = await context.newPage();
        await page.goto(`${base}/#/runs/${run_id}`);
        await page.waitForFunction(
          (count) => {
            const { document } = globalThis as unknown as PageGlobals;
            return (
              document.querySelectorAll('.dag [data-task-key]').length === count &&
              document.querySelectorAll('.timeline').length === 1
            );
          },
          n,
          { timeout: 300_000, polling: 'raf' }
        );
        const t = await page.evaluate(() => {
          const { document } = globalThis as unknown as PageGlobals;
          return {
            dag: performance.now(),
            paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
            rows: document.querySelectorAll('[data-timeline-task]').length,
          };
        });
        paint.push(t.paint);
        dag.push(t.dag);
        rows = t.rows;
        await context.close();
      }
      results.push({
        run: settings.name ?? '',
        tasks: n,
        first_paint_ms: Math.round(median(paint)),
        full_dag_ms: Math.round(median(dag)),
        timeline_rows: rows,
      });
    }
    return results;
  } finally {
    await browser.close();
    await app.close();
  }
}
