// The official Databricks JS SDK (@databricks/sdk-experimental, Node >= 22) driving durable-jobs'
// REST API, unchanged. Run by test/integration/databricks-sdk.test.ts with DJOBS_HOST, DJOBS_TOKEN
// and DJOBS_WORKDIR set; prints OK when every step behaved as it does against Databricks.
const fs = require('node:fs');
const path = require('node:path');
const assert = require('node:assert/strict');
const { WorkspaceClient, Time, TimeUnits } = require('@databricks/sdk-experimental');

async function main() {
  const w = new WorkspaceClient({ host: process.env.DJOBS_HOST, token: process.env.DJOBS_TOKEN, authType: 'pat' });
  const minutes = (n) => ({ timeout: new Time(n, TimeUnits.minutes) });

  // create + run-now + wait (the waiter polls runs/get until a terminal life cycle state)
  const created = await w.jobs.create({
    name: 'js sdk job',
    parameters: [{ name: 'who', default: 'nobody' }],
    tasks: [{ task_key: 'hello', notebook_task: { notebook_path: 'hello' } }],
  });
  const waiter = await w.jobs.runNow({ job_id: created.job_id, job_parameters: { who: 'js' } });
  const run = await waiter.wait(minutes(2));
  assert.equal(run.state.result_state, 'SUCCESS');
  assert.equal(run.status.state, 'TERMINATED');
  const out = await w.jobs.getRunOutput({ run_id: run.tasks[0].run_id });
  assert.match(out.logs, /hello js/);
  assert.equal((await w.jobs.get({ job_id: created.job_id })).settings.name, 'js sdk job');

  // list with pagination: the SDK's iterator follows next_page_token
  const extra = [];
  for (let i = 0; i < 3; i++)
    extra.push(
      (
        await w.jobs.create({
          name: `js page ${i}`,
          tasks: [{ task_key: 't', notebook_task: { notebook_path: 'hello' } }],
        })
      ).job_id
    );
  const wanted = [created.job_id, ...extra];
  const deadline = Date.now() + 30_000;
  let listed = new Set();
  while (Date.now() < deadline) {
    listed = new Set();
    for await (const j of w.jobs.list({ limit: 2 })) listed.add(j.job_id);
    if (wanted.every((id) => listed.has(id))) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.ok(
    wanted.every((id) => listed.has(id)),
    `listed ${[...listed]}`
  );
  let runsListed = 0;
  for await (const r of w.jobs.listRuns({ job_id: created.job_id })) if (r.run_id === run.run_id) runsListed++;
  assert.equal(runsListed, 1);

  // a one-time run, canceled while it runs
  const submitted = await w.jobs.submit({
    run_name: 'js slow',
    tasks: [{ task_key: 'slow', notebook_task: { notebook_path: 'slow' } }],
  });
  const runId = submitted.run_id;
  const until = Date.now() + 30_000;
  while ((await w.jobs.getRun({ run_id: runId })).tasks[0].state.life_cycle_state !== 'RUNNING') {
    assert.ok(Date.now() < until, 'slow task never started');
    await new Promise((r) => setTimeout(r, 200));
  }
  const canceled = await (await w.jobs.cancelRun({ run_id: runId })).wait(minutes(1));
  assert.equal(canceled.state.result_state, 'CANCELED');

  // a failed run fails the waiter; a repair fixes it in the same run
  const flaky = await w.jobs.create({
    name: 'js flaky',
    tasks: [{ task_key: 'flaky', notebook_task: { notebook_path: 'js_flaky' } }],
  });
  const failing = await w.jobs.runNow({ job_id: flaky.job_id });
  let failed = false;
  try {
    await failing.wait(minutes(2));
  } catch {
    failed = true;
  }
  assert.ok(failed, 'the failed run did not fail the waiter');
  const failedRun = await w.jobs.getRun({ run_id: failing.run_id });
  assert.equal(failedRun.state.result_state, 'FAILED');
  fs.writeFileSync(path.join(process.env.DJOBS_WORKDIR, 'js_fixed'), '');
  const repaired = await (
    await w.jobs.repairRun({ run_id: failing.run_id, rerun_all_failed_tasks: true })
  ).wait(minutes(2));
  assert.equal(repaired.state.result_state, 'SUCCESS');
  assert.equal(repaired.run_id, failing.run_id);

  // permissions
  const perms = await w.jobs.getPermissions({ job_id: String(created.job_id) });
  assert.equal(perms.object_id, `/jobs/${created.job_id}`);

  for (const id of [...wanted, flaky.job_id]) await w.jobs.delete({ job_id: id });
  console.log('OK');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
