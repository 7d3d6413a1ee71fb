// SQL warehouses (https://docs.databricks.com/api/workspace/warehouses): each the embedded DuckDB
// database `DJOBS_HOME/warehouses/<id>/<id>.duckdb` on the workers (activities/warehouses.ts),
// with an owner and grants kept in Temporal as a paused schedule `djobs-warehouse-<id>`
// (stores/schedule-records.ts). The `default` warehouse needs no record: until an admin sets its
// permissions, everyone may use it (core/access/warehouse-permissions.ts). Read by the API and by
// the task activity, which runs a SQL task only for an identity with CAN_USE.
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { DEFAULT_WAREHOUSE_ACCESS, DEFAULT_WAREHOUSE_ID, type WarehouseAccess } from '../core';
import { ScheduleRecords, recordKind } from './schedule-records';

const Level = z.enum(['CAN_USE', 'CAN_MONITOR', 'CAN_MANAGE', 'IS_OWNER']);
const WarehouseRecord = z.object({
  id: z.string(),
  /** The create request's fields Databricks also only stores (name, cluster_size, …), as given. */
  settings: z.record(z.string(), z.unknown()),
  creator_name: z.string(),
  access: z.object({
    owner: z.union([z.object({ user_name: z.string() }), z.object({ service_principal_name: z.string() })]),
    grants: z.array(
      z.object({
        user_name: z.string().optional(),
        group_name: z.string().optional(),
        service_principal_name: z.string().optional(),
        permission_level: Level,
      })
    ),
  }),
});
export type WarehouseRecord = z.infer<typeof WarehouseRecord>;

export class Warehouses {
  private readonly records: ScheduleRecords<WarehouseRecord>;

  constructor(temporal: Client) {
    this.records = new ScheduleRecords(temporal, {
      ...recordKind('warehouse', WarehouseRecord),
      note: 'durable-jobs SQL warehouse: a record, never runs',
    });
  }

  /** Stores a new warehouse; false when one of that id exists. */
  create(record: WarehouseRecord): Promise<boolean> {
    return this.records.create(record.id, record);
  }

  /** The warehouse's record, or undefined (the `default` warehouse has none until an admin sets one). */
  read(id: string): Promise<WarehouseRecord | undefined> {
    return this.records.read(id);
  }

  /** Who may use a warehouse: its record's access, the default policy for `default`, else none. */
  async access(id: string): Promise<WarehouseAccess | undefined> {
    const record = await this.read(id);
    if (record) return record.access;
    return id === DEFAULT_WAREHOUSE_ID ? DEFAULT_WAREHOUSE_ACCESS : undefined;
  }

  /** Stores a warehouse's new access; the `default` warehouse's record is made on its first change. */
  async setAccess(id: string, access: WarehouseAccess, by: string): Promise<void> {
    const changed = await this.records.change(id, (r) => {
      r.access = access;
    });
    if (changed) return;
    if (id !== DEFAULT_WAREHOUSE_ID) throw new Error(`SQL warehouse ${id} does not exist.`);
    if (!(await this.records.create(id, { id, settings: { name: 'default' }, creator_name: by, access })))
      await this.setAccess(id, access, by);
  }

  delete(id: string): Promise<boolean> {
    return this.records.delete(id);
  }

  /** Every warehouse id with a record. */
  ids(): Promise<string[]> {
    return this.records.names();
  }
}
