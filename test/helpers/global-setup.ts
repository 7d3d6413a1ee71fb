// One real Temporal dev server per test run (or the one at TEMPORAL_ADDRESS), and the workflow
// bundle built once (dist/workflow-bundle.js from `npm run build`, else bundled here).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { setupNamespace } from '../../client/temporal-setup';
import { generateKeyLine } from '../../encryption/key-ring';
import { startDevServer, type DevServer } from '../../servers/dev-server';
import { findTemporalCli } from '../../servers/temporal-cli';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
    /** The key ring of this test run (DJOBS_ENCRYPTION_KEYS syntax): every test runs encrypted. */
    encryptionKeys: string;
  }
}

const root = path.resolve(__dirname, '..', '..');
let server: DevServer | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let address = process.env.TEMPORAL_ADDRESS;
  if (!address) {
    const cliPath = await findTemporalCli({
      ...(process.env.TEMPORAL_CLI_PATH ? { temporalCliPath: process.env.TEMPORAL_CLI_PATH } : {}),
    });
    if (!cliPath)
      throw new Error('The temporal CLI was not found: run `npm run ensure-temporal` (or set TEMPORAL_CLI_PATH).');
    server = await startDevServer({
      extraArgs: [
        // Temporal suggests continue-as-new at 4,096 events by default; half that here makes the
        // 1000-task test exercise continue-as-new (test/faults/scale.test.ts).
        '--dynamic-config-value',
        'limit.historyCount.suggestContinueAsNew=2000',
        // A deleted closed run stays readable until its close task is acknowledged, and the
        // server records acknowledgements every 30 s by default (temporalio/temporal,
        // service/history/transfer_queue_task_executor_base.go): tests that check a deleted run is gone
        // (runs/delete in encryption and api-permissions) waited 20 to 35 s each for that timer.
        // Every second, a deleted run goes within a second (measured: 10 to 60 ms, 3 of 3).
        '--dynamic-config-value',
        'history.transferProcessorUpdateAckInterval="1s"',
      ],
      cliPath,
      headless: true,
      port: 0,
      logFile: path.join(os.tmpdir(), `djobs-test-server-${process.pid}.log`),
    });
    address = server.address;
  }
  // As an operator would with `djobs admin setup`: workers and clients only check.
  await setupNamespace({ address, namespace: 'default' });
  project.provide('temporalAddress', address);
  project.provide('encryptionKeys', generateKeyLine('test-run'));

  let bundlePath = path.join(root, 'dist', 'workflow-bundle.js');
  if (!fs.existsSync(bundlePath)) {
    const quiet = () => undefined;
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(root, 'workflows', 'index.ts'),
      failureConverterPath: path.join(root, 'workflows', 'failure-converter.ts'),
      logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error },
    });
    bundlePath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-bundle-')), 'workflow-bundle.js');
    fs.writeFileSync(bundlePath, code);
  }
  project.provide('workflowBundlePath', bundlePath);

  return async () => {
    await server?.stop();
  };
}
