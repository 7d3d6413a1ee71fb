// Records the replay corpus (test/replay/histories/*.json): representative runs executed on a real
// server, saved with their full event history. Run after a deliberate, patched() interpreter change:
//   TEMPORAL_ADDRESS=127.0.0.1:7233 node dist/scripts/record-histories.js [scenario names]
// The scenarios: scripts/history-scenarios.ts (runs) and scripts/workflow-scenarios.ts (trigger
// workflows, a pool's gate).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { DurableJobsClient, setupNamespace } from '../client';
import { temporalClientOf } from '../client/jobs-client';
import { runWorkflowId } from '../core';
import { DEFAULT_SANDBOX } from '../config/sandbox';
import { createDjobsWorker } from '../worker';
import { runScenarios, waitUntil, type RecordingContext } from './history-scenarios';
import { workflowScenarios as recordedWorkflows } from './workflow-scenarios';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  const taskQueue = `record-${Date.now()}`;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-record-'));
  // A dev server started for recording is bare: set it up as `djobs admin setup` would.
  await setupNamespace({ address });
  const connection = await NativeConnection.connect({ address });
  // Tasks run sandboxed, as everywhere: the scenarios' files (gates, flags, landing directories)
  // are in `home`, given to them read-write; the worker's data directory inside it stays hidden.
  const worker = await createDjobsWorker({
    connection,
    namespace: 'default',
    taskQueue,
    dataDir: path.join(home, 'data'),
    sandbox: { ...DEFAULT_SANDBOX, readWrite: [home] },
  });
  const client = await DurableJobsClient.connect({ address, taskQueue, runOptions: { heartbeatTimeoutSeconds: 5 } });
  const temporal = temporalClientOf(client);
  const out = path.resolve(__dirname, '..', '..', 'test', 'replay', 'histories');
  fs.mkdirSync(out, { recursive: true });
  /** Record a finished workflow (not a run) under `name`, with the workflow id it ran under. */
  const recordWorkflow = async (name: string, workflowId: string) => {
    await waitUntil(
      async () => (await temporal.workflow.getHandle(workflowId).describe()).status.name !== 'RUNNING',
      60_000
    );
    const h = await temporal.workflow.getHandle(workflowId).fetchHistory();
    fs.writeFileSync(path.join(out, `${name}.json`), historyToJSON(h));
    const idsFile = path.join(out, '..', 'workflow-ids.json');
    const ids = JSON.parse(fs.readFileSync(idsFile, 'utf8')) as Record<string, string>;
    ids[name] = workflowId;
    fs.writeFileSync(idsFile, `${JSON.stringify(ids, null, 2)}\n`);
    console.log(`recorded ${name} (${h.events?.length ?? 0} events)`);
  };
  const ctx: RecordingContext = { client, address, taskQueue, connection, home, recordWorkflow };
  const scenarios = runScenarios(ctx);
  const { scenarios: workflowScenarios, close } = await recordedWorkflows(ctx);
  const only = process.argv.slice(2);
  await worker.runUntil(async () => {
    for (const s of scenarios.filter((x) => only.length === 0 || only.includes(x.name))) {
      const run_id = s.start
        ? await s.start()
        : (await client.submitRun(s.prepare ? await s.prepare() : s.settings)).run_id;
      await s.during?.(run_id);
      await client.waitForRun(run_id, { timeoutMs: 120_000 });
      await s.after?.(run_id);
      let runIdOfExecution: string | undefined;
      if (s.firstExecution) {
        // Visibility is eventually consistent: wait for the continued execution to be listed.
        await waitUntil(async () => {
          for await (const wf of temporal.workflow.list({
            query: `WorkflowId = '${runWorkflowId(run_id)}' AND ExecutionStatus = 'ContinuedAsNew'`,
          }))
            runIdOfExecution = wf.runId;
          return runIdOfExecution !== undefined;
        });
      }
      const history = await temporal.workflow.getHandle(runWorkflowId(run_id), runIdOfExecution).fetchHistory();
      fs.writeFileSync(path.join(out, `${s.name}.json`), historyToJSON(history));
      const idsFile = path.join(out, '..', 'workflow-ids.json');
      const ids = JSON.parse(fs.readFileSync(idsFile, 'utf8')) as Record<string, string>;
      ids[s.name] = runWorkflowId(run_id);
      fs.writeFileSync(idsFile, `${JSON.stringify(ids, null, 2)}\n`);
      console.log(`recorded ${s.name} (${history.events?.length ?? 0} events)`);
      if (s.gateOf) {
        const gateId = s.gateOf();
        await waitUntil(async () => (await temporal.workflow.getHandle(gateId).describe()).status.name !== 'RUNNING');
        const h = await temporal.workflow.getHandle(gateId).fetchHistory();
        fs.writeFileSync(path.join(out, `${s.name}-gate.json`), historyToJSON(h));
        console.log(`recorded ${s.name}-gate (${h.events?.length ?? 0} events)`);
      }
      // The for_each child workflow (its iterations) is recorded too.
      for await (const child of temporal.workflow.list({
        query: `WorkflowId STARTS_WITH '${runWorkflowId(run_id)}-foreach-'`,
      })) {
        const h = await temporal.workflow.getHandle(child.workflowId, child.runId).fetchHistory();
        fs.writeFileSync(path.join(out, `${s.name}-iterations.json`), historyToJSON(h));
        console.log(`recorded ${s.name}-iterations (${h.events?.length ?? 0} events)`);
      }
    }
    for (const [name, scenario] of Object.entries(workflowScenarios))
      if (only.length === 0 || only.includes(name)) await scenario();
  });
  await close();
  await client.close();
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
