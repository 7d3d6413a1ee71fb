// Where a SQL warehouse's DuckDB database lives: a directory of its own,
// `<DJOBS_HOME>/warehouses/<warehouse_id>/<warehouse_id>.duckdb` (`default` without an id), so that
// a sandboxed SQL task sees, and may write, its warehouse's database, write-ahead log and spill
// files and no other warehouse's. A database of the earlier layout (`warehouses/<id>.duckdb`
// beside the others) moves into its directory the first time a task uses it.
import fs from 'node:fs';
import path from 'node:path';
import { TaskInvalidError } from './commands';

/** Warehouse ids are identifiers: nothing that could lead out of the warehouses directory. */
const WAREHOUSE_ID = /^[A-Za-z0-9_-]+$/;

/** The warehouse's database file (nothing made). */
export function warehousePath(dataDir: string, warehouseId: string | undefined): string {
  const id = warehouseId ?? 'default';
  if (!WAREHOUSE_ID.test(id))
    throw new TaskInvalidError(`warehouse_id "${id}" is not a warehouse id (letters, digits, "_" and "-").`);
  return path.join(dataDir, 'warehouses', id, `${id}.duckdb`);
}

/** The warehouse's database file, its directory made (and an earlier layout's database moved in). */
export function warehouseFile(dataDir: string, warehouseId: string | undefined): string {
  const file = warehousePath(dataDir, warehouseId);
  const dir = path.dirname(file);
  if (!fs.existsSync(dir)) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const suffix of ['', '.wal']) {
      const old = path.join(path.dirname(dir), path.basename(file) + suffix);
      if (fs.existsSync(old)) fs.renameSync(old, file + suffix);
    }
  }
  return file;
}
