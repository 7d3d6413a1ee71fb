// The local paths a job names, turned into the paths its deployment has in the workspace, as the
// Databricks CLI translates them (https://docs.databricks.com/dev-tools/bundles/paths): a relative
// path is relative to the YAML file that declares it and must lie in the bundle; a notebook
// becomes `${workspace.file_path}/<path without its extension>`, a file or folder keeps its name.
// Local wheels and jars (`libraries[].whl`, `jar`, an environment's `dependencies`) are globs,
// expanded once the artifacts are built, uploaded to `${workspace.artifact_path}/.internal/` and
// named by that path. Absolute paths and URLs are the workspace's already and are kept.
import { errorAt, type Diagnostic } from './diagnostics';
import { getIn, scalarValue, setIn, type Path, type Value } from './value';

/** What a local path names, as the bundle's file system answers. */
export type LocalKind = 'notebook' | 'file' | 'directory' | undefined;

export interface LocalFiles {
  /** The bundle's folder (absolute, `/`-separated). */
  root: string;
  kindOf(absolutePath: string): LocalKind;
}

type Mode = 'notebook' | 'file' | 'directory';

/** The task fields that name workspace files, and what each must name. */
const TASK_PATHS: readonly { path: readonly string[]; mode: Mode }[] = [
  { path: ['notebook_task', 'notebook_path'], mode: 'notebook' },
  { path: ['spark_python_task', 'python_file'], mode: 'file' },
  { path: ['dbt_task', 'project_directory'], mode: 'directory' },
  { path: ['sql_task', 'file', 'path'], mode: 'file' },
];

/** A local library of a job, to upload once its glob is expanded (`artifacts` may build it first). */
export interface LocalLibrary {
  jobKey: string;
  /** Where in the job the library is named (`tasks[1].libraries[0].whl`, `environments[0].spec.dependencies[0]`). */
  path: Path;
  /** The glob, absolute. */
  pattern: string;
  /** As written. */
  written: string;
}

/** `/`-separated normalization of `a/b/../c` (no `..` above the start of an absolute path). */
export function normalizePath(p: string): string {
  const abs = p.startsWith('/');
  const out: string[] = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
    } else out.push(s);
  }
  return (abs ? '/' : '') + out.join('/');
}

export const dirname = (p: string): string => {
  const i = p.lastIndexOf('/');
  return i <= 0 ? (p.startsWith('/') ? '/' : '.') : p.slice(0, i);
};

/** A path relative to the bundle root, or undefined when it lies outside. */
export function relativeToRoot(root: string, abs: string): string | undefined {
  if (abs === root) return '';
  return abs.startsWith(`${root}/`) ? abs.slice(root.length + 1) : undefined;
}

/** Whether a path is the workspace's already (absolute, or with a scheme such as `dbfs:` or `s3://`). */
export const isRemotePath = (p: string): boolean => p.startsWith('/') || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(p);

const NOTEBOOK_EXTENSIONS = ['.py', '.sql', '.scala', '.r', '.ipynb'];
const stripNotebookExtension = (p: string): string => {
  const ext = NOTEBOOK_EXTENSIONS.find((e) => p.toLowerCase().endsWith(e));
  return ext ? p.slice(0, -ext.length) : p;
};

/** Where a value was written, as an absolute local folder (relative paths resolve against it). */
function declaringDir(v: Value, files: LocalFiles): string {
  const file = v.locations[0]?.file;
  if (!file) return files.root;
  return dirname(file.startsWith('/') ? file : normalizePath(`${files.root}/${file}`));
}

/**
 * The local path a value names, translated for the workspace: the new value, or a problem. Not
 * a local path (absolute, a URL): undefined.
 */
function translate(
  v: Value,
  mode: Mode,
  files: LocalFiles,
  filePath: string,
  root: Value,
  at: Path
): { value?: Value; problem?: Diagnostic } {
  if (v.kind !== 'scalar' || typeof v.value !== 'string' || isRemotePath(v.value)) return {};
  const written = v.value;
  const local = normalizePath(`${declaringDir(v, files)}/${written}`);
  const rel = relativeToRoot(files.root, local);
  if (rel === undefined)
    return { problem: errorAt(`path ${local} is not contained in the bundle root ${files.root}`, root, at) };
  const kind = files.kindOf(local);
  if (mode === 'notebook') {
    if (kind === undefined) return { problem: errorAt(`notebook ${written} not found`, root, at) };
    if (kind !== 'notebook')
      return {
        problem: errorAt(
          `expected a notebook for "${formatAt(at)}" but got a ${kind === 'file' ? 'file' : 'directory'}: ${written} has no "# Databricks notebook source" header and is not a .ipynb notebook`,
          root,
          at
        ),
      };
    return { value: scalarValue(`${filePath}/${stripNotebookExtension(rel)}`, v.locations) };
  }
  if (mode === 'file') {
    if (kind === undefined) return { problem: errorAt(`file ${written} not found`, root, at) };
    if (kind === 'notebook')
      return { problem: errorAt(`expected a file for "${formatAt(at)}" but got a notebook: ${written}`, root, at) };
    if (kind === 'directory')
      return { problem: errorAt(`expected a file for "${formatAt(at)}" but got a directory: ${written}`, root, at) };
  }
  if (mode === 'directory' && kind !== 'directory')
    return {
      problem: errorAt(
        kind === undefined ? `directory ${written} not found` : `${written} is not a directory`,
        root,
        at
      ),
    };
  return { value: scalarValue(`${filePath}/${rel}`, v.locations) };
}

const formatAt = (p: Path): string =>
  p.reduce<string>((s, x) => (typeof x === 'number' ? `${s}[${x}]` : s ? `${s}.${x}` : x), '');

/** Whether a dependency line is a local file (Databricks' rule: starts with `.`, or a relative path with an extension). */
export function isLocalLibrary(dep: string): boolean {
  if (dep === '' || /^-/.test(dep.trim())) return false;
  if (dep.startsWith('.')) return true;
  if (isRemotePath(dep)) return false;
  // A bare name (with a version spec) is a PyPI package.
  if (/^[a-zA-Z0-9\-_]+\s?(\[.*\])?\s?((==|!=|<=|>=|~=|>|<)\s?[\w.+!-]+,?)*$/.test(dep)) return false;
  return /\.(whl|jar|tar\.gz|zip|egg)$/i.test(dep) || dep.includes('/');
}

/**
 * Job `key` of `root` with its task paths translated (unless the job reads them from Git) and its
 * local libraries listed for upload.
 */
export function translateJobPaths(
  root: Value,
  key: string,
  files: LocalFiles,
  filePath: string
): { job: Value; libraries: LocalLibrary[]; diagnostics: Diagnostic[] } {
  const base = ['resources', 'jobs', key];
  let job = getIn(root, base)!;
  const diagnostics: Diagnostic[] = [];
  const libraries: LocalLibrary[] = [];
  const gitSourced = getIn(job, ['git_source']) !== undefined;
  const tasks = getIn(job, ['tasks']);
  const taskPaths: Path[] = [];
  if (tasks?.kind === 'seq')
    tasks.items.forEach((t, i) => {
      taskPaths.push(['tasks', i]);
      if (getIn(t, ['for_each_task', 'task'])) taskPaths.push(['tasks', i, 'for_each_task', 'task']);
    });
  const library = (at: Path, v: Value | undefined) => {
    if (v?.kind !== 'scalar' || typeof v.value !== 'string' || !isLocalLibrary(v.value)) return;
    const pattern = normalizePath(`${declaringDir(v, files)}/${v.value}`);
    if (relativeToRoot(files.root, pattern) === undefined) {
      diagnostics.push(
        errorAt(`path ${pattern} is not contained in the bundle root ${files.root}`, root, [...base, ...at])
      );
      return;
    }
    libraries.push({ jobKey: key, path: at, pattern, written: v.value });
  };
  for (const tp of taskPaths) {
    const task = getIn(job, tp)!;
    // A job with git_source reads its task files from Git: its paths are the repository's.
    if (!gitSourced)
      for (const { path, mode } of TASK_PATHS) {
        const v = getIn(task, path);
        if (!v) continue;
        const at = [...tp, ...path];
        const r = translate(v, mode, files, filePath, root, [...base, ...at]);
        if (r.problem) diagnostics.push(r.problem);
        if (r.value) job = setIn(job, at, r.value);
      }
    const libs = getIn(task, ['libraries']);
    if (libs?.kind === 'seq')
      libs.items.forEach((lib, j) => {
        for (const kind of ['whl', 'jar'] as const) library([...tp, 'libraries', j, kind], getIn(lib, [kind]));
        const req = getIn(lib, ['requirements']);
        if (req) {
          const at = [...tp, 'libraries', j, 'requirements'];
          const r = translate(req, 'file', files, filePath, root, [...base, ...at]);
          if (r.problem) diagnostics.push(r.problem);
          if (r.value) job = setIn(job, at, r.value);
        }
      });
  }
  const envs = getIn(job, ['environments']);
  if (envs?.kind === 'seq')
    envs.items.forEach((env, i) => {
      const deps = getIn(env, ['spec', 'dependencies']);
      if (deps?.kind === 'seq')
        deps.items.forEach((d, j) => library(['environments', i, 'spec', 'dependencies', j], d));
    });
  return { job, libraries, diagnostics };
}
