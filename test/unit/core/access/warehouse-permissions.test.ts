// Which warehouses a task uses: the ones it names (CAN_USE required, else the attempt is refused)
// and the default one a Python notebook's %sql or a dbt task's generated profile may use unnamed.
import { describe, expect, it } from 'vitest';
import { DEFAULT_WAREHOUSE_ID, implicitWarehousesOfTask, warehousesOfTask } from '../../../../core';

describe('warehouses of a task', () => {
  it('names a SQL task’s, a notebook’s and a dbt task’s warehouse', () => {
    expect(warehousesOfTask({ sql_task: {} })).toEqual([DEFAULT_WAREHOUSE_ID]);
    expect(warehousesOfTask({ sql_task: { warehouse_id: 'w1' } })).toEqual(['w1']);
    expect(warehousesOfTask({ notebook_task: { notebook_path: '/a/report.sql' } })).toEqual([DEFAULT_WAREHOUSE_ID]);
    expect(warehousesOfTask({ notebook_task: { notebook_path: '/a/nb.py', warehouse_id: 'w2' } })).toEqual(['w2']);
    expect(warehousesOfTask({ dbt_task: { warehouse_id: 'w3' } })).toEqual(['w3']);
    expect(warehousesOfTask({ notebook_task: { notebook_path: '/a/nb.py' } })).toEqual([]);
    expect(warehousesOfTask({ dbt_task: {} })).toEqual([]);
  });

  it('lets a Python notebook or a dbt task that names none use the default one, if allowed', () => {
    expect(implicitWarehousesOfTask({ notebook_task: { notebook_path: '/a/nb.py' } })).toEqual([DEFAULT_WAREHOUSE_ID]);
    expect(implicitWarehousesOfTask({ dbt_task: {} })).toEqual([DEFAULT_WAREHOUSE_ID]);
    expect(implicitWarehousesOfTask({ dbt_task: { warehouse_id: 'w3' } })).toEqual([]);
    expect(implicitWarehousesOfTask({ sql_task: {} })).toEqual([]);
  });
});
