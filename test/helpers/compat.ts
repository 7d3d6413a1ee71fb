// What the client-compatibility tests share: an admin token for an in-process API, the scripts
// their jobs run (test/compat/workspace, copied into a test's work directory), and running a
// client's script to its end.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pipInstallOnce } from '../../scripts/python-packages';

const compatDir = path.resolve(__dirname, '..', 'compat');
const root = path.resolve(__dirname, '..', '..');

/** The databricks-sdk release the compatibility pass is pinned to, installed under .tools/. */
export const PYTHON_SDK_VERSION = '0.162.0';
export const pythonSdkDir = path.join(root, '.tools', `databricks-sdk-${PYTHON_SDK_VERSION}`);
/** Install the Python SDK once (PYTHONPATH=pythonSdkDir runs a script with it). */
export const ensurePythonSdk = () =>
  pipInstallOnce(pythonSdkDir, path.join(pythonSdkDir, 'databricks', 'sdk'), [`databricks-sdk==${PYTHON_SDK_VERSION}`]);

export { adminTokens } from '../integration/harness';

/** Copy the jobs' scripts (hello.py, gate.py, fail_once.py) into `dir`. */
export function copyCompatWorkspace(dir: string): void {
  fs.cpSync(path.join(compatDir, 'workspace'), dir, { recursive: true });
}

/** Run a program to its end, asynchronously (this process serves the API it calls). */
export function runProgram(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 240_000
): Promise<{ code: number; output: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: { ...process.env, ...env }, timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output: stdout + stderr, stdout })
    );
  });
}

/** Run a script of test/compat to its end. */
export const runCompatScript = (command: string, script: string, env: Record<string, string>) =>
  runProgram(command, [path.join(compatDir, script)], env);
