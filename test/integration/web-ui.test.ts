// The jobs web UI end to end in a real headless Chromium (Debian's chromium through
// playwright-core) against a real API server, worker and Temporal: sign in, run a job from the
// page and watch its DAG go from running to succeeded, repair a failed run from the page, a
// viewer who sees no action the API would refuse, the run matrix, a phone-sized screen, the
// keyboard. The screenshots in docs/images are made here (DJOBS_SCREENSHOTS=docs/images).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { builtUiDir } from '../../api/web-ui';
import { launchChromium } from '../../scripts/chromium';
import { job, sh, tokenOf, useApiServer, useEngine, waitFor } from './harness';
const shots = process.env.DJOBS_SCREENSHOTS
  ? path.resolve(process.env.DJOBS_SCREENSHOTS)
  : fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-shots-'));

type Body = Record<string, unknown>;
/** The few browser globals used inside page.evaluate (this project's types are Node's). */
interface Browserish {
  sessionStorage: { getItem(key: string): string | null };
  document: { documentElement: { scrollWidth: number } };
  innerWidth: number;
}

describe('web UI in headless Chromium', () => {
  const engine = useEngine('web ui');
  const api = useApiServer(engine, [{ who: 'alice' }, { who: 'bob' }]);
  // A second API server whose sign-in codes expire a millisecond after they are made.
  const hasty = useApiServer(engine, [{ who: 'alice' }, { who: 'bob' }], { signIn: { codeTtlMs: 1 } });
  let base: string;
  let browser: Browser;
  const as = (who: string) => api.as(who);
  const alice = as('alice');
  const runState = async (runId: number) =>
    (await alice('GET', `/api/2.1/jobs/runs/get?run_id=${runId}`)).body as {
      state: { life_cycle_state: string; result_state?: string };
    };
  const finished = (runId: number) =>
    waitFor(
      async () => {
        const s = await runState(runId);
        return s.state.result_state ? s : undefined;
      },
      `run ${runId} to finish`,
      60_000
    );
  const createJob = async (settings: Body, acl: Body[] = []) => {
    const res = await alice('POST', '/api/2.1/jobs/create', { ...settings, access_control_list: acl });
    expect(res.status).toBe(200);
    return res.body.job_id as number;
  };

  async function signedIn(who: string, viewport = { width: 1440, height: 900 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.setDefaultTimeout(30_000);
    await page.goto(`${base}/`);
    await page.fill('input[name="token"]', tokenOf(who));
    await page.click('button[type="submit"]');
    await page.waitForSelector('main#content');
    return page;
  }
  const nodeState = (page: Page, key: string) =>
    page.locator(`.dag [data-task-key="${key}"]`).getAttribute('data-state');
  const waitNode = (page: Page, key: string, state: string) =>
    page.waitForSelector(`.dag [data-task-key="${key}"][data-state="${state}"]`, { timeout: 60_000 });

  beforeAll(async () => {
    expect(fs.existsSync(path.join(builtUiDir(), 'index.html')), 'run `npm run build` first').toBe(true);
    fs.mkdirSync(shots, { recursive: true });
    base = api.base;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('serves the page and its bundles without a token, the API still needs one', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    const script = /src="(\/ui\/app-\w+\.js)"/.exec(html)![1]!;
    const bundle = await fetch(`${base}${script}`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${base}/ui/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${base}/api/2.1/jobs/list`)).status).toBe(401);
    const me = await as('bob')('GET', '/api/2.0/preview/scim/v2/Me');
    expect(me).toMatchObject({ status: 200, body: { userName: 'bob@example.com', groups: [{ display: 'users' }] } });
  });

  it('a sign-in link signs its principal in once; a used or expired link does not, and never shows a token', async () => {
    const minted = await as('bob')('POST', '/api/2.0/djobs/sign-in-links');
    expect(minted.status).toBe(200);
    const code = minted.body.code as string;
    expect(minted.body.url).toBe(`${base}/#/sign-in?code=${code}`);
    expect(code).not.toContain(tokenOf('bob'));

    const page = await browser.newPage();
    page.setDefaultTimeout(30_000);
    await page.goto(`${base}/#/sign-in?code=${code}`);
    await page.waitForSelector('main#content');
    expect(await page.locator('header .who').textContent()).toBe('bob@example.com');
    // The code left the address bar; the page holds a session token of bob's, not his API token.
    expect(page.url()).toBe(`${base}/#/`);
    const session = await page.evaluate(() =>
      (globalThis as unknown as Browserish).sessionStorage.getItem('djobs.token')
    );
    expect(session).toMatch(/^djobs-[0-9a-f]{48}$/);
    expect(session).not.toBe(tokenOf('bob'));
    const me = await fetch(`${base}/api/2.0/preview/scim/v2/Me`, { headers: { authorization: `Bearer ${session}` } });
    expect(((await me.json()) as { userName: string }).userName).toBe('bob@example.com');
    await page.close();

    // The same link again, in a fresh browser context: spent, so the sign-in form says why.
    const again = await browser.newPage();
    await again.goto(`${base}/#/sign-in?code=${code}`);
    await again.waitForSelector('form.card [role="alert"]');
    expect(await again.locator('form.card [role="alert"]').textContent()).toBe(
      'This sign-in link was already used or has expired: ask for a new one (`djobs ui`).'
    );
    expect(await again.locator('main#content').count()).toBe(0);
    await again.close();

    // A link opened after its code expired.
    const late = await hasty.as('bob')('POST', '/api/2.0/djobs/sign-in-links');
    expect(late.status).toBe(200);
    const expired = await browser.newPage();
    await expired.goto(`${hasty.base}/#/sign-in?code=${late.body.code as string}`);
    await expired.waitForSelector('form.card [role="alert"]');
    expect(await expired.locator('form.card [role="alert"]').textContent()).toContain('already used or has expired');
    expect(await expired.locator('main#content').count()).toBe(0);
    await expired.close();

    // Without a session or token, minting is refused like every other API call.
    expect((await fetch(`${base}/api/2.0/djobs/sign-in-links`, { method: 'POST' })).status).toBe(401);
  });

  it('signs in, runs a job from the page, pauses and resumes it, and shows its tasks go from running to succeeded', async () => {
    const marker = path.join(engine.workDir, 'go-etl');
    const jobId = await createJob(
      job(
        'nightly-etl',
        [
          sh(
            'extract',
            `echo waiting for the upstream export; while [ ! -f ${marker} ]; do sleep 0.1; done; echo extracted 42 rows; echo '{"key":"rows","value":42}' >> "$DJOBS_TASK_VALUES_OUT"`
          ),
          sh('transform', 'echo transformed', { depends_on: [{ task_key: 'extract' }] }),
          sh('load_orders', 'echo loaded orders', { depends_on: [{ task_key: 'transform' }] }),
          sh('load_customers', 'echo loaded customers', { depends_on: [{ task_key: 'transform' }] }),
          sh('report', 'echo report', {
            depends_on: [{ task_key: 'load_orders' }, { task_key: 'load_customers' }],
          }),
        ],
        { schedule: { quartz_cron_expression: '0 0 */6 * * ?', timezone_id: 'UTC', pause_status: 'UNPAUSED' } }
      )
    );
    const page = await signedIn('alice');
    const row = page.locator(`tr[data-job-id="${jobId}"]`);
    await expect.poll(() => row.textContent()).toContain('every 6 hours, UTC');
    await row.locator('a.job-name').click();
    await page.waitForSelector('.dag [data-task-key="report"]');
    await page.click('[data-action="run-now"]');
    await page.waitForURL(/#\/runs\/\d+/);
    await waitNode(page, 'extract', 'running');
    expect(await nodeState(page, 'report')).toMatch(/^(blocked|pending)$/);
    // The running task's log follows live.
    await page.locator('.dag [data-task-key="extract"]').click();
    await expect
      .poll(() => page.locator('[data-task-pane="extract"] [data-task-log]').textContent(), { timeout: 30_000 })
      .toContain('waiting for the upstream export');
    // Pause and resume from the page: the run says it is paused, then runs on.
    await page.click('[data-action="pause"]');
    await page.waitForSelector('h1 .badge:has-text("Paused")');
    await page.click('[data-action="resume"]');
    await page.waitForSelector('[data-action="pause"]');
    fs.writeFileSync(marker, '');
    for (const key of ['extract', 'transform', 'load_orders', 'load_customers', 'report'])
      await waitNode(page, key, 'success');
    await page.locator('.dag [data-task-key="extract"]').click();
    await expect
      .poll(() => page.locator('[data-task-log]').textContent(), { timeout: 30_000 })
      .toContain('extracted 42 rows');
    expect(await page.locator('[data-task-pane="extract"] [data-task-values]').textContent()).toBe('rows42');
    await page.close();
  });

  it('opens a failed run, repairs it from the page (failed tasks and dependents preselected) and sees it succeed', async () => {
    const fixed = path.join(engine.workDir, 'fixed');
    const jobId = await createJob(
      job('orders-sync', [
        sh('prepare', 'echo ready'),
        sh(
          'sync',
          `echo syncing; if [ ! -f ${fixed} ]; then echo "upstream API returned 503" >&2; exit 3; fi; echo synced`,
          {
            depends_on: [{ task_key: 'prepare' }],
            max_retries: 1,
            min_retry_interval_millis: 1500,
          }
        ),
        sh('publish', 'echo published', { depends_on: [{ task_key: 'sync' }] }),
        sh('audit', 'echo audited', { depends_on: [{ task_key: 'prepare' }] }),
      ])
    );
    const { run_id } = (await alice('POST', '/api/2.1/jobs/run-now', { job_id: jobId })).body as { run_id: number };
    expect((await finished(run_id)).state.result_state).toBe('FAILED');
    const page = await signedIn('alice');
    await page.goto(`${base}/#/runs/${run_id}`);
    await waitNode(page, 'sync', 'failed');
    expect(await nodeState(page, 'publish')).toBe('upstream');
    // The timeline shows both attempts of sync and the wait between them.
    expect(await page.locator('[data-timeline-task="sync"] [data-attempt]').count()).toBe(2);
    expect(await page.locator('[data-timeline-task="sync"] [data-retry-wait="1"]').count()).toBe(1);
    // The failed task is open in the pane, with its error and its log.
    await expect.poll(() => page.locator('[data-task-pane="sync"] [data-task-log]').textContent()).toContain('syncing');
    await page.waitForSelector('[data-task-pane="sync"] [data-task-error]');
    await page.screenshot({ path: path.join(shots, 'web-ui-run.png') });
    await page.click('[data-action="repair"]');
    const checked = await page.$$eval('dialog input[name="rerun"]', (boxes) =>
      (boxes as unknown as { checked: boolean; value: string }[]).filter((b) => b.checked).map((b) => b.value)
    );
    expect(checked.sort()).toEqual(['publish', 'sync']);
    fs.writeFileSync(fixed, '');
    await page.click('[data-action="repair-submit"]');
    for (const key of ['sync', 'publish']) await waitNode(page, key, 'success');
    await page.waitForSelector('h1 .badge[data-state="success"]', { timeout: 60_000 });
    expect((await runState(run_id)).state.result_state).toBe('SUCCESS');
    await page.close();
  });

  it('a viewer sees no action button, and the action called directly is refused with 403', async () => {
    const jobId = await createJob(job('viewer-sees', [sh('only', 'echo hi')]), [
      { user_name: 'bob@example.com', permission_level: 'CAN_VIEW' },
    ]);
    const { run_id } = (await alice('POST', '/api/2.1/jobs/run-now', { job_id: jobId })).body as { run_id: number };
    await finished(run_id);
    const page = await signedIn('bob');
    await page.waitForSelector(`tr[data-job-id="${jobId}"] .cells a`);
    expect(await page.locator(`tr[data-job-id="${jobId}"] [data-action]`).count()).toBe(0);
    await page.goto(`${base}/#/jobs/${jobId}`);
    await page.waitForSelector('[data-run-column]');
    expect(await page.locator('[data-action]').count()).toBe(0);
    await page.goto(`${base}/#/runs/${run_id}`);
    await waitNode(page, 'only', 'success');
    expect(await page.locator('[data-action]').count()).toBe(0);
    const status = await page.evaluate(async (id) => {
      const res = await fetch('/api/2.1/jobs/run-now', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${(globalThis as unknown as Browserish).sessionStorage.getItem('djobs.token')}`,
        },
        body: JSON.stringify({ job_id: id }),
      });
      return res.status;
    }, jobId);
    expect(status).toBe(403);
    // The owner does see them.
    const owner = await signedIn('alice');
    await owner.goto(`${base}/#/runs/${run_id}`);
    await owner.waitForSelector('[data-action="repair"]');
    expect(await owner.locator('[data-action="run-now"]').count()).toBe(1);
    await owner.close();
    await page.close();
  });

  it('the run matrix of a job with 5 runs shows 5 columns; search; runs filters; a phone; the keyboard', async () => {
    const jobId = await createJob(
      job(
        'hourly-metrics',
        [
          sh('ingest', 'echo in'),
          sh('aggregate', 'echo agg', { depends_on: [{ task_key: 'ingest' }] }),
          sh('quality_check', 'test "{{job.parameters.rows}}" -gt 0', { depends_on: [{ task_key: 'aggregate' }] }),
          sh('dashboard', 'echo dash', { depends_on: [{ task_key: 'quality_check' }] }),
          sh('archive', 'echo archived', { depends_on: [{ task_key: 'aggregate' }] }),
        ],
        {
          parameters: [{ name: 'rows', default: '100' }],
          schedule: { quartz_cron_expression: '0 0 * * * ?', timezone_id: 'UTC', pause_status: 'PAUSED' },
        }
      )
    );
    const runIds: number[] = [];
    for (const rows of ['100', '120', '0', '90', '110']) {
      const { run_id } = (await alice('POST', '/api/2.1/jobs/run-now', { job_id: jobId, job_parameters: { rows } }))
        .body as { run_id: number };
      await finished(run_id);
      runIds.push(run_id);
    }
    const page = await signedIn('alice');
    await page.goto(`${base}/#/jobs/${jobId}`);
    await page.waitForSelector('.dag [data-task-key="dashboard"]');
    await expect.poll(() => page.locator('[data-run-column]').count()).toBe(5);
    expect(await page.locator('table.matrix tbody tr').count()).toBe(5);
    // The third run failed its quality check and skipped the dashboard.
    const column = (i: number) => page.locator('table.matrix tbody tr').nth(i).locator('td').nth(2).locator('a');
    expect(await column(2).getAttribute('class')).toContain('s-failed');
    expect(await column(3).getAttribute('class')).toContain('s-upstream');
    await page.screenshot({ path: path.join(shots, 'web-ui-job.png') });

    await page.goto(`${base}/#/`);
    await page.waitForSelector(`tr[data-job-id="${jobId}"] .cells a`);
    await expect.poll(() => page.locator(`tr[data-job-id="${jobId}"] .cells a`).count()).toBe(5);
    expect(await page.locator(`tr[data-job-id="${jobId}"]`).textContent()).toContain('Paused');
    await page.screenshot({ path: path.join(shots, 'web-ui-jobs.png') });

    // Search narrows the list; the runs page filters by job and state.
    await page.fill('input[type="search"]', 'hourly');
    await expect.poll(() => page.locator('tr[data-job-id]').count()).toBe(1);
    await page.goto(`${base}/#/runs?job_id=${jobId}&state=completed`);
    await expect.poll(() => page.locator('tr[data-run-id]').count()).toBe(5);
    expect(await page.locator('tr[data-run-id] .badge[data-state="failed"]').count()).toBe(1);
    await page.goto(`${base}/#/runs?job_id=${jobId}&state=active`);
    await page.waitForSelector('text=No runs match.');
    // The runs page links to the Temporal UI's workflow list filtered to runs (temporal-ui.test.ts
    // shows that filter lists the runs and not their gates, triggers or for_each children).
    expect(await page.getByRole('link', { name: 'Runs in Temporal UI ↗' }).getAttribute('href')).toBe(
      `${engine.client.temporalNamespaceUrl()}/workflows?query=${encodeURIComponent("DjobsKind = 'run'")}`
    );

    // Keyboard: a DAG node is a focusable button; Enter opens the task.
    await page.goto(`${base}/#/runs/${runIds[4]}`);
    await waitNode(page, 'ingest', 'success');
    await page.locator('.dag [data-task-key="ingest"]').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-task-pane="ingest"]');
    await page.close();

    // A phone: nothing wider than the screen, actions still reachable.
    const phone = await signedIn('alice', { width: 390, height: 844 });
    await phone.waitForSelector(`tr[data-job-id="${jobId}"] [data-action="run-now"]`);
    const overflow = await phone.evaluate(() => {
      const w = globalThis as unknown as Browserish;
      return w.document.documentElement.scrollWidth - w.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: path.join(shots, 'web-ui-phone.png') });
    await phone.close();
  });
});
