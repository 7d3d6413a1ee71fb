// Where a SQL warehouse's DuckDB database lives: a directory of its own,
// `<DJOBS_HOME>/warehouses/<warehouse_id>/<warehouse_id>.duckdb` (`default` without an id), so that
// a sandboxed SQL task sees, and may write, its warehouse's database, write-ahead log and spill
// files and no other warehouse's. A database of the earlier layout (`warehouses/<id>.duckdb`
// beside the others) moves into its directory the first time a task uses it.
//
// The tasks of every principal that uses a warehouse write it: the directory belongs to a group of
// its own (a gid from the sandbox's registry, `warehouse:<id>`), set-group-id so that what DuckDB
// creates there is the group's too, and a sandboxed SQL task runs with that group (and the SQL
// runner with umask 007); the files already there are made the group's before each task.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_WAREHOUSE_ID, warehouseIdProblem } from '../core';
import { TaskInvalidError } from './commands';

/**
 * The warehouse's database file (nothing made). Warehouse ids are identifiers, nothing that could
 * lead out of the warehouses directory: validated when saved, checked again here for older runs.
 */
export function warehousePath(dataDir: string, warehouseId: string | undefined): string {
  const id = warehouseId ?? DEFAULT_WAREHOUSE_ID;
  const problem = warehouseIdProblem(id);
  if (problem) throw new TaskInvalidError(`warehouse_id: ${problem}`);
  return path.join(dataDir, 'warehouses', id, `${id}.duckdb`);
}

/**
 * The warehouse's database file, its directory made (and an earlier layout's database moved in);
 * with `gid` (a sandboxed task's), the directory and what is in it that group's to read and write.
 */
export function warehouseFile(dataDir: string, warehouseId: string | undefined, gid?: number): string {
  const file = warehousePath(dataDir, warehouseId);
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const suffix of ['', '.wal']) {
      const old = path.join(path.dirname(dir), path.basename(file) + suffix);
      if (fs.existsSync(old)) fs.renameSync(old, file + suffix);
    }
  }
  if (gid !== undefined) {
    shareWithGroup(dir, gid, 0o2770);
    for (const entry of fs.readdirSync(dir)) shareWithGroup(path.join(dir, entry), gid, 0o660);
  }
  return file;
}

/** `file` the group's, with at least `mode` (a directory: read, write and search; a file: read and write). */
function shareWithGroup(file: string, gid: number, mode: number): void {
  const stat = fs.lstatSync(file);
  if (stat.isSymbolicLink()) return;
  if (stat.gid !== gid) fs.chownSync(file, stat.uid, gid);
  const wanted = stat.isDirectory() ? mode | 0o2070 : (stat.mode & 0o777) | 0o060;
  if ((stat.mode & 0o7777) !== wanted) fs.chmodSync(file, wanted);
}
