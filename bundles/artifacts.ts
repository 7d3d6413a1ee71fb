// `artifacts` and local libraries: each artifact's build command runs in its folder (through `sh`,
// as the Databricks CLI runs it), with the project's uv on PATH (`uv build --wheel` is what
// Databricks' template declares); then every local library a job names (`libraries[].whl`, an
// environment's `dependencies`) is expanded from its glob, uploaded to
// `${workspace.artifact_path}/.internal/<file name>` and named by that path in the job, as the
// Databricks CLI does (https://docs.databricks.com/dev-tools/bundles/library-dependencies).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { errorAt, BundleError } from '../core/bundle/diagnostics';
import type { BundleArtifact, BundleJob, ResolvedBundle } from '../core/bundle/resolve';
import { projectRoot } from '../config/project-root';
import { globFiles } from './load';

/** The folder holding uv (the project's install, made by scripts/ensure-uv.cjs when there is one). */
function uvDir(): string | undefined {
  if (process.env.DJOBS_UV) return path.dirname(process.env.DJOBS_UV);
  const script = path.join(projectRoot(), 'scripts', 'ensure-uv.cjs');
  if (!fs.existsSync(script)) return undefined;
  try {
    const uv = execFileSync(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 10 * 60_000 })
      .toString()
      .trim();
    return uv ? path.dirname(uv) : undefined;
  } catch {
    return undefined;
  }
}

/** Run an artifact's build; its output goes to `log`, and into the error when it fails. */
async function build(a: BundleArtifact, log: (line: string) => void): Promise<void> {
  log(`Building ${a.name}...`);
  const uv = uvDir();
  // The build's environment is the user's, not the deploying process's Python environment.
  const { VIRTUAL_ENV: _active, ...inherited } = process.env;
  const env = { ...inherited, ...(uv ? { PATH: `${uv}${path.delimiter}${process.env.PATH ?? ''}` } : {}) };
  const shell = a.executable === 'bash' ? 'bash' : 'sh';
  const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
    const child = spawn(shell, ['-c', a.build!], { cwd: a.path, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, text }));
  });
  if (output.code !== 0)
    throw new BundleError([
      errorAt(
        `build failed ${a.name}, exit code ${output.code}, output:\n${output.text.trimEnd()}`,
        undefined,
        undefined
      ),
    ]);
}

/** Files matching an absolute glob, sorted. */
export function matchAbsolute(pattern: string): string[] {
  return globFiles('/', pattern.replace(/^\/+/, '')).map((p) => `/${p}`);
}

/** Of several wheels of one distribution, the newest version only (as the Databricks CLI keeps). */
export function latestWheels(files: readonly string[]): string[] {
  const best = new Map<string, { file: string; version: string; mtime: number }>();
  const rest: string[] = [];
  for (const f of files) {
    const m = /^([^-]+)-([^-]+)-.*\.whl$/.exec(path.basename(f));
    if (!m) {
      rest.push(f);
      continue;
    }
    const mtime = fs.statSync(f).mtimeMs;
    const cur = best.get(m[1]!);
    if (!cur || compareVersions(m[2]!, cur.version) > 0 || (m[2] === cur.version && mtime > cur.mtime))
      best.set(m[1]!, { file: f, version: m[2]!, mtime });
  }
  return [...rest, ...[...best.values()].map((b) => b.file)].sort();
}

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/);
  const pb = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    const nx = Number(x);
    const ny = Number(y);
    const c = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

export interface UploadPlan {
  /** Local file → its workspace path. */
  uploads: Map<string, string>;
  /** The jobs with their local libraries named by their workspace paths. */
  jobs: BundleJob[];
}

/** Build the artifacts, then expand and map the jobs' local libraries to their upload paths. */
export async function buildAndPlanLibraries(b: ResolvedBundle, log: (line: string) => void): Promise<UploadPlan> {
  for (const a of b.artifacts) if (a.build) await build(a, log);
  const internal = `${b.workspace.artifactPath}/.internal`;
  const uploads = new Map<string, string>();
  const problems = [];
  for (const a of b.artifacts)
    for (const f of a.files)
      for (const m of latestWheels(matchAbsolute(f))) uploads.set(m, `${internal}/${path.basename(m)}`);
  const jobs = b.jobs.map((j) => ({ ...j, settings: structuredClone(j.settings) }));
  // Later entries first, so replacing one entry by several keeps the earlier indexes valid.
  const libs = [...b.libraries].reverse();
  for (const lib of libs) {
    const job = jobs.find((j) => j.key === lib.jobKey);
    if (!job) continue;
    const matches = latestWheels(matchAbsolute(lib.pattern));
    if (matches.length === 0) {
      problems.push(
        errorAt(
          /[*?[]/.test(lib.written) ? `no files match pattern: ${lib.written}` : `file doesn't exist ${lib.written}`,
          b.config,
          ['resources', 'jobs', lib.jobKey, ...lib.path]
        )
      );
      continue;
    }
    for (const m of matches) uploads.set(m, `${internal}/${path.basename(m)}`);
    replaceEntry(
      job.settings,
      lib.path,
      matches.map((m) => uploads.get(m)!)
    );
  }
  if (problems.length > 0) throw new BundleError(problems);
  return { uploads, jobs };
}

/**
 * Replace the library at `at` by one entry per path: `…libraries[j].whl` (the entry `{whl}` is
 * repeated) or `…dependencies[j]` (the string is).
 */
function replaceEntry(settings: Record<string, unknown>, at: readonly (string | number)[], paths: string[]): void {
  const field = at[at.length - 1];
  const isLibrary = typeof field === 'string';
  const listPath = isLibrary ? at.slice(0, -2) : at.slice(0, -1);
  const index = (isLibrary ? at[at.length - 2] : field) as number;
  let list: unknown = settings;
  for (const p of listPath) list = (list as Record<string | number, unknown>)[p];
  if (!Array.isArray(list)) return;
  const entries = paths.map((p) => (isLibrary ? { ...(list as Record<string, unknown>[])[index], [field]: p } : p));
  list.splice(index, 1, ...entries);
}
