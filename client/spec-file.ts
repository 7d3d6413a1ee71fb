// Job spec files: JSON or YAML, validated, with workspace-style paths resolved relative to the
// spec file and their extension discovered (Databricks notebook paths carry none).
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import {
  PathProblem,
  isGitSourced,
  taskPath,
  validateJobSettings,
  type JobSettings,
  type SpecProblem,
  type Task,
} from '../core';
import { SpecValidationError } from './errors';

export const NOTEBOOK_EXTENSIONS = ['.py', '.sql', '.ipynb', '.js', '.mjs', '.ts', '.sh'] as const;

export interface LoadedSpec {
  settings: JobSettings;
  baseDir: string;
}

export async function loadJobSpecFile(file: string): Promise<LoadedSpec> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await fs.promises.readFile(abs, 'utf8');
  } catch (err) {
    throw new SpecValidationError(
      [{ path: '', message: `cannot read ${abs}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }],
      file
    );
  }
  const raw = parseSpecText(text, abs);
  try {
    return await resolveJobSpec(raw, path.dirname(abs));
  } catch (err) {
    if (err instanceof SpecValidationError) throw new SpecValidationError(err.problems, file);
    throw err;
  }
}

export function parseSpecText(text: string, file: string): unknown {
  const ext = path.extname(file).toLowerCase();
  const asJson = () => JSON.parse(text) as unknown;
  const asYaml = () => {
    const doc = YAML.parseDocument(text, { prettyErrors: true });
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const pos = e.linePos?.[0];
      throw new SpecValidationError(
        [
          {
            path: '',
            message: `invalid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${e.message.split('\n')[0]}`,
          },
        ],
        file
      );
    }
    return doc.toJS() as unknown;
  };
  if (ext === '.json') {
    try {
      return asJson();
    } catch (err) {
      throw new SpecValidationError([{ path: '', message: `invalid JSON: ${(err as Error).message}` }], file);
    }
  }
  if (ext === '.yaml' || ext === '.yml') return asYaml();
  try {
    return asJson();
  } catch {
    return asYaml();
  }
}

/**
 * Where the author of a spec may point task files: `localFiles` (the default: the CLI's user, the
 * API's admins) may name any file on this machine, relative to the spec; others only workspace,
 * volume and DBFS paths, and files under `codeRoots` (docs/workspace.md).
 */
export interface PathRights {
  localFiles: boolean;
  codeRoots: readonly string[];
}

const LOCAL_FILES: PathRights = { localFiles: true, codeRoots: [] };

/** Validate settings and resolve their file paths against `baseDir`; every problem at once. */
export async function resolveJobSpec(
  raw: unknown,
  baseDir: string,
  rights: PathRights = LOCAL_FILES
): Promise<LoadedSpec> {
  const result = validateJobSettings(raw);
  if (!result.ok) {
    // Still check files of whatever tasks are shaped well enough, so all problems come at once.
    const r = raw as { tasks?: unknown; git_source?: unknown } | undefined;
    const problems = [
      ...result.errors,
      ...resolveTaskFiles(r?.tasks, baseDir, 'check', rights, r?.git_source !== undefined),
    ];
    throw new SpecValidationError(problems);
  }
  const settings = structuredClone(result.settings);
  const problems = [
    ...resolveTaskFiles(settings.tasks, baseDir, 'rewrite', rights, settings.git_source !== undefined),
    ...resolveRuntimePaths(settings, baseDir, rights),
  ];
  // A file-arrival location given as a relative path is relative to the spec, like task files.
  const fa = settings.trigger?.file_arrival;
  if (fa && !/^[a-z][a-z0-9+.-]*:\/\//i.test(fa.url) && !path.isAbsolute(fa.url))
    fa.url = path.resolve(baseDir, fa.url);
  if (fa) {
    const where = taskPath(fa.url) ?? { kind: 'local' as const, path: fa.url };
    if (where instanceof PathProblem) problems.push({ path: 'trigger.file_arrival.url', message: where.message });
    else if (where.kind === 'local' && !mayNameLocal(where.path, rights))
      problems.push({ path: 'trigger.file_arrival.url', message: localRefused(fa.url) });
  }
  if (problems.length > 0) throw new SpecValidationError(problems);
  return { settings, baseDir };
}

/**
 * Every place a task names a file. Each resolves against the spec file's directory (unless
 * absolute), in a top-level task and in a for_each_task's nested task alike.
 */
const TASK_FILE_FIELDS = [
  { keys: ['notebook_task', 'notebook_path'], discoverExtension: true },
  { keys: ['spark_python_task', 'python_file'], discoverExtension: false },
  { keys: ['sql_task', 'file', 'path'], discoverExtension: false },
] as const;

/** Each task with its JSON path: the top-level tasks, then every for_each_task's nested task. */
function tasksWithPaths(tasks: unknown): Array<{ task: unknown; at: string }> {
  if (!Array.isArray(tasks)) return [];
  return tasks.flatMap((task: unknown, i) => {
    const nested = (task as { for_each_task?: { task?: unknown } } | null)?.for_each_task?.task;
    return [{ task, at: `tasks[${i}]` }, ...(nested ? [{ task: nested, at: `tasks[${i}].for_each_task.task` }] : [])];
  });
}

/**
 * Resolve every task file path against `baseDir` (`rewrite`: replace each by its absolute file;
 * `check`: only report problems, for specs that did not validate). One problem per bad path.
 */
export function resolveTaskFiles(
  tasks: unknown,
  baseDir: string,
  mode: 'rewrite' | 'check',
  rights: PathRights = LOCAL_FILES,
  hasGitSource = false
): SpecProblem[] {
  const problems: SpecProblem[] = [];
  for (const { task, at } of tasksWithPaths(tasks)) {
    // Paths read from Git are the repository's: resolved in the run's checkout, by the worker.
    if (isGitSourced(hasGitSource, task as Task)) continue;
    for (const field of TASK_FILE_FIELDS) {
      const parent = field.keys
        .slice(0, -1)
        .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), task);
      if (!parent || typeof parent !== 'object') continue;
      const leaf = field.keys[field.keys.length - 1]!;
      const value = (parent as Record<string, unknown>)[leaf];
      if (typeof value !== 'string' || value === '') continue;
      const r = resolveTaskFile(value, baseDir, field.discoverExtension, rights);
      if (typeof r !== 'string') problems.push({ path: `${at}.${field.keys.join('.')}`, message: r.problem });
      else if (mode === 'rewrite') (parent as Record<string, unknown>)[leaf] = r;
    }
  }
  return problems;
}

const mayNameLocal = (file: string, rights: PathRights): boolean =>
  rights.localFiles || rights.codeRoots.some((d) => file === d || file.startsWith(d.endsWith('/') ? d : `${d}/`));

const localRefused = (p: string) =>
  `${p} is not a workspace path (/Workspace/..., /Volumes/..., dbfs:/...): only admins may name files on the server's disk, outside the code roots`;

/**
 * The file a task path names. Workspace, volume and DBFS paths stay as they are: the worker
 * resolves them for the run's principal when the task starts (workspace/task-paths.ts). A local
 * path becomes the absolute file (relative to `baseDir`, discovering the notebook extension when
 * it has none), for authors who may name local files.
 */
export function resolveTaskFile(
  p: string,
  baseDir: string,
  discoverExtension: boolean,
  rights: PathRights = LOCAL_FILES
): string | { problem: string } {
  const where = taskPath(p);
  if (where instanceof PathProblem) return { problem: where.message };
  if (where?.kind === 'root') return p;
  if (where?.kind === 's3')
    return { problem: `${p}: task files on S3 are not supported; upload them to the workspace or a volume` };
  if (!rights.localFiles && (where === undefined || !mayNameLocal(where.path, rights)))
    return { problem: localRefused(p) };
  const local = p.replace(/^file:(\/\/)?/, '');
  const abs = path.resolve(baseDir, local);
  if (fs.existsSync(abs) && fs.statSync(abs).isFile()) return abs;
  if (!discoverExtension || path.extname(abs) !== '') return { problem: `expected a file at ${abs}, found none` };
  const found = NOTEBOOK_EXTENSIONS.map((e) => abs + e).filter((f) => fs.existsSync(f) && fs.statSync(f).isFile());
  if (found.length === 1) return found[0]!;
  if (found.length === 0)
    return { problem: `expected a file at ${abs} (tried ${NOTEBOOK_EXTENSIONS.join(', ')}), found none` };
  return {
    problem: `ambiguous notebook path: ${found.map((f) => path.basename(f)).join(' and ')} both exist next to ${abs}`,
  };
}

/** A path a spec names relative to itself (`./dist/x.whl`, `reqs.txt`), made absolute; others unchanged. */
function specRelative(p: string, baseDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(p) || path.isAbsolute(p)) return p;
  return path.resolve(baseDir, p);
}

/** A requirement line naming a local file by a relative path (a wheel, an archive, `-r file`), made absolute. */
function requirementLine(line: string, baseDir: string): string {
  const r = /^(-r|--requirement)\s+(.+)$/.exec(line.trim());
  if (r) return `${r[1]} ${specRelative(r[2]!, baseDir)}`;
  const local = /^\.{1,2}\//.test(line) || /\.(whl|tar\.gz|zip)$/i.test(line);
  return local && !/\s/.test(line.trim()) ? specRelative(line.trim(), baseDir) : line;
}

/**
 * The local file a runtime path or requirement line names (`./dist/x.whl`, `-r reqs.txt`,
 * `pkg @ file:///src/pkg`), for the rights check; undefined when it names none (a PyPI name, a URL,
 * a workspace path).
 */
function localFileOf(entry: string): string | undefined {
  const line = entry.trim();
  const option = /^(?:-r|--requirement|-c|--constraint|-e|--editable)\s+(.+)$/.exec(line);
  const target = option ? option[1]! : line.includes(' @ ') ? line.slice(line.indexOf(' @ ') + 3).trim() : line;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) && !/^file:/i.test(target)) return undefined;
  if (!/^file:/i.test(target) && !path.isAbsolute(target)) return undefined;
  const where = taskPath(target);
  return where !== undefined && !(where instanceof PathProblem) && where.kind === 'local' ? where.path : undefined;
}

/**
 * The other paths a job reads from its workspace, resolved like task files but never required to
 * exist yet (they are read when a task starts): libraries' wheels and requirements files,
 * environments' local dependencies, .env files, and a workspace dbt project's directories. An
 * author without `localFiles` may name local files only under the code roots, as for task files.
 */
function resolveRuntimePaths(settings: JobSettings, baseDir: string, rights: PathRights): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const check = (value: string, at: string): string => {
    const local = rights.localFiles ? undefined : localFileOf(value);
    if (local !== undefined && !mayNameLocal(local, rights)) problems.push({ path: at, message: localRefused(value) });
    return value;
  };
  const tasks = settings.tasks.flatMap((t, i) => [
    { task: t, at: `tasks[${i}]` },
    ...(t.for_each_task ? [{ task: t.for_each_task.task, at: `tasks[${i}].for_each_task.task` }] : []),
  ]);
  for (const { task, at } of tasks) {
    (task.libraries ?? []).forEach((lib, j) => {
      if (lib.whl) lib.whl = check(specRelative(lib.whl, baseDir), `${at}.libraries[${j}].whl`);
      if (lib.requirements)
        lib.requirements = check(specRelative(lib.requirements, baseDir), `${at}.libraries[${j}].requirements`);
    });
    const dbt = task.dbt_task;
    if (dbt && !isGitSourced(settings.git_source !== undefined, task) && dbt.project_directory !== undefined) {
      dbt.project_directory = check(specRelative(dbt.project_directory, baseDir), `${at}.dbt_task.project_directory`);
      if (dbt.profiles_directory !== undefined)
        check(path.resolve(dbt.project_directory, dbt.profiles_directory), `${at}.dbt_task.profiles_directory`);
    }
  }
  (settings.environments ?? []).forEach((e, i) => {
    if (e.spec?.dependencies)
      e.spec.dependencies = e.spec.dependencies.map((d, j) =>
        check(requirementLine(d, baseDir), `environments[${i}].spec.dependencies[${j}]`)
      );
  });
  (settings.environment_variables ?? []).forEach((v, i) => {
    if (v.spec?.files)
      v.spec.files = v.spec.files.map((f, j) =>
        check(specRelative(f, baseDir), `environment_variables[${i}].spec.files[${j}]`)
      );
  });
  return problems;
}
