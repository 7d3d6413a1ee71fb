// Python packages the tests and the bench need (an official SDK, an S3 server, Airflow), installed
// on first use into a directory of .tools/ (pip --target, or a virtual environment for a whole
// application), the way the scripts install the Temporal CLI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** A lock older than this is left by a killed test process: taken over. */
const STALE_LOCK_MS = 20 * 60 * 1000;

/**
 * Run `install` unless `done()` holds, with at most one test process installing into `dir` at a
 * time: integration files run two at a time, and two of them may need the same tools (the S3
 * server). A lock directory beside `dir` is the mutex; waiters check `done()` again once it is free.
 */
function installOnce(dir: string, done: () => boolean, install: () => void): void {
  if (done()) return;
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const lock = `${dir}.installing`;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - (fs.statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) fs.rmSync(lock, { recursive: true, force: true });
      else Atomics.wait(pause, 0, 0, 500); // another process installs: wait for its lock to go
    }
  }
  try {
    if (!done()) install();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Install `requirements` into `dir` unless `marker` (a path inside it) already exists. */
export function pipInstallOnce(dir: string, marker: string, requirements: string[]): void {
  installOnce(
    dir,
    () => fs.existsSync(marker),
    () => pipInstall(dir, requirements)
  );
}

function pipInstall(dir: string, requirements: string[]): void {
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
  installOnce(
    dir,
    () => fs.existsSync(marker),
    () => venvInstall(dir, python, marker, requirements)
  );
  return python;
}

function venvInstall(dir: string, python: string, marker: string, requirements: string[]): void {
  const steps: [string, string[]][] = [
    ['python3', ['-m', 'venv', '--clear', dir]],
    [python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...requirements]],
  ];
  for (const [command, args] of steps) {
    const res = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (res.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${res.stderr}`);
  }
  fs.writeFileSync(marker, `${requirements.join('\n')}\n`);
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
