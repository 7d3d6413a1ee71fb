// Bundles the interpreter once at build time so workers and tests start without webpack.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve(path.join(root, 'dist', 'workflows', 'index.js')),
    failureConverterPath: require.resolve(path.join(root, 'dist', 'workflows', 'failure-converter.js')),
    logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: console.warn, error: console.error },
  });
  const out = path.join(root, 'dist', 'workflow-bundle.js');
  fs.writeFileSync(out, code);
  console.log(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
