// Python packages the tests and the bench need (an official SDK, an S3 server, Airflow), installed
// on first use into a directory of .tools/ (pip --target, or a virtual environment for a whole
// application), the way the scripts install the Temporal CLI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

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

/**
 * A virtual environment in `dir` with `requirements` installed, made once: a marker file written
 * after a successful install says it is complete. Returns the environment's python.
 */
export function venvInstallOnce(dir: string, requirements: string[]): string {
  const python = path.join(dir, 'bin', 'python');
  const marker = path.join(dir, '.installed');
  if (fs.existsSync(marker)) return python;
  const steps: [string, string[]][] = [
    ['python3', ['-m', 'venv', '--clear', dir]],
    [python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...requirements]],
  ];
  for (const [command, args] of steps) {
    const res = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (res.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${res.stderr}`);
  }
  fs.writeFileSync(marker, `${requirements.join('\n')}\n`);
  return python;
}

/** Apache Airflow 3 and its Databricks provider: the compatibility tests and `npm run bench -- --vs airflow`. */
export const AIRFLOW_VERSION = '3.3.2';
export const AIRFLOW_DATABRICKS_PROVIDER_VERSION = '7.23.0';

/** The Airflow virtual environment under `<root>/.tools/`, installed from PyPI when missing; its python. */
export function ensureAirflow(root: string): string {
  return venvInstallOnce(
    path.join(root, '.tools', `airflow-${AIRFLOW_VERSION}-databricks-${AIRFLOW_DATABRICKS_PROVIDER_VERSION}`),
    [
      `apache-airflow==${AIRFLOW_VERSION}`,
      `apache-airflow-providers-databricks==${AIRFLOW_DATABRICKS_PROVIDER_VERSION}`,
    ]
  );
}
