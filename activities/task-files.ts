// What files a task attempt may read, decided for the principal its run runs as: the task's own
// paths (notebook_path, python_file, sql_task.file.path) resolved by workspace/task-paths.ts, and
// the reach its runtime checks `%run`, `dbutils.fs` and `dbutils.notebook.run` against
// (DJOBS_WORKSPACE_* in its environment). Without a principals file every run is the local
// admin's (`djobs run`, `djobs dev` alone): nothing is looked up.
import { getClient } from '@temporalio/activity';
import {
  ADMINS_GROUP,
  WorkspaceArea,
  WorkspacePermission,
  workspaceAllows,
  workspaceReach,
  type Principal,
  type TaskAttemptInput,
  type WorkspaceGrants,
} from '../core';
import { readPrincipalsFile } from '../config/principals-file';
import { WorkspaceAcls } from '../stores/workspace-acls';
import { TaskPathError, resolveTaskFile, type PathReader } from '../workspace/task-paths';
import { WorkspaceTree } from '../workspace/tree';
import { TaskInvalidError } from './commands';
import { attemptIdentity } from './run-as';

/** The name of the API's built-in administrator (DJOBS_API_TOKEN), an admin wherever it runs. */
const BUILT_IN_ADMIN = 'admin';

export interface TaskFileAccess {
  /** The real path of a file the task names; TaskInvalidError when missing or forbidden (the same words). */
  resolve: (p: string, what: string, discoverExtension: boolean) => string;
  /** The task runtime's view of where it may reach (workspace_fs.cjs reads it). */
  env: Record<string, string>;
  reader: PathReader;
  tree: WorkspaceTree;
}

export interface TaskFileOptions {
  workspaceRoot: string;
  codeRoots: readonly string[];
  principalsFile?: string;
}

const LOCAL_ADMIN: Principal = { name: 'local', kind: 'user', groups: [ADMINS_GROUP], admin: true };

/** File access of one reader over a tree. */
export function taskFileAccess(tree: WorkspaceTree, reader: PathReader): TaskFileAccess {
  const reach = workspaceReach(reader.who, reader.grants);
  return {
    tree,
    reader,
    resolve: (p, what, discoverExtension) => {
      try {
        return resolveTaskFile(tree, p, reader, { what, discoverExtension });
      } catch (err) {
        if (err instanceof TaskPathError)
          throw new TaskInvalidError(err.message, err.missing ? 'RESOURCE_NOT_FOUND' : 'INVALID_RUN_CONFIGURATION');
        throw err;
      }
    },
    env: {
      DJOBS_WORKSPACE_ROOT: tree.root,
      DJOBS_WORKSPACE_REACH: JSON.stringify(reach),
      DJOBS_LOCAL_FILES: reader.localFiles ? '1' : '0',
      DJOBS_CODE_ROOTS: reader.codeRoots.join(','),
      DJOBS_NODE: process.execPath,
    },
  };
}

/** The local admin's access: any file on this machine, the whole workspace. */
export const localFileAccess = (tree: WorkspaceTree, codeRoots: readonly string[] = []): TaskFileAccess =>
  taskFileAccess(tree, { who: LOCAL_ADMIN, grants: {}, localFiles: true, codeRoots });

/**
 * Where on disk a task's sandbox must let it read and write (for issue 25's sandbox): the
 * workspace objects its principal reaches (writable from CAN_EDIT), the volumes and the DBFS root
 * (shared by every user, as on Databricks), and the code roots (read only).
 */
export function taskWorkspacePaths(access: TaskFileAccess): { readable: string[]; writable: string[] } {
  const { tree, reader } = access;
  const readable: string[] = [...reader.codeRoots];
  const writable: string[] = [tree.areaDir(WorkspaceArea.VOLUMES), tree.areaDir(WorkspaceArea.DBFS)];
  for (const { path, level } of workspaceReach(reader.who, reader.grants)) {
    const disk = tree.diskPath({ area: WorkspaceArea.WORKSPACE, segments: path.split('/').filter(Boolean) });
    (workspaceAllows(level, WorkspacePermission.CAN_EDIT) ? writable : readable).push(disk);
  }
  return { readable, writable };
}

/** Task files of attempts on this worker: principals from the principals file, each run's identity. */
export class TaskFiles {
  private readonly tree: WorkspaceTree;
  private readonly principals: Map<string, Principal>;

  constructor(private readonly o: TaskFileOptions) {
    this.tree = new WorkspaceTree(o.workspaceRoot);
    this.principals = new Map(
      (o.principalsFile ? readPrincipalsFile(o.principalsFile) : []).map(({ principal }) => [principal.name, principal])
    );
  }

  /**
   * The access of the attempt running now, for whom its run acts as (`attemptIdentity`). Asked for
   * every task, whether or not it names a file: what its sandbox shows it and what `dbutils.fs`
   * may reach follow from it too.
   */
  async forAttempt(input: Pick<TaskAttemptInput, 'runAs'>): Promise<TaskFileAccess> {
    if (this.principals.size === 0) return localFileAccess(this.tree, this.o.codeRoots);
    const { name } = await attemptIdentity(input);
    const known = this.principals.get(name);
    const admin = name === BUILT_IN_ADMIN || (known?.admin ?? false);
    // A name the principals file does not know is a run started with Temporal access (the CLI).
    if (admin || !known) return localFileAccess(this.tree, this.o.codeRoots);
    const grants: WorkspaceGrants = await WorkspaceAcls.of(getClient()).grants();
    return taskFileAccess(this.tree, { who: known, grants, localFiles: false, codeRoots: this.o.codeRoots });
  }
}
