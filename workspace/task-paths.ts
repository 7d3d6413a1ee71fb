// The file a task path names (`notebook_path`, `python_file`, `sql_task.file.path`, a `%run` or
// `dbutils.notebook.run` target), for the principal the run runs as. Every path resolves to its
// real path (symlinks followed) under a root the principal may read: the workspace objects it
// holds CAN_READ on, the volumes and DBFS root, and on the machine's own disk only what the
// local admin may name (`localFiles`: admins, and runs started with Temporal access such as
// `djobs run FILE`) or the code roots an admin configured (DJOBS_CODE_ROOTS). A missing path and
// a forbidden one read the same, so a path cannot probe the host.
import fs from 'node:fs';
import path from 'node:path';
import {
  NOTEBOOK_FILE_EXTENSIONS,
  PathProblem,
  WorkspaceArea,
  WorkspacePermission,
  taskPath,
  workspaceAllows,
  workspaceLevel,
  type Principal,
  type WorkspaceGrants,
} from '../core';
import { notebookOnDisk, stripNotebookExtension, type WorkspaceTree } from './tree';

/** Who reads task paths, and where they may read. */
export interface PathReader {
  who: Principal;
  /** Direct grants of workspace objects (stores/workspace-acls.ts). */
  grants: WorkspaceGrants;
  /** May name files anywhere on the machine's disk. */
  localFiles: boolean;
  /** Folders on the machine's disk every principal may name code in. */
  codeRoots: readonly string[];
}

/** A task's path cannot be used; `missing` when it names no file its reader may read. */
export class TaskPathError extends Error {
  constructor(
    message: string,
    readonly missing = false
  ) {
    super(message);
    this.name = 'TaskPathError';
  }
}

const realOrUndefined = (p: string): string | undefined => {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
};

const within = (file: string, dir: string): boolean =>
  file === dir || file.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** The candidates on disk of a path: itself, then (notebooks without an extension) with each notebook extension. */
function candidates(file: string, discoverExtension: boolean): string[] {
  if (!discoverExtension || path.extname(file) !== '') return [file];
  return [file, ...NOTEBOOK_FILE_EXTENSIONS.map((e) => file + e)];
}

/**
 * The real path of the file a task names, or a TaskPathError saying `<what> <path> does not
 * exist.` whether it is missing or forbidden. `discoverExtension`: a notebook path may leave the
 * file's extension out (`/Users/alice/etl` is `etl.py`, `etl.sql`, `etl.ipynb`…). Relative
 * paths resolve against `baseDir` when given (a `%run ./setup`), and are refused otherwise.
 */
export function resolveTaskFile(
  tree: WorkspaceTree,
  p: string,
  reader: PathReader,
  o: { what: string; discoverExtension: boolean; baseDir?: string }
): string {
  const missing = new TaskPathError(`${o.what} ${p} does not exist.`, true);
  let r = taskPath(p);
  if (r === undefined) {
    if (o.baseDir === undefined) throw missing;
    r = taskPath(path.posix.join(o.baseDir, p));
    if (r === undefined) throw missing;
  }
  if (r instanceof PathProblem) throw new TaskPathError(`${o.what} ${r.message}`);
  if (r.kind === 's3')
    throw new TaskPathError(
      `${o.what} ${p}: task files on S3 are not supported; upload them to the workspace or a volume.`
    );
  if (r.kind === 'local') {
    const allowedRoots = reader.localFiles
      ? undefined
      : reader.codeRoots.map(realOrUndefined).filter((d) => d !== undefined);
    for (const c of candidates(r.path, o.discoverExtension)) {
      const real = realOrUndefined(c);
      if (!real || !fs.statSync(real).isFile()) continue;
      if (allowedRoots && !allowedRoots.some((d) => within(real, d))) throw missing;
      return real;
    }
    throw missing;
  }
  const areaRoot = realOrUndefined(tree.areaDir(r.area));
  if (!areaRoot) throw missing;
  const disk = tree.diskPath(r);
  for (const c of candidates(disk, o.discoverExtension || r.area === WorkspaceArea.WORKSPACE)) {
    const real = realOrUndefined(c);
    if (!real || !within(real, areaRoot) || !fs.statSync(real).isFile()) continue;
    if (r.area === WorkspaceArea.WORKSPACE) {
      // The object is named without the notebook's extension; a symlink is judged where it points too.
      const real_ = path.relative(areaRoot, real).split(path.sep).filter(Boolean);
      const last = real_.pop();
      const pointed =
        last === undefined ? real_ : [...real_, notebookOnDisk(real) ? stripNotebookExtension(last) : last];
      for (const segments of [r.segments, pointed])
        if (!workspaceAllows(workspaceLevel(reader.who, segments, reader.grants), WorkspacePermission.CAN_READ))
          throw missing;
    }
    return real;
  }
  throw missing;
}
