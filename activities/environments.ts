// Python environments of tasks: a task's `libraries` or its environment's `dependencies` are
// installed with uv into a virtual environment under `<dataDir>/environments/<key>`, where the key
// is a digest of what the environment holds (the interpreter, the requirement lines and the
// content of the local files they name). The worker builds an environment once, under a lock
// shared by every attempt and every worker of that data directory, and reuses it across tasks
// and runs; environments unused for DJOBS_ENVIRONMENT_MAX_AGE_DAYS (default 7) are removed
// (unused-dirs.ts).
import { execFile, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PythonEnvironmentSpec } from '../core';
import { projectRoot } from '../config/project-root';
import { withDirLock } from './dir-lock';
import { shareWithTasks } from './shared-with-tasks';
import { markUsed, maxUnusedAgeMs, removeUnused } from './unused-dirs';

/** The uv release scripts/ensure-uv.cjs installs (part of every environment's key). */
export const UV_VERSION = '0.13.10';
/** Bumped when the layout of an environment changes, so older ones are never reused. */
const LAYOUT = 1;
const MARKER = '.djobs-environment.json';

/**
 * The Python of each Databricks serverless environment version
 * (https://docs.databricks.com/aws/en/release-notes/serverless/environment-version/).
 */
const VERSION_PYTHON: Record<string, string> = { '1': '3.10', '2': '3.11', '3': '3.12', '4': '3.12' };

/** The install failed: `message` is uv's own account of why. */
export class EnvironmentInstallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvironmentInstallError';
  }
}

export interface ReadyEnvironment {
  key: string;
  dir: string;
  python: string;
  bin: string;
  /** Built before this attempt asked for it (by this worker or another sharing the directory). */
  reused: boolean;
  setupMs: number;
}

export interface EnvironmentContext {
  dataDir: string;
  /** The worker's interpreter: the default base of every environment. */
  basePython: string;
  /** Writes to the attempt's log. */
  log: (text: string) => void;
  signal?: AbortSignal;
}

export const environmentsRoot = (dataDir: string): string => path.join(dataDir, 'environments');

function run(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; log?: (text: string) => void; signal?: AbortSignal }
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    let output = '';
    const take = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      opts.log?.(text);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const versions = new Map<string, Promise<string>>();
/** `major.minor` of an interpreter, asked once per worker. */
function pythonVersion(python: string): Promise<string> {
  let v = versions.get(python);
  if (!v) {
    v = new Promise((resolve) =>
      execFile(python, ['-I', '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], (err, out) =>
        resolve(err ? '' : String(out).trim())
      )
    );
    versions.set(python, v);
  }
  return v;
}

let uvPath: Promise<string> | undefined;
/** uv: DJOBS_UV, the project's .tools install, or installed there now by scripts/ensure-uv.cjs. */
export function findUv(): Promise<string> {
  uvPath ??= new Promise((resolve, reject) => {
    const script = path.join(projectRoot(), 'scripts', 'ensure-uv.cjs');
    execFile(process.execPath, [script], { timeout: 10 * 60_000 }, (err, out, errOut) => {
      if (err) {
        uvPath = undefined; // asked again by the next environment
        reject(new EnvironmentInstallError(`uv is not available: ${String(errOut).trim() || err.message}`));
      } else resolve(String(out).trim());
    });
  });
  return uvPath;
}

/**
 * The interpreter an environment is built on: the worker's, unless the spec names a Databricks
 * environment version whose Python the worker lacks but this machine has (found by uv, never
 * downloaded). The attempt's log says which, and why.
 */
async function interpreterFor(spec: PythonEnvironmentSpec, ctx: EnvironmentContext, uv: string): Promise<string> {
  if (spec.version === undefined) return ctx.basePython;
  const wanted = VERSION_PYTHON[spec.version];
  const have = await pythonVersion(ctx.basePython);
  if (wanted === undefined) {
    ctx.log(`djobs: environment_version ${spec.version} is not one durable-jobs knows; using Python ${have}\n`);
    return ctx.basePython;
  }
  if (wanted === have) return ctx.basePython;
  const found = await run(uv, ['python', 'find', '--no-project', wanted], {
    env: { ...process.env, UV_PYTHON_DOWNLOADS: 'never' },
  });
  const python = found.output.trim().split('\n').pop() ?? '';
  if (found.code === 0 && python) return python;
  ctx.log(
    `djobs: environment_version ${spec.version} is Python ${wanted} on Databricks; this machine has no Python ${wanted}, so the environment uses Python ${have}\n`
  );
  return ctx.basePython;
}

/** A requirement line naming a local file (a wheel, a requirements file), and the file. */
function localFileOf(line: string): string | undefined {
  const m = /^(?:-r|--requirement)\s+(.+)$/.exec(line.trim());
  const candidate = (m ? m[1]! : line).trim().replace(/^file:(\/\/)?/, '');
  if (!path.isAbsolute(candidate)) return undefined;
  return fs.statSync(candidate, { throwIfNoEntry: false })?.isFile() ? candidate : undefined;
}

const sha256 = (data: string | Buffer) => crypto.createHash('sha256').update(data).digest('hex');

/** The environment's key: what it holds, including the bytes of the local files it installs. */
export function environmentKey(interpreter: string, requirements: readonly string[]): string {
  const lines = requirements.map((line) => {
    const file = localFileOf(line);
    return file ? { line, sha256: sha256(fs.readFileSync(file)) } : { line };
  });
  return sha256(JSON.stringify({ layout: LAYOUT, uv: UV_VERSION, interpreter, lines })).slice(0, 32);
}

/** The site-packages directories of `python`, which an environment built on it sees after its own. */
function sitePackagesOf(python: string): Promise<string[]> {
  return new Promise((resolve) =>
    execFile(
      python,
      [
        '-c',
        'import json, sys; print(json.dumps([p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]))',
      ],
      (err, out) => resolve(err ? [] : (JSON.parse(String(out)) as string[]))
    )
  );
}

function uvEnv(root: string): NodeJS.ProcessEnv {
  // uv installs into the environment it is given, never into one the worker runs in.
  const { VIRTUAL_ENV: _active, ...env } = process.env;
  // DJOBS_UV_CACHE_DIR: a download cache shared beyond this data directory (the tests' engines).
  const cache = process.env.DJOBS_UV_CACHE_DIR ?? path.join(root, '.uv-cache');
  return { ...env, UV_CACHE_DIR: cache, UV_PYTHON_DOWNLOADS: 'never', UV_NO_PROGRESS: '1' };
}

/** uv's account of a failure: its error lines, bounded. */
function installError(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean);
  const from = lines.findIndex((l) => /^(\s*×|error:)/.test(l));
  const text = (from >= 0 ? lines.slice(from) : lines.slice(-15)).join('\n');
  return text.length > 2000 ? `${text.slice(0, 2000)}…` : text;
}

async function build(
  dir: string,
  interpreter: string,
  spec: PythonEnvironmentSpec,
  ctx: EnvironmentContext,
  uv: string
): Promise<void> {
  const root = path.dirname(dir);
  const env = uvEnv(root);
  fs.rmSync(dir, { recursive: true, force: true });
  const log = (text: string) => ctx.log(text);
  const signal = ctx.signal ? { signal: ctx.signal } : {};
  const venv = await run(uv, ['venv', '--seed', '--python', interpreter, dir], { env, log, ...signal });
  if (venv.code !== 0) throw new EnvironmentInstallError(installError(venv.output));
  const python = path.join(dir, 'bin', 'python');
  // The worker's packages stay importable after the environment's own (a base, as on Databricks).
  if ((await pythonVersion(interpreter)) === (await pythonVersion(ctx.basePython))) {
    const own = (await sitePackagesOf(python))[0];
    const base = (await sitePackagesOf(ctx.basePython)).filter((p) => p !== own);
    if (own && base.length > 0) fs.writeFileSync(path.join(own, '_djobs_base.pth'), `${base.join('\n')}\n`);
  }
  if (spec.requirements.length > 0) {
    const requirements = path.join(dir, 'requirements.txt');
    fs.writeFileSync(requirements, `${spec.requirements.join('\n')}\n`);
    const install = await run(uv, ['pip', 'install', '--python', python, '-r', requirements], { env, log, ...signal });
    if (install.code !== 0) throw new EnvironmentInstallError(installError(install.output));
  }
}

/**
 * The task's environment, built now or reused. Throws EnvironmentInstallError with uv's message
 * when it cannot be built (the attempt fails with LIBRARY_INSTALLATION_ERROR).
 */
export async function readyEnvironment(
  spec: PythonEnvironmentSpec,
  ctx: EnvironmentContext
): Promise<ReadyEnvironment> {
  const started = Date.now();
  const uv = await findUv();
  const interpreter = await interpreterFor(spec, ctx, uv);
  let key: string;
  try {
    key = environmentKey(interpreter, spec.requirements);
  } catch (err) {
    throw new EnvironmentInstallError(`Cannot read a file the environment installs: ${(err as Error).message}`);
  }
  const root = environmentsRoot(ctx.dataDir);
  const dir = path.join(root, key);
  const marker = path.join(dir, MARKER);
  const ready = () => fs.existsSync(marker);
  const what = spec.environmentKey !== undefined ? `environment "${spec.environmentKey}"` : 'task libraries';
  let built = false;
  try {
    await withDirLock(
      dir,
      ready,
      async () => {
        ctx.log(
          `djobs: installing ${what} into environment ${key}: ${spec.requirements.join(' ') || '(no packages)'}\n`
        );
        const t0 = Date.now();
        try {
          await build(dir, interpreter, spec, ctx, uv);
          await shareWithTasks(dir);
        } catch (err) {
          // Removed while the lock is still held: no half-built environment is ever reused.
          fs.rmSync(dir, { recursive: true, force: true });
          throw err;
        }
        const installMs = Date.now() - t0;
        fs.writeFileSync(
          marker,
          JSON.stringify({ key, interpreter, requirements: spec.requirements, installMs, created: Date.now() })
        );
        built = true;
      },
      ctx.signal
    );
  } catch (err) {
    if (err instanceof EnvironmentInstallError) throw err;
    if (ctx.signal?.aborted) throw err;
    throw new EnvironmentInstallError((err as Error).message);
  }
  markUsed(dir);
  const setupMs = Date.now() - started;
  ctx.log(`djobs: ${what}: environment ${key} ${built ? 'installed' : 'reused'} in ${(setupMs / 1000).toFixed(2)} s\n`);
  if (built) removeUnused(root, maxUnusedAgeMs());
  return { key, dir, python: path.join(dir, 'bin', 'python'), bin: path.join(dir, 'bin'), reused: !built, setupMs };
}
