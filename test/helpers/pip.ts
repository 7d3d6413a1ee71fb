// Python packages the tests need (an official SDK, an S3 server), installed on first use into a
// directory of .tools/ with pip --target, the way the scripts install the Temporal CLI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** Install `requirements` into `dir` unless `marker` (a path inside it) already exists. */
export function pipInstallOnce(dir: string, marker: string, requirements: string[]): void {
  if (fs.existsSync(marker)) return;
  const res = spawnSync(
    'python3',
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', dir, ...requirements],
    { encoding: 'utf8' }
  );
  if (res.status !== 0) throw new Error(`pip install ${requirements.join(' ')} failed: ${res.stderr}`);
}
